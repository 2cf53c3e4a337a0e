"""Telemetry overlays on a ``Scene``: GPUs coloured by a metric over a FIXED range (so a colour
means the same temperature in every frame and every file), or by job; throttling GPUs and
alarmed or failed equipment outlined in 3D. Also ``render_frame_png``, one recorded instant
off screen. No Qt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyvista as pv

from twin.model.facility import Facility
from twin.render import geometry as geo
from twin.render import style
from twin.telemetry.frame import (
    THROTTLE_GPU_IDLE,
    THROTTLE_HW_POWER_BRAKE,
    THROTTLE_SLOWDOWN_MASK,
    THROTTLE_SW_POWER_CAP,
    Event,
    EventKind,
    Frame,
)

#: Sentinel for ``Scene.gpu_metric`` while an overlay owns the GPU colours: no frame has it,
#: so ``Scene.update`` leaves the GPUs to the overlay.
OVERLAY_METRIC = "__overlay__"

H100_BOOST_MHZ = 1980.0  # H100 SXM maximum SM clock
THROTTLE_CLASSES = ("running", "idle", "power capped", "thermal slowdown")
THROTTLE_COLOURS = ("#4f9d69", "#6d7580", "#f0a830", "#ff3b3b")
JOB_COLOURS = 20  # categorical colours cycle after this many jobs
THROTTLE_OUTLINE = "#ff2bd6"  # magenta: apart from every colour map in use
ALARM_COLOURS = {1: "#ffb000", 2: "#ff3030"}  # warning, critical


@dataclass(frozen=True)
class Mark:
    """A threshold drawn on a legend (e.g. the slowdown temperature)."""

    value: float
    label: str


@dataclass(frozen=True)
class MetricScale:
    """How one GPU overlay maps values to colours: title, fixed range, colour map, marks.
    ``categories`` names the classes of a categorical overlay (value k -> categories[k])."""

    metric: str
    title: str
    unit: str
    clim: tuple[float, float]
    cmap: object
    marks: tuple[Mark, ...] = ()
    categories: tuple[str, ...] = ()
    colours: tuple[str, ...] = field(default=())


#: Overlay names offered to users, in menu order.
GPU_OVERLAYS: dict[str, str] = {
    "temp_c": "Temperature",
    "mem_temp_c": "HBM temperature",
    "power_w": "Power",
    "util_pct": "Utilisation",
    "sm_clock_mhz": "SM clock",
    "throttle": "Throttle reason",
    "job": "Job",
}


def _limit(values: np.ndarray, default: float, how=np.nanmin) -> float:
    v = np.asarray(values, dtype=float)
    return float(how(v)) if v.size and np.isfinite(v).any() else default


def gpu_scale(facility: Facility, metric: str) -> MetricScale:
    """The fixed colour scale of a GPU overlay. Ranges come from physics and the GPUs' own
    catalog limits (slowdown, HBM maximum, TDP), never from the data in view."""
    f = facility
    if metric == "temp_c":
        slow = _limit(f.gpu_slowdown_c, 89.0)
        marks = [Mark(slow, f"slowdown {slow:.0f}")]
        shut = _limit(f.gpu_shutdown_c, float("nan"))
        if np.isfinite(shut) and shut <= 95.0:
            marks.append(Mark(shut, f"shutdown {shut:.0f}"))
        return MetricScale(
            metric, "GPU temperature", "°C", (20.0, 95.0), style.CMAP_TEMPERATURE, tuple(marks)
        )
    if metric == "mem_temp_c":
        hbm = _limit(f.gpu_hbm_max_c, 95.0)
        return MetricScale(
            metric,
            "HBM temperature",
            "°C",
            (20.0, max(100.0, hbm + 5.0)),
            style.CMAP_TEMPERATURE,
            (Mark(hbm, f"HBM max {hbm:.0f}"),),
        )
    if metric == "power_w":
        tdp = _limit(f.gpu_tdp_w, 700.0, np.nanmax)
        return MetricScale(
            metric, "GPU power", "W", (0.0, tdp), style.CMAP_POWER, (Mark(tdp, "TDP"),)
        )
    if metric == "util_pct":
        return MetricScale(metric, "GPU utilisation", "%", (0.0, 100.0), style.CMAP_DEFAULT)
    if metric == "sm_clock_mhz":
        return MetricScale(
            metric,
            "SM clock",
            "MHz",
            (0.0, 2000.0),
            "cividis",
            (Mark(H100_BOOST_MHZ, "max boost"),),
        )
    if metric == "throttle":
        return MetricScale(
            metric,
            "Throttle reason",
            "",
            (-0.5, len(THROTTLE_CLASSES) - 0.5),
            list(THROTTLE_COLOURS),
            categories=THROTTLE_CLASSES,
            colours=THROTTLE_COLOURS,
        )
    if metric == "job":
        return MetricScale(
            metric, "Job", "", (-0.5, JOB_COLOURS - 0.5), style.CMAP_CATEGORY, categories=()
        )
    raise ValueError(f"unknown GPU overlay {metric!r}: choose from {', '.join(GPU_OVERLAYS)}")


def throttle_class(throttle: np.ndarray) -> np.ndarray:
    """NVML reason bits -> 0 running, 1 idle, 2 power capped, 3 thermal slowdown (NaN kept).
    The worst reason wins: heat over power over idle."""
    t = np.asarray(throttle, dtype=np.float64)
    ok = np.isfinite(t)
    bits = np.where(ok, t, 0).astype(np.int64)
    power = (bits & (THROTTLE_SW_POWER_CAP | THROTTLE_HW_POWER_BRAKE)) != 0
    thermal = (
        bits & (THROTTLE_SLOWDOWN_MASK & ~THROTTLE_SW_POWER_CAP & ~THROTTLE_HW_POWER_BRAKE)
    ) != 0
    cls = np.where(thermal, 3, np.where(power, 2, np.where(bits & THROTTLE_GPU_IDLE, 1, 0)))
    return np.where(ok, cls, np.nan)


def throttling(frame: Frame | None) -> np.ndarray:
    """Indices of GPUs slowed by heat or power (not idle, not by choice) in a frame."""
    if frame is None or "throttle" not in frame.gpu:
        return np.zeros(0, dtype=np.int64)
    t = np.asarray(frame.gpu["throttle"], dtype=np.float64)
    bits = np.where(np.isfinite(t), t, 0).astype(np.int64)
    return np.flatnonzero(bits & THROTTLE_SLOWDOWN_MASK)


def job_colour_index(job: np.ndarray) -> np.ndarray:
    """Job ids -> categorical colour slot (0..JOB_COLOURS-1); no job (0 or NaN) -> NaN."""
    j = np.asarray(job, dtype=np.float64)
    return np.where(np.isfinite(j) & (j > 0), np.mod(j, JOB_COLOURS), np.nan)


def overlay_values(frame: Frame, metric: str) -> np.ndarray | None:
    """The per-GPU values an overlay colours by (classes for throttle, slots for job)."""
    raw = frame.gpu.get(metric)
    if raw is None:
        return None
    if metric == "throttle":
        return throttle_class(raw)
    if metric == "job":
        return job_colour_index(raw)
    return np.asarray(raw)


def colour_gpus(scene, frame: Frame, metric: str) -> bool:
    """Colour the scene's GPUs from ``frame`` by ``metric`` over its fixed scale, in place.
    False when the frame lacks the metric or does not fit the scene's facility."""
    values = overlay_values(frame, metric)
    f = scene.facility
    if values is None or len(values) != f.n_gpus:
        return False
    sc = gpu_scale(f, metric)
    title = f"{sc.title} ({sc.unit})" if sc.unit else sc.title
    scene.set_gpu_values(values, title, sc.clim, sc.cmap)
    labels = job_labels(frame.gpu["job"]) if metric == "job" else None
    _annotate(scene, sc, labels)
    return True


