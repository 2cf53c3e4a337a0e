"""Live telemetry through a real Prometheus scraping our DCGM-format exporter on 127.0.0.1."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from dcgm_exporter import power_of, temp_of
from live_support import layout_text, needs_prometheus, wait_until

from twin.model.frame import THROTTLE_HW_THERMAL, THROTTLE_SW_THERMAL, EventKind
from twin.recording import open_recording
from twin.telemetry.prometheus import PrometheusSource
from twin.telemetry.registry import load
from twin.telemetry.source import SourceState

pytestmark = [needs_prometheus, pytest.mark.integration]

#: (host name in the layout, host index in the exporter) for the GPUs that must have data.
MAPPED = [("A01-01", 0), ("A01-02", 1), ("A01-03", 2)]


def wait_frame(source, timeout_s=10.0, after: float | None = None):
    def newer():
        frame = source.poll()
        if frame is not None and (after is None or frame.time_s > after):
            return frame
        return None

    return wait_until(newer, timeout_s, "a frame from the source", step_s=0.05)


def wait_for_history(prometheus) -> None:
    """Wait until every GPU has 5 s of scraped samples (1 s apart): the fixture hands over a
    server only two scrapes old, and tests that look back over the last seconds may run
    first in the module."""
    prometheus.wait_for_samples("count_over_time(DCGM_FI_DEV_GPU_TEMP[6s]) >= 5", count=32)


def check_values(facility, frame, power_tol=0.0):
    """Values the exporter serves; recordings round power to 1 W (``power_tol``)."""
    gpu = frame.gpu
    for host, h in MAPPED:
        idx = np.array([facility.gpu_of(host, g) for g in range(8)])
        assert (idx >= 0).all()
        np.testing.assert_array_equal(gpu["temp_c"][idx], [temp_of(h, g) for g in range(8)])
        want_power = np.array([power_of(h, g) for g in range(8)], dtype=np.float32)
        if host == "A01-02":
            assert np.isnan(gpu["power_w"][idx[5]])  # fp64 blank sentinel
            want_power[5] = np.nan
        np.testing.assert_allclose(gpu["power_w"][idx], want_power, rtol=0, atol=power_tol)
        assert (gpu["sm_clock_mhz"][idx] == 1980).all()
    a01 = facility.gpu_of("A01-01", 0)
    assert np.isnan(gpu["mem_temp_c"][a01 + 2])  # int64 "not supported" sentinel
    assert gpu["mem_temp_c"][a01 + 3] == temp_of(0, 3) + 5
    assert gpu["throttle"][a01 + 1] == THROTTLE_HW_THERMAL
    assert gpu["xid"][a01 + 1] == 79
    assert gpu["xid"][a01] == 0
    # the growing thermal-violation counter of A01-02 gpu3 becomes the SW-thermal bit
    assert int(gpu["throttle"][facility.gpu_of("A01-02", 3)]) & THROTTLE_SW_THERMAL
    assert gpu["throttle"][facility.gpu_of("A01-02", 4)] == 0


def test_live_frames_at_the_right_gpus(facility, prometheus):
    cls = load("prometheus")
    assert cls is PrometheusSource
    source = cls(facility, prometheus.url, interval_s=0.3, lag_s=30)
    try:
        source.start()
        frame = wait_frame(source)
        check_values(facility, frame)
        # throttling (reason bits, or a growing violation counter) and XIDs become events
        events = {(e.kind, e.item) for e in frame.events}
        assert events == {
            (EventKind.THROTTLE_START, "A01-01/gpu1"),
            (EventKind.THROTTLE_START, "A01-02/gpu3"),
            (EventKind.ALARM, "A01-01/gpu1"),
        }
        assert abs(frame.time_s - time.time()) < 10  # newest sample time, not 1970 or later
        status = wait_until(
            lambda: (s := source.status()).state == SourceState.CONNECTED and s, 5, "connected"
        )
        assert status.gpus_total == facility.n_gpus == 24
        assert status.gpus_with_data == 24
        assert status.unmatched_series == 8  # ghost-01's GPUs
        assert all(e.startswith("ghost-01/gpu") for e in status.unmatched_examples)
        assert not status.stale and status.age_s is not None and status.age_s < 10
        assert status.url == prometheus.url
        # values move with every scrape: a later frame has other utilisations
        util = frame.gpu["util_pct"].copy()
        later = wait_frame(source, after=frame.time_s + 1.5)
        assert later.time_s > frame.time_s
        assert not np.array_equal(later.gpu["util_pct"], util)
    finally:
        source.stop()
    assert source.status().state == SourceState.STOPPED


def test_record_history_and_replay(facility, prometheus, tmp_path):
    from twin.cli import main

    layout = tmp_path / "live.yaml"
    layout.write_text(layout_text())
    out = tmp_path / "incident.h5"
    wait_for_history(prometheus)  # the recording spans the last 4 s
    end = time.time() - 1
    start = end - 4
    rc = main(
        [
            "record",
            "--prometheus",
            prometheus.url,
            "--start",
            f"{start:.3f}",
            "--end",
            f"{end:.3f}",
            "--step",
            "1s",
            "-o",
            str(out),
            str(layout),
        ]
    )
    assert rc == 0
    with open_recording(out) as rec:
        assert 3 <= rec.n_frames <= 5
        np.testing.assert_allclose(np.diff(rec.times), 1.0, atol=1e-3)
        check_values(facility, rec.frame(rec.n_frames - 1), power_tol=0.5)
        alarms = [e for e in rec.events if e.kind == EventKind.ALARM]
        assert [(e.item, e.message) for e in alarms] == [
            ("A01-01/gpu1", "A01-01/gpu1 reported XID 79")
        ]
        assert {e.item for e in rec.events if e.kind == EventKind.THROTTLE_START} == {
            "A01-01/gpu1",
            "A01-02/gpu3",
        }
        times, hist = rec.history("gpu", facility.gpu_of("A01-02", 6), ["temp_c"])
        np.testing.assert_array_equal(times, rec.times)
        np.testing.assert_allclose(hist["temp_c"], temp_of(1, 6))


def test_watch_record_and_replay_through_a_session(facility, prometheus, tmp_path):
    """Live through Twin's session (registry name + options, as the window does), recorded
    while watching, then replayed by the replay source with the same values and events."""
    from twin.session import Session
    from twin.telemetry.registry import create

    path = tmp_path / "live.h5"
    session = Session.open(facility, "prometheus", record=path, url=prometheus.url, interval_s=0.2)
    seen = []

    def two_frames():
        if session.tick() is not None:
            seen.append(session.last_frame)
        return len(seen) >= 2

    try:
        session.start()
        wait_until(two_frames, 10, "two frames through the session")
    finally:
        session.close()
    replay = create("replay", facility, path=path, speed=100.0)
    try:
        replay.start()
        last = wait_until(
            lambda: (f := replay.poll()) is not None and f.time_s == seen[-1].time_s and f,
            10,
            "the last recorded frame in the replay",
        )
    finally:
        replay.stop()
    check_values(facility, last, power_tol=0.5)
    np.testing.assert_allclose(last.gpu["util_pct"], seen[-1].gpu["util_pct"])
    with open_recording(path) as rec:
        assert rec.n_frames == 2
        assert {e.item for e in rec.events} == {"A01-01/gpu1", "A01-02/gpu3"}


def test_backfill_at_start_fetches_recent_history(facility, prometheus):
    wait_for_history(prometheus)  # the back-fill reaches 3 s back
    source = PrometheusSource(
        facility, prometheus.url, interval_s=0.3, backfill_s=3.0, backfill_step_s=0.5
    )
    try:
        source.start()
        live = wait_frame(source)
        history = wait_until(source.drain_backfill, 5, "back-fill frames")
    finally:
        source.stop()
    times = np.array([f.time_s for f in history])
    assert 3 <= len(times) <= 6
    np.testing.assert_allclose(np.diff(times), 0.5, atol=1e-3)
    assert times[-1] < live.time_s and times[0] > live.time_s - 4
    check_values(facility, history[-1])


def test_range_queries_in_chunks_give_the_same_frames(facility, prometheus):
    from twin.telemetry.prometheus import PrometheusClient, PrometheusQueries, fetch_range

    client = PrometheusClient.connect(prometheus.url, env={})
    queries = PrometheusQueries(facility)
    wait_for_history(prometheus)  # the queries span the last 4 s
    end = time.time() - 1
    start = end - 3
    whole = list(fetch_range(client, queries, start, end, 1.0))
    # two points per series per query: 2 chunks instead of one
    chunked = list(
        fetch_range(client, queries, start, end, 1.0, samples_per_chunk=2 * facility.n_gpus)
    )
    assert len(whole) == 4
    assert [f.time_s for f in whole] == [f.time_s for f in chunked]
    for a, b in zip(whole, chunked, strict=True):
        for name, values in a.gpu.items():
            np.testing.assert_array_equal(values, b.gpu[name], err_msg=name)


# Runs last: the outage leaves a gap in the module's Prometheus history.
def test_server_restart_disconnects_then_recovers(facility, prometheus):
    source = PrometheusSource(
        facility,
        prometheus.url,
        interval_s=0.2,
        timeout_s=1.0,
        backoff_max_s=0.8,
        backfill_step_s=0.25,
    )
    try:
        source.start()
        first = wait_frame(source)
        prometheus.stop()
        down = wait_until(
            lambda: (s := source.status()).state == SourceState.DISCONNECTED and s,
            10,
            "disconnected",
        )
        assert down.stale and down.errors >= 1
        assert down.retry_in_s is not None and down.retry_in_s <= 0.8
        assert "cannot reach" in down.message
        prometheus.start()
        wait_until(lambda: source.status().state == SourceState.CONNECTED, 20, "connected again")
        again = wait_frame(source, after=first.time_s)
        check_values(facility, again)
        # Prometheus marks the exporter's series stale while it is down, so the gap holds
        # little or no data; whatever back-fill there is must lie inside the gap, in order
        times = [f.time_s for f in source.drain_backfill()]
        assert times == sorted(times) and all(first.time_s < t < again.time_s for t in times)
    finally:
        source.stop()
        if prometheus.proc is None:
            prometheus.start()


def test_promql_metric_overrides_and_relabelled_hosts(prometheus):
    """README: sites that relabel set telemetry.host_labels, gpu_label and metrics (names or
    PromQL). Here the temperature is a PromQL expression (label_replace moves the host to
    `node`, the GPU index to `minor`, and Fahrenheit conversion shows the expression is run)."""
    from twin.model.loader import facility_from_text

    expr = (
        'label_replace(label_replace(DCGM_FI_DEV_GPU_TEMP * 9 / 5 + 32, "node", "$1", '
        '"Hostname", "(.*)"), "minor", "$1", "gpu", "(.*)")'
    )
    text = layout_text().replace(
        "telemetry:\n",
        "telemetry:\n  host_labels: [node]\n  gpu_label: minor\n"
        f"  metrics: {{temp_c: '{expr}', power_w: DCGM_FI_DEV_POWER_USAGE}}\n",
    )
    fac = facility_from_text(text)
    source = PrometheusSource(fac, prometheus.url, interval_s=0.3, lag_s=30)
    try:
        source.start()
        frame = wait_frame(source)
    finally:
        source.stop()
    a = fac.gpu_of("A01-01", 0)
    np.testing.assert_allclose(
        frame.gpu["temp_c"][a : a + 8], [temp_of(0, g) * 9 / 5 + 32 for g in range(8)], rtol=1e-6
    )
    # the plain power series have no `node` label; they still map by UUID: A01-03's from the
    # layout's gpu_uuids, A01-01's learned beside its relabelled temperatures. A01-02 reports
    # `hostname` (lower case), which the expression does not relabel: no data, not a guess.
    power = frame.gpu["power_w"]
    for host, h in (("A01-01", 0), ("A01-03", 2)):
        g = fac.gpu_of(host, 0)
        np.testing.assert_allclose(power[g : g + 8], [power_of(h, k) for k in range(8)])
    g = fac.gpu_of("A01-02", 0)
    assert np.isnan(power[g : g + 8]).all() and np.isnan(frame.gpu["temp_c"][g : g + 8]).all()


def test_record_history_onto_a_disk_that_fills_keeps_what_fitted(
    facility, prometheus, tmp_path, monkeypatch, capsys
):
    """History is written faster than a live feed: the disk is found full at the first look
    after the file was made (a block of 64 frames, or a flush), and ``twin record`` says so
    (exit 2, as for its other failures) with a closed recording of what fitted, where a
    RecordingError used to escape as a traceback."""
    from collections import namedtuple

    from twin.cli import main
    from twin.recording import recorder as recorder_module

    Usage = namedtuple("Usage", "total used free")
    looks = []

    def disk_usage(_path):
        looks.append(1)
        free = 1 << 40 if len(looks) == 1 else 1 << 20  # room to make it, then 1 MB
        return Usage(1 << 41, (1 << 41) - free, free)

    monkeypatch.setattr(recorder_module.shutil, "disk_usage", disk_usage)
    layout = tmp_path / "live.yaml"
    layout.write_text(layout_text())
    out = tmp_path / "incident.h5"
    wait_for_history(prometheus)
    end = time.time() - 1
    args = ["record", "--prometheus", prometheus.url, "--start", f"{end - 4:.3f}"]
    args += ["--end", f"{end:.3f}", "--step", "0.025s", "-o", str(out), str(layout)]
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    n = int(err[-1].rsplit("closed with its ", 1)[1].split()[0])
    assert err[-2] == f"wrote {n} frames to {out}"
    assert re.fullmatch(
        rf"twin record: {re.escape(str(out))}: only 1.0 MB free on its disk, less than the "
        rf"[\d.]+ MB its next writes and closing need; the recording was closed with its {n} "
        "frames",
        err[-1],
    )
    with open_recording(out) as rec:
        assert rec.n_frames == rec.closed_frames == n >= 1
