"""Servers that misbehave on purpose (loopback only): hang, send headers or body one byte a
second, send gigabytes or a gzip bomb, bad JSON, NaN/inf/2^63 values and timestamps, 401, 500,
a redirect. Against both live sources (Prometheus API and a dcgm-exporter scrape) the request
ends by its deadline, memory stays bounded, and the status names the real cause."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fake_server import (
    FakeServer,
    bomb,
    dribble_body,
    dribble_headers,
    exposition,
    gzip_bomb,
    gzipped,
    hang,
    huge,
    prometheus_answer,
    status,
)
from live_support import wait_until

from twin.cli import main
from twin.telemetry import live_http
from twin.telemetry.live_http import ByteBudget, HttpClient, LiveError, redact_url
from twin.telemetry.prometheus import PrometheusSource
from twin.telemetry.scrape import ScrapeSource
from twin.telemetry.source import SourceState

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def serve():
    servers: list[FakeServer] = []

    def make(behaviour_of):
        """``behaviour_of(server)`` -> behave; or a behave that needs no server."""
        server = FakeServer(lambda *a: None)
        server.behave = behaviour_of(server) if _wants_server(behaviour_of) else behaviour_of
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.close()


def _wants_server(f) -> bool:
    return f in (hang, dribble_headers, dribble_body, huge)


@pytest.fixture(scope="module")
def bomb_bytes() -> bytes:
    return gzip_bomb(2**30)


# The same request both ways a source makes it: Prometheus POSTs a form, a scrape GETs.
CALLS = {
    "prometheus": lambda c: c.post_form("/api/v1/query", {"query": "up"}),
    "scrape": lambda c: c.get("/metrics"),
}


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
@pytest.mark.parametrize(
    ("behaviour", "message"),
    [(hang, "did not answer"), (dribble_headers, "too slow"), (dribble_body, "too slow")],
    ids=["hang", "headers-1-byte-per-s", "body-1-byte-per-s"],
)
def test_one_deadline_for_the_whole_request(serve, call, behaviour, message):
    server = serve(behaviour)
    client = HttpClient(server.url, timeout_s=2.0)
    t = time.monotonic()
    with pytest.raises(LiveError, match=message):
        CALLS[call](client)
    assert 1.9 < time.monotonic() - t < 3.5


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
def test_huge_answer_stops_at_the_cap(serve, call):
    server = serve(huge)
    client = HttpClient(server.url, timeout_s=20, max_bytes=8 * 2**20)
    with pytest.raises(LiveError, match="larger than 8 MiB"):
        CALLS[call](client)


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
def test_gzip_bomb_stops_at_the_cap(serve, call, bomb_bytes):
    server = serve(bomb(bomb_bytes))
    client = HttpClient(server.url, timeout_s=20, max_bytes=8 * 2**20)
    with pytest.raises(LiveError, match="larger than 8 MiB .after decompression"):
        CALLS[call](client)


def test_honest_gzip_is_decoded(serve):
    server = serve(gzipped(exposition()))
    assert HttpClient(server.url).get("/metrics") == exposition()
    server = serve(bomb(b"\x1f\x8b\x08\x00garbage"))
    with pytest.raises(LiveError, match="bad gzip"):
        HttpClient(server.url).get("/metrics")


def test_total_budget_of_one_poll(serve):
    server = serve(status(200, b"x" * 300_000))
    client = HttpClient(server.url)
    budget = ByteBudget(1_000_000)
    for _ in range(3):
        client.get("/m", budget=budget)
    with pytest.raises(LiveError, match="in total for one poll"):
        client.get("/m", budget=budget)


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (status(401), "HTTP 401: not authorised"),
        (status(403), "HTTP 403: forbidden"),
        (status(500, b"<html>oops</html>"), "HTTP 500"),
        (status(302, b"", {"Location": "http://u:secret@127.0.0.2/x"}), "HTTP 302.*redirected"),
    ],
    ids=["401", "403", "500", "redirect"],
)
def test_http_errors_name_their_cause(serve, call, answer, message):
    server = serve(answer)
    with pytest.raises(LiveError, match=message) as info:
        CALLS[call](HttpClient(server.url))
    assert "secret" not in str(info.value)


def test_connection_refused_is_named():
    with pytest.raises(LiveError, match="connection refused"):
        HttpClient("http://127.0.0.1:1", timeout_s=2).get("/")


def test_passwords_in_urls_are_redacted_everywhere(serve, facility):
    assert redact_url("see http://ops:hunter2@10.0.0.1:9090/x and https://a@b") == (
        "see http://***@10.0.0.1:9090/x and https://***@b"
    )
    with pytest.raises(ValueError) as info:
        HttpClient("ftp://ops:hunter2@host/")
    assert "hunter2" not in str(info.value)
    server = serve(status(500))
    url = server.url.replace("http://", "http://ops:hunter2@")
    src = PrometheusSource(facility, url, interval_s=0.1, timeout_s=1, backoff_max_s=0.2)
    assert "hunter2" not in repr(src.client.http) and "hunter2" not in src.url
    src.start()
    try:
        down = wait_until(
            lambda: (s := src.status()).state == SourceState.DISCONNECTED and s, 10, "down"
        )
        assert "HTTP 500" in down.message and "hunter2" not in down.message
    finally:
        src.stop()


# ------------------------------------------------------------------ sources end to end
def _source(kind: str, facility, url: str):
    opts = dict(interval_s=0.1, timeout_s=1.5, backoff_max_s=0.3)
    if kind == "prometheus":
        return PrometheusSource(facility, url, **opts)
    return ScrapeSource(facility, [url + "/metrics"], **opts)


def _down(src, timeout_s: float = 15.0):
    return wait_until(
        lambda: (s := src.status()).state == SourceState.DISCONNECTED and s, timeout_s, "down"
    )


@pytest.mark.parametrize("kind", ["prometheus", "scrape"])
@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (dribble_headers, "too slow"),
        (hang, "did not answer"),
        (status(401), "HTTP 401: not authorised"),
        (status(500), "HTTP 500"),
        (status(301, b"", {"Location": "http://elsewhere/"}), "redirected"),
    ],
    ids=["headers-1-byte-per-s", "hang", "401", "500", "redirect"],
)
def test_source_status_names_the_cause_and_retries(serve, facility, kind, behaviour, message):
    server = serve(behaviour)
    src = _source(kind, facility, server.url)
    src.start()
    try:
        down = _down(src)
        assert message in down.message, down.message
        wait_until(lambda: server.requests >= 2, 15, "a retry")
        assert src.poll() is None
    finally:
        t = time.monotonic()
        src.stop()
        assert time.monotonic() - t < 3.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"<html>not the API</html>", "not JSON"),
        (b'{"status":"success","data":{"resultType":"vector","result":[{"metric":', "JSON"),
    ],
    ids=["html", "truncated-json"],
)
def test_prometheus_bad_json_disconnects_with_reason(serve, facility, text, message):
    server = serve(status(200, text))
    src = _source("prometheus", facility, server.url)
    src.start()
    try:
        assert message in _down(src).message
    finally:
        src.stop()


@pytest.mark.parametrize(
    "sample_time", ["NaN", "+Inf", "-Inf", "9223372036854775808", "-1", "1e300"]
)
def test_prometheus_impossible_sample_times_are_refused(serve, facility, sample_time):
    server = serve(prometheus_answer(sample_time=sample_time))
    src = _source("prometheus", facility, server.url)
    src.start()
    try:
        down = _down(src)
        assert "impossible newest sample time" in down.message
        assert src.poll() is None  # no frame with that time was published
    finally:
        src.stop()


def _first_frame(src, timeout_s: float = 15.0):
    frame = wait_until(src.poll, timeout_s, "a frame")
    return frame, src.status()


@pytest.mark.parametrize("kind", ["prometheus", "scrape"])
@pytest.mark.parametrize(
    ("temp", "reported"),
    [
        ("NaN", False),
        ("+Inf", True),
        ("9223372036854775794", False),
        ("1e30", True),
        ("-500", True),
    ],
    ids=["nan", "inf", "dcgm-blank-2^63", "1e30", "minus-500"],
)
def test_impossible_values_are_dropped_and_reported(serve, facility, kind, temp, reported):
    if kind == "prometheus":
        server = serve(prometheus_answer(temp=temp))
    else:
        server = serve(status(200, exposition(temp)))
    src = _source(kind, facility, server.url)
    src.start()
    try:
        frame, st = wait_until(
            lambda: (f := src.poll()) is not None and (f, src.status()), 15, "a frame"
        )
        assert all(v != v for v in frame.gpu["temp_c"][:8])  # NaN: missing, never a number
        assert ("impossible temp_c" in st.message) == reported, st.message
    finally:
        src.stop()


def test_good_values_pass_unchanged(serve, facility):
    server = serve(status(200, exposition("61")))
    src = _source("scrape", facility, server.url)
    src.start()
    try:
        frame = wait_until(src.poll, 15, "a frame")
        assert list(frame.gpu["temp_c"][:8]) == [61.0] * 8
        assert "impossible" not in src.status().message
    finally:
        src.stop()


# ------------------------------------------------------------------ twin record
@pytest.fixture
def layout_file(tmp_path):
    from live_support import layout_text

    path = tmp_path / "live.yaml"
    path.write_text(layout_text())
    return path


@pytest.mark.parametrize(
    ("answer", "message"),
    [(status(401), "HTTP 401: not authorised"), (status(500), "HTTP 500")],
    ids=["401", "500"],
)
@pytest.mark.parametrize("mode", ["live", "history"])
def test_twin_record_names_the_real_cause(
    serve, layout_file, tmp_path, capsys, answer, message, mode
):
    server = serve(answer)
    out = tmp_path / "rec.h5"
    url = server.url.replace("http://", "http://ops:hunter2@")
    when = ["--duration", "2s", "--step", "0.5s"] if mode == "live" else ["--start=-1m"]
    rc = main(["record", str(layout_file), "--prometheus", url, *when, "--timeout", "2",
               "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and "hunter2" not in err
    assert not out.exists()


# ------------------------------------------------------------------ memory
_CHILD = """
import sys
from twin.telemetry.live_http import HttpClient, LiveError
for _ in range(3):
    try:
        HttpClient(sys.argv[1], timeout_s=60).get("/metrics")
    except LiveError as exc:
        print("error:", exc)