def job_labels(job: np.ndarray, top: int = 10) -> dict[float, str]:
    """Legend labels for the largest jobs running: colour slot -> 'job ID (N GPUs)'."""
    j = np.asarray(job, dtype=np.float64)
    ids, counts = np.unique(j[np.isfinite(j) & (j > 0)], return_counts=True)
    out: dict[float, str] = {}
    for k in np.argsort(-counts, kind="stable")[:top]:
        slot = float(np.mod(ids[k], JOB_COLOURS))
        out.setdefault(slot, f"job {int(ids[k])} ({counts[k]:,} GPUs)")
    return out


def _annotate(scene, sc: MetricScale, labels: dict[float, str] | None = None) -> None:
    """Mark thresholds (slowdown, TDP) on the scene's GPU legend; categorical overlays get
    their class names (or the largest jobs) instead of numbers."""
    bar = getattr(scene, "gpu_bar", None)
    actor = getattr(scene, "gpu_actor", None)
    if bar is None or actor is None:
        return
    lut = actor.mapper.lookup_table
    lut.ResetAnnotations()
    if sc.categories or labels is not None:
        names = labels if labels is not None else dict(enumerate(sc.categories))
        for value, name in names.items():
            lut.SetAnnotation(float(value), name)
        bar.SetDrawTickLabels(False)
        annotated = bool(names)
    else:
        bar.SetNumberOfLabels(_nice_labels(*sc.clim))
        bar.SetLabelFormat("%.0f")
        for m in sc.marks:
            if sc.clim[0] <= m.value <= sc.clim[1]:
                lut.SetAnnotation(float(m.value), m.label)
        bar.SetDrawTickLabels(True)
        annotated = bool(sc.marks)
    bar.SetDrawAnnotations(annotated)
    # annotations go on the side away from the tick labels: keep them inside the view
    if annotated:
        bar.SetTextPositionToSucceedScalarBar()
    else:
        bar.SetTextPositionToPrecedeScalarBar()
    bar.GetAnnotationTextProperty().ItalicOff()
    bar.GetAnnotationTextProperty().SetFontSize(12)
    bar.GetAnnotationTextProperty().SetColor(0.95, 0.96, 0.97)


