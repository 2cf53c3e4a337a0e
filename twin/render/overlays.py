"""Telemetry overlays on a ``Scene``: GPUs coloured by a metric over a FIXED range (so a colour
means the same temperature in every frame and every file), or by job; throttling GPUs and
alarmed or failed equipment outlined in 3D. No Qt.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

import numpy as np
import pyvista as pv

from twin.model.facility import Facility
from twin.model.frame import THROTTLE_SLOWDOWN_MASK, Event, EventKind, Frame, reads_off
from twin.model.metrics import JOB_COLOURS, MetricScale, gpu_metric
from twin.render import geometry as geo

THROTTLE_OUTLINE = "#ff2bd6"  # magenta: apart from every colour map in use
ALARM_COLOURS = {1: "#ffb000", 2: "#ff3030"}  # warning, critical


_SCALES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def gpu_scale(facility: Facility, metric: str) -> MetricScale:
    """The fixed colour scale of a GPU metric for this facility (from the metric registry),
    worked out once per facility: it depends only on the GPUs' catalog limits."""
    per_facility = _SCALES.setdefault(facility, {})
    scale = per_facility.get(metric)
    if scale is None:
        scale = per_facility[metric] = gpu_metric(metric).scale(facility)
    return scale


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
    """The per-GPU values a metric colours by (classes for throttle, slots for job)."""
    raw = frame.gpu.get(metric)
    if raw is None:
        return None
    return gpu_metric(metric).transform(raw)


def colour_gpus(scene, frame: Frame, metric: str) -> bool:
    """Colour the scene's GPUs from ``frame`` by ``metric`` over its fixed scale, in place.
    False when the frame lacks the metric or does not fit the scene's facility."""
    values = overlay_values(frame, metric)
    f = scene.facility
    if values is None or len(values) != f.n_gpus:
        return False
    sc = gpu_scale(f, metric)
    scene.set_gpu_values(values, sc.legend_title, sc.clim, sc.cmap)
    labels = job_labels(frame.gpu["job"]) if metric == "job" else None
    actor = getattr(scene, "gpu_actor", None)
    lut = actor.mapper.lookup_table if actor is not None else None
    key = (sc, id(lut), lut.GetNumberOfAnnotatedValues() if lut is not None else 0)
    if labels is not None or getattr(scene, "_annotated", None) != key:
        _annotate(scene, sc, labels)
        # thresholds are marked once per metric and colour table, not per frame
        n = lut.GetNumberOfAnnotatedValues() if lut is not None else 0
        scene._annotated = (sc, id(lut), n)
    return True


def colour_sensors(scene, frame: Frame) -> bool:
    """Write the frame's point-sensor readings into the sensor spheres' array, in place.
    False when the frame has none or they do not fit the scene's sensors."""
    mesh = getattr(scene, "sensor_mesh", None)
    values = frame.sensor.get("temp_c")
    if mesh is None or values is None or len(values) != mesh.n_points:
        return False
    arr = mesh.GetPointData().GetArray("temp_c")
    mesh.point_data["temp_c"][:] = values
    arr.Modified()
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
    # notes on the left end at the strip; VTK leaves the justification to the text property,
    # and once the view's point labels have drawn, a left-justified note runs over the strip
    bar.GetAnnotationTextProperty().SetJustificationToRight()
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
    """Indices of air units, CDUs and power devices whose state reads off in a frame (below
    0.5, as the physics and the inspector read it: ``twin.model.frame.reads_off``)."""
    out: dict[str, np.ndarray] = {}
    if frame is None:
        return out
    for kind in ("air_unit", "cdu", "power"):
        state = frame.group(kind).get("state")
        if state is not None and len(state):
            out[kind] = np.flatnonzero(reads_off(state))
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
