"""Live GPU telemetry from Prometheus (or Thanos, Mimir, VictoriaMetrics) through its HTTP API.

One instant query per metric, not one regex query for all of them: each query is wrapped in
``max by (<host labels>, <gpu label>)`` so the server drops every other label (model name,
driver version, pod, instance...) and merges duplicate series from HA exporter pairs, which
makes a 100,000-GPU response about three times smaller; a metric a site does not export (the
violation counters are off by default) or an override that is a bad expression fails alone
instead of failing the whole frame; and a site override may be any PromQL expression. The
layout's point sensors, where it has any, are one more query (``sensor_series``).
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from twin.model.frame import Frame
from twin.telemetry.dcgm import (
    VIOLATION_METRICS,
    FrameBuilder,
    GpuEvents,
    GpuMapper,
    MapStats,
    ResponseError,
    check_time,
    clean_values,
    decode_json_labels,
    is_plain_name,
    metric_names,
    parse_matrix,
    parse_scalar,
    parse_vector,
)
from twin.telemetry.live_base import LiveSource, PollResult
from twin.telemetry.live_http import (
    ENV_CA_FILE,
    ENV_URL,
    ByteBudget,
    Credentials,
    HttpClient,
    LiveError,
)
from twin.telemetry.sensor_series import sensor_expr, sensor_grid, sensor_values

if TYPE_CHECKING:
    from twin.model.facility import Facility

#: Prometheus refuses range queries returning more than this many points per series.
MAX_POINTS_PER_SERIES = 11_000


def parse_duration(text: str | float) -> float:
    """Seconds from ``15s``, ``1m``, ``2h``, ``1d`` or a plain number of seconds."""
    if isinstance(text, int | float):
        return float(text)
    s = text.strip()
    units = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
    for suffix in ("ms", "s", "m", "h", "d", "w"):
        if s.endswith(suffix):
            try:
                return float(s[: -len(suffix)]) * units[suffix]
            except ValueError:
                break
    try:
        return float(s)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (want e.g. 15s, 1m, 2h)") from None


def _selector(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    if all(is_plain_name(n) for n in names):
        return '{__name__=~"' + "|".join(names) + '"}'
    return " or ".join(f"({n})" for n in names)


class PrometheusQueries:
    """The PromQL a facility's layout asks for, and turning answers into frames."""

    def __init__(self, facility: Facility, *, violation_window: str = "2m", aggregate: bool = True):
        mapping = facility.layout.telemetry
        self.facility = facility
        self.mapper = GpuMapper(facility, mapping)
        by = [*mapping.host_labels, mapping.gpu_label]
        if mapping.gpu_uuids:
            by.append(mapping.uuid_label)
        self.by = ", ".join(by)
        self.aggregate = aggregate
        self.metrics: dict[str, str] = {
            name: self._wrap(_selector(names)) for name, names in metric_names(mapping).items()
        }
        self.violations: dict[int, str] = {
            bit: self._wrap(f"rate({name}[{violation_window}])")
            for name, bit in VIOLATION_METRICS.values()
        }
        self.newest_sample = f"max(timestamp({_selector(metric_names(mapping)['temp_c'])}))"
        #: the layout's point sensors (None without any): their own exporters, their own query
        self.sensors = sensor_expr(facility)

    def poll_exprs(self) -> list[str]:
        """One poll's queries in order: the metrics, the violation counters, the sensors
        (where the layout has any), and last the newest sample's time."""
        exprs = [*self.metrics.values(), *self.violations.values()]
        if self.sensors:
            exprs.append(self.sensors)
        return [*exprs, self.newest_sample]

    def _wrap(self, expr: str) -> str:
        return f"max by ({self.by}) ({expr})" if self.aggregate else expr


