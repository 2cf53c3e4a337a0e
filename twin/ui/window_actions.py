"""The main window's own actions, declared (id, menu, group, order) and bound to the view
state: checkable items follow ``ViewState`` events, so a menu, a toolbar button and a script
changing the state always agree, and nothing reads a checkbox back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence

from twin.model.metrics import DESIGN_COLOURINGS, GPU_METRICS
from twin.ui.actions import Action, Submenu

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

#: Layer names and the labels the View menu shows for them.
LAYER_LABELS = {
    "racks": "Racks",
    "gpus": "GPUs",
    "servers": "Server trays",
    "air_units": "Air units",
    "cdus": "CDUs",
    "power_devices": "Power devices",
    "power_links": "Power connections",
    "cooling_links": "Cooling connections",
    "supplies": "Floor tiles / diffusers",
    "returns": "Return grilles",
    "containment": "Containment",
    "sensors": "Sensors",
    "hall_labels": "Hall labels",
    "row_labels": "Row labels",
    "rack_labels": "Rack labels",
    "walls": "Walls",
    "floor": "Floor",
    "legend": "Legend",
}
S = QKeySequence.StandardKey


def declare(w: MainWindow) -> None:
    """Register the window's File, Edit, View, Playback, Tools and Help actions."""
    _file(w)
    _edit(w)
    _view(w)
    _colouring(w)
    _layers(w)
    reg = w.action_registry
    reg.add(
        Action(
            "playback.pause",
            "&Pause / Play",
            "Playback",
            "1_transport",
            0,
            w.toggle_pause,
            "Space",
            "Pause a replay, or hold the view still while live data keeps arriving",
        )
    )
    reg.add(
        Action(
            "playback.disconnect", "&Disconnect Source", "Playback", "9_source", 0, w.stop_source
        )
    )
    reg.add(
        Action(
            "tools.validate",
            "&Validate Layout",
            "Tools",
            "1_check",
            0,
            w.validate_layout,
            "Ctrl+Shift+V",
        )
    )
    reg.add(
        Action(
            "help.shortcuts",
            "&Keyboard Shortcuts",
            "Help",
            "1_help",
            0,
            w.show_shortcuts,
            S.HelpContents,
        )
    )
    reg.add(Action("help.about", "&About Twin", "Help", "9_about", 0, w.show_about))


def _file(w: MainWindow) -> None:
    reg = w.action_registry
    reg.add(
        Action(
            "file.open", "&Open Layout…", "File", "1_open", 0, w.open_dialog, S.Open, toolbar="Main"
        )
    )
    reg.add_submenu(Submenu("File/Open Recent", "Open &Recent", "1_open", 5))
    reg.add(Action("file.reload", "Re&load", "File", "1_open", 9, w.reload, S.Refresh))
    reg.add(
        Action(
            "file.export_image",
            "&Export Image…",
            "File",
            "3_export",
            0,
            w.export_image,
            "Ctrl+Shift+E",
            "Save the 3D view as PNG",
        )
    )
    reg.add(Action("file.quit", "&Quit", "File", "9_quit", 0, w.close, S.Quit))


def _edit(w: MainWindow) -> None:
    reg = w.action_registry
    reg.add(
        Action("edit.copy_id", "&Copy Item Id", "Edit", "3_selection", 0, w.copy_selection, S.Copy)
    )
    reg.add(Action("edit.find", "&Find…", "Edit", "3_selection", 1, w.focus_search, S.Find))
    reg.add(
        Action(
            "edit.clear_selection",
            "Clear &Selection",
            "Edit",
            "3_selection",
            2,
            w.clear_selection,
            "Esc",
        )
    )


