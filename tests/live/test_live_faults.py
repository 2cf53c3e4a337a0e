"""Live sources against servers that misbehave: never answer, answer too slowly, answer with
HTTP errors or garbage, want credentials. The source must back off, report, and never hang.
Also the Prometheus client's pieces that need no server: durations, range chunking, ready()."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import numpy as np
import pytest
from dcgm_exporter import Exporter, ExporterState, Host, temp_of
from live_support import wait_until

from twin.model.frame import THROTTLE_SW_THERMAL
from twin.telemetry.dcgm import ResponseError, parse_vector
from twin.telemetry.live_base import PollResult
from twin.telemetry.live_http import ByteBudget, Credentials, HttpClient, LiveError, split_url
from twin.telemetry.prometheus import (
    PrometheusClient,
    PrometheusQueries,
    PrometheusSource,
    _parallel,
    fetch_instant,
    fetch_range,
    parse_duration,
)
from twin.telemetry.scrape import ScrapeSource
from twin.telemetry.source import SourceState


class FakePrometheus:
    """Answers /api/v1/query with whatever ``respond(query, headers)`` returns:
    ``(status, body bytes)``, ``(status, body, n)`` (its first n bytes, then the connection
    closes), or ``"hang"`` (never answers) or ``"dribble"`` (1 byte / 50 ms)."""

    def __init__(self, respond):
        self.respond = respond
        self.release = threading.Event()
        self.requests = 0
        self.forms: list[dict] = []  # every request's form fields
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(n).decode())
                with fake._lock:
                    fake.requests += 1
                    fake.forms.append(form)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    out = fake.respond(form.get("query", [""])[0], self.headers)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1
                if out == "hang":
                    fake.release.wait(30)
                    return
                if out == "dribble":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    while not fake.release.is_set():
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.05)
                    return
                status, body, *cut = out  # (status, body, bytes sent): cut off there
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: cut[0]] if cut else body)
                if cut:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    servers = []

    def make(respond):
        servers.append(FakePrometheus(respond))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def vector(result) -> bytes:
    return json.dumps(
        {"status": "success", "data": {"resultType": "vector", "result": result}},
        separators=(",", ":"),
    ).encode()


def good_answer(query: str, headers) -> tuple[int, bytes]:
    """Temperatures of A01-01 (Hostname) and A01-02 (hostname), fresh timestamps."""
    now = time.time()
    if query.startswith("max(timestamp("):
        return 200, vector([{"metric": {}, "value": [now, f"{now - 1:.3f}"]}])
    if "DCGM_FI_DEV_GPU_TEMP" in query:
        series = [
            {"metric": {label: host, "gpu": str(g)}, "value": [now, str(temp_of(h, g))]}
            for h, (label, host) in enumerate([("Hostname", "A01-01"), ("hostname", "A01-02")])
            for g in range(8)
        ]
        return 200, vector(series)
    return 200, vector([])


def status_when(source, state, timeout_s=10.0):
    return wait_until(
        lambda: (s := source.status()).state == state and s, timeout_s, f"state {state}"
    )


def fast_source(facility, url, **kw):
    opts = dict(interval_s=0.1, timeout_s=0.4, backoff_max_s=0.4)
    opts.update(kw)
    return PrometheusSource(facility, url, **opts)


def test_server_that_never_answers_backs_off_without_hanging(facility, fake):
    server = fake(lambda q, h: "hang")
    source = fast_source(facility, server.url)
    source.start()
    try:
        down = status_when(source, SourceState.DISCONNECTED)
        assert "did not answer" in down.message or "timed out" in down.message
        assert down.stale and down.retry_in_s is not None
        assert source.poll() is None
    finally:
        t = time.monotonic()
        source.stop()
        assert time.monotonic() - t < 2.0  # a stuck request never holds up stop() for long


def test_slow_dribbling_server_hits_the_deadline(facility, fake):
    server = fake(lambda q, h: "dribble")
    client = HttpClient(server.url, timeout_s=0.5)
    t = time.monotonic()
    with pytest.raises(LiveError, match="too slow"):
        client.post_form("/api/v1/query", {"query": "up"})
    assert time.monotonic() - t < 2.0


NOW = time.time()  # a plausible evaluation time for the answers below


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((500, b"internal error"), "HTTP 500"),
        ((503, b'{"status":"error","errorType":"unavailable","error":"busy"}'), "busy"),
        ((200, b"<html>not the API</html>"), "not JSON"),
        ((200, b'{"status":"success","data":{"resultType":"matrix","result":[]}}'), "matrix"),
        ((401, b""), "TWIN_PROMETHEUS_TOKEN"),
        ((200, b"[" * 100_000 + b"]" * 100_000), "JSON nested too deeply"),
    ],
)
def test_errors_disconnect_then_recover(facility, fake, answer, message):
    mode = {"broken": True}
    server = fake(lambda q, h: answer if mode["broken"] else good_answer(q, h))
    source = fast_source(facility, server.url)
    source.start()
    try:
        down = status_when(source, SourceState.DISCONNECTED)
        assert message in down.message
        errors = down.errors
        assert errors >= 1
        mode["broken"] = False
        up = status_when(source, SourceState.CONNECTED)
        frame = source.poll()
        assert frame is not None
        a = facility.gpu_of("A01-02", 0)
        np.testing.assert_array_equal(
            frame.gpu["temp_c"][a : a + 8], [temp_of(1, g) for g in range(8)]
        )
        assert up.gpus_with_data == 16 and up.retry_in_s is None and not up.stale
        assert set(up.metrics_missing) >= {"power_w", "util_pct"}
    finally:
        source.stop()


def test_rejected_query_leaves_only_its_metric_empty(facility, fake):
    def answer(query, headers):
        if "DCGM_FI_DEV_POWER_USAGE" in query:
            return 400, b'{"status":"error","errorType":"bad_data","error":"parse error"}'
        return good_answer(query, headers)

    server = fake(answer)
    source = fast_source(facility, server.url)
    result = source.poll_once()
    assert "power_w" in result.warnings[0] and "parse error" in result.warnings[0]
    assert np.isnan(result.frame.gpu["power_w"]).all()
    assert result.gpus_with_data == 16


def test_a_rejected_sensor_query_leaves_the_gpus_and_says_so(facility, fake):
    """A bad ``telemetry.sensor_query`` (the server answers 400) costs the sensors alone;
    a sensors' answer with no series is named as missing."""

    def answer(query, headers):
        if "twin_sensor_temperature_celsius" in query:
            return 400, b'{"status":"error","errorType":"bad_data","error":"parse error"}'
        return good_answer(query, headers)

    result = fast_source(facility, fake(answer).url).poll_once()
    assert [w for w in result.warnings if w.startswith("sensors:")] != []
    assert "parse error" in next(w for w in result.warnings if w.startswith("sensors:"))
    assert np.isnan(result.frame.sensor["temp_c"]).all() and result.gpus_with_data == 16
    quiet = fast_source(facility, fake(good_answer).url).poll_once()  # no sensor series
    assert "sensor temp_c" in quiet.metrics_missing and not any(
        w.startswith("sensors:") for w in quiet.warnings
    )


