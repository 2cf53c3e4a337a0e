"""Live GPU telemetry scraped straight from dcgm-exporter ``/metrics`` endpoints (Prometheus
text format), for a small lab with no Prometheus: one URL per exporter, read in turn on a
background thread. Metric overrides must be plain metric names here (there is no PromQL)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from twin.telemetry.dcgm import (
    VIOLATION_METRICS,
    FrameBuilder,
    GpuMapper,
    TextSeries,
    clean_values,
    decode_text_labels,
    is_plain_name,
    looks_like_exposition,
    metric_names,
    parse_exposition,
    series_values,
)
from twin.telemetry.live_base import LiveSource, PollResult
from twin.telemetry.live_http import ByteBudget, Credentials, HttpClient, LiveError, redact_url

if TYPE_CHECKING:
    from twin.model.facility import Facility


class ScrapeSource(LiveSource):
    """Scrapes one or more dcgm-exporter endpoints every ``interval_s``.

    An endpoint that fails while others answer leaves its GPUs without data and the source
    LAGGING (with the reason); when all fail, DISCONNECTED with back-off. Violation counters
    are turned into throttle bits from their growth between two scrapes.
    """

    name = "scrape"

    def __init__(
        self,
        facility: Facility,
        urls: str | list[str] | None = None,
        *,
        url: str | None = None,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        verify_tls: bool = True,
        interval_s: float = 5.0,
        timeout_s: float = 5.0,
        lag_s: float = 60.0,
        backoff_max_s: float = 60.0,
    ):
        super().__init__(facility, interval_s=interval_s, lag_s=lag_s, backoff_max_s=backoff_max_s)
        if isinstance(urls, str):
            urls = [u for u in urls.replace(",", " ").split() if u]
        urls = list(urls or []) + ([url] if url else [])
        if not urls:
            raise ValueError("no exporter URL: pass e.g. http://gpu-node-1:9400/metrics")
        creds = Credentials(token=token, user=user, password=password) if token or user else None
        self.clients = [
            HttpClient(
                _metrics_url(u),
                credentials=creds,
                verify_tls=verify_tls,
                ca_file=ca_file,
                timeout_s=timeout_s,
            )
            for u in urls
        ]
        self.url = ", ".join(c.url for c in self.clients)
        mapping = facility.layout.telemetry
        self.mapper = GpuMapper(facility, mapping)
        names = metric_names(mapping)
        bad = [n for names_ in names.values() for n in names_ if not is_plain_name(n)]
        if bad:
            raise ValueError(
                f"telemetry.metrics: a direct scrape needs plain metric names, not {bad[0]!r}"
            )
        self.metrics = names
        self.violations = {name: bit for name, bit in VIOLATION_METRICS.values()}
        self._wanted = {n for ns in names.values() for n in ns} | set(self.violations)
        self._counters: dict[str, tuple[float, np.ndarray]] = {}

    def _poll(self) -> PollResult:
        merged: dict[str, TextSeries] = {}
        failed: list[str] = []
        budget = ByteBudget()  # all exporters' answers to one poll together
        for client in self.clients:
            try:
                text = client.get("", budget=budget).decode("utf-8", errors="replace")
            except LiveError as exc:
                failed.append(str(exc))
                continue
            found = parse_exposition(text, self._wanted)
            if not found and text.strip() and not looks_like_exposition(text):
                # an HTML login page or garbage read "0 series match no GPU; check the host
                # names", which sent people to the wrong place
                failed.append(
                    f"{redact_url(client.url)}: the answer is not Prometheus text: {text[:40]!r}"
                )
                continue
            for name, series in found.items():
                into = merged.setdefault(name, TextSeries())
                into.blocks.extend(series.blocks)
                into.raw.extend(series.raw)
        if len(failed) == len(self.clients):
            raise LiveError(failed[0] if len(failed) == 1 else "; ".join(failed[:3]))
        now = time.time()
        builder = FrameBuilder(self.mapper)
        missing = []
        for metric, names in self.metrics.items():
            series = next((merged[n] for n in names if n in merged), None)
            if series is None:
                missing.append(metric)
                continue
            builder.add_text(metric, series)
        with_data = builder.gpus_with_data()
        builder.fold_violations(self._violation_rates(merged, now))
        warnings: tuple[str, ...] = tuple(builder.rejected_notes())
        if failed:
            warnings += (f"{len(failed)} of {len(self.clients)} exporters failed: {failed[0]}",)
        return PollResult(
            frame=builder.frame(now),
            stats=builder.stats,
            gpus_with_data=with_data,
            sample_time_s=now,
            metrics_missing=tuple(missing),
            warnings=warnings,
        )

    def _after_poll(self, result: PollResult) -> None:
        super()._after_poll(result)
        if result.warnings:  # some exporters are down: their GPUs have no fresh data
            from twin.telemetry.source import SourceState

            self._set_state(SourceState.LAGGING, "; ".join(result.warnings))

    def _violation_rates(self, merged: dict[str, TextSeries], now: float) -> dict[int, np.ndarray]:
        rates: dict[int, np.ndarray] = {}
        for name, bit in self.violations.items():
            series = merged.get(name)
            if series is None:
                continue
            scratch = FrameBuilder(self.mapper)
            index = self.mapper.index_blocks(series.blocks, decode_text_labels, scratch.stats)
            counter = np.full(self.facility.n_gpus, np.nan)
            ok = index >= 0
            counter[index[ok]] = clean_values(series_values(series.raw)[ok])
            prev = self._counters.get(name)
            self._counters[name] = (now, counter)
            if prev is not None and now > prev[0]:
                rates[bit] = (counter - prev[1]) / (now - prev[0])
        return rates


def _metrics_url(url: str) -> str:
    """``host:9400`` or ``http://host:9400`` -> ``http://host:9400/metrics``."""
    if "://" not in url:
        url = "http://" + url
    scheme, _, rest = url.partition("://")
    if "/" not in rest:
        url = url + "/metrics"
    return url
