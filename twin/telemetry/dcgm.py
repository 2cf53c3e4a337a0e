"""DCGM exporter series -> per-GPU arrays in the facility's index order.

Series come either from a Prometheus instant query (JSON) or straight from a dcgm-exporter
``/metrics`` page (Prometheus text format). Each series is mapped to a GPU through the layout's
telemetry mapping (host label + GPU index, else the GPU UUID); the mapping of a label set is
computed once and cached, so a steady stream of 100,000-GPU responses costs one dictionary
lookup per series and no per-GPU Python work beyond that.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from twin.model.frame import (
    GPU_METRICS,
    THROTTLE_SLOWDOWN_MASK,
    THROTTLE_SW_POWER_CAP,
    THROTTLE_SW_THERMAL,
    Event,
    EventKind,
    Frame,
)

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.model.schema import TelemetryMapping

#: Frame metric -> exporter metric names, first is the canonical one. Newer DCGM renamed the
#: throttle reasons to "clocks event reasons"; both are accepted.
DEFAULT_METRICS: dict[str, tuple[str, ...]] = {
    "temp_c": ("DCGM_FI_DEV_GPU_TEMP",),
    "mem_temp_c": ("DCGM_FI_DEV_MEMORY_TEMP",),
    "power_w": ("DCGM_FI_DEV_POWER_USAGE",),
    "util_pct": ("DCGM_FI_DEV_GPU_UTIL",),
    "sm_clock_mhz": ("DCGM_FI_DEV_SM_CLOCK",),
    "throttle": ("DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", "DCGM_FI_DEV_CLOCKS_EVENT_REASONS"),
    "xid": ("DCGM_FI_DEV_XID_ERRORS",),
}

#: Throttling-time counters (microseconds, cumulative; off by default in dcgm-exporter). A
#: counter that grew since the last sample means the GPU was slowed for that reason, so it is
#: folded into the ``throttle`` bit mask under the matching NVML reason bit.
VIOLATION_METRICS: dict[str, tuple[str, int]] = {
    "thermal_violation": ("DCGM_FI_DEV_THERMAL_VIOLATION", THROTTLE_SW_THERMAL),
    "power_violation": ("DCGM_FI_DEV_POWER_VIOLATION", THROTTLE_SW_POWER_CAP),
}

_GPU_METRIC_NAMES = frozenset(name for name, _, _ in GPU_METRICS)
_METRIC_NAME_RE = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*$")


class ResponseError(ValueError):
    """A response that is not what the Prometheus API or text format promises."""


#: Sample times a server may give: from 2000 to 2100. NaN, infinities, 2^63 or -1 (1969) are
#: a broken server or exporter, not a time to record.
SANE_TIME_S = (946_684_800.0, 4_102_444_800.0)

#: What a GPU can report; anything outside is a broken exporter and is dropped (NaN), counted
#: in the poll's warnings. DCGM's blank sentinels are removed before this check.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "temp_c": (-40.0, 200.0),
    "mem_temp_c": (-40.0, 200.0),
    "power_w": (0.0, 10_000.0),
    "util_pct": (0.0, 100.0),
    "sm_clock_mhz": (0.0, 10_000.0),
    "throttle": (0.0, float(2**32)),
    "xid": (0.0, float(2**31)),
}


def check_time(t: float | None, what: str = "sample time") -> float | None:
    """``t`` if it is a plausible epoch time (or None); else ``ResponseError`` saying so."""
    if t is None:
        return None
    if not (math.isfinite(t) and SANE_TIME_S[0] <= t <= SANE_TIME_S[1]):
        raise ResponseError(
            f"server sent an impossible {what} ({t!r}: not between 2000 and 2100); "
            "nothing recorded from this answer"
        )
    return t


# ---------------------------------------------------------------------------- values
def clean_values(values: np.ndarray) -> np.ndarray:
    """NaN where DCGM means blank / not found / not supported, or where a value is not finite.

    DCGM's sentinels: int64 blanks from 0x7ffffffffffffff0 (~9.22e18, e.g. 9223372036854775794),
    int32 blanks from 0x7ffffff0 (2147483632), fp64 blanks from 2**47 (140737488355328.0).
    """
    v = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(v)
    bad |= (v >= 9.2233720368547e18) & (v <= 9.2233720368548e18)  # int64 blanks as float64
    bad |= (v >= 140737488355328.0) & (v < 140737488355328.0 + 16)
    bad |= (v >= 2147483632.0) & (v <= 2147483647.0)
    if bad.any():
        v = v.copy()
        v[bad] = np.nan
    return v


# ---------------------------------------------------------------------------- metric names
def metric_names(mapping: TelemetryMapping | None = None) -> dict[str, tuple[str, ...]]:
    """Frame metric -> exporter metric names (or, for Prometheus, PromQL expressions), with the
    layout's overrides applied. Unknown frame metrics in the overrides are an error."""
    names = dict(DEFAULT_METRICS)
    overrides = dict(mapping.metrics) if mapping is not None else {}
    for key, value in overrides.items():
        if key not in _GPU_METRIC_NAMES:
            known = ", ".join(sorted(DEFAULT_METRICS))
            raise ValueError(f"telemetry.metrics: unknown metric {key!r}; known: {known}")
        if not value or not value.strip():
            raise ValueError(f"telemetry.metrics.{key}: empty metric name")
        names[key] = (value.strip(),)
    return names


