"""Labels and legends of a scene: hall, row and rack labels shown only when they would not
overlap each other or a legend, the GPU and rack colour bars on one backdrop with every
other legend, and the key of the power and cooling links."""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import vtkTextActor

from twin.render import legend_fit, legend_layout, style
from twin.render.label_cull import CulledLabels
from twin.render.legend_boxes import LegendBackdrop, bar_box, overlap, text_actor_box
from twin.render.scene_types import Layer

#: Racks beyond this count get no per-rack labels (the row labels still show).
RACK_LABEL_LIMIT = 3000
#: The scene's bars among all legends (``legend_layout``): the GPU metric first.
LEGEND_PRIORITY = {"GPU": 0.0, "Rack": 2.0}


class SceneLabels:
    """Owned by ``Scene`` (``scene.labels``); ``gpu_bar`` and ``rack_bar`` are the colour
    bars (None without GPUs or racks)."""

    def __init__(self, scene, rack_labels: bool | None) -> None:
        self.scene = scene
        self._legend_observer = self._legend_restore = None
        self._suppressed: list = []
        self.legends_drawn: list = []
        #: colour bars shown at once (``legend_layout``); View › Show All Legends raises it
        self.legend_limit = legend_layout.DEFAULT_LIMIT
        self._key_entries = 0
        #: every legend's background: added first, so that it lies under them all
        self.backdrop = LegendBackdrop(scene.plotter.renderer)
        #: the label actors that leave out labels under a legend, by layer
        self.culled: dict[str, CulledLabels] = {}
        #: screen boxes (display px) of the legends and captions of the last render
        self.legend_boxes: list = []
        self.build_labels(rack_labels)
        self.build_legends()

    def detach(self) -> None:
        """Stop following the renderer (before the scene's actors go)."""
        renderer = self.scene.plotter.renderer
        self.backdrop.remove(renderer)
        for name in ("_legend_observer", "_legend_restore"):
            tag = getattr(self, name)
            if tag is not None:
                renderer.RemoveObserver(tag)
                setattr(self, name, None)

    def build_labels(self, rack_labels: bool | None) -> None:
        """Row labels at the start of each row, hall labels at a corner, rack labels over each
        rack's front edge. Rows and racks show only when the camera is close enough for them
        not to overlap (``label_lod``)."""
        f = self.scene.facility
        self._row_labels()
        hall_pts = np.hstack([f.hall_origin_m + 0.3, f.hall_size_m[:, 2:3]])
        hall_actor = self.badges(
            hall_pts, [h.name or h.id for h in f.layout.halls], 15, style.HALL_LABEL_BG,
            "hall_labels",
        )  # fmt: skip
        self.scene.add_layer("hall_labels", [hall_actor])
        want = rack_labels if rack_labels is not None else f.n_racks <= RACK_LABEL_LIMIT
        self._rack_labels(want)
        renderer = self.scene.plotter.renderer
        # one observer before each render: the camera preset, the label LOD, the legends
        self._legend_observer = renderer.AddObserver("StartEvent", self.place_legends)
        self._legend_restore = renderer.AddObserver("EndEvent", self._restore_legends)

    def place_legends(self, *_args) -> None:
        """Before each render: at most ``legend_limit`` bars, stacked without overlap, titles
        inside the view, each on a background that holds its notes too; a bar whose box
        would still meet another's (a very narrow view) waits; labels under any legend or
        caption are left out."""
        renderer = self.scene.plotter.renderer
        self.scene.cameras.follow_legends()
        # which labels show at this zoom (after the preset may have moved the camera), before
        # the culling below, which skips hidden label actors
        self.label_lod()
        self._suppressed = legend_layout.arrange(renderer, self.shown_limit(), self._key_entries)
        legend_fit.fit_bar_titles(renderer)
        dpi = self._dpi()
        shown, boxes = [], []
        for bar in legend_layout.registered(renderer):  # in priority order
            if not bar.GetVisibility():
                continue
            box = bar_box(bar, renderer, dpi)
            if any(overlap(box, b) for b in boxes):
                bar.SetVisibility(False)
                self._suppressed.append(bar)
                continue
            shown.append(bar)
            boxes.append(box)
        self.legends_drawn = shown  # what the last render showed
        self.backdrop.draw(boxes)
        captions = [b for b in (text_actor_box(t, renderer, dpi) for t in self._texts()) if b]
        self.legend_boxes = boxes + captions
        for culled in self.culled.values():
            if culled.actor.GetVisibility():
                culled.cull(renderer, self.legend_boxes)

    def shown_limit(self) -> int:
        """Bars shown at most now: ``legend_limit``, none while the legend layer is hidden
        (an overlay's own bars too, which keep their visibility for when it shows again)."""
        legend = self.scene.layers.get("legend")
        return self.legend_limit if legend is None or legend.visible else 0

    def legend_columns_px(self) -> tuple[float, float]:
        """(left, right): how far into the view the legends that show now reach from its left
        and right edges, in pixels (0 where none shows): what a preset view keeps clear."""
        renderer = self.scene.plotter.renderer
        width = renderer.GetSize()[0]
        dpi = self._dpi()
        legend_fit.fit_bar_titles(renderer)  # where the render will draw them
        left = right = 0.0
        for bar in legend_layout.to_show(renderer, self.shown_limit()):
            x0, _, x1, _ = bar_box(bar, renderer, dpi)
            if legend_layout.side(bar) == "left":
                left = max(left, x1)
            else:
                right = max(right, width - x0)
        return left, right

    def _dpi(self) -> int:
        window = self.scene.plotter.renderer.GetRenderWindow()
        return int(window.GetDPI()) if window is not None else 72

    def _texts(self) -> list:
        """The visible caption lines (text actors) of the view."""
        props = self.scene.plotter.renderer.GetViewProps()
        props.InitTraversal()
        out = []
        for _ in range(props.GetNumberOfItems()):
            p = props.GetNextProp()
            if isinstance(p, vtkTextActor) and p.GetVisibility():
                out.append(p)
        return out

    def _restore_legends(self, *_args) -> None:
        legend_layout.restore(self._suppressed)
        self._suppressed = []

    def _row_labels(self) -> None:
        """A badge just past the first rack of each row, along the row, and the median
        distance between neighbouring badges (for the label LOD)."""
        f = self.scene.facility
        self._row_label_pitch_m = np.inf
        if not (f.n_racks and len(f.row_ids)):
            self.scene.add_layer("row_labels", [])
            return
        top = float(f.rack_size_m[:, 2].max(initial=2.0))
        rows = np.unique(f.rack_row)
        first = np.searchsorted(f.rack_row, rows, side="left")
        last = np.searchsorted(f.rack_row, rows, side="right") - 1
        a, b = self.scene.rack_center[first], self.scene.rack_center[last]
        axis = a - b
        norm = np.linalg.norm(axis[:, :2], axis=1, keepdims=True)
        single = norm[:, 0] < 1e-6
        fallback = np.hstack([-f.rack_front_xy[first][:, 1:2], f.rack_front_xy[first][:, :1]])
        axis2 = np.where(single[:, None], fallback, axis[:, :2] / np.maximum(norm, 1e-9))
        pts = a.copy()
        pts[:, :2] += axis2 * (f.rack_size_m[first, 0:1] / 2 + 0.5)
        pts[:, 2] = top + 0.3
        if len(pts) > 1:
            d = np.linalg.norm(pts[:, None, :2] - pts[None, :, :2], axis=2)
            d[np.diag_indices_from(d)] = np.inf
            self._row_label_pitch_m = float(np.median(d.min(axis=1)))
        actor = self.badges(pts, [f.row_ids[i] for i in rows], 14, style.ROW_LABEL_BG, "row_labels")
        self.scene.add_layer("row_labels", [actor])

    def _rack_labels(self, want: bool) -> None:
        """Each rack's name over its front edge (when wanted)."""
        f = self.scene.facility
        self._rack_label_px = 0.0
        if not (want and f.n_racks):
            self.scene.add_layer("rack_labels", [])
            return
        front = np.hstack([f.rack_front_xy, np.zeros((f.n_racks, 1))])
        pts = self.scene.rack_center + front * (f.rack_size_m[:, 1:2] / 2)
        pts[:, 2] = f.rack_size_m[:, 2] + 0.12
        names = [r.label or r.id for r in f.racks]
        self._rack_label_px = 7.0 * max(len(n) for n in names) + 10
        self._rack_pitch_m = float(np.median(f.rack_size_m[:, 0]))
        actor = self.scene.plotter.add_point_labels(
            pts, names, font_size=11, text_color=style.LABEL_TEXT,
            shape_color=style.RACK_LABEL_BG, shape_opacity=0.75, show_points=False,
            always_visible=True, reset_camera=False, name="rack_labels",
        )  # fmt: skip
        self.cull("rack_labels", actor, pts, names)
        self.scene.add_layer("rack_labels", [actor])

    def badges(self, points, texts: list[str], font_size: int, background: str, name: str):
        """Always-readable rounded labels (rows, halls) as one actor."""
        actor = self.scene.plotter.add_point_labels(
            points,
            texts,
            font_size=font_size,
            text_color=style.LABEL_TEXT,
            shape_color=background,
            shape="rounded_rect",
            shape_opacity=0.9,
            show_points=False,
            always_visible=True,
            bold=True,
            reset_camera=False,
            name=name,
        )
        self.cull(name, actor, points, texts)
        return actor

    def cull(self, name: str, actor, points, texts: list[str]) -> None:
        """Leave ``actor``'s labels (``add_point_labels`` of ``points`` and ``texts``) out
        where they would fall on a legend, as the scene's own; ``forget(name)`` when the
        actor goes."""
        self.culled[name] = CulledLabels(actor, points, texts, self._dpi())

    def forget(self, name: str) -> None:
        self.culled.pop(name, None)

    def label_lod(self, *_args) -> None:
        """Before each render: hide labels that would overlap at the current zoom, and row and
        rack labels while the camera moves (placing them is a per-frame cost)."""
        ppm = self.scene.pixels_per_m()
        lod = getattr(self.scene, "lod", None)
        still = not (lod is not None and lod.state.interacting)
        for name, ok in (
            ("row_labels", still and ppm * self._row_label_pitch_m >= 22),
            (
                "rack_labels",
                still and ppm * getattr(self, "_rack_pitch_m", 0.0) >= 0.8 * self._rack_label_px,
            ),
        ):
            lay = self.scene.layers.get(name)
            if lay is not None:
                for a in lay.actors:
                    a.SetVisibility(bool(lay.visible and ok))

    def scalar_bar(self, actor, title: str, y: float):
        bar = vtkScalarBarActor()
        bar.SetLookupTable(actor.mapper.lookup_table)
        bar.SetTitle(title)
        bar.SetNumberOfLabels(5)
        bar.SetLabelFormat("%-#6.4g")
        bar.SetOrientationToVertical()
        bar.SetPosition(0.84, y)
        bar.SetWidth(0.1)
        bar.SetHeight(0.38)
        # the strip 40 px wide and room for five-figure tick labels beside it: VTK leaves
        # what is wider empty, and the backdrop covers the whole frame
        bar.SetBarRatio(1 / 3)
        bar.SetMaximumWidthInPixels(120)
        bar.UnconstrainedFontSizeOn()
        bar.SetTextPositionToPrecedeScalarBar()
        style.style_bar_text(bar)
        bar.SetVisibility(False)
        legend_layout.register(bar, LEGEND_PRIORITY[title], "right")
        self.scene.plotter.add_actor(bar, reset_camera=False, name=f"legend_{title}")
        return bar

    def build_legends(self) -> None:
        self.gpu_bar = (
            self.scalar_bar(self.scene.gpu_actor, "GPU", 0.52) if self.scene.gpu_actor else None
        )
        self.rack_bar = (
            self.scalar_bar(self.scene.rack_actor, "Rack", 0.08) if self.scene.rack_actor else None
        )
        layer = Layer("legend", [b for b in (self.gpu_bar, self.rack_bar) if b is not None])
        self.scene.layers["legend"] = layer

    def refresh_bars(self) -> None:
        legend_on = self.scene.layers["legend"].visible
        for bar, col in (
            (self.gpu_bar, self.scene.gpu_colouring),
            (self.rack_bar, self.scene.rack_colouring),
        ):
            if bar is not None:
                bar.SetTitle(col.name)
                bar.SetVisibility(legend_on and col.active)

    def update_link_key(self) -> None:
        entries = []
        if "power_links" in self.scene.layers and self.scene.layers["power_links"].visible:
            entries += [
                ["Power feed A", style.FEED_A],
                ["Power feed B", style.FEED_B],
                ["Upstream power", style.FEED_UP],
            ]
        if "cooling_links" in self.scene.layers and self.scene.layers["cooling_links"].visible:
            entries.append(["Liquid loop (CDU)", style.LIQUID])
        with self.scene.quiet():
            self.set_link_key(entries)

    def set_link_key(self, entries) -> None:
        self._key_entries = len(entries)
        if entries:
            self.scene.plotter.add_legend(
                entries,
                bcolor=style.BACKGROUND_BOTTOM,
                border=False,
                size=(0.16, 0.025 * len(entries) + 0.02),
                loc="lower left",
                face="line",
            )
        elif getattr(self.scene.plotter, "legend", None) is not None:
            self.scene.plotter.remove_legend()
