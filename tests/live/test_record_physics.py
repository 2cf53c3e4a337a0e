"""``twin record --physics``: a live feed of GPU telemetry (no rack inlet, no air-unit reading,
as dcgm-exporter serves) recorded with the air filled from the airflow model, and the file
saying which metrics may be the model's, so that ``twin info`` and the report say so and a
fit to the recording does not fit the model to its own figures.

Before, no command built a live session with the fill: a recording of live DCGM data held no
rack inlet at all, and the README's "rack inlets a live session did not measure are filled by
the physics" held only for a script of one's own."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from dcgm_exporter import Exporter, ExporterState, Host, power_of
from live_support import layout_text

from twin.cfd.calibrate import MODELLED_INLETS_NOTE
from twin.cli import main
from twin.model.loader import load_layout
from twin.recording import open_recording
from twin.report import build_report
from twin.telemetry.physics_air import filled_metrics

COOLING = (
    "cooling:\n  air_units: [{id: C1, type: crah-77kw, hall: H1, position_m: [8.5, 6.5], "
    "rotation_deg: 180}]\n"
)
#: dcgm-exporter's hosts: 16 of the rack's 24 GPUs report
HOSTS = [Host("A01-01", 0), Host("A01-02", 1)]


@pytest.fixture
def cooled(tmp_path):
    path = tmp_path / "cooled.yaml"
    path.write_text(layout_text().replace("sensors:\n", COOLING + "sensors:\n", 1))
    return path


def rack_heat_w(fac) -> float:
    """The rack's heat as read from its GPUs (``devices.rack_power_from_readings``): the 16
    that report at their power, the 8 that do not at the same share of their TDP, and the rest
    of the rack's nominal power at 40 % + 60 % of that share."""
    read_w = sum(power_of(h.index, g) for h in HOSTS for g in range(8))
    tdp = fac.gpu_tdp_w[0]
    assert (fac.gpu_tdp_w == tdp).all() and fac.n_gpus == 24
    load = read_w / (16 * tdp)
    other = fac.rack_power_w[0] - 24 * tdp
    return read_w + 8 * tdp * load + other * (0.4 + 0.6 * load)