def _nice_labels(lo: float, hi: float) -> int:
    """How many legend labels make round steps over [lo, hi] (20-95 -> 20, 45, 70, 95)."""
    span = hi - lo
    for k in (4, 5, 3, 7, 6, 8, 2):
        step = span / k
        if step <= 0:
            break
        mant = step / 10 ** np.floor(np.log10(step))
        if any(abs(mant - n) < 1e-9 for n in (1.0, 2.0, 2.5, 5.0)):
            return k + 1
    return 5


# ---------------------------------------------------------------------- alarms and failures
def alarm_levels(facility: Facility, events: Iterable[Event], levels: dict | None = None) -> dict:
    """Replay events in time order into ``{item id: severity}`` of what is alarmed or failed
    now: an alarm sets its severity, a clear removes it; a unit failure is critical until it
    recovers. Pass the previous dict to continue from it (live sources)."""
    out = {} if levels is None else levels
    for e in events:
        if e.kind == EventKind.ALARM:
            out[e.item] = max(int(e.severity), 1)
        elif e.kind == EventKind.UNIT_FAILED:
            out[e.item] = 2
        elif e.kind in (EventKind.ALARM_CLEARED, EventKind.UNIT_RECOVERED):
            out.pop(e.item, None)
    return out


def failed_units(frame: Frame | None) -> dict[str, np.ndarray]:
    """Indices of air units, CDUs and power devices whose state reads off (0) in a frame."""
    out: dict[str, np.ndarray] = {}
    if frame is None:
        return out
    for kind in ("air_unit", "cdu", "power"):
        state = frame.group(kind).get("state")
        if state is not None and len(state):
            out[kind] = np.flatnonzero(np.asarray(state) == 0)
    return out


