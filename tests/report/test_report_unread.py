"""The incident report of a recording that holds no air readings, or only some: live
dcgm-exporter telemetry is GPU readings only. Before, it read "nan °C peak rack inlet", ranked
racks with "nan", drew empty charts and said the air units "removed 0.0 kWh; the rest (X kWh)
went to liquid loops", with three RuntimeWarnings on the terminal."""

from __future__ import annotations

import html
import json
import re
import warnings
from pathlib import Path

import numpy as np

from twin.cli import main
from twin.model.loader import load_layout
from twin.recording import Recorder
from twin.report import build_report
from twin.telemetry.simulator import Simulator

HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"
WHY = "recorded (dcgm-exporter serves GPU readings only; twin record --physics fills the air "
WHY += "from the airflow model)"


def _report(tmp_path, blank) -> str:
    """The report's text (tags and charts dropped) of 20 simulated frames after ``blank(frame)``
    took readings out, built with every warning an error."""
    fac = load_layout(HALL)
    sim = Simulator(fac, "normal", seed=2, start_s=1_800_000_000.0)
    with Recorder(tmp_path / "r.h5", fac) as rec:
        for _ in range(20):
            frame = sim.step()
            blank(frame)
            rec.append(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_report(tmp_path / "r.h5", tmp_path / "r.html")
    text = (tmp_path / "r.html").read_text()
    text = re.sub(r"<svg.*?</svg>", " [chart] ", text, flags=re.S)
    text = re.sub(r"<style.*?</style>", "", text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def _gpus_only(frame) -> None:
    for kind in ("rack", "air_unit"):
        for values in frame.group(kind).values():
            values[:] = np.nan


def test_a_recording_of_gpu_readings_only_says_what_it_does_not_hold(tmp_path, capsys):
    text = _report(tmp_path, _gpus_only)
    # its IT energy is the racks' as their GPUs read, as twin energy --recording counts it
    assert main(["energy", str(HALL), "--recording", str(tmp_path / "r.h5"), "--json"]) == 0
    en = json.loads(capsys.readouterr().out)
    assert en["mean_it_kw"] < 0.9 * load_layout(HALL).rack_power_w.sum() / 1e3
    assert f" {en['it_kwh']:,.1f} kWh IT energy " in text
    assert f"PUE {en['pue']} over the span" in text
    # its cooling is the layout's, not a measurement: said beside the PUE, as twin energy does
    assumed = [
        "racks without a power reading of their own (6 of 6): from their GPUs' readings, their "
        "nominal power where those are missing too",
        "air units without a state reading (2 of 2): taken as running",
        "air units without a flow reading (2 of 2): their fans at rated flow",
    ]
    assert en["assumed"] == assumed
    assert " ".join(f"Assumed: {a}." for a in assumed) in text
    assert "nan" not in text.lower()
    assert " n/a peak rack inlet " in text
    assert f" Worst racks No rack inlet was {WHY}. Worst GPUs " in text
    assert f" Cooling over time No air unit's return or load was {WHY}. Energy " in text
    assert (
        f" Where the heat went No air unit's load was {WHY}, so where the heat went is not known. "
    ) in text
    assert "went to liquid loops" not in text


def test_units_and_racks_without_readings_are_left_out_not_ranked_or_counted(tmp_path):
    """CRAH-2 has no load and every rack but two no inlet: the worst racks are those two, the
    heat table says CRAH-2's load was not recorded and draws no conclusion on the rest."""

    def blank(frame):
        frame.rack["inlet_c"][2:] = np.nan
        frame.air_unit["load_w"][1] = np.nan
        frame.air_unit["return_c"][1] = np.nan

    text = _report(tmp_path, blank)
    fac = load_layout(HALL)
    assert "nan" not in text.lower()
    ranked = re.search(r"Worst racks rack peak inlet °C (.*?) \[chart\]", text).group(1).split()
    assert sorted(ranked[0::2]) == sorted(fac.rack_ids[:2])
    assert " CRAH-2 load not recorded " in text
    assert re.search(
        r"the air units whose load was recorded removed [\d.]+ kWh; 1 of 2 units' loads were "
        r"not recorded, so what went to liquid loops is not known\.",
        text,
    )
    assert "the rest (" not in text