def test_lagging_when_newest_sample_is_old(facility, fake):
    def answer(query, headers):
        if query.startswith("max(timestamp("):
            return 200, vector([{"metric": {}, "value": [time.time(), "1000000000"]}])
        return good_answer(query, headers)

    source = fast_source(facility, fake(answer).url, lag_s=30)
    source.start()
    try:
        st = status_when(source, SourceState.LAGGING)
        assert st.stale and "old" in st.message
        assert source.poll().time_s == 1_000_000_000
    finally:
        source.stop()


def test_credentials_from_env_are_sent_and_never_shown(facility, fake):
    seen = []

    def answer(query, headers):
        seen.append(headers.get("Authorization"))
        if headers.get("Authorization") != "Bearer s3cret":
            return 401, b""
        return good_answer(query, headers)

    server = fake(answer)
    env = {"TWIN_PROMETHEUS_TOKEN": "s3cret"}
    source = fast_source(facility, server.url, env=env)
    assert source.poll_once().gpus_with_data == 16
    assert seen and all(s == "Bearer s3cret" for s in seen)
    assert "s3cret" not in repr(source.client.http) and "s3cret" not in source.url
    # explicit basic auth wins over the environment; user:password in the URL is stripped
    url, creds = split_url("https://bob:pa%40ss@prom.example:9090/")
    assert url == "https://prom.example:9090" and creds == Credentials(user="bob", password="pa@ss")
    assert "pa@ss" not in repr(creds)
    other = fast_source(facility, server.url, user="u", password="p", env=env)
    assert other.client.http.credentials.user == "u"
    with pytest.raises(LiveError, match="TWIN_PROMETHEUS_TOKEN"):
        fast_source(facility, server.url, env={}).poll_once()