def is_plain_name(expr: str) -> bool:
    """True for a bare metric name (usable in a direct scrape), False for a PromQL expression."""
    return bool(_METRIC_NAME_RE.match(expr))


# ---------------------------------------------------------------------------- GPU mapping
@dataclass
class MapStats:
    """What one batch of series told us about the mapping."""

    series: int = 0
    matched: int = 0
    unmatched: set[tuple[str | None, str | None, str | None]] = field(default_factory=set)


class GpuMapper:
    """Maps series label sets to dense GPU indices (-1: no GPU of this facility).

    A series maps by (host label, GPU index label); if that fails, by the UUID label through
    the layout's ``gpu_uuids`` table or through UUIDs seen earlier next to a known host/GPU.
    """

    def __init__(self, facility: Facility, mapping: TelemetryMapping | None = None):
        if mapping is None:
            mapping = facility.layout.telemetry
        self.facility = facility
        self.host_labels: tuple[str, ...] = tuple(mapping.host_labels)
        self.gpu_label: str = mapping.gpu_label
        self.uuid_label: str = mapping.uuid_label
        if not self.host_labels:
            raise ValueError("telemetry.host_labels: at least one host label is needed")
        self._uuid_index: dict[str, int] = {}
        bad = []
        for uuid, item in mapping.gpu_uuids.items():
            host, _, local = item.rpartition("/gpu")
            g = facility.gpu_of(host, int(local)) if host and local.isdigit() else -1
            if g < 0:
                bad.append(f"{uuid}: {item}")
            self._uuid_index[uuid] = g
        if bad:
            raise ValueError(
                f"telemetry.gpu_uuids: {len(bad)} entries name no GPU of the layout "
                f"(want 'host/gpuN'), e.g. {'; '.join(bad[:3])}"
            )
        self._by_key: dict[tuple[str | None, str | None, str | None], int] = {}
        self._by_block: dict[bytes | str, int] = {}
        self._block_key: dict[bytes | str, tuple[str | None, str | None, str | None]] = {}
        self._cache_limit = 4 * facility.n_gpus + 10_000
        self._last_blocks: list | None = None
        self._last_index: np.ndarray | None = None
        self._learned = False

    def known_uuids(self) -> dict[str, int]:
        """UUID -> GPU index of every UUID this mapper knows (the layout's table and those
        learned from series), for finding a GPU by its UUID."""
        snapshot = dict(self._uuid_index)  # one C-level copy: the poll thread may add to it
        return {u: g for u, g in snapshot.items() if g >= 0}

    def _forget_unmatched(self) -> None:
        """Drop cached misses after new UUIDs were learned, so they are resolved again."""
        self._learned = False
        self._by_key = {k: g for k, g in self._by_key.items() if g >= 0}
        self._by_block = {b: g for b, g in self._by_block.items() if g >= 0}
        self._last_blocks = self._last_index = None

    # -- one label set
    def key_of(self, labels: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
        host = None
        for name in self.host_labels:
            host = labels.get(name)
            if host:
                break
        return host, labels.get(self.gpu_label), labels.get(self.uuid_label)

    def resolve(self, key: tuple[str | None, str | None, str | None]) -> int:
        hit = self._by_key.get(key)
        if hit is not None:
            return hit
        host, gpu, uuid = key
        g = -1
        if host is not None and gpu is not None and gpu.isdigit():
            g = self.facility.gpu_of(host, int(gpu))
        if g >= 0 and uuid:
            if uuid not in self._uuid_index:
                self._uuid_index[uuid] = g
                self._learned = True  # series cached as unmatched may now map by this UUID
        elif g < 0 and uuid:
            g = self._uuid_index.get(uuid, -1)
        if len(self._by_key) > self._cache_limit:
            self._by_key.clear()
        self._by_key[key] = g
        return g

    # -- many label sets
    def index_labels(self, labels: Sequence[Mapping[str, str]], stats: MapStats) -> np.ndarray:
        """GPU index per series for decoded label dictionaries."""
        keys = [self.key_of(m) for m in labels]
        index = np.fromiter(map(self.resolve, keys), dtype=np.int64, count=len(keys))
        if self._learned:
            self._forget_unmatched()
            index = np.fromiter(map(self.resolve, keys), dtype=np.int64, count=len(keys))
        self._count(index, keys, stats)
        return index

    def index_blocks(self, blocks: list, decode, stats: MapStats) -> np.ndarray:
        """GPU index per series for raw label blocks (bytes of a JSON object, or the text of a
        ``{...}`` in the text format), decoded with ``decode`` only the first time one is seen.
        A response whose blocks equal the previous one's reuses its index array outright."""
        if self._last_blocks is not None and blocks == self._last_blocks:
            index = self._last_index
        else:
            index = self._index_blocks(blocks, decode)
            if self._learned:
                self._forget_unmatched()
                index = self._index_blocks(blocks, decode)
            self._last_blocks, self._last_index = blocks, index
        stats.series += len(blocks)
        miss = np.flatnonzero(index < 0)
        stats.matched += len(blocks) - len(miss)
        stats.unmatched.update(self._block_key[blocks[i]] for i in miss[:10_000])
        return index

    def _index_blocks(self, blocks: list, decode) -> np.ndarray:
        cache = self._by_block
        index = np.fromiter(map(cache.get, blocks, repeat(-2)), dtype=np.int64, count=len(blocks))
        new = np.flatnonzero(index == -2)
        if len(new):  # label sets not seen before: decode and resolve each once
            if len(cache) + len(new) > self._cache_limit:
                cache.clear()
                self._block_key.clear()
            for i in new:
                block = blocks[i]
                g = cache.get(block)
                if g is None:
                    key = self._block_key.get(block) or self.key_of(decode(block))
                    g = cache[block] = self.resolve(key)
                    self._block_key[block] = key
                index[i] = g
        return index

    @staticmethod
    def _count(index: np.ndarray, keys: list, stats: MapStats) -> None:
        miss = np.flatnonzero(index < 0)
        stats.series += len(keys)
        stats.matched += len(keys) - len(miss)
        stats.unmatched.update(keys[i] for i in miss[:10_000])


# ---------------------------------------------------------------------------- instant query JSON
_LABELS_RE = re.compile(rb'"metric":(\{[^}]*\}),"value":\[')
_VALUES_RE = re.compile(rb'"value":\[[^,\]]*,"([^"]*)"\]')
_TIME_RE = re.compile(rb'"value":\[\s*([0-9.eE+-]+)\s*,')
_HEAD_RE = re.compile(rb'^\s*\{\s*"status"\s*:\s*"success"\s*,.{0,200}?"resultType"\s*:\s*"vector"')


@dataclass
class Vector:
    """One instant-query result: per series, its labels (raw blocks or dicts) and value."""

    values: np.ndarray  # float64, DCGM sentinels not yet cleaned
    blocks: list | None = None  # raw JSON label objects (bytes), fast path
    labels: list[dict] | None = None  # decoded labels, slow path
    time_s: float | None = None  # evaluation time

    def __len__(self) -> int:
        return len(self.values)


def parse_vector(body: bytes) -> Vector:
    """Parse a ``/api/v1/query`` response whose result is an instant vector.

    Prometheus (and Thanos, Mimir, VictoriaMetrics) write compact JSON, so the series are
    pulled out with two regular-expression scans instead of building 100,000 dictionaries;
    the scan is accepted only when it found exactly one label object and one value per
    ``"metric":`` key, otherwise (odd label values, pretty-printed JSON, an error) the body is
    parsed as ordinary JSON and checked field by field.
    """
    # a whole compact answer ends its result list, data and document together: one cut
    # after a series' closing brace (a connection that closed early) ends in "]}" only
    if _HEAD_RE.match(body) and body.rstrip().endswith(b"]}}"):
        blocks = _LABELS_RE.findall(body)
        raw = _VALUES_RE.findall(body)
        n = body.count(b'"metric":')
        # every "metric": key (escaped quotes inside label values cannot fake one) must have
        # yielded a label object directly followed by its value
        if 0 < n == len(blocks) == len(raw):
            try:
                values = np.array(raw, dtype=np.float64)
            except ValueError:
                values = None
            if values is not None:
                m = _TIME_RE.search(body)
                return Vector(values=values, blocks=blocks, time_s=float(m.group(1)) if m else None)
    return _parse_vector_json(body)


def _string_labels(labels: list) -> list[dict]:
    """Prometheus labels are string to string. A label whose value is anything else (``"gpu":
    0``, a list) is dropped, so that its series names no GPU or sensor by it (counted among
    the series that match none) instead of ending the source with an AttributeError."""
    out = []
    for m in labels:
        if not isinstance(m, dict):
            raise ResponseError("malformed series in result: metric is not an object")
        out.append(m if all(isinstance(v, str) for v in m.values()) else _strings_of(m))
    return out


def _strings_of(m: dict) -> dict:
    return {k: v for k, v in m.items() if isinstance(v, str)}


#: Most JSON objects and arrays an answer may hold before it is parsed: a 100,000-GPU instant
#: answer holds three per series (300,000). 60 MB of ``{},{},...`` (within the byte cap)
#: made 20 million dictionaries and took 1.7 GB; two million take about 150 MB.
MAX_JSON_CONTAINERS = 2_000_000


def _api_data(body: bytes) -> dict:
    containers = body.count(b"{") + body.count(b"[")
    if containers > MAX_JSON_CONTAINERS:
        raise ResponseError(
            f"answer holds {containers:,} JSON objects and arrays, more than "
            f"{MAX_JSON_CONTAINERS:,} (three per series): not parsed"
        )
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResponseError(f"response is not JSON: {exc}") from None
    except RecursionError:
        raise ResponseError("response is not a Prometheus answer: JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise ResponseError("response is not a JSON object")
    if doc.get("status") != "success":
        err = doc.get("error") or "no error message"
        raise ResponseError(f"query failed: {doc.get('errorType', 'error')}: {err}")
    data = doc.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("result"), list):
        raise ResponseError("response has no data.result list")
    return data


def _parse_vector_json(body: bytes) -> Vector:
    data = _api_data(body)
    kind = data.get("resultType")
    result = data["result"]
    if kind == "scalar":
        raise ResponseError("query returned a scalar, not one series per GPU")
    if kind != "vector":
        raise ResponseError(f"expected an instant vector, got resultType {kind!r}")
    try:
        labels = [s["metric"] for s in result]
        # Prometheus writes every value as a string: anything else (true read as 1.0 C) is
        # a value the series does not have
        raw = [s["value"][1] for s in result]
        values = np.array([v if isinstance(v, str) else "NaN" for v in raw], dtype=np.float64)
        t = float(result[0]["value"][0]) if result else None
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ResponseError(f"malformed series in result: {exc!r}") from None
    return Vector(values=values, labels=_string_labels(labels), time_s=t)


def parse_scalar(body: bytes) -> float | None:
    """The single value of a query such as ``max(timestamp(x))``; None when it has no data."""
    data = _api_data(body)
    result = data["result"]
    try:
        if data.get("resultType") == "scalar":
            return float(result[1])
        if not result:
            return None
        return float(result[0]["value"][1])
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ResponseError(f"malformed scalar result: {exc!r}") from None


@dataclass
class Matrix:
    """A range-query result, flat: series ``i`` owns ``lens[i]`` consecutive entries of
    ``times`` and ``values``. Labels are raw JSON blocks (fast path) or decoded dicts."""

    lens: np.ndarray
    times: np.ndarray
    values: np.ndarray
    blocks: list | None = None
    labels: list[dict] | None = None

    def __len__(self) -> int:
        return len(self.lens)


_MATRIX_HEAD_RE = re.compile(
    rb'^\s*\{\s*"status"\s*:\s*"success"\s*,.{0,200}?"resultType"\s*:\s*"matrix"'
)
_M_LABELS_RE = re.compile(rb'"metric":(\{[^}]*\}),"values":\[')
_M_POINTS_RE = re.compile(rb'"values":\[((?:\[[^\[\]]*\],?)*)\]')
_M_TIME_RE = re.compile(rb"\[([^,\[\]]+),")
_M_VALUE_RE = re.compile(rb',"([^"]*)"\]')


def parse_matrix(body: bytes) -> Matrix:
    """Parse a ``/api/v1/query_range`` response (resultType matrix).

    Like ``parse_vector``, compact JSON is scanned with regular expressions (several times
    faster than ``json.loads`` on a 100,000-series answer) and accepted only when every count
    agrees; anything else goes through the JSON parser and is checked field by field.
    """
    if _MATRIX_HEAD_RE.match(body) and body.rstrip().endswith(b"]}}"):  # as parse_vector
        n = body.count(b'"metric":')
        blocks = _M_LABELS_RE.findall(body)
        points = _M_POINTS_RE.findall(body)
        if 0 < n == len(blocks) == len(points):
            joined = b",".join(points)
            t = _M_TIME_RE.findall(joined)
            v = _M_VALUE_RE.findall(joined)
            lens = np.fromiter(map(bytes.count, points, repeat(b"[")), np.int64, len(points))
            if len(t) == len(v) == int(lens.sum()):
                try:
                    times = np.array(t, dtype=np.float64)
                    values = np.array(v, dtype=np.float64)
                except ValueError:
                    times = None
                if times is not None:
                    return Matrix(lens=lens, times=times, values=values, blocks=blocks)
    data = _api_data(body)
    if data.get("resultType") != "matrix":
        raise ResponseError(f"expected a range matrix, got resultType {data.get('resultType')!r}")
    labels, lens, times, values = [], [], [], []
    try:
        for s in data["result"]:
            pts = s["values"]
            labels.append(s["metric"])
            lens.append(len(pts))
            times.extend(p[0] for p in pts)
            values.extend(p[1] for p in pts)
        out = Matrix(
            lens=np.array(lens, dtype=np.int64),
            times=np.array(times, dtype=np.float64),
            values=np.array(values, dtype=np.float64),
            labels=labels,
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ResponseError(f"malformed series in range result: {exc!r}") from None
    out.labels = _string_labels(labels)
    return out


def decode_json_labels(block: bytes) -> dict:
    try:
        labels = json.loads(block)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResponseError(f"malformed series labels: {exc}") from None
    if not isinstance(labels, dict):
        raise ResponseError("series labels are not an object")
    return _string_labels([labels])[0]


# ---------------------------------------------------------------------------- text format
_SAMPLE_RE = re.compile(
    r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^\n]*\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?[ \t]*$", re.M
)
_LABEL_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def decode_text_labels(block: str) -> dict[str, str]:
    """Labels of a ``{a="x",b="y"}`` block of the text exposition format."""
    out = {}
    for name, value in _LABEL_RE.findall(block):
        if "\\" in value:
            value = re.sub(r"\\[\\\"n]", lambda m: _UNESCAPE[m.group(0)], value)
        out[name] = value
    return out


@dataclass
class TextSeries:
    blocks: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)


