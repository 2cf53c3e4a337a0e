"""View › Show All Legends: the 3D view shows two colour bars by default (the GPU metric and
the thermal overlay on show, ``twin.render.legend_layout``); this shows every active one,
stacked without overlap. The choice is kept in the window's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twin.render.legend_layout import DEFAULT_LIMIT

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

SETTING = "view/all_legends"
ALL = 8


class LegendActions:
    """``window.extensions["legend_actions"]``."""

    def __init__(self, window: MainWindow):
        from twin.ui.actions import Action

        self.window = window
        on = str(window.settings.value(SETTING, "false")).lower() == "true"
        self.action = window.action_registry.add(
            Action(
                "view.all_legends",
                "Show All &Legends",
                "View",
                "3_colour",
                90,
                checkable=True,
                checked=on,
                tip="Show every active colour bar, not only the GPU metric and the thermal overlay",
                on_toggle=self.set_all,
            )
        )
        window.layout_loaded.connect(lambda _f: self.apply())

    @property
    def limit(self) -> int:
        return ALL if self.action.isChecked() else DEFAULT_LIMIT

    def set_all(self, on: bool) -> None:
        self.window.settings.setValue(SETTING, "true" if on else "false")
        self.apply()

    def apply(self) -> None:
        scene = self.window.scene
        if scene is None:
            return
        scene.labels.legend_limit = self.limit
        self.window.plotter.render()


def install(window: MainWindow) -> LegendActions:
    return LegendActions(window)
