"""What the thermal overlays say in words and marks: the air and inlet colour bars (A1 bands
annotated), the caption line, and the red outline and "FAILED" tag of failed air units. No Qt.
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import vtkTextActor

from twin.render import geometry as geo
from twin.render import style
from twin.render.thermal_inlets import A1_ALLOWABLE_C, A1_RECOMMENDED_C, inlet_lookup_table

FAILED_COLOUR = "#ff4d4d"


def scalar_bar(lut, title: str, pos: tuple[float, float], labels: int) -> vtkScalarBarActor:
    """A vertical colour bar on the left of the view, styled like the scene's own bars."""
    bar = vtkScalarBarActor()
    bar.SetLookupTable(lut)
    bar.SetTitle(title)
    bar.SetNumberOfLabels(labels)
    bar.SetLabelFormat("%-4.0f")
    bar.SetOrientationToVertical()
    bar.SetPosition(*pos)
    bar.SetWidth(0.12)
    bar.SetHeight(0.38)
    bar.SetBarRatio(0.32)  # a 40 px strip and its labels; wider frames are left empty
    bar.SetMaximumWidthInPixels(130)
    bar.UnconstrainedFontSizeOn()
    bar.SetTextPositionToSucceedScalarBar()
    style.style_bar_text(bar)
    return bar


def inlet_bar() -> vtkScalarBarActor:
    """The inlet bar: A1 band edges written beside it instead of tick labels."""
    bar = scalar_bar(inlet_lookup_table(), "Rack inlet (°C)", (0.015, 0.07), 0)
    lut = bar.GetLookupTable()
    for value, text in (
        (A1_ALLOWABLE_C[0], "15 A1 allowable"),
        (A1_RECOMMENDED_C[0], "18 recommended"),
        (A1_RECOMMENDED_C[1], "27 recommended"),
        (A1_ALLOWABLE_C[1], "32 allowable"),
    ):
        lut.SetAnnotation(value, text)
    bar.SetDrawAnnotations(True)
    bar.SetAnnotationTextScaling(False)
    bar.SetDrawTickLabels(False)
    # no tick labels: a frame just wider than the strip, the notes beside it on the backdrop
    bar.SetMaximumWidthInPixels(60)
    bar.SetBarRatio(0.7)
    bar.SetTextPositionToPrecedeScalarBar()  # annotations go opposite: right
    prop = bar.GetAnnotationTextProperty()
    prop.SetColor(0.95, 0.96, 0.97)
    prop.SetFontSize(12)
    prop.SetFontFamilyToArial()
    prop.ShadowOff()
    prop.ItalicOff()
    prop.SetJustificationToLeft()  # the notes start at the strip (see overlays._annotate)
    return bar


def caption_actor() -> vtkTextActor:
    """The caption line at the top left (where the slices are, what an arrow means)."""
    note = vtkTextActor()
    note.GetTextProperty().SetFontSize(13)
    note.GetTextProperty().SetColor(0.95, 0.96, 0.97)
    note.GetTextProperty().SetFontFamilyToArial()
    note.GetTextProperty().SetBackgroundColor(
        *(c / 255 for c in style.hex_rgb(style.BACKGROUND_BOTTOM))
    )
    note.GetTextProperty().SetBackgroundOpacity(style.LEGEND_BG_OPACITY)
    note.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    note.SetPosition(0.015, 0.955)
    return note


def failed_unit_actors(scene, units: list[int]) -> list:
    """A red outline round each failed air unit (facility indices) and a "FAILED" tag above
    it, so the picture says why the room runs hot."""
    plotter = scene.plotter
    c, size, rot = scene.item_boxes("air_unit", units)
    pad = np.stack([size[:, 0] * 0.04 + 0.02, size[:, 1] * 0.04 + 0.02], 1)
    grown = size + np.hstack([pad, np.full((len(units), 1), 0.03)])
    lifted = c + [0.0, 0.0, 0.015]  # standing on the floor, not through it
    edges = plotter.add_mesh(
        geo.box_edges(lifted, grown, rot),
        color=FAILED_COLOUR,
        line_width=3,
        lighting=False,
        pickable=False,
        reset_camera=False,
        name="failed_units",
    )
    top = c.copy()
    top[:, 2] = size[:, 2] + 0.25
    ids = scene.facility.air_unit_ids
    texts = [f"{ids[i]} FAILED" for i in units]
    tags = plotter.add_point_labels(
        top,
        texts,
        font_size=12,
        text_color="#ffffff",
        shape_color=FAILED_COLOUR,
        shape="rounded_rect",
        shape_opacity=0.9,
        show_points=False,
        always_visible=True,
        bold=True,
        reset_camera=False,
        name="failed_unit_tags",
    )
    scene.labels.cull("failed_unit_tags", tags, top, texts)  # never under a legend
    return [edges, tags]
