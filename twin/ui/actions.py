"""Declared window actions: every menu item, shortcut and toolbar button is an ``Action`` with
an id, a menu path, a group and an order, registered with the window's ``ActionRegistry``.

Extensions contribute actions and submenus through the registry instead of inserting items by
position or patching the window (napari's app-model actions are the model). A menu is laid out
from its declarations: groups sorted by name (``"1_open"`` before ``"9_quit"``), separators
between groups, items by ``order`` within a group, so where an item lands never depends on
which extension was installed first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QWidget

#: Top-level menus, in menu-bar order.
MENUS = ("File", "Edit", "View", "Playback", "Tools", "Help")


@dataclass(frozen=True)
class Action:
    """One command the user can trigger.

    ``menu``: a path such as ``"View/Colour By"`` (a submenu declared with ``Submenu``), or ""
    for an action that lives only in a toolbar or as a shortcut. ``exclusive``: the name of a
    group of checkable actions of which one is checked (radio items). ``toolbar``: the toolbar
    it also appears in, placed by ``toolbar_order``.
    """

    id: str
    title: str
    menu: str = ""
    group: str = "5_other"
    order: float = 0.0
    callback: Callable[..., object] | None = None
    shortcut: str | QKeySequence.StandardKey | None = None
    tip: str = ""
    checkable: bool = False
    checked: bool = False
    exclusive: str = ""
    toolbar: str = ""
    toolbar_order: float = 0.0
    #: Passed the checked state (``toggled``) instead of nothing (``triggered``).
    on_toggle: Callable[[bool], object] | None = None


@dataclass(frozen=True)
class Submenu:
    """A submenu at ``path`` (e.g. ``"View/Layers"``), placed in its parent like an action."""

    path: str
    title: str
    group: str = "5_other"
    order: float = 0.0


class ActionRegistry(QObject):
    """The actions of one main window, by id, and the menus and toolbars built from them."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.specs: dict[str, Action] = {}
        self.submenus: dict[str, Submenu] = {}
        self.menus: dict[str, QMenu] = {}
        self.toolbars: dict[str, QToolBar] = {}
        self._exclusive: dict[str, QActionGroup] = {}
        bar = window.menuBar()
        for name in MENUS:
            menu = bar.addMenu(f"&{name}")
            menu.setObjectName(f"menu_{name}")
            self.menus[name] = menu

    # ------------------------------------------------------------------ declaring
    def add(self, spec: Action) -> QAction:
        """Register an action (its id must be new) and place it in its menu and toolbar."""
        if spec.id in self.specs:
            raise ValueError(f"action {spec.id!r} is already registered")
        act = QAction(spec.title, self.window)
        act.setObjectName(spec.id)
        if spec.shortcut is not None:
            act.setShortcut(QKeySequence(spec.shortcut))
        if spec.tip:
            act.setStatusTip(spec.tip)
            act.setToolTip(spec.tip)
        if spec.checkable or spec.exclusive:
            act.setCheckable(True)
            act.setChecked(spec.checked)
        if spec.exclusive:
            group = self._exclusive.get(spec.exclusive)
            if group is None:
                group = self._exclusive[spec.exclusive] = QActionGroup(self)
            group.addAction(act)
        if spec.on_toggle is not None:
            act.toggled.connect(spec.on_toggle)
        elif spec.callback is not None:
            cb = spec.callback
            act.triggered.connect(lambda _checked=False: cb())
        self.specs[spec.id] = spec
        self.actions[spec.id] = act
        if spec.menu:
            self._layout(spec.menu)
        if spec.toolbar:
            self._layout_toolbar(spec.toolbar)
        return act

    def add_submenu(self, sub: Submenu) -> QMenu:
        parent = sub.path.rsplit("/", 1)[0]
        if parent not in self.menus:
            raise ValueError(f"no menu {parent!r} for submenu {sub.path!r}")
        if sub.path in self.menus:
            return self.menus[sub.path]
        menu = QMenu(sub.title, self.window)
        menu.setObjectName(f"menu_{sub.path}")
        self.submenus[sub.path] = sub
        self.menus[sub.path] = menu
        self._layout(parent)
        return menu

    def remove(self, action_id: str) -> None:
        """Drop an action (e.g. one item of a list that changed)."""
        spec = self.specs.pop(action_id, None)
        act = self.actions.pop(action_id, None)
        if spec is None or act is None:
            return
        if spec.exclusive in self._exclusive:
            self._exclusive[spec.exclusive].removeAction(act)
        for widget in list(act.associatedObjects()):
            if isinstance(widget, QMenu | QToolBar):
                widget.removeAction(act)
        act.deleteLater()

    def __getitem__(self, action_id: str) -> QAction:
        return self.actions[action_id]

    def trigger(self, action_id: str) -> None:
        self.actions[action_id].trigger()

    # ------------------------------------------------------------------ layout
    def _entries(self, path: str) -> list[tuple[str, float, str, object]]:
        items: list[tuple[str, float, str, object]] = []
        for spec in self.specs.values():
            if spec.menu == path:
                items.append((spec.group, spec.order, spec.title, self.actions[spec.id]))
        for sub in self.submenus.values():
            if sub.path.rsplit("/", 1)[0] == path:
                items.append((sub.group, sub.order, sub.title, self.menus[sub.path]))
        items.sort(key=lambda e: (e[0], e[1], e[2]))
        return items

    def _layout(self, path: str) -> None:
        """Lay a menu out again from its declarations."""
        menu = self.menus[path]
        ours = set(self.actions.values()) | {m.menuAction() for m in self.menus.values()}
        # actions a widget put there by hand (not declared) keep their place after ours
        foreign = [a for a in live_actions(menu) if a not in ours and not a.isSeparator()]
        for act in foreign:
            if act.parent() is menu:  # clear() deletes the actions the menu owns
                act.setParent(self.window)
        menu.clear()  # our separators go (deleted, not left to pile up as the menu's children)
        last_group = None
        for group, _order, _title, item in self._entries(path):
            if last_group is not None and group != last_group:
                menu.addSeparator()
            last_group = group
            if isinstance(item, QMenu):
                menu.addMenu(item)
            else:
                menu.addAction(item)
        if foreign:
            menu.addSeparator()
            menu.addActions(foreign)

    def toolbar(self, name: str) -> QToolBar:
        bar = self.toolbars.get(name)
        if bar is None:
            bar = self.window.addToolBar(name)
            bar.setObjectName(f"toolbar_{name}")
            bar.setMovable(True)
            self.toolbars[name] = bar
        return bar

    def _layout_toolbar(self, name: str) -> None:
        bar = self.toolbar(name)
        ids = sorted((s.toolbar_order, s.id) for s in self.specs.values() if s.toolbar == name)
        for act in live_actions(bar):
            if act.objectName() in self.actions:
                bar.removeAction(act)
        widgets_first = live_actions(bar)  # widgets an extension put there stay after ours
        anchor = widgets_first[0] if widgets_first else None
        for _order, aid in ids:
            if anchor is not None:
                bar.insertAction(anchor, self.actions[aid])
            else:
                bar.addAction(self.actions[aid])

    def shortcuts(self) -> list[tuple[str, str]]:
        """(title, shortcut) of every action with a shortcut, in menu order."""
        out = []
        for spec in sorted(self.specs.values(), key=lambda s: (s.menu, s.group, s.order)):
            seq = self.actions[spec.id].shortcut()
            if not seq.isEmpty():
                out.append((spec.title.replace("&", ""), seq.toString()))
        return out


def live_actions(widget: QWidget) -> list[QAction]:
    """A widget's actions, less any entry that comes back as another type: shiboken hands back
    a stale wrapper of a deleted non-QObject (a GL surface, say) for an object Qt has since
    allocated at its address, and such an entry can be asked nothing."""
    return [a for a in widget.actions() if isinstance(a, QAction)]