# VmHWM is this program's own peak: getrusage's maxrss also counts the parent's pages that a
# forked child held before exec (the test process's, hundreds of MB in a full run)
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")][0]
print("maxrss_kb", int(hwm.split()[1]))
"""


@pytest.mark.parametrize("what", ["huge", "gzip-bomb"])
def test_peak_memory_stays_under_1_gb(serve, bomb_bytes, what):
    """A separate process fetches 2 GiB (or a 1 GiB gzip bomb) three times with the default
    caps; its peak resident memory stays far below 1 GB."""
    server = serve(huge) if what == "huge" else serve(bomb(bomb_bytes))
    p = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), server.url],
        capture_output=True,
        text=True,
        timeout=100,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("larger than 64 MiB") == 3, p.stdout
    peak_kb = int(p.stdout.split("maxrss_kb")[1])
    assert peak_kb < 400 * 1024, f"peak {peak_kb / 1024:.0f} MiB"
    assert live_http.MAX_RESPONSE_BYTES == 64 * 2**20


def test_scrape_text_exposition_garbage_is_no_crash(serve, facility):
    server = serve(status(200, json.dumps({"not": "metrics"}).encode() + b"\n\x00\xff{{{"))
    src = _source("scrape", facility, server.url)
    src.start()
    try:
        time.sleep(1.0)
        st = src.status()
        assert st.state in (SourceState.LAGGING, SourceState.CONNECTED, SourceState.DISCONNECTED)
        assert st.gpus_with_data == 0
    finally:
        src.stop()


def test_twin_record_with_unknown_hosts_is_no_success(serve, layout_file, tmp_path, capsys):
    def unknown_hosts(handler, method, path, body):
        import time as _t

        now = _t.time()
        series = [{"metric": {"Hostname": "stranger", "gpu": str(g)}, "value": [now, "50"]}
                  for g in range(8)]  # fmt: skip
        if b"timestamp" in body:
            series = [{"metric": {}, "value": [now, f"{now - 1:.3f}"]}]
        from fake_server import answer, vector

        answer(handler, 200, vector(series))

    server = serve(unknown_hosts)
    out = tmp_path / "rec.h5"
    rc = main(["record", str(layout_file), "--prometheus", server.url, "--duration", "2s",
               "--step", "0.5s", "--timeout", "2", "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "no GPU of the layout had data" in err and "stranger/gpu" in err
