"""Colours, colour maps and sizes in one place, so the CLI screenshot and the window agree."""

from __future__ import annotations

BACKGROUND_BOTTOM = "#15191e"
BACKGROUND_TOP = "#39414d"
BACKGROUND = "#272d35"  # the gradient's middle: the interactive view's plain background

FLOOR = "#4a525c"
FLOOR_GRID = "#5b6470"
SLAB = "#565b62"
WALL = "#6e7782"
WALL_EDGE = "#9aa4b0"

RACK = "#2c3139"  # NaN colour of the rack panels (no rack colouring active)
RACK_EDGE = "#65707e"
GPU = "#b6bec8"
TRAY = "#3b424c"  # server shelves under the GPUs  # NaN colour of the GPUs (no value)

AIR_UNIT = "#8fb3cf"
AIR_UNIT_OFF = "#6b5357"
CDU = "#3fb6b0"
CDU_OFF = "#5d6468"
POWER = {
    "ups": "#d9a441",
    "pdu": "#c98b3c",
    "rpp": "#b9833f",
    "switchgear": "#a9927a",
    "transformer": "#9c8f6b",
    "utility": "#b0a070",
    "busway": "#c0a060",
}
POWER_OTHER = "#b89a6a"
POWER_OFF = "#6b5357"

FEED_A = "#ffae33"
FEED_B = "#e0609e"
FEED_UP = "#ffe08a"
LIQUID = "#2fc4ff"

SUPPLY_FLOOR = "#5a86ad"
RETURN = "#e88a7a"
CONTAIN_COLD = "#5ab4f0"
CONTAIN_HOT = "#f08a5a"
SENSOR = "#f2f2f2"

SELECTION = "#00e5ff"
LABEL_TEXT = "#f3f5f7"
ROW_LABEL_BG = "#1f6fb2"
HALL_LABEL_BG = "#3d4652"
RACK_LABEL_BG = "#20252c"

#: Default colour maps per quantity; anything matplotlib knows also works.
CMAP_TEMPERATURE = "turbo"  # visible at both ends on the dark background
#: Air temperature (slices) has a map of its own, so that one colour never means both an air
#: and a GPU temperature (their ranges differ: 15-45 C against 20-95 C).
CMAP_AIR = "coolwarm"
CMAP_POWER = "viridis"
CMAP_DEFAULT = "viridis"
CMAP_CATEGORY = "tab20"


LEGEND_BG_OPACITY = 0.82


def hex_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) in 0..255."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def style_bar_text(bar) -> None:
    """The text of every colour bar (a ``vtkScalarBarActor``): light Arial, bold title."""
    for prop, size in ((bar.GetTitleTextProperty(), 13), (bar.GetLabelTextProperty(), 12)):
        prop.SetColor(0.95, 0.96, 0.97)
        prop.SetFontSize(size)
        prop.ShadowOff()
        prop.ItalicOff()
        prop.SetFontFamilyToArial()
    bar.GetTitleTextProperty().BoldOn()
    bar.GetLabelTextProperty().BoldOff()
    # a box behind the bar and its text, so it reads over racks and slices alike
    bar.DrawBackgroundOn()
    bg = bar.GetBackgroundProperty()
    bg.SetColor(*(c / 255 for c in hex_rgb(BACKGROUND_BOTTOM)))
    bg.SetOpacity(LEGEND_BG_OPACITY)
    bar.DrawFrameOn()
    bar.GetFrameProperty().SetColor(*(c / 255 for c in hex_rgb(RACK_EDGE)))