def parse_exposition(text: str, wanted: Iterable[str] | None = None) -> dict[str, TextSeries]:
    """Samples of the Prometheus text format, grouped by metric name (only ``wanted`` ones).

    Comment lines (``# HELP``, ``# TYPE``) are skipped; an optional timestamp after the value
    is ignored. Values stay strings until ``series_values`` converts a whole metric at once.
    """
    keep = set(wanted) if wanted is not None else None
    out: dict[str, TextSeries] = {}
    for m in _SAMPLE_RE.finditer(text):
        name = m.group(1)
        if keep is not None and name not in keep:
            continue
        s = out.get(name)
        if s is None:
            s = out[name] = TextSeries()
        s.blocks.append(m.group(2) or "{}")
        s.raw.append(m.group(3))
    return out


def looks_like_exposition(text: str) -> bool:
    """Whether ``text`` holds at least one sample line of the Prometheus text format."""
    return _SAMPLE_RE.search(text) is not None


def series_values(raw: list[str]) -> np.ndarray:
    """Text-format values as float64 (Prometheus spells them like Go: NaN, +Inf, -Inf)."""
    try:
        return np.array(raw, dtype=np.float64) if raw else np.zeros(0)
    except ValueError:
        out = np.full(len(raw), np.nan)
        for i, r in enumerate(raw):  # rare: a malformed value among good ones
            try:
                out[i] = float(r)
            except ValueError:
                pass
        return out


