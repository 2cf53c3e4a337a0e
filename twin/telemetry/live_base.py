"""What the live sources (Prometheus, direct scrape) share: the status they report and the
poll loop with exponential back-off, so a dead, slow or broken server never crashes or freezes
anything and the last frame simply stays the newest one, marked stale."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.model.frame import Frame
from twin.telemetry.dcgm import GpuEvents, MapStats, ResponseError
from twin.telemetry.live_http import LiveError, redact_url
from twin.telemetry.source import SourceState, SourceStatus, ThreadedSource

if TYPE_CHECKING:
    from twin.model.facility import Facility


@dataclass
class PollResult:
    """One successful poll."""

    frame: Frame
    stats: MapStats
    gpus_with_data: int
    #: Timestamp of the newest sample (None: the server has none).
    sample_time_s: float | None
    metrics_missing: tuple[str, ...] = ()
    #: Problems that did not stop the poll (a rejected query, an unreachable endpoint of many).
    warnings: tuple[str, ...] = ()


class LiveSource(ThreadedSource):
    """Poll loop: ``poll_once()`` every ``interval_s``; on ``LiveError``/``ResponseError`` back
    off ``interval_s * 2**k`` (with jitter, capped at ``backoff_max_s``) and report
    DISCONNECTED; a newest sample older than ``lag_s`` reports LAGGING."""

    url = ""

    def __init__(
        self,
        facility: Facility,
        *,
        interval_s: float,
        lag_s: float,
        backoff_max_s: float,
    ):
        super().__init__(facility)
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.interval_s = float(interval_s)
        self.lag_s = float(lag_s)
        self.backoff_max_s = max(float(backoff_max_s), self.interval_s)
        self._info_lock = threading.Lock()
        self._last: PollResult | None = None
        self._retry_at: float | None = None
        self._poll_ms: float | None = None
        self._published_sample: float | None = None
        self._events = GpuEvents(facility)

    # ------------------------------------------------------------------ for subclasses
    def _poll(self) -> PollResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def _reconnected(self, gap_from: float | None, result: PollResult) -> None:
        """Called on the first good poll after a failure (or at start); default: nothing."""

    def _set_state(self, state: SourceState, message: str = "", error: str = "") -> None:
        # no password typed into a URL shows
        super()._set_state(state, redact_url(message), redact_url(error))

    def _count_error(self, message: str) -> None:
        super()._count_error(redact_url(message))

    # ------------------------------------------------------------------ polling
    def poll_once(self) -> PollResult:
        """One synchronous poll, recorded for ``status()``; raises on failure."""
        t = time.perf_counter()
        result = self._poll()
        with self._info_lock:
            self._last = result
            self._poll_ms = (time.perf_counter() - t) * 1e3
        return result

    def _run(self) -> None:
        self._set_state(SourceState.CONNECTING, f"connecting to {self.url}")
        failures = 0
        reconnecting = True
        while not self._stopping.is_set():
            try:
                try:
                    result = self.poll_once()
                except (LiveError, ResponseError):
                    raise
                except Exception as exc:  # noqa: BLE001 - an answer no parser foresaw
                    # a server's odd answer must not stop the source for good (an integer
                    # label once ended it with an AttributeError): retried like a bad one
                    raise ResponseError(f"unexpected answer ({type(exc).__name__}: {exc})") from exc
            except (LiveError, ResponseError) as exc:
                failures += 1
                delay = min(self.backoff_max_s, self.interval_s * 2 ** (failures - 1))
                delay *= random.uniform(0.8, 1.0)
                with self._info_lock:
                    self._retry_at = time.monotonic() + delay
                self._count_error(str(exc))
                self._set_state(
                    SourceState.DISCONNECTED, f"{exc}; retrying in {delay:.1f} s", error=str(exc)
                )
                reconnecting = True
                if self._sleep(delay):
                    break
                continue
            with self._info_lock:
                self._retry_at = None
            failures = 0
            if reconnecting:
                reconnecting = False
                self._reconnected(self._published_sample, result)
            self._after_poll(result)
            if self._sleep(self.interval_s):
                break

    def _after_poll(self, result: PollResult) -> None:
        sample = result.sample_time_s
        notes = list(result.warnings)
        if result.stats.unmatched:
            notes.append(f"{len(result.stats.unmatched)} series match no GPU")
        if sample is None:
            self._set_state(SourceState.LAGGING, "; ".join(["no DCGM samples yet", *notes]))
            return
        if sample != self._published_sample:
            self._published_sample = sample
            result.frame.events.extend(self._events(result.frame.time_s, result.frame.gpu))
            self._publish(result.frame)
        age = time.time() - sample
        if age > self.lag_s:
            self._set_state(
                SourceState.LAGGING, "; ".join([f"newest sample {age:.0f} s old", *notes])
            )
        else:
            self._set_state(SourceState.CONNECTED, "; ".join(notes))

    # ------------------------------------------------------------------ status
    def status(self) -> SourceStatus:
        base = super().status()
        with self._info_lock:
            last, retry_at, poll_ms = self._last, self._retry_at, self._poll_ms
        state = base.state
        if state == SourceState.CONNECTED and base.age_s is not None and base.age_s > self.lag_s:
            state = SourceState.LAGGING  # the poller may be asleep; time moves on regardless
        examples: tuple[str, ...] = ()
        unmatched = 0
        if last is not None:
            unmatched = len(last.stats.unmatched)
            examples = tuple(
                f"{h or '?'}/gpu{g if g is not None else '?'}" + (f" ({u})" if u else "")
                for h, g, u in sorted(last.stats.unmatched, key=str)[:5]
            )
        return SourceStatus(
            state=state,
            age_s=base.age_s,
            time_s=base.time_s,
            frames=base.frames,
            dropped=base.dropped,
            errors=base.errors,
            message=base.message,
            last_error=base.last_error,
            live=True,
            url=self.url,
            gpus_with_data=last.gpus_with_data if last else 0,
            gpus_total=self.facility.n_gpus,
            unmatched_series=unmatched,
            unmatched_examples=examples,
            metrics_missing=last.metrics_missing if last else (),
            stale=state != SourceState.CONNECTED,
            retry_in_s=None if retry_at is None else max(0.0, retry_at - time.monotonic()),
            poll_ms=poll_ms,
        )