def test_bad_url_and_missing_url_are_clear_errors(facility):
    with pytest.raises(ValueError, match="http"):
        PrometheusSource(facility, "ftp://x")
    with pytest.raises(ValueError, match="TWIN_PROMETHEUS_URL"):
        PrometheusSource(facility, env={})


# ---------------------------------------------------------------------------- direct scrape
def exporter_state() -> ExporterState:
    return ExporterState(
        hosts=[Host("A01-01", 0), Host("A01-02", 1, host_label="hostname"), Host("x-9", 5)]
    )


def test_scrape_source_reads_exporters_directly(facility):
    state = exporter_state()
    state.violating.add(("A01-01", 4))
    state.overrides[("A01-02", 7)] = {"DCGM_FI_DEV_GPU_TEMP": "NaN"}
    exp = Exporter(state).start()
    try:
        source = ScrapeSource(facility, exp.url.removeprefix("http://"), interval_s=0.1)
        first = source.poll_once()
        a = facility.gpu_of("A01-01", 0)
        b = facility.gpu_of("A01-02", 0)
        np.testing.assert_array_equal(
            first.frame.gpu["temp_c"][a : a + 8], [temp_of(0, g) for g in range(8)]
        )
        assert np.isnan(first.frame.gpu["temp_c"][b + 7])
        assert first.gpus_with_data == 16 and len(first.stats.unmatched) == 8
        assert first.frame.gpu["throttle"][a + 4] == 0  # a counter needs two scrapes
        time.sleep(0.05)
        second = source.poll_once()
        assert int(second.frame.gpu["throttle"][a + 4]) & 0x20
        assert second.frame.gpu["throttle"][a + 3] == 0
        assert not np.array_equal(first.frame.gpu["util_pct"], second.frame.gpu["util_pct"])
    finally:
        exp.stop()


def test_scrape_partial_and_total_outage(facility):
    exp = Exporter(exporter_state()).start()
    dead = Exporter(exporter_state())  # bound, never started: refuses nothing, answers nothing
    dead_url = dead.url
    dead.server.server_close()  # now the port refuses connections
    try:
        source = ScrapeSource(facility, [exp.url, dead_url], interval_s=0.1, timeout_s=0.5)
        source.start()
        st = status_when(source, SourceState.LAGGING)
        assert "1 of 2 exporters failed" in st.message and st.gpus_with_data == 16
        source.stop()
        lone = ScrapeSource(facility, dead_url, interval_s=0.1, timeout_s=0.5, backoff_max_s=0.3)
        lone.start()
        st = status_when(lone, SourceState.DISCONNECTED)
        assert "cannot reach" in st.message
        lone.stop()
    finally:
        exp.stop()


def test_scrape_rejects_promql_overrides(tmp_path):
    from live_support import layout_text

    from twin.model.loader import facility_from_text

    text = layout_text() + "  metrics: {temp_c: 'avg(DCGM_FI_DEV_GPU_TEMP)'}\n"
    fac = facility_from_text(text)
    with pytest.raises(ValueError, match="plain metric names"):
        ScrapeSource(fac, "127.0.0.1:9400")