def _view(w: MainWindow) -> None:
    reg = w.action_registry
    for i, (vid, title, key) in enumerate(
        (("top", "&Top", "Ctrl+1"), ("iso", "&Isometric", "Ctrl+2"))
    ):
        reg.add(
            Action(
                f"view.{vid}",
                title,
                "View",
                "1_camera",
                i,
                lambda v=vid: w.set_view(v),
                key,
                toolbar="Main",
                toolbar_order=10 + i,
            )
        )
    reg.add(
        Action(
            "view.home",
            "&Home (Whole Site)",
            "View",
            "1_camera",
            1.5,
            lambda: w.set_view("iso"),
            "Home",
        )
    )
    reg.add(
        Action(
            "view.row",
            "Along Selected &Row",
            "View",
            "1_camera",
            2,
            w.view_selected_row,
            "Ctrl+3",
            "Look along the selected rack's row from its cold aisle",
            toolbar="Main",
            toolbar_order=12,
        )
    )
    reg.add_submenu(Submenu("View/Along Row", "Along Row", "1_camera", 3))
    reg.add(
        Action(
            "view.frame",
            "&Frame Selection",
            "View",
            "1_camera",
            4,
            w.frame_selection,
            "F",
            toolbar="Main",
            toolbar_order=13,
        )
    )
    reg.add_submenu(Submenu("View/Panels", "&Panels", "9_panels", 0))
    _bookmarks(w)


def _colouring(w: MainWindow) -> None:
    reg, view = w.action_registry, w.view
    reg.add_submenu(Submenu("View/Colour By", "&Colour By", "3_colour", 0))
    choices = [("none", "Nothing")] + [(k, m.title) for k, m in DESIGN_COLOURINGS.items()]
    for i, (name, title) in enumerate(choices):
        reg.add(
            Action(
                f"view.colour.{name}",
                title,
                "View/Colour By",
                "1_design",
                i,
                lambda n=name: view.set_design_colouring(n),
                exclusive="design_colouring",
                checked=name == view.design_colouring,
            )
        )
    reg.add_submenu(Submenu("View/Live GPU Metric", "Live &GPU Metric", "3_colour", 1))
    for i, (name, metric) in enumerate(GPU_METRICS.items()):
        reg.add(
            Action(
                f"view.gpu_metric.{name}",
                metric.menu_title,
                "View/Live GPU Metric",
                "1_metric",
                i,
                lambda n=name: view.set_gpu_metric(n),
                exclusive="gpu_metric",
                checked=name == view.gpu_metric,
            )
        )

    def follow_metric(name: str) -> None:
        act = reg.actions.get(f"view.gpu_metric.{name}")
        if act is not None and not act.isChecked():
            act.setChecked(True)

    def follow_colouring(name: str) -> None:
        reg.actions[f"view.colour.{name}"].setChecked(True)

    view.events.gpu_metric.connect(follow_metric)
    view.events.design_colouring.connect(follow_colouring)


def _layers(w: MainWindow) -> None:
    reg, view = w.action_registry, w.view
    reg.add_submenu(Submenu("View/Layers", "&Layers", "3_colour", 2))
    for i, (name, label) in enumerate(LAYER_LABELS.items()):
        links = name in ("power_links", "cooling_links")
        reg.add(
            Action(
                f"view.layer.{name}",
                label,
                "View/Layers",
                "1_layers",
                i,
                checkable=True,
                on_toggle=lambda on, n=name: view.set_layer(n, on),
                toolbar="Main" if links else "",
                toolbar_order=20 + i,
            )
        )

    def follow_layers(layers: dict[str, bool]) -> None:
        for name, on in layers.items():
            act = reg.actions.get(f"view.layer.{name}")
            if act is not None and act.isChecked() != on:
                act.blockSignals(True)
                act.setChecked(on)
                act.blockSignals(False)

    view.events.layers.connect(follow_layers)


def _bookmarks(w: MainWindow) -> None:
    """View › Bookmark This View keeps the camera in the view state; View › Bookmarks lists
    the kept cameras and flies back to one."""
    reg, view = w.action_registry, w.view
    reg.add(
        Action(
            "view.bookmark_add",
            "&Bookmark This View",
            "View",
            "1_camera",
            6,
            w.bookmark_camera,
            "Ctrl+B",
            "Keep this camera under View › Bookmarks",
        )
    )
    reg.add_submenu(Submenu("View/Bookmarks", "Book&marks", "1_camera", 7))

    def fill(bookmarks) -> None:
        for aid in [a for a in reg.specs if a.startswith("view.bookmark.")]:
            reg.remove(aid)
        for i, mark in enumerate(bookmarks):
            reg.add(
                Action(
                    f"view.bookmark.{i}",
                    mark.name,
                    "View/Bookmarks",
                    "1_marks",
                    i,
                    lambda n=mark.name: w.go_to_bookmark(n),
                )
            )
        w.menus["View/Bookmarks"].setEnabled(bool(bookmarks))

    view.events.bookmarks.connect(fill)
    fill(view.bookmarks)
