"""A reference's turbulence-model check: the same room under another RANS closure, stored
beside the mesh check, how far it moves the rack inlets, and what it leaves testable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import reference, scores

VALIDATION = Path(__file__).resolve().parents[1] / "validation"
ROOM = "over-supply-far-return"


def _other(ref: dict, shift_k: np.ndarray) -> dict:
    """The same room's reference with its racks moved by ``shift_k``, as another turbulence
    model might leave it."""
    other = {k: v for k, v in ref.items() if not k.startswith("_")}
    other["racks"] = [
        {**r, "inlet_mean_c": r["inlet_mean_c"] + d}
        for r, d in zip(ref["racks"], shift_k, strict=True)
    ]
    other.update(turbulence="kOmegaSST", solver="SST", return_mean_c=ref["return_mean_c"] + 0.5)
    return other


def test_the_check_is_the_rack_inlets_difference_by_hand():
    ref = reference.load(VALIDATION / "references" / f"{ROOM}.json")
    n = len(ref["racks"])
    shift = np.linspace(-1.0, 2.0, n)
    mc = reference.model_check(ref, _other(ref, shift))
    assert mc["inlet_rms_diff_k"] == pytest.approx(np.sqrt(np.mean(shift**2)), abs=1e-3)
    assert mc["inlet_max_diff_k"] == pytest.approx(2.0, abs=1e-3)
    assert mc["return_diff_k"] == pytest.approx(0.5, abs=1e-3)
    assert mc["turbulence"] == "kOmegaSST"
    assert [r["id"] for r in mc["racks"]] == [r["id"] for r in ref["racks"]]
    # a uniform shift keeps the ranking; reversing the racks' order turns it over
    assert reference.model_check(ref, _other(ref, np.full(n, 3.0)))["rank_corr"] == 1.0
    t = np.array([r["inlet_mean_c"] for r in ref["racks"]])
    flipped = reference.model_check(ref, _other(ref, t.max() + t.min() - 2 * t))
    assert flipped["rank_corr"] == pytest.approx(-1.0)


def test_a_check_of_another_room_or_other_racks_is_refused():
    ref = reference.load(VALIDATION / "references" / f"{ROOM}.json")
    other = _other(ref, np.zeros(len(ref["racks"])))
    with pytest.raises(ValueError, match="model check of 'x'"):
        reference.model_check(ref, {**other, "room": "x"})
    with pytest.raises(ValueError, match="racks are not the reference's"):
        reference.model_check(ref, {**other, "racks": other["racks"][1:]})


def test_folded_in_it_scores_twin_against_both_models_and_limits_the_ranking(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(VALIDATION))
    import run_cfd

    refs, checks = tmp_path / "references", tmp_path / "sst"
    shutil.copytree(VALIDATION / "rooms", tmp_path / "rooms")
    refs.mkdir()
    shutil.copy(VALIDATION / "references" / f"{ROOM}.npz", refs)
    stored = json.loads((VALIDATION / "references" / f"{ROOM}.json").read_text())
    stored.pop("model_check", None)  # the room as it was before its check
    (refs / f"{ROOM}.json").write_text(json.dumps(stored))
    plain = scores.score_room(refs / f"{ROOM}.json")
    ref = reference.load(refs / f"{ROOM}.json")
    t = np.array([r["inlet_mean_c"] for r in ref["racks"]])
    other = _other(ref, t.max() + t.min() - 2 * t)  # the other model ranks them in reverse
    checks.mkdir()
    (checks / f"{ROOM}.json").write_text(json.dumps(other))
    npz = (refs / f"{ROOM}.npz").read_bytes()
    assert run_cfd.fold_model_checks([ROOM], checks, refs) == 0
    assert (refs / f"{ROOM}.npz").read_bytes() == npz  # the planes are left as they were
    stored = json.loads((refs / f"{ROOM}.json").read_text())
    assert stored["model_check"]["rank_corr"] == pytest.approx(-1.0)
    s = scores.score_room(refs / f"{ROOM}.json")
    assert s["rms_k"] == pytest.approx(plain["rms_k"])  # against k-epsilon: as before
    # against the other model: Twin's inlets against the reversed ones, by hand
    tw = {r["id"]: r["twin_mean_c"] for r in plain["rows"]}
    theirs = {r["id"]: r["inlet_mean_c"] for r in other["racks"]}
    err = np.array([tw[i] - theirs[i] for i in tw])
    assert s["against_model_check"]["rms_k"] == pytest.approx(np.sqrt(np.mean(err**2)), abs=0.01)
    # its two models rank the racks apart: no model can be held to a ranking
    assert scores.rank_testable(plain) and not scores.rank_testable(s)
    table = scores.model_table([s, plain])
    assert table.count("\n| `") == 1 and f"`{ROOM}` | {s['model_rms_k']:.2f} K" in table