# ---- the client's pieces that need no server: bad durations, how a range is cut into
# queries (the spans asked for, counted by hand), ready() where nothing listens


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("15s", 15.0),
        ("1m", 60.0),
        ("1.5m", 90.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1w", 7 * 86400.0),
        (" 30 ", 30.0),
        ("42", 42.0),
        (7, 7.0),
        (2.5, 2.5),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "m", "5x", "1.2.3s", "s5"])
def test_a_bad_duration_says_what_it_wants(bad):
    want = rf"^not a duration: {re.escape(repr(bad))} \(want e\.g\. 15s, 1m, 2h\)$"
    with pytest.raises(ValueError, match=want):
        parse_duration(bad)


class RangeServer:
    """Answers ``query_range`` like Prometheus for one series (A01-01, gpu 0) with a sample
    at every step of the span asked for, and keeps the spans."""

    def __init__(self):
        self.spans: list[tuple[float, float, float]] = []

    def query_range(self, expr: str, start: float, end: float, step_s: float) -> bytes:
        self.spans.append((start, end, step_s))
        n = int(round((end - start) / step_s)) + 1
        values = [[start + k * step_s, "50"] for k in range(n)]
        result = [{"metric": {"Hostname": "A01-01", "gpu": "0"}, "values": values}]
        body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
        return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("points", "chunks"),
    [
        # 3 steps per chunk: 100-102, then the last step alone
        (3, [(100.0, 102.0), (103.0, 103.0)]),
        # 1 step per chunk (less than one sample per GPU per chunk still makes progress)
        (1, [(100.0, 100.0), (101.0, 101.0), (102.0, 102.0), (103.0, 103.0)]),
        # 2 steps per chunk
        (2, [(100.0, 101.0), (102.0, 103.0)]),
    ],
)
def test_range_is_cut_into_chunks_of_whole_steps(facility, points, chunks):
    server = RangeServer()
    queries = PrometheusQueries(facility)
    per_chunk = points * facility.n_gpus if points > 1 else facility.n_gpus - 1
    frames = list(
        fetch_range(server, queries, 100.0, 103.0, 1.0, samples_per_chunk=per_chunk, events=False)
    )
    assert [f.time_s for f in frames] == [100.0, 101.0, 102.0, 103.0]
    # every metric, violation counter and the sensors are asked for each chunk, over the
    # same spans
    assert queries.sensors is not None
    per_query = len(queries.metrics) + len(queries.violations) + 1
    assert len(server.spans) == per_query * len(chunks)
    assert sorted(set(server.spans)) == [(a, b, 1.0) for a, b in chunks]
    gpu0 = facility.gpu_of("A01-01", 0)
    for f in frames:
        assert f.gpu["temp_c"][gpu0] == 50.0
        assert np.isnan(np.delete(f.gpu["temp_c"], gpu0)).all()


def test_ready_is_false_where_nothing_listens():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = PrometheusClient.connect(f"http://127.0.0.1:{port}", env={}, timeout_s=2.0)
    assert client.ready() is False


def test_an_impossible_evaluation_time_is_refused_and_named(facility, fake):
    def epoch_one(query, headers):  # every answer evaluated at 1970-01-01T00:00:01
        if "DCGM_FI_DEV_GPU_TEMP" in query and not query.startswith("max(timestamp("):
            return 200, vector([{"metric": {"Hostname": "A01-01", "gpu": "0"}, "value": [1, "50"]}])
        return good_answer(query, headers)

    server = fake(epoch_one)
    client = PrometheusClient.connect(server.url, env={})
    with pytest.raises(ResponseError, match=r"^server sent an impossible evaluation time \(1"):
        fetch_instant(client, PrometheusQueries(facility), workers=1)


