"""The printers of the README's validation tables (``score_twin.py`` pastes their output):
each row's text, worked by hand from one room's figures."""

from __future__ import annotations

from twin.cfd import scores

ROOM = {
    "room": "r1",
    "rms_k": 0.123,
    "max_k": 0.456,
    "rank_corr": 0.904,
    "return_error_k": -0.015,
    "twin_s": 0.318,
    "cfd_cpu_s": 150.7,
    "mesh_rms_k": 0.021,
    "mesh_rank_corr": 0.973,
    "cfd_converged": True,
    "inlet_spread_k": 1.088,
    "pairs": {"ordered": 35, "resolved": 36, "misordered": [["A1", "A5"]]},
    "plane_velocity": {"direction_agreement": 0.914},
}


def test_the_main_table_row():
    head, rule, row = scores.table([ROOM]).splitlines()
    assert head == (
        "| room | RMS | max | rank corr. | return error | Twin | OpenFOAM (CPU) | CFD mesh check "
        "| CFD mesh rank corr. | inlet spread | flow within 45° |"
    )
    assert rule == "|---|---|---|---|---|---|---|---|---|---|---|"
    assert row == (
        "| `r1` | 0.12 K | 0.46 K | 0.90 (35/36 pairs) | -0.01 K | 0.3 s | 151 s | 0.02 K | "
        "0.97 | 1.09 K | 91 % |"
    )


def test_a_long_window_reference_without_checks_or_planes():
    room = {
        **ROOM,
        "cfd_converged": False,
        "mesh_rms_k": None,
        "mesh_rank_corr": None,
        "return_error_k": 0.026,
        "pairs": None,
        "plane_velocity": None,
    }
    row = scores.table([room]).splitlines()[2]
    assert row == (
        "| `r1` (long-window mean) | 0.12 K | 0.46 K | 0.90 (not testable) | +0.03 K | 0.3 s | "
        "151 s | — | — | 1.09 K | — |"
    )


def test_a_ranking_the_reference_cannot_test_says_so_beside_its_pairs():
    room = {**ROOM, "mesh_rank_corr": 0.71}
    row = scores.table([room]).splitlines()[2]
    assert "| 0.90 (not testable; 35/36 pairs) |" in row


def test_the_model_table_lists_only_rooms_with_a_model_check():
    checked = {
        **ROOM,
        "model_rms_k": 0.044,
        "model_max_k": 0.077,
        "model_rank_corr": 0.973,
        "against_model_check": {"rms_k": 0.021, "max_k": 0.039, "rank_corr": 0.958},
    }
    lines = scores.model_table([ROOM, checked]).splitlines()
    assert lines[:2] == [
        "| room | k-omega SST against k-epsilon (RMS / max / rank) | Twin against k-epsilon "
        "| Twin against k-omega SST |",
        "|---|---|---|---|",
    ]
    assert len(lines) == 3
    assert lines[2] == (
        "| `r1` | 0.04 K / 0.08 K / 0.97 | 0.12 K / 0.46 K / 0.90 | 0.02 K / 0.04 K / 0.96 |"
    )


def test_the_split_table_with_and_without_the_held_column():
    split = {"r1": {"rms_k": 0.224, "max_k": 0.311, "rank_corr": 0.981}}
    held = {"r1": {"rms_k": 0.5, "max_k": 1.0, "rank_corr": 0.5, "through_m": 0.25}}
    other = {**ROOM, "room": "r2"}  # no case: left out, and the rooms after it kept
    lines = scores.split_table([other, ROOM], split).splitlines()
    assert lines == [
        "| room | Twin: RMS / max / rank | Twin's heat on the CFD's air: RMS / max / rank |",
        "|---|---|---|",
        "| `r1` | 0.12 K / 0.46 K / 0.90 | 0.22 K / 0.31 K / 0.98 |",
    ]
    lines = scores.split_table([other, ROOM], split, held).splitlines()
    assert lines[0].endswith("| ... held on a 0.25 m momentum grid: RMS / max / rank |")
    assert lines[1] == "|---|---|---|---|"
    assert lines[2] == (
        "| `r1` | 0.12 K / 0.46 K / 0.90 | 0.22 K / 0.31 K / 0.98 | 0.50 K / 1.00 K / 0.50 |"
    )


def test_twins_heat_on_its_own_air_handed_in_as_the_cfds_lands_near_its_own_answer():
    """``score_on_run`` with Twin's own cell-centred air as the "CFD" velocity, in the
    perimeter room: the heat on that air lands within the reconstruction's error of Twin's
    own rack inlets (0.06 K RMS, 0.12 K at most in December 2026; README, "Which half of
    the model is off"), and a run with no velocity is refused by name."""
    from pathlib import Path

    import numpy as np
    import pytest

    from twin.cfd import velocity
    from twin.model.loader import load_layout
    from twin.physics import solve_steady

    ref = Path(__file__).resolve().parents[1] / "validation" / "references"
    ref = ref / "wall-crah-perimeter.json"
    own = scores.score_room(ref)
    fac = load_layout(ref.parents[1] / "rooms" / "wall-crah-perimeter.yaml")
    res = solve_steady(fac, 0, scores.SCORE_CELL_M)
    run = {
        "_velocity": velocity.twin_velocity(res),
        "_grid": res.grid,
        "_desc": {"hall": fac.hall_ids[0]},
    }
    out = scores.score_on_run(ref, run)
    assert out["room"] == "wall-crah-perimeter"
    assert out["racks"] == own["racks"] == fac.n_racks
    got = {r["id"]: r["twin_mean_c"] for r in out["rows"]}
    want = {r["id"]: r["twin_mean_c"] for r in own["rows"]}
    diff = np.array([got[k] - want[k] for k in want])
    assert np.sqrt(np.mean(diff**2)) < 0.1 and np.abs(diff).max() < 0.2
    assert out["rms_k"] == pytest.approx(own["rms_k"], abs=0.1)
    assert np.isfinite(out["horizontal_plane_rms_k"])
    with pytest.raises(ValueError, match="case-x: the case kept no air velocity"):
        scores.score_on_run(ref, {**run, "_velocity": None}, source="case-x")
    with pytest.raises(ValueError, match="^wall-crah-perimeter: the case kept no air velocity"):
        scores.score_on_run(ref, {**run, "_velocity": None})


def test_a_ranking_the_meshes_agree_on_at_0_9_is_testable():
    room = {**ROOM, "mesh_rank_corr": 0.9}
    assert scores.rank_testable(room)
    assert not scores.rank_testable({**room, "mesh_rank_corr": 0.899})


def test_score_room_passes_its_options_to_the_solve_and_says_whether_the_cfd_settled():
    from pathlib import Path

    import pytest

    from twin.physics.params import PhysicsParams

    ref = Path(__file__).resolve().parents[1] / "validation" / "references"
    base = scores.score_room(ref / "cold-containment-leaky.json")
    assert base["cfd_converged"] is True
    assert scores.score_room(ref / "open-aisle-85.json")["cfd_converged"] is False
    mixed = scores.score_room(ref / "cold-containment-leaky.json", params=PhysicsParams(5.0, 0.3))
    assert mixed["rms_k"] != pytest.approx(base["rms_k"], abs=1e-3)
