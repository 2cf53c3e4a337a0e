"""Rooms no model decision used (tests/validation/holdout/): OpenFOAM references of three
more under- and over-supplied open aisles and a wall-CRAH room, kept out of every choice of
the model's constants and schemes so that they say how Twin does on a room it was not
fitted to. Held to the issue's accuracy limits themselves (rack mean-inlet RMS within 1 K,
max within 2 K, mean return within 0.3 K, rank correlation at least 0.9 where the reference's
own mesh check can test one), not to a record: a change that takes one of them
past a limit fits the suite's rooms at the expense of rooms like these."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.cfd import reference, scores

HERE = Path(__file__).resolve().parent / "holdout"
REFS = sorted((HERE / "references").glob("*.json"))
RMS_LIMIT_K, MAX_LIMIT_K, RETURN_LIMIT_K, RANK_LIMIT = 1.0, 2.0, 0.3, 0.9


def test_the_held_out_rooms_are_references_of_their_own():
    rooms = sorted(p.stem for p in (HERE / "rooms").glob("*.yaml"))
    assert len(rooms) >= 3 and [p.stem for p in REFS] == rooms
    fitted = {p.stem for p in (HERE.parent / "rooms").glob("*.yaml")}
    assert not fitted & set(rooms)


@pytest.mark.parametrize("path", REFS, ids=[p.stem for p in REFS])
def test_held_out_reference_is_sound(path):
    ref = reference.load(path)
    assert ref["layout"] == f"rooms/{path.stem}.yaml"
    assert ref["racks"] and len({r["id"] for r in ref["racks"]}) == len(ref["racks"])
    assert abs(ref["balance"]) <= (0.005 if ref["converged"] else 0.02)
    if not ref["converged"]:  # a long-window mean, as the fitted rooms' unsettled ones
        ran = ref["iterations"] + ref.get("seed", {}).get("iterations", 0)
        assert ref["window_it"] >= 1000 and ran >= 2 * ref["window_it"]
    assert ref["iterations"] > ref["window_it"]
    # the air leaves every port drawn evenly, with its own velocity along it, as in the
    # fitted rooms' references (foam_case.OUTFLOW_MODES)
    assert ref["outflow"] == "even" and ref["seed"]["iterations"] >= 800
    # the same room on a coarser mesh: how far the reference itself moves
    check = ref["mesh_check"]
    assert check["cell_m"] > ref["cell_m"] and check["outflow"] == ref["outflow"]
    assert [r["id"] for r in check["racks"]] == [r["id"] for r in ref["racks"]]
    assert abs(check["balance"]) <= 0.02
    mc = ref.get("model_check")
    if mc is not None:  # the same room under k-omega SST, on the same mesh
        assert mc["turbulence"] == "kOmegaSST" and mc["cell_m"] == ref["cell_m"]
        assert mc["outflow"] == ref["outflow"]
        assert [r["id"] for r in mc["racks"]] == [r["id"] for r in ref["racks"]]
        assert abs(mc["balance"]) <= 0.03


@pytest.mark.parametrize("path", REFS, ids=[p.stem for p in REFS])
def test_twin_within_the_accuracy_limits_on_a_room_it_was_not_fitted_to(path):
    """A room whose two turbulence models are further apart than the limits cannot test
    them (``wall-crah-six-racks``'s were, 1.97 K RMS and 4.23 K max, against its reference
    before the even draw; now 0.42 / 0.74 K); there Twin must be no further from the
    k-epsilon reference than k-omega SST is. The ranking is held to 0.9 where the reference
    can test one (``scores.rank_testable``: in December 2026 the 20 kW aisle and the wall-CRAH
    room; the 16 kW aisle's closures rank its racks at 0.88 against each other, the test
    aisle's at 0.81)."""
    s = scores.score_room(path)
    # the CFD holds every supply at its set point: Twin must too, or the two rooms differ
    assert s["units_at_capacity"] == [], f"{path.stem}: Twin runs {s['units_at_capacity']}"
    rms_limit, max_limit = RMS_LIMIT_K, MAX_LIMIT_K
    if (s["model_rms_k"] or 0.0) > RMS_LIMIT_K:
        rms_limit, max_limit = s["model_rms_k"], max(s["model_max_k"], MAX_LIMIT_K)
    assert s["rms_k"] <= rms_limit, f"{path.stem}: RMS {s['rms_k']:.2f} K"
    assert s["max_k"] <= max_limit, f"{path.stem}: max {s['max_k']:.2f} K"
    assert abs(s["return_error_k"]) <= RETURN_LIMIT_K, (
        f"{path.stem}: return {s['return_error_k']:+.2f} K"
    )
    # the ranking, where the reference can test one: its two meshes (and its two turbulence
    # models) rank the racks alike and its racks spread wider than the meshes move them
    if scores.rank_testable(s):
        assert s["rank_corr"] >= RANK_LIMIT, f"{path.stem}: rank {s['rank_corr']:.2f}"
