"""Calibration against a stored CFD reference (``twin cfd calibrate LAYOUT REFERENCE.json``):
what it fits to is the reference's racks, matched by id, and both of its planes at the CFD's
own cell centres; and the error it starts from is the one the validation table publishes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import calibrate
from twin.model.loader import load_layout

VALIDATION = Path(__file__).resolve().parents[1] / "validation"
ROOM = VALIDATION / "rooms" / "open-aisle-85.yaml"
REF = VALIDATION / "references" / "open-aisle-85.json"


@pytest.fixture(scope="module")
def fac():
    return load_layout(ROOM)


def _planes() -> dict:
    """Two planes at a 0.5 m CFD cell: horizontal 3 x 2 at z 1.25 m with one solid cell (NaN),
    vertical 2 x 2 at x 3.25 m."""
    return {
        "cell_m": np.array(0.5),
        "horizontal_z_m": np.array(1.25),
        "horizontal_c": np.array([[20.0, 21.0], [np.nan, 23.0], [24.0, 25.0]], np.float32),
        "vertical_x_m": np.array(3.25),
        "vertical_c": np.array([[30.0, 31.0], [32.0, 33.0]], np.float32),
    }


def test_the_racks_are_matched_by_id_and_the_planes_read_at_their_cell_centres(fac):
    ids = list(fac.rack_ids)
    racks = [
        {"id": ids[3], "inlet_mean_c": 24.5},
        {"id": "NOT-IN-THIS-LAYOUT", "inlet_mean_c": 99.0},
        {"id": ids[0], "inlet_mean_c": 21.25},
    ]
    ref = {"room": fac.layout.name, "racks": racks, "_planes": _planes()}
    t = calibrate.targets_from_reference(fac, ref, source="hand.json")
    assert t.rack_index.tolist() == [3, 0]
    assert t.rack_c.tolist() == [24.5, 21.25]
    assert t.source == "hand.json" and t.conditions is None and t.rack_power_w is None
    expected = {  # (x, y, z) m -> C, written out from the planes above
        (0.25, 0.25, 1.25): 20.0,
        (0.25, 0.75, 1.25): 21.0,
        (0.75, 0.75, 1.25): 23.0,
        (1.25, 0.25, 1.25): 24.0,
        (1.25, 0.75, 1.25): 25.0,
        (3.25, 0.25, 0.25): 30.0,
        (3.25, 0.25, 0.75): 31.0,
        (3.25, 0.75, 0.25): 32.0,
        (3.25, 0.75, 0.75): 33.0,
    }
    got = {tuple(np.round(p, 6)): float(c) for p, c in zip(t.points_m, t.point_c, strict=True)}
    assert got == expected and len(t.point_c) == len(expected)


def test_a_reference_without_planes_gives_racks_only(fac):
    ids = list(fac.rack_ids)
    t = calibrate.targets_from_reference(
        fac, {"room": "r", "racks": [{"id": ids[1], "inlet_mean_c": 22.0}]}
    )
    assert t.rack_index.tolist() == [1] and t.rack_c.tolist() == [22.0]
    assert t.points_m.shape == (0, 3) and t.point_c.shape == (0,)
    assert t.source == "" and t.rack_index.dtype == np.int64


def test_a_reference_none_of_whose_racks_is_the_layouts_is_refused(fac):
    racks = [{"id": f"Z{i}", "inlet_mean_c": 20.0} for i in range(5)]
    with pytest.raises(ValueError) as exc:
        calibrate.targets_from_reference(fac, {"room": fac.layout.name, "racks": racks})
    assert str(exc.value) == (
        "none of the reference's racks (Z0, Z1, Z2 and 2 more) is a rack of the layout: is it "
        "of another room, or were the layout's racks renamed?"
    )
    with pytest.raises(ValueError, match=r"racks \(Z0\) is a rack"):
        calibrate.targets_from_reference(fac, {"racks": racks[:1]})
    with pytest.raises(ValueError, match=r"racks \(Z0, Z1, Z2\) is a rack"):
        calibrate.targets_from_reference(fac, {"racks": racks[:3]})
    with pytest.raises(ValueError, match=r"racks \(Z0, Z1, Z2 and 1 more\) is a rack"):
        calibrate.targets_from_reference(fac, {"racks": racks[:4]})


def test_the_cli_starts_from_the_error_the_validation_table_publishes(tmp_path, capsys):
    """The fit's starting rack RMS is the room's recorded score (``twin_scores.json``, made
    by the validation scoring, not by calibration), over every rack of the reference and
    every air cell of its two stored planes; a dry run writes nothing."""
    from twin.cli import main

    layout = tmp_path / "room.yaml"
    layout.write_text(ROOM.read_text())
    before = layout.read_bytes()
    argv = ["cfd", "calibrate", str(layout), str(REF), "--dry-run", "--budget", "0.001"]
    assert main([*argv, "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    scores = json.loads((VALIDATION / "twin_scores.json").read_text())["open-aisle-85"]
    assert rep["before"]["rack_rms_k"] == pytest.approx(scores["rms_k"], abs=6e-4)
    ref = json.loads(REF.read_text())
    planes = np.load(REF.with_suffix(".npz"))
    n_air = sum(int(np.isfinite(planes[k]).sum()) for k in ("horizontal_c", "vertical_c"))
    assert rep["racks"] == len(ref["racks"]) and rep["points"] == n_air > 1000
    assert rep["written"] is None and layout.read_bytes() == before


def _hand_made(tmp_path, **change) -> Path:
    """The stored reference with ``change`` applied to its first rack (``return_mean_c``: to
    the reference itself; None: the key removed); its planes left behind."""
    ref = json.loads(REF.read_text())
    for key, value in change.items():
        where = ref if key in ("return_mean_c", "room") else ref["racks"][0]
        if value is None:
            del where[key]
        else:
            where[key] = value
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(ref))
    return path


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"inlet_mean_c": 1e9},
            "racks[0] (A1).inlet_mean_c is 1e+09, outside what room air can take (-50 to 150)",
        ),
        ({"exhaust_c": -60.0}, "racks[0] (A1).exhaust_c is -60, outside what room air can take"),
        (
            {"swing_k": -0.5},
            "racks[0] (A1).swing_k is -0.5, outside what room air can swing by (0 to 200)",
        ),
        ({"inlet_mean_c": None}, "racks[0] (A1) has no inlet_mean_c"),
        ({"return_mean_c": None}, "it has no return_mean_c (the CFD's mean return temperature)"),
        ({"return_mean_c": "warm"}, "return_mean_c is 'warm', not a number"),
        (
            {"room": "another-room"},
            "a reference of room 'another-room', not of layout 'open-aisle-85'",
        ),
    ],
)
def test_a_reference_no_cfd_could_have_written_is_refused_naming_the_field(
    tmp_path, capsys, change, words
):
    """A hand-edited reference with a fill value or a unit mistake was compared and fitted to
    (an inlet of 1e9 C gave "rack inlet RMS 999999972.90 K"); the layout is left alone."""
    from twin.cli import main

    layout = tmp_path / "room.yaml"
    layout.write_text(ROOM.read_text())
    before = layout.read_bytes()
    path = _hand_made(tmp_path, **change)
    for command in (["calibrate"], ["compare"]):
        assert main(["cfd", *command, str(layout), str(path)]) == 1
        assert f"{path}: {words}" in capsys.readouterr().err
    assert layout.read_bytes() == before


def test_the_edges_of_room_air_are_readings(tmp_path):
    from twin.cfd import reference

    ref = reference.load(_hand_made(tmp_path, inlet_mean_c=150.0, exhaust_c=-50.0, swing_k=200.0))
    assert ref["racks"][0]["inlet_mean_c"] == 150.0


def test_planes_holding_a_fill_value_are_refused(tmp_path, capsys):
    """A converter that wrote -1e30 into the solids instead of NaN: refused, naming it."""
    from twin.cli import main

    path = tmp_path / "hand.json"
    path.write_text(REF.read_text())
    with np.load(REF.with_suffix(".npz")) as z:
        planes = {k: z[k] for k in z.files}
    hz = planes["horizontal_c"]
    hz[~np.isfinite(hz)] = -1e30
    np.savez(path.with_suffix(".npz"), **planes)
    n = int((hz == -1e30).sum())
    assert n > 10
    assert main(["cfd", "compare", str(ROOM), str(path)]) == 1
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(
            f"hand.npz: its horizontal_c plane holds {n} values outside what room air can take "
            "(-50 to 150), e.g. -1e+30; cells without air must be NaN"
        )
    )


def test_a_fit_to_a_rooms_cfd_reads_its_racks_better_not_worse(tmp_path, capsys):
    """The perimeter room against its reference. Weighed by count alone (the points together
    as much as the racks), the fit went to a Prandtl number of 0.2 and read the racks worse,
    0.77 -> 0.91 K, for points 2.86 -> 2.66 K; each set weighed by its own starting error,
    both fall (0.77 -> 0.70 K, 2.86 -> 2.63 K)."""
    from twin.cli import main

    room = VALIDATION / "rooms" / "wall-crah-perimeter.yaml"
    ref = VALIDATION / "references" / "wall-crah-perimeter.json"
    argv = ["cfd", "calibrate", str(room), str(ref), "--dry-run", "--json", "--budget", "600"]
    assert main(argv) == 0
    rep = json.loads(capsys.readouterr().out)
    b, a = rep["before"], rep["after"]
    assert not rep.get("kept")
    assert b["rack_rms_k"] == pytest.approx(0.77, abs=0.01)
    assert a["rack_rms_k"] <= b["rack_rms_k"] - 0.05
    assert a["point_rms_k"] <= b["point_rms_k"] - 0.15


def test_a_reference_read_as_any_source_names_itself_as_the_fit_s_source(fac):
    """The window calibrates to whatever it compared (``targets_from_source``): a stored
    reference's targets are its own, named by its path for the layout's provenance."""
    from twin.cfd import reference

    t = calibrate.targets_from_source(fac, 0, 0.3, REF, None)
    own = calibrate.targets_from_reference(fac, reference.load_for(REF, fac.layout.name))
    assert t.source == str(REF)
    np.testing.assert_array_equal(t.rack_c, own.rack_c)
    np.testing.assert_array_equal(t.point_c, own.point_c)