def test_parallel_calls_keep_each_answer_or_exception_in_its_slot():
    seen = []

    def ok(v):
        def call():
            seen.append(threading.current_thread().daemon)
            return v

        return call

    def bad():
        raise LiveError("rejected", status=400)  # client side: the others carry on

    out = _parallel([ok(1), bad, ok(3), ok(4)], workers=2)
    assert out[0] == 1 and out[2] == 3 and out[3] == 4
    assert isinstance(out[1], LiveError) and str(out[1]) == "rejected"
    assert seen == [True, True, True]  # on daemon threads: a hung request never holds up exit
    one = _parallel([bad, ok(2)], workers=1)  # one at a time, on the caller's thread
    assert isinstance(one[0], LiveError) and one[1] == 2 and seen[-1] is False


def test_a_server_error_fails_the_queries_still_waiting():
    """Two workers: the first call finds the server down while the second is still busy; the
    two queued calls are not sent and get the same error."""
    called = []
    down = LiveError("connection refused")

    def fail():
        time.sleep(0.05)
        raise down

    def slow():
        time.sleep(0.5)
        return "slow"

    def queued(k):
        return lambda: called.append(k) or k

    out = _parallel([fail, slow, queued(2), queued(3)], workers=2)
    assert out[0] is down and out[2] is down and out[3] is down
    assert out[1] in ("slow", down) and called == []


def test_range_arguments_are_checked(facility):
    queries = PrometheusQueries(facility)
    with pytest.raises(ValueError, match="^step must be positive$"):
        list(fetch_range(RangeServer(), queries, 100.0, 103.0, 0.0))
    with pytest.raises(ValueError, match="^end is before start$"):
        list(fetch_range(RangeServer(), queries, 103.0, 100.0, 1.0))


def _backfill_source(facility, backfill_s: float) -> PrometheusSource:
    source = PrometheusSource(
        facility, "http://127.0.0.1:9", backfill_s=backfill_s, backfill_step_s=1.0, env={}
    )
    source.client = RangeServer()  # only range queries are asked for here
    return source


def _polled(sample_time_s: float) -> PollResult:
    return PollResult(frame=None, stats=None, gpus_with_data=1, sample_time_s=sample_time_s)


def test_reconnecting_fills_the_gap_one_step_inside_each_end(facility):
    end = float(round(time.time()))
    source = _backfill_source(facility, backfill_s=3.0)
    source._reconnected(end - 10.0, _polled(end))  # an outage since 10 s before the newest
    times = [f.time_s for f in source.drain_backfill()]
    assert times == [end - 9.0 + k for k in range(9)]
    assert {(a, b) for a, b, _ in source.client.spans} == {(end - 9.0, end - 1.0)}
    assert source.status().last_error == ""


def test_backfill_at_start_reaches_back_backfill_s(facility):
    end = time.time()
    source = _backfill_source(facility, backfill_s=5.0)
    source._reconnected(None, _polled(end))
    times = [f.time_s for f in source.drain_backfill()]
    assert len(times) in (3, 4) and times[0] == pytest.approx(end - 4.0, abs=0.5)
    # without a back-fill window a first connection fetches nothing
    source = _backfill_source(facility, backfill_s=0.0)
    source._reconnected(None, _polled(end))
    assert source.client.spans == [] and source.drain_backfill() == []


def test_a_gap_shorter_than_two_steps_is_not_fetched(facility):
    end = time.time()
    source = _backfill_source(facility, backfill_s=3.0)
    source._reconnected(end - 1.5, _polled(end))
    assert source.client.spans == [] and source.drain_backfill() == []
    assert source.status().last_error == ""


def test_a_failed_backfill_is_counted_with_its_reason(facility):
    class Down:
        def query_range(self, *args):
            raise LiveError("connection refused")

    source = _backfill_source(facility, backfill_s=3.0)
    source.client = Down()
    source._reconnected(time.time() - 10.0, _polled(time.time()))
    assert source.status().last_error == "back-fill failed: connection refused"