class PrometheusClient:
    """The two API calls Twin needs, over ``HttpClient``."""

    def __init__(self, http: HttpClient):
        self.http = http

    @classmethod
    def connect(
        cls,
        url: str | None = None,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        verify_tls: bool = True,
        timeout_s: float = 10.0,
        env: dict[str, str] | None = None,
    ) -> PrometheusClient:
        """Credentials given here win over ``TWIN_PROMETHEUS_*`` environment variables."""
        import os

        env = os.environ if env is None else env
        url = url or env.get(ENV_URL)
        if not url:
            raise ValueError(f"no Prometheus URL: pass one or set {ENV_URL}")
        creds = None
        if token or user:
            creds = Credentials(token=token, user=user, password=password)
        else:
            from_env = Credentials.from_env(env)
            creds = from_env if (from_env.token or from_env.user) else None
        http = HttpClient(
            url,
            credentials=creds,
            verify_tls=verify_tls,
            ca_file=ca_file or env.get(ENV_CA_FILE) or None,
            timeout_s=timeout_s,
        )
        return cls(http)

    @property
    def url(self) -> str:
        return self.http.url

    def query(self, expr: str, at: float | None = None, budget: ByteBudget | None = None) -> bytes:
        form = {"query": expr}
        if at is not None:
            form["time"] = f"{at:.3f}"
        return self.http.post_form("/api/v1/query", form, budget)

    def query_range(self, expr: str, start: float, end: float, step_s: float) -> bytes:
        form = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step_s:g}"}
        return self.http.post_form("/api/v1/query_range", form)

    def ready(self) -> bool:
        try:
            self.http.get("/-/ready")
            return True
        except LiveError:
            return False