class AlertLayer:
    """Outlines in the 3D view: throttling GPUs (magenta), alarmed racks and failed or alarmed
    units (amber for warnings, red for critical). One merged line actor per colour, updated
    in place; joins the scene as layers ``throttling`` and ``alarms``."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self._meshes: dict[str, pv.PolyData] = {}
        self._actors: dict[str, object] = {}
        self.throttling = np.zeros(0, dtype=np.int64)
        self.alarmed: dict[str, dict[int, int]] = {}
        for key, colour, layer, width in (
            ("throttle", THROTTLE_OUTLINE, "throttling", 2),
            ("warn", ALARM_COLOURS[1], "alarms", 4),
            ("crit", ALARM_COLOURS[2], "alarms", 4),
        ):
            mesh = pv.PolyData()
            self._meshes[key] = mesh
            # a placeholder point so VTK builds the actor now; replaced on the first update
            mesh.copy_from(geo.box_edges(np.zeros((1, 3)), np.full((1, 3), 1e-6), np.zeros(1)))
            with scene.quiet():
                actor = scene.plotter.add_mesh(
                    mesh,
                    color=colour,
                    line_width=width,
                    lighting=False,
                    pickable=False,
                    reset_camera=False,
                    name=f"overlay_{key}",
                )
            mesh.copy_from(pv.PolyData())
            self._actors[key] = actor
            scene.add_layer(layer, [actor])

    def update(
        self,
        throttling_gpus: np.ndarray,
        alarmed: dict[str, int],
    ) -> None:
        """Outline these GPUs and these alarmed items (``{id: severity}``; ids of racks,
        units, hosts or GPUs; a GPU or host alarm outlines its rack)."""
        s, f = self.scene, self.scene.facility
        self.throttling = np.asarray(throttling_gpus, dtype=np.int64)
        if self.throttling.size:
            c, sz, r = s.item_boxes("gpu", self.throttling)
            self._set("throttle", geo.box_edges(c, sz * 1.25 + 0.01, r))
        else:
            self._set("throttle", pv.PolyData())
        by_level: dict[int, dict[str, list[int]]] = {1: {}, 2: {}}
        self.alarmed = {}
        for item, sev in alarmed.items():
            found = f.find(item)
            if found is None:
                continue
            kind, i = found
            if kind == "gpu":
                kind, i = "rack", int(f.gpu_rack[i])
            elif kind == "host":
                kind, i = "rack", int(f.gpu_rack[f.host_first_gpu[i]])
            elif kind not in ("rack", "air_unit", "cdu", "power"):
                continue
            level = 2 if sev >= 2 else 1
            self.alarmed.setdefault(kind, {})
            self.alarmed[kind][i] = max(level, self.alarmed[kind].get(i, 0))
        for kind, items in self.alarmed.items():
            for i, level in items.items():
                by_level[level].setdefault(kind, []).append(i)
        for level, key in ((1, "warn"), (2, "crit")):
            parts = []
            for kind, idx in by_level[level].items():
                if level == 1:  # a critical alarm on the same item wins
                    idx = [i for i in idx if self.alarmed[kind][i] == 1]
                if not idx:
                    continue
                c, sz, r = s.item_boxes(kind, np.asarray(idx))
                if len(c):
                    parts.append(geo.box_edges(c, sz + 0.12, r))
            self._set(key, pv.merge(parts) if parts else pv.PolyData())

    def _set(self, key: str, mesh: pv.PolyData) -> None:
        m = self._meshes[key]
        m.copy_from(mesh)
        m.Modified()
        self._actors[key].SetVisibility(
            bool(mesh.n_points) and self.scene.is_visible(self._layer(key))
        )

    @staticmethod
    def _layer(key: str) -> str:
        return "throttling" if key == "throttle" else "alarms"

    def counts(self) -> dict[str, int]:
        """How many throttling GPUs and alarmed items are outlined."""
        return {
            "throttling": int(self.throttling.size),
            "alarmed": sum(len(v) for v in self.alarmed.values()),
        }


# ---------------------------------------------------------------------- one instant, off screen
def render_frame_png(
    facility: Facility,
    frame: Frame,
    out: str | Path,
    *,
    metric: str = "temp_c",
    alarmed: dict[str, int] | None = None,
    size: tuple[int, int] = (1600, 1000),
    view: str = "iso",
    title: str = "",
    colour_mode: str | None = None,
) -> Path:
    """Render ``facility`` as it was in ``frame``: GPUs coloured by ``metric`` over its fixed
    scale (or by a colour mode that reads the frame), throttling GPUs and alarmed items
    outlined, ``title`` in the top-left corner."""
    from twin.render.colour_modes import apply_mode
    from twin.render.offscreen import render_png

    def decorate(scene) -> None:
        scene.gpu_metric = OVERLAY_METRIC
        if colour_mode is not None:
            apply_mode(scene, colour_mode, frame)
        elif not colour_gpus(scene, frame, metric):
            raise ValueError(f"the recording has no GPU metric {metric!r}")
        AlertLayer(scene).update(throttling(frame), alarmed or {})
        if title:
            scene.plotter.add_text(
                title, position="upper_left", font_size=11, color=style.LABEL_TEXT
            )

    return render_png(facility, out, size=size, view=view, decorate=decorate)