def test_a_query_at_a_time_sends_it_to_the_millisecond(facility, fake):
    server = fake(good_answer)
    client = PrometheusClient.connect(server.url, env={})
    client.query("up", at=1_700_000_000.12345)
    client.query("up")
    assert server.forms[0] == {"query": ["up"], "time": ["1700000000.123"]}
    assert server.forms[1] == {"query": ["up"]}  # no time: the server's now


def test_the_answers_of_one_poll_share_one_byte_budget(facility, fake):
    server = fake(good_answer)
    client = PrometheusClient.connect(server.url, env={})
    size = len(good_answer("DCGM_FI_DEV_GPU_TEMP", {})[1])
    budget = ByteBudget(limit=int(1.5 * size))
    client.query("DCGM_FI_DEV_GPU_TEMP", budget=budget)  # one answer fits
    with pytest.raises(LiveError, match=r"larger than .* MiB in total for one poll"):
        client.query("DCGM_FI_DEV_GPU_TEMP", budget=budget)  # two do not


def test_a_source_polls_with_its_number_of_workers(facility, fake):
    def slow(query, headers):
        time.sleep(0.05)
        return good_answer(query, headers)

    for workers, most in ((1, 1), (3, 3)):
        server = fake(slow)
        source = PrometheusSource(facility, server.url, workers=workers, env={})
        source.poll_once()
        assert server.max_in_flight == most, workers


def test_queries_keep_only_the_mapping_labels(facility):
    """Each metric is wrapped in max by (host labels, gpu label, UUID label): the server drops
    every other label and merges duplicate series; the throttle reasons under either name."""
    by = "max by (Hostname, hostname, gpu, UUID) "
    q = PrometheusQueries(facility)
    assert q.metrics["temp_c"] == by + "(DCGM_FI_DEV_GPU_TEMP)"
    assert q.metrics["throttle"] == (
        by + '({__name__=~"DCGM_FI_DEV_CLOCK_THROTTLE_REASONS|DCGM_FI_DEV_CLOCKS_EVENT_REASONS"})'
    )
    assert q.violations[THROTTLE_SW_THERMAL] == by + "(rate(DCGM_FI_DEV_THERMAL_VIOLATION[2m]))"
    assert q.newest_sample == "max(timestamp(DCGM_FI_DEV_GPU_TEMP))"
    plain = PrometheusQueries(facility, aggregate=False, violation_window="5m")
    assert plain.metrics["temp_c"] == "DCGM_FI_DEV_GPU_TEMP"
    assert plain.violations[THROTTLE_SW_THERMAL] == "rate(DCGM_FI_DEV_THERMAL_VIOLATION[5m])"


def test_the_url_comes_from_the_environment_when_not_given():
    client = PrometheusClient.connect(env={"TWIN_PROMETHEUS_URL": "http://prom.example:9090"})
    assert client.url == "http://prom.example:9090"
    given = PrometheusClient.connect(
        "http://other:9090", env={"TWIN_PROMETHEUS_URL": "http://prom.example:9090"}
    )
    assert given.url == "http://other:9090"
    with pytest.raises(
        ValueError, match="^no Prometheus URL: pass one or set TWIN_PROMETHEUS_URL$"
    ):
        PrometheusClient.connect(env={})


def test_an_answer_no_parser_foresaw_is_retried_not_the_end(facility, fake):
    """Whatever a poll raises, the source backs off and tries again: a server's odd answer
    used to stop it for good at the first exception that was not a ResponseError."""
    source = fast_source(facility, fake(good_answer).url)
    real = source.poll_once
    calls = []

    def odd_once():
        calls.append(1)
        if len(calls) == 1:
            raise AttributeError("'int' object has no attribute 'isdigit'")
        return real()

    source.poll_once = odd_once
    source.start()
    try:
        down = status_when(source, SourceState.DISCONNECTED)
        assert "unexpected answer (AttributeError: 'int' object has no attribute" in down.message
        up = status_when(source, SourceState.CONNECTED)
        assert up.gpus_with_data == 16 and source.poll() is not None
    finally:
        source.stop()


