"""The layout's point sensors through a real Prometheus: live frames and a recorded history
carry them, matched by their ``sensor`` label; an HA pair's duplicate series are merged, a
probe's fault code and a sensor the layout does not know are left out; a recording of them
feeds the calibration."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from live_support import layout_text, needs_prometheus, wait_until

from twin.recording import open_recording
from twin.telemetry.prometheus import PrometheusSource

pytestmark = [needs_prometheus, pytest.mark.integration]

#: T-IN (max of an HA pair's 23.5 and 23.25), T-OUT, T-DEAD (fault code -999), T-SILENT
EXPECTED = [23.5, 31.75, math.nan, math.nan]


def wait_for_sensor_history(prometheus) -> None:
    prometheus.wait_for_samples(
        'count_over_time(twin_sensor_temperature_celsius{sensor="T-OUT"}[6s]) >= 5', count=1
    )


def test_live_frames_carry_the_sensors(facility, prometheus):
    assert facility.sensor_ids == ["T-IN", "T-OUT", "T-DEAD", "T-SILENT"]
    source = PrometheusSource(facility, prometheus.url, interval_s=0.3, lag_s=30)
    try:
        source.start()
        frame = wait_until(source.poll, 10, "a frame from the source", step_s=0.05)
    finally:
        source.stop()
    np.testing.assert_array_equal(frame.sensor["temp_c"], np.float32(EXPECTED))
    # the GPUs still arrive beside them
    assert np.isfinite(frame.gpu["temp_c"][facility.gpu_of("A01-01", 0)])


def test_recorded_history_of_the_sensors_calibrates(facility, prometheus, tmp_path):
    from twin.cfd import calibrate
    from twin.cli import main

    layout = tmp_path / "live.yaml"
    layout.write_text(layout_text())
    out = tmp_path / "incident.h5"
    wait_for_sensor_history(prometheus)
    end = time.time() - 1
    argv = ["record", "--prometheus", prometheus.url, "--start", f"{end - 4:.3f}"]
    argv += ["--end", f"{end:.3f}", "--step", "1s", "-o", str(out), str(layout)]
    assert main(argv) == 0
    with open_recording(out) as rec:
        assert rec.n_frames >= 3
        for i in range(rec.n_frames):
            got = rec.frame(i).sensor["temp_c"]
            np.testing.assert_allclose(got, EXPECTED, atol=0.05)
        t = calibrate.targets_from_recording(rec, facility)
    # what a fit would use: the two sensors with readings, at their layout positions
    np.testing.assert_allclose(t.point_c, [23.5, 31.75], atol=0.05)
    np.testing.assert_allclose(t.points_m, [[2, 1.5, 1.2], [2, 4.5, 1.8]])