def test_a_live_recording_with_physics_fills_the_air_and_names_it(cooled, tmp_path, capsys):
    exp = Exporter(ExporterState(hosts=HOSTS)).start()
    out = tmp_path / "lab.h5"
    try:
        rc = main(
            [
                "record", "--scrape", exp.url, "--duration", "3s", "--step", "0.2s",
                "--physics", "-o", str(out), str(cooled),
            ]
        )  # fmt: skip
    finally:
        exp.stop()
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "physics: 1 of 1 halls' air from the airflow model (" in err
    fac = load_layout(cooled)
    supply_c = fac.air_unit_supply_c[0]
    with open_recording(out) as rec:
        assert rec.filled_by_model == filled_metrics()
        # the first frame solves the hall's steady state (1-3 s of the 3 s), the rest step it
        assert rec.n_frames >= 2
        for i in range(rec.n_frames):
            f = rec.frame(i)
            inlet, exhaust = f.rack["inlet_c"][0], f.rack["exhaust_c"][0]
            assert supply_c < inlet < supply_c + 10 and exhaust > inlet + 5
            assert f.air_unit["supply_c"][0] == pytest.approx(supply_c, abs=0.05)
            assert f.air_unit["return_c"][0] > supply_c + 1
            # the unit takes the rack's heat as measured, not its nominal 31 kW (load to 100 W)
            assert f.air_unit["load_w"][0] == pytest.approx(rack_heat_w(fac), abs=150)
            assert np.isnan(f.sensor["temp_c"]).all()  # point sensors are measurements only
    assert main(["info", str(out)]) == 0
    assert (
        "  filled   rack inlet_c, exhaust_c; air_unit supply_c, return_c, load_w: the airflow "
        "model's where the telemetry measured none\n"
    ) in capsys.readouterr().out
    assert main(["info", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["filled_by_model"] == list(filled_metrics())
    build_report(out, tmp_path / "lab.html")
    assert (
        '<p class="muted">Filled: rack inlet_c, exhaust_c; air_unit supply_c, return_c, load_w: '
        "the airflow model&#x27;s where the telemetry measured none.</p>"
    ) in (tmp_path / "lab.html").read_text()
    # its rack inlets are the model's: a fit to them would fit the model to itself
    assert main(["cfd", "calibrate", str(cooled), str(out), "--dry-run"]) == 1
    assert capsys.readouterr().err == f"twin cfd calibrate: {MODELLED_INLETS_NOTE}\n"


def test_a_live_recording_without_physics_holds_no_air_and_no_mark(cooled, tmp_path, capsys):
    exp = Exporter(ExporterState(hosts=HOSTS)).start()
    out = tmp_path / "lab.h5"
    try:
        args = ["record", "--scrape", exp.url, "--duration", "0.6s", "--step", "0.2s"]
        rc = main([*args, "-o", str(out), str(cooled)])
    finally:
        exp.stop()
    assert rc == 0, capsys.readouterr().err
    with open_recording(out) as rec:
        assert rec.filled_by_model == ()
        assert np.isnan(rec.frame(rec.n_frames - 1).rack["inlet_c"]).all()
    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "filled" not in info
    # its energy takes the racks from their GPUs and the CRAH from the layout: said so
    assert info.endswith(
        "  assumed  racks without a power reading of their own (1 of 1): from their GPUs' "
        "readings, their nominal power where those are missing too\n"
        "  assumed  air units without a state reading (1 of 1): taken as running\n"
        "  assumed  air units without a flow reading (1 of 1): their fans at rated flow\n"
    )
    build_report(out, tmp_path / "lab.html")
    assert "Filled:" not in (tmp_path / "lab.html").read_text()


def record_history(prometheus, layout, out) -> int:
    """``twin record --physics`` of the last three seconds of the test Prometheus's history."""
    from tests.live.test_prometheus_live import wait_for_history

    wait_for_history(prometheus)
    end = time.time() - 1
    args = ["record", "--prometheus", prometheus.url, "--start", f"{end - 3:.3f}"]
    return main(
        [*args, "--end", f"{end:.3f}", "--step", "1s", "--physics", "-o", str(out), str(layout)]
    )


def test_history_recorded_with_physics_says_what_it_left_unfilled(prometheus, tmp_path, capsys):
    """From Prometheus history (``--start/--end``), each frame filled as it is fetched; the
    test layout's hall has no air unit, so it is said unfilled, once, in the first frame."""
    layout = tmp_path / "live.yaml"
    layout.write_text(layout_text())
    out = tmp_path / "history.h5"
    rc = record_history(prometheus, layout, out)
    err = capsys.readouterr().err
    assert rc == 0, err
    why = "H1: no air unit and no supply of its own flow moves its air"
    assert "physics: 0 of 1 halls' air from the airflow model (" in err
    assert f"  not filled: {why}\n" in err
    with open_recording(out) as rec:
        # the layout has no air unit: the file holds no air-unit metric to name
        assert rec.filled_by_model == ("rack/inlet_c", "rack/exhaust_c")
        notes = [e for e in rec.events if e.item == "physics"]
        assert [(e.time_s, e.message) for e in notes] == [
            (rec.times[0], f"not filled from the airflow model: {why}")
        ]
        assert np.isnan(rec.frame(rec.n_frames - 1).rack["inlet_c"]).all()


def test_history_fills_halls_larger_than_a_live_fill_keeps_up_with(
    prometheus, cooled, tmp_path, capsys, monkeypatch
):
    """Frames fetched from history wait for the fill: a hall past the live limit (here set to
    none at all) is filled there, where live it is said not filled."""
    from twin.telemetry import physics_air

    monkeypatch.setattr(physics_air, "MAX_RACKS_PER_HALL", 0)
    out = tmp_path / "history.h5"
    rc = record_history(prometheus, cooled, out)
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "physics: 1 of 1 halls' air from the airflow model (" in err
    assert "not filled" not in err
    with open_recording(out) as rec:
        assert np.isfinite(rec.frame(rec.n_frames - 1).rack["inlet_c"]).all()

    exp = Exporter(ExporterState(hosts=HOSTS)).start()
    try:
        rc = main(
            [
                "record",
                "--scrape",
                exp.url,
                "--duration",
                "1s",
                "--physics",
                "-o",
                str(tmp_path / "live.h5"),
                str(cooled),
            ]
        )
    finally:
        exp.stop()
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "physics: 0 of 1 halls' air from the airflow model (" in err
    assert (
        "  not filled: H1: 1 rack, more than the 0 whose air a field solve per frame keeps up with\n"
        in err
    )