def test_a_series_with_a_label_that_is_no_string_matches_nothing(facility, fake):
    """Labels are strings: an integer (``"gpu": 0``) or a list ended the source for good
    (AttributeError on 'isdigit', an unhashable list). Now such a series names no GPU and
    the others are read."""

    def answer(query, headers):
        code, body = good_answer(query, headers)
        if "DCGM_FI_DEV_GPU_TEMP" not in query or query.startswith("max(timestamp("):
            return code, body
        doc = json.loads(body)
        doc["data"]["result"][0]["metric"]["gpu"] = 0  # A01-01's GPU 0
        doc["data"]["result"][1]["metric"]["Hostname"] = ["A01-01"]  # its GPU 1
        return code, json.dumps(doc, separators=(",", ":")).encode()

    source = fast_source(facility, fake(answer).url)
    result = source.poll_once()
    assert result.stats.matched == 14 and len(result.stats.unmatched) == 2
    a = facility.gpu_of("A01-01", 0)
    temps = result.frame.gpu["temp_c"][a : a + 8]
    assert np.isnan(temps[:2]).all()
    np.testing.assert_array_equal(temps[2:], [temp_of(0, g) for g in range(2, 8)])


def test_an_answer_cut_short_of_its_content_length_is_refused(facility, fake):
    """A connection that closed mid-answer was read as the whole answer: a scrape cut inside
    '55' recorded 5 C, a compact JSON answer cut after a series' brace recorded the series
    before it and left the rest NaN."""

    def answer(query, headers):
        code, body = good_answer(query, headers)
        if "DCGM_FI_DEV_GPU_TEMP" not in query or query.startswith("max(timestamp("):
            return code, body
        cut = 0
        for _ in range(4):  # after the 4th series' closing brace
            cut = body.index(b'"]}', cut) + 3
        return code, body, cut

    source = fast_source(facility, fake(answer).url)
    with pytest.raises(LiveError, match=r"ended early: the connection closed \d+ bytes short"):
        source.poll_once()


def test_a_compact_answer_that_does_not_end_whole_is_read_as_json():
    """Without a Content-Length the cut above is the body; the fast scan takes only an
    answer whose result list, data and document all end, and the JSON parser refuses the
    rest."""
    whole = vector([{"metric": {"gpu": str(g)}, "value": [NOW, str(g)]} for g in range(6)])
    assert len(parse_vector(whole).values) == 6
    cut = 0
    for _ in range(4):
        cut = whole.index(b'"]}', cut) + 3
    with pytest.raises(ResponseError, match="not JSON"):
        parse_vector(whole[:cut])


def test_a_scrape_of_a_page_that_is_not_prometheus_text_says_so(facility, fake):
    """An HTML login page (or garbage) read '0 series match no GPU; check the host names'."""
    page = fake(lambda q, h: (200, b"<html><body><h1>Login</h1></body></html>"))
    lone = ScrapeSource(facility, page.url, interval_s=0.1, timeout_s=0.5, backoff_max_s=0.3)
    with pytest.raises(LiveError) as e:
        lone.poll_once()
    assert str(e.value) == (
        f"{page.url}/metrics: the answer is not Prometheus text: '<html><body><h1>Login</h1></body></html>'"
    )
    exp = Exporter(exporter_state()).start()
    try:  # beside a good exporter it is one that failed, not a reason to stop
        both = ScrapeSource(facility, [exp.url, page.url], interval_s=0.1, timeout_s=0.5)
        result = both.poll_once()
        assert result.gpus_with_data == 16
        assert "1 of 2 exporters failed" in result.warnings[-1]
        assert "not Prometheus text" in result.warnings[-1]
        # an empty answer is an exporter with nothing to say yet, not garbage
        empty = fake(lambda q, h: (200, b""))
        quiet = ScrapeSource(facility, [exp.url, empty.url], interval_s=0.1, timeout_s=0.5)
        assert not any("failed" in w for w in quiet.poll_once().warnings)
    finally:
        exp.stop()
