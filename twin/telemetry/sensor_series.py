"""Point sensors (the layout's ``sensors:``) from Prometheus: one series per sensor from the
layout's ``telemetry.sensor_query``, matched by the ``telemetry.sensor_label`` label's value
to a sensor id. A site's probes come from exporters of their own (SNMP, Redfish, a BMS
gateway), never from DCGM, so they get their own query rather than a GPU mapping."""

from __future__ import annotations

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import AIR_READING_C
from twin.telemetry.dcgm import Matrix, Vector, decode_json_labels

#: Readings outside this band (degrees C) are no room air: a probe's fault code or a unit
#: mistake (tenths of a degree, Fahrenheit) is left out rather than calibrated to.
PLAUSIBLE_C = AIR_READING_C


def sensor_expr(facility: Facility) -> str | None:
    """The PromQL for the layout's sensors (one series per sensor), or None without any."""
    if not facility.sensor_ids:
        return None
    m = facility.layout.telemetry
    return f"max by ({m.sensor_label}) ({m.sensor_query})"


def _rows(labels_or_blocks, facility: Facility, raw: bool) -> np.ndarray:
    """Each series' sensor index (-1 where its label names no sensor of the layout)."""
    label = facility.layout.telemetry.sensor_label
    index = facility.sensor_index
    decoded = (decode_json_labels(b) for b in labels_or_blocks) if raw else labels_or_blocks
    # one per sensor series (the query is max by the label), not per GPU; a label value that
    # is no string (a hostile answer's list) names no sensor
    names = (d.get(label) for d in decoded)
    return np.array([index.get(n, -1) if isinstance(n, str) else -1 for n in names], np.int64)


def _series_rows(result: Vector | Matrix, facility: Facility) -> np.ndarray:
    if result.blocks is not None:
        return _rows(result.blocks, facility, raw=True)
    return _rows(result.labels or [], facility, raw=False)


def _plausible(values: np.ndarray) -> np.ndarray:
    lo, hi = PLAUSIBLE_C
    v = np.asarray(values, np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(v) & (v >= lo) & (v <= hi), v, np.nan)


def sensor_values(vector: Vector, facility: Facility) -> np.ndarray:
    """(n_sensors,) float32 readings of an instant query, NaN where a sensor has none."""
    out = np.full(len(facility.sensor_ids), np.nan, np.float32)
    rows = _series_rows(vector, facility)
    ok = rows >= 0
    out[rows[ok]] = _plausible(vector.values)[ok]
    return out


def sensor_grid(matrix: Matrix, facility: Facility, t0: float, step_s: float, k: int) -> np.ndarray:
    """(k, n_sensors) float32 readings of a range query at ``t0 + j * step_s``."""
    grid = np.full((k, len(facility.sensor_ids)), np.nan, np.float32)
    if not len(matrix):
        return grid
    rows = np.repeat(_series_rows(matrix, facility), matrix.lens)
    steps = np.rint((matrix.times - t0) / step_s).astype(np.int64)
    ok = (rows >= 0) & (steps >= 0) & (steps < k)
    grid[steps[ok], rows[ok]] = _plausible(matrix.values)[ok]
    return grid