# ---------------------------------------------------------------------------- frames
class FrameBuilder:
    """Collects per-metric GPU arrays for one instant and turns them into a ``Frame``."""

    def __init__(self, mapper: GpuMapper):
        self.mapper = mapper
        self.n = mapper.facility.n_gpus
        self.gpu: dict[str, np.ndarray] = {}
        self.stats = MapStats()
        self.metrics_missing: list[str] = []
        #: metric -> (values dropped as impossible, one of them)
        self.rejected: dict[str, tuple[int, float]] = {}

    def _scatter(self, metric: str, index: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.full(self.n, np.nan, dtype=np.float32)
        ok = index >= 0
        raw = np.asarray(values[ok], dtype=np.float64)
        out[index[ok]] = self._plausible(metric, clean_values(raw), raw)
        return out

    def _plausible(self, metric: str, v: np.ndarray, raw: np.ndarray | None = None) -> np.ndarray:
        """``v`` with values no GPU can report set to NaN and counted (infinities, and NaN
        where the metric is a gauge that was sent as a number, count too)."""
        lo, hi = PLAUSIBLE.get(metric, (-np.inf, np.inf))
        with np.errstate(invalid="ignore"):
            bad = (v < lo) | (v > hi)
        if raw is not None and metric in PLAUSIBLE:
            bad |= np.isinf(raw)
        if bad.any():
            example = raw[bad][0] if raw is not None else v[bad][0]
            self.rejected[metric] = (int(bad.sum()), float(example))
            v = np.where(bad, np.nan, v)
        return v

    def rejected_notes(self) -> list[str]:
        """One warning per metric with impossible values, for the source's status."""
        return [
            f"{n} impossible {metric} value(s) dropped (e.g. {example:g})"
            for metric, (n, example) in self.rejected.items()
        ]

    def add_vector(self, metric: str, vec: Vector) -> None:
        if vec.blocks is not None:
            index = self.mapper.index_blocks(vec.blocks, decode_json_labels, self.stats)
        else:
            index = self.mapper.index_labels(vec.labels or [], self.stats)
        self.gpu[metric] = self._scatter(metric, index, vec.values)

    def add_text(self, metric: str, series: TextSeries) -> None:
        index = self.mapper.index_blocks(series.blocks, decode_text_labels, self.stats)
        self.gpu[metric] = self._scatter(metric, index, series_values(series.raw))

    def add_array(self, metric: str, values: np.ndarray) -> None:
        self.gpu[metric] = self._plausible(metric, np.asarray(values, dtype=np.float32))

    def fold_violations(self, rates: Mapping[int, np.ndarray]) -> None:
        """OR a reason bit into ``throttle`` for GPUs whose violation counter grew."""
        if not rates:
            return
        throttle = self.gpu.get("throttle")
        if throttle is None:
            throttle = np.full(self.n, np.nan, dtype=np.float32)
        bits = np.zeros(self.n, dtype=np.int64)
        for bit, rate in rates.items():
            with np.errstate(invalid="ignore"):
                bits |= np.where(np.asarray(rate) > 0, bit, 0)
        known = np.isfinite(throttle)
        base = np.where(known, throttle, 0).astype(np.int64)
        merged = (base | bits).astype(np.float32)
        # a counter that did not grow says nothing about a GPU with no throttle reasons
        self.gpu["throttle"] = np.where(known | (bits != 0), merged, np.nan).astype(np.float32)

    def gpus_with_data(self) -> int:
        if not self.gpu:
            return 0
        has = np.zeros(self.n, dtype=bool)
        for arr in self.gpu.values():
            has |= ~np.isnan(arr)
        return int(has.sum())

    def frame(self, time_s: float) -> Frame:
        frame = Frame.empty(time_s, self.mapper.facility.counts())
        frame.gpu.update(self.gpu)
        return frame


# ---------------------------------------------------------------------------- events
#: Above this many GPUs changing at once, events are summarised per rack.
MAX_GPU_EVENTS = 200


class GpuEvents:
    """Turns successive frames into throttling and XID events, as the replay timeline wants
    them: THROTTLE_START/END when a GPU enters or leaves a heat/power slowdown (reason bits in
    ``THROTTLE_SLOWDOWN_MASK``), ALARM when a GPU reports a new XID. A GPU without data keeps
    its previous state, so a missed scrape does not end a throttle."""

    def __init__(self, facility: Facility):
        self.facility = facility
        n = facility.n_gpus
        self.throttling = np.zeros(n, dtype=bool)
        self.xid = np.zeros(n, dtype=np.float32)

    def __call__(self, time_s: float, gpu: Mapping[str, np.ndarray]) -> list[Event]:
        events: list[Event] = []
        throttle = gpu.get("throttle")
        if throttle is not None:
            known = np.isfinite(throttle)
            bits = np.where(known, throttle, 0).astype(np.int64)
            now = np.where(known, (bits & THROTTLE_SLOWDOWN_MASK) != 0, self.throttling)
            temp = gpu.get("temp_c")
            for mask, kind, verb, sev in (
                (now & ~self.throttling, EventKind.THROTTLE_START, "started", 1),
                (~now & self.throttling, EventKind.THROTTLE_END, "stopped", 0),
            ):
                events += self._gpu_events(time_s, np.flatnonzero(mask), kind, verb, sev, temp)
            self.throttling = now
        xid = gpu.get("xid")
        if xid is not None:
            new = np.isfinite(xid) & (xid > 0) & (xid != self.xid)
            idx = np.flatnonzero(new)
            if len(idx) <= MAX_GPU_EVENTS:
                events += [
                    Event(
                        time_s,
                        EventKind.ALARM,
                        self.facility.gpu_label(int(g)),
                        f"{self.facility.gpu_label(int(g))} reported XID {int(xid[g])}",
                        2,
                    )
                    for g in idx
                ]
            else:
                events += self._per_rack(time_s, idx, EventKind.ALARM, "reported an XID", 2)
            self.xid = np.where(np.isfinite(xid), xid, self.xid)
        return events

    def _gpu_events(self, t, idx, kind, verb, sev, temp) -> list[Event]:
        if len(idx) > MAX_GPU_EVENTS:
            return self._per_rack(t, idx, kind, f"{verb} throttling", sev)
        out = []
        for g in idx:
            label = self.facility.gpu_label(int(g))
            at = f" at {temp[g]:.0f} degC" if temp is not None and np.isfinite(temp[g]) else ""
            out.append(Event(t, kind, label, f"{label} {verb} throttling{at}", sev))
        return out

    def _per_rack(self, t, idx, kind, what, sev) -> list[Event]:
        fac = self.facility
        per_rack = np.bincount(fac.gpu_rack[idx], minlength=fac.n_racks)
        return [
            Event(t, kind, fac.rack_ids[r], f"{per_rack[r]} GPUs in {fac.rack_ids[r]} {what}", sev)
            for r in np.flatnonzero(per_rack)
        ]
