"""A stored reference read back: what is refused, in which words; and the turbulence-model
check's record, figure by figure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import reference

REFS = Path(__file__).resolve().parents[1] / "validation" / "references"


def _write(tmp_path, body) -> Path:
    path = tmp_path / "r.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def _minimal(**change) -> dict:
    ref = {
        "format": "twin-cfd-reference/1",
        "room": "r",
        "racks": [{"id": "A1", "inlet_mean_c": 20.5}],
        "return_mean_c": 30.25,
    }
    ref.update(change)
    return ref


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            "{not json",
            "not a readable CFD reference (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        ),
        (
            _minimal(format="twin-cfd-reference/2"),
            "format is 'twin-cfd-reference/2', expected 'twin-cfd-reference/1'",
        ),
        (_minimal(racks="A1"), "'racks' must be a non-empty list"),
        (_minimal(racks=[]), "'racks' must be a non-empty list"),
        (_minimal(racks=["A1"]), "racks[0] needs an 'id'"),
        (_minimal(racks=[{"id": 7, "inlet_mean_c": 20.0}]), "racks[0] needs an 'id'"),
        (  # compared as two racks, with twice one rack's weight
            _minimal(
                racks=[
                    {"id": "A1", "inlet_mean_c": 20.7},
                    {"id": "A2", "inlet_mean_c": 21.0},
                    {"id": "A1", "inlet_mean_c": 40.0},
                ]
            ),
            "racks[2] is A1 again (racks[0])",
        ),
    ],
)
def test_what_is_refused_and_how_it_is_said(tmp_path, body, words):
    path = _write(tmp_path, body)
    with pytest.raises(ValueError) as exc:
        reference.load(path)
    assert str(exc.value) == f"{path}: {words}"


def test_a_cold_return_is_a_reading():
    """A return below 0 C is room air (a cold store); only a swing must be positive."""
    assert reference._check_air(Path("r.json"), "return_mean_c", -10.0) is None
    with pytest.raises(ValueError, match="swing by"):
        reference._check_air(Path("r.json"), "swing_k", -10.0, swing=True)


def test_the_model_check_record_figure_by_figure():
    ref = {
        "room": "r",
        "return_mean_c": 30.0,
        "racks": [{"id": i, "inlet_mean_c": t} for i, t in (("A", 20.0), ("B", 21.0), ("C", 22.5))],
    }
    recorded = {  # what the check copies from the other run as it is
        "solver": "SST text",
        "turbulence": "kOmegaSST",
        "cell_m": 0.15,
        "outflow": "even",
        "converged": False,
        "iterations": 1500,
        "window_it": 1000,
        "cpu_s": 321.5,
        "balance": -0.00123,
        "return_mean_c": 30.43217,
    }
    # its racks listed in another order: matched by id
    theirs = (("C", 22.1234), ("A", 20.5678), ("B", 20.9))
    other = {"room": "r", **recorded, "racks": [{"id": i, "inlet_mean_c": t} for i, t in theirs]}
    d = np.array([0.5678, -0.1, -0.3766])
    assert reference.model_check(ref, other) == {
        **recorded,
        "racks": [
            {"id": "A", "inlet_mean_c": 20.5678},
            {"id": "B", "inlet_mean_c": 20.9},
            {"id": "C", "inlet_mean_c": 22.1234},
        ],
        "inlet_rms_diff_k": round(float(np.sqrt(np.mean(d**2))), 3),
        "inlet_max_diff_k": 0.568,
        "rank_corr": 1.0,
        "return_diff_k": 0.432,
    }
    # B and A swapped: a rank correlation of 0.5 (ranks 1 2 3 against 2 1 3)
    racks = [{"id": i, "inlet_mean_c": t} for i, t in (("A", 21.2345), ("B", 20.9), ("C", 22.1))]
    swapped = {**other, "racks": racks}
    got = reference.model_check(ref, swapped)["rank_corr"]
    assert got == 0.5
    with pytest.raises(ValueError) as exc:
        reference.model_check(ref, {**other, "room": "x"})
    assert str(exc.value) == "model check of 'x' given for 'r'"


def test_every_stored_reference_loads():
    for path in sorted(REFS.glob("*.json")):
        ref = reference.load(path)
        assert ref["racks"] and "_planes" in ref


def _with_planes(tmp_path, **planes) -> Path:
    path = _write(tmp_path, _minimal())
    np.savez(path.with_suffix(".npz"), cell_m=np.array(0.5), **planes)
    return path


def test_planes_are_checked_each_and_name_the_first_value_out_of_range(tmp_path):
    fill = np.array([[20.0, np.nan], [-1e30, 999.0]], np.float32)
    path = _with_planes(tmp_path, vertical_c=fill)  # no horizontal plane at all
    with pytest.raises(ValueError) as exc:
        reference.load(path)
    assert str(exc.value) == (
        f"{path.with_suffix('.npz')}: its vertical_c plane holds 2 values outside what room "
        "air can take (-50 to 150), e.g. -1e+30; cells without air must be NaN"
    )


def test_planes_at_the_edges_of_room_air_load(tmp_path):
    edges = np.array([[-50.0, 150.0], [np.nan, 21.5]])
    ref = reference.load(_with_planes(tmp_path, horizontal_c=edges, vertical_c=edges))
    assert np.array_equal(ref["_planes"]["vertical_c"], edges, equal_nan=True)


def test_the_model_checks_rank_correlation_is_kept_to_three_places():
    """Six racks, two pairs swapped: 1 - 6 * 4 / 210 = 0.885714..."""
    ids = "ABCDEF"
    ref = {"room": "r", "return_mean_c": 30.0}
    ref["racks"] = [{"id": i, "inlet_mean_c": 20.0 + k} for k, i in enumerate(ids)]
    order = [1, 0, 3, 2, 4, 5]
    other = {**ref, "balance": 0.0}
    other["racks"] = [{"id": i, "inlet_mean_c": 20.0 + order[k]} for k, i in enumerate(ids)]
    assert reference.model_check(ref, other)["rank_corr"] == 0.886


@pytest.mark.parametrize(
    ("planes", "why"),
    [
        (b"not a zip file at all", "not an .npz of arrays: numpy would have to unpickle it"),
        (None, "not an .npz of arrays: numpy would have to unpickle it, which is never done"),
    ],
)
def test_planes_that_cannot_be_read_are_refused_naming_the_file(tmp_path, planes, why):
    path = _write(tmp_path, _minimal())
    npz = path.with_suffix(".npz")
    if planes is None:  # arrays of Python objects need pickle, which is never loaded
        np.savez(npz, horizontal_c=np.array([{"x": 1}], dtype=object))
    else:
        npz.write_bytes(planes)
    with pytest.raises(ValueError) as exc:
        reference.load(path)
    msg = str(exc.value)
    assert msg.startswith(f"{npz}: not readable planes of a CFD reference (") and why in msg