def _parallel(calls: list, workers: int) -> list:
    """Run zero-argument callables on up to ``workers`` daemon threads; each slot of the
    result holds the return value or the exception raised. Every call has its own request
    deadline, so this returns in bounded time; daemon threads never hold up an exit."""
    results: list = [None] * len(calls)
    if workers <= 1 or len(calls) <= 1:
        for i, call in enumerate(calls):
            try:
                results[i] = call()
            except Exception as exc:  # handed back to the caller, which decides
                results[i] = exc
        return results
    todo = list(enumerate(calls))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not todo:
                    return
                i, call = todo.pop(0)
            try:
                results[i] = call()
            except Exception as exc:
                results[i] = exc
                if isinstance(exc, LiveError) and not exc.client_side:
                    # the server is down or too slow: the poll has failed, and waiting out
                    # every remaining query's deadline would only delay saying so
                    with lock:
                        for j, _ in todo:
                            results[j] = exc
                        todo.clear()

    threads = [
        threading.Thread(target=work, daemon=True, name="twin-prometheus-query")
        for _ in range(min(workers, len(calls)))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def fetch_instant(
    client: PrometheusClient,
    queries: PrometheusQueries,
    at: float | None = None,
    *,
    workers: int = 4,
) -> PollResult:
    """One frame from instant queries, sent ``workers`` at a time. A connection failure
    raises ``LiveError``; a query the server rejects (a bad override) only leaves its metric
    empty and is reported."""
    names, bits = list(queries.metrics), list(queries.violations)
    exprs = queries.poll_exprs()
    budget = ByteBudget()  # the answers of one poll together
    answers = _parallel([lambda e=e: client.query(e, at, budget) for e in exprs], workers)
    for answer in answers:  # the server is down or broken: the whole poll failed
        if isinstance(answer, Exception) and not (
            isinstance(answer, LiveError) and answer.client_side
        ):
            raise answer
    builder = FrameBuilder(queries.mapper)
    missing, errors = [], []
    eval_time = None
    for name, body in zip(names, answers, strict=False):
        if isinstance(body, LiveError):
            errors.append(f"{name}: {body}")
            continue
        vec = parse_vector(body)
        eval_time = check_time(vec.time_s, "evaluation time") or eval_time
        if len(vec) == 0:
            missing.append(name)
        builder.add_vector(name, vec)
    rates = _violation_rates(queries, bits, answers[len(names) :])
    with_data = builder.gpus_with_data()  # from the gauges, before the rates join in
    builder.fold_violations(rates)
    last = answers[-1]
    if isinstance(last, LiveError):
        raise last
    sample_time = check_time(parse_scalar(last), "newest sample time")
    time_s = sample_time or eval_time or (at if at is not None else time.time())
    errors += builder.rejected_notes()
    frame = builder.frame(time_s)
    if queries.sensors:  # the answer before the newest sample's
        _read_sensors(frame, answers[-2], queries.facility, missing, errors)
    return PollResult(
        frame=frame,
        stats=builder.stats,
        gpus_with_data=with_data,
        sample_time_s=sample_time,
        metrics_missing=tuple(missing),
        warnings=tuple(errors),
    )


def _violation_rates(queries: PrometheusQueries, bits: list[int], bodies: list) -> dict:
    """Per violation-counter bit, its rate per GPU (bits whose query failed or had no data are
    left out)."""
    rates = {}
    for bit, body in zip(bits, bodies, strict=False):
        if isinstance(body, LiveError):
            continue
        vec = parse_vector(body)
        if len(vec):
            scratch = FrameBuilder(queries.mapper)
            scratch.add_vector("rate", vec)
            rates[bit] = scratch.gpu["rate"]
    return rates


def _read_sensors(frame: Frame, body, facility, missing: list, errors: list) -> None:
    """The point sensors' answer into ``frame``; a rejected query or no reading at all is
    reported, not raised (the GPUs' frame stands without them)."""
    if isinstance(body, LiveError):
        errors.append(f"sensors: {body}")
        return
    frame.sensor["temp_c"] = sensor_values(parse_vector(body), facility)
    if not np.isfinite(frame.sensor["temp_c"]).any():
        missing.append("sensor temp_c")


def fetch_range(
    client: PrometheusClient,
    queries: PrometheusQueries,
    start: float,
    end: float,
    step_s: float,
    *,
    samples_per_chunk: int = 1_000_000,
    events: bool = True,
) -> Iterator[Frame]:
    """Frames at ``start + k*step`` up to ``end`` from range queries, oldest first.

    The span is cut into chunks of at most 11,000 points per series (Prometheus's limit) and
    at most ``samples_per_chunk`` samples per metric, so a 100,000-GPU history streams
    through bounded memory. Steps where no GPU has any data are skipped.
    """
    if step_s <= 0:
        raise ValueError("step must be positive")
    if end < start:
        raise ValueError("end is before start")
    n = queries.facility.n_gpus
    tracker = GpuEvents(queries.facility) if events else None
    points = max(1, min(MAX_POINTS_PER_SERIES, samples_per_chunk // max(1, n)))
    t0 = start
    while t0 <= end:
        t1 = min(end, t0 + (points - 1) * step_s)
        k = int(math.floor((t1 - t0) / step_s + 1e-9)) + 1
        grids: dict[str, np.ndarray] = {}
        for name, expr in queries.metrics.items():
            grids[name] = _range_grid(client, queries, expr, t0, t1, step_s, k, n)
        rates = {
            bit: _range_grid(client, queries, expr, t0, t1, step_s, k, n)
            for bit, expr in queries.violations.items()
        }
        sensors = None
        if queries.sensors:
            body = client.query_range(queries.sensors, t0, t1, step_s)
            sensors = sensor_grid(parse_matrix(body), queries.facility, t0, step_s, k)
        for j in range(k):
            builder = FrameBuilder(queries.mapper)
            for name, grid in grids.items():
                builder.add_array(name, grid[j])
            # a step only counts when a gauge has data: a rate over a window reaching back
            # before an outage is no reading of the GPUs at that step
            if builder.gpus_with_data():
                builder.fold_violations({b: g[j] for b, g in rates.items()})
                frame = builder.frame(t0 + j * step_s)
                if sensors is not None:
                    frame.sensor["temp_c"] = sensors[j]
                if tracker is not None:
                    frame.events.extend(tracker(frame.time_s, frame.gpu))
                yield frame
        t0 = t0 + k * step_s


def _range_grid(client, queries, expr, t0, t1, step_s, k, n) -> np.ndarray:
    grid = np.full((k, n), np.nan, dtype=np.float32)
    matrix = parse_matrix(client.query_range(expr, t0, t1, step_s))
    if not len(matrix):
        return grid
    if matrix.blocks is not None:
        index = queries.mapper.index_blocks(matrix.blocks, decode_json_labels, MapStats())
    else:
        index = queries.mapper.index_labels(matrix.labels or [], MapStats())
    rows = np.repeat(index, matrix.lens)
    values = clean_values(matrix.values)
    steps = np.rint((matrix.times - t0) / step_s).astype(np.int64)
    ok = (rows >= 0) & (steps >= 0) & (steps < k)
    grid[steps[ok], rows[ok]] = values[ok]
    return grid


class PrometheusSource(LiveSource):
    """Polls Prometheus on a background thread; see the module docstring for the queries.

    States: CONNECTING until the first answer; CONNECTED while the newest sample is younger
    than ``lag_s``; LAGGING when it is older; DISCONNECTED (exponential back-off, capped at
    ``backoff_max_s``) after a failed poll. Frames carry the newest sample's timestamp and are
    published only when it moves, so a recorder never gets the same instant twice. Credentials
    come from the arguments or ``TWIN_PROMETHEUS_TOKEN`` / ``_USER`` / ``_PASSWORD``.
    """

    name = "prometheus"

    def __init__(
        self,
        facility: Facility,
        url: str | None = None,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        verify_tls: bool = True,
        interval_s: float = 5.0,
        timeout_s: float = 10.0,
        lag_s: float = 120.0,
        backoff_max_s: float = 60.0,
        backfill_s: float = 0.0,
        backfill_step_s: float = 15.0,
        violation_window: str = "2m",
        workers: int = 4,
        env: dict[str, str] | None = None,
    ):
        super().__init__(facility, interval_s=interval_s, lag_s=lag_s, backoff_max_s=backoff_max_s)
        self.client = PrometheusClient.connect(
            url,
            token=token,
            user=user,
            password=password,
            ca_file=ca_file,
            verify_tls=verify_tls,
            timeout_s=timeout_s,
            env=env,
        )
        self.url = self.client.url
        self.queries = PrometheusQueries(facility, violation_window=violation_window)
        self.workers = int(workers)
        self.backfill_s = float(backfill_s)
        self.backfill_step_s = float(backfill_step_s)
        self._backfill: collections.deque[Frame] = collections.deque(maxlen=20_000)

    def _poll(self) -> PollResult:
        return fetch_instant(self.client, self.queries, workers=self.workers)

    def drain_backfill(self) -> list[Frame]:
        """Frames fetched with range queries (the ``backfill_s`` before start, and the gap
        after a reconnect), oldest first, for a recorder or a chart's history; the live slot
        only ever holds the newest frame."""
        out = []
        while self._backfill:
            out.append(self._backfill.popleft())
        return out

    def _reconnected(self, gap_from: float | None, result: PollResult) -> None:
        if gap_from is None and self.backfill_s > 0:
            gap_from = time.time() - self.backfill_s
        end = result.sample_time_s
        step = self.backfill_step_s
        if gap_from is None or end is None or end - gap_from < 2 * step:
            return
        try:
            frames = fetch_range(
                self.client, self.queries, gap_from + step, end - step, step, events=False
            )
            for frame in frames:
                if self._stopping.is_set():
                    return
                self._backfill.append(frame)
        except (LiveError, ResponseError, ValueError) as exc:
            self._count_error(f"back-fill failed: {exc}")
