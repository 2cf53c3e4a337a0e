"""Declared actions: menus laid out by group and order whatever the registration order, one
id each, and the window's menus, toolbar combo and scene following the view state."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow

from twin.ui.actions import Action, ActionRegistry, Submenu

pytestmark = pytest.mark.gui


def _texts(menu) -> list[str]:
    return ["---" if a.isSeparator() else a.text() for a in menu.actions()]


def test_menus_follow_groups_and_order_not_registration(qtbot):
    win = QMainWindow()
    qtbot.addWidget(win)
    reg = ActionRegistry(win)
    hits: list[str] = []
    reg.add(Action("f.quit", "Quit", "File", "9_quit", 0, lambda: hits.append("quit")))
    reg.add(Action("f.save", "Save", "File", "2_save", 0))
    reg.add(Action("f.open", "Open", "File", "1_open", 0))
    reg.add(Action("f.recent", "Recent B", "File", "1_open", 2))
    reg.add_submenu(Submenu("File/More", "More", "1_open", 1))
    reg.add(Action("f.more.a", "Inside", "File/More", "1", 0))
    assert _texts(reg.menus["File"]) == ["Open", "More", "Recent B", "---", "Save", "---", "Quit"]
    assert _texts(reg.menus["File/More"]) == ["Inside"]
    reg["f.quit"].trigger()
    assert hits == ["quit"]
    with pytest.raises(ValueError, match="already registered"):
        reg.add(Action("f.open", "Open again", "File"))
    reg.remove("f.save")
    assert "Save" not in _texts(reg.menus["File"])


def test_exclusive_checkable_and_toggle_actions(qtbot):
    win = QMainWindow()
    qtbot.addWidget(win)
    reg = ActionRegistry(win)
    toggled: list[bool] = []
    for i, name in enumerate(("a", "b")):
        reg.add(Action(f"m.{name}", name, "View", "1", i, exclusive="pick", checked=name == "a"))
    reg.add(Action("m.t", "T", "View", "2", 0, checkable=True, on_toggle=toggled.append))
    reg["m.b"].trigger()
    assert reg["m.b"].isChecked() and not reg["m.a"].isChecked()
    reg["m.t"].trigger()
    reg["m.t"].trigger()
    assert toggled == [True, False]


def test_window_menus_combo_and_scene_follow_the_view_state(opened):
    win = opened
    reg = win.action_registry
    win.view.set_gpu_metric("power_w")  # a script, not a click
    assert reg["view.gpu_metric.power_w"].isChecked()
    combo = win.extensions["replay"].overlay.combo
    assert combo.currentData() == "power_w"
    assert win.scene.gpu_metric == "power_w"
    reg["view.gpu_metric.util_pct"].trigger()  # a click
    assert win.view.gpu_metric == "util_pct" and combo.currentData() == "util_pct"
    # a layer toggled in the menu hides the actors; set in the state, the menu follows
    reg["view.layer.power_links"].setChecked(True)
    assert win.view.layers["power_links"] and win.scene.is_visible("power_links")
    win.view.set_layer("power_links", False)
    assert not reg["view.layer.power_links"].isChecked()
    assert not win.scene.is_visible("power_links")
    # a design colouring chosen in the state colours the racks from the layout's figures
    win.view.set_design_colouring("power")
    assert reg["view.colour.power"].isChecked()
    assert win.scene.rack_colouring.active
    np.testing.assert_allclose(
        win.scene.rack_colouring.clim[1], win.facility.rack_power_w.max() / 1e3
    )


def test_thermal_overlays_follow_the_view_state(opened, qtbot):
    win = opened
    view = win.extensions["thermal_view"]
    act = win.action_registry["view.thermal.rack_inlets"]
    win.view.set_thermal_overlay("rack_inlets", True)  # a script, not the menu
    assert act.isChecked() and view.wanted()
    qtbot.waitUntil(lambda: view.layer is not None and view.answer is not None, timeout=60000)
    act.trigger()  # the menu turns it off again
    assert win.view.thermal.overlays == frozenset() and not view.wanted()


def test_no_two_actions_share_a_shortcut(opened):
    """An ambiguous shortcut fires neither action in Qt: every key sequence is used once."""
    seen: dict[str, str] = {}
    for aid, act in opened.action_registry.actions.items():
        for seq in act.shortcuts():
            key = seq.toString()
            assert key not in seen, f"{key} is both {seen[key]} and {aid}"
            seen[key] = aid


def test_camera_bookmarks_are_kept_in_the_view_state(opened):
    win = opened
    reg = win.action_registry
    win.set_view("top")
    top = tuple(win.plotter.renderer.camera.position)
    reg.trigger("view.bookmark_add")
    assert [b.name for b in win.view.bookmarks] == ["View 1"]
    assert win.view.bookmarks[0].position == pytest.approx(top)
    win.set_view("iso")
    assert tuple(win.plotter.renderer.camera.position) != pytest.approx(top)
    reg.trigger("view.bookmark.0")  # View › Bookmarks › View 1
    assert tuple(win.plotter.renderer.camera.position) == pytest.approx(top)


def test_hand_added_actions_survive_relayouts_and_separators_do_not_pile_up(qtbot):
    from PySide6.QtGui import QAction

    win = QMainWindow()
    qtbot.addWidget(win)
    reg = ActionRegistry(win)
    reg.add(Action("f.open", "Open", "File", "1_open", 0))
    menu = reg.menus["File"]
    menu.addAction("By hand")  # owned by the menu, as QMenu.addAction(text) makes it
    for i in range(5):  # each declaration lays the menu out again
        reg.add(Action(f"f.g{i}", f"G{i}", "File", f"{i + 2}_group", 0))
    assert _texts(menu) == ["Open", "---", "G0", "---", "G1", "---", "G2", "---", "G3"] + [
        "---",
        "G4",
        "---",
        "By hand",
    ]
    hand = next(a for a in menu.actions() if a.text() == "By hand")
    hand.trigger()  # still a live action after five relayouts
    separators = [a for a in menu.findChildren(QAction) if a.isSeparator()]
    assert len(separators) == 6  # the ones shown, not every one each layout made
