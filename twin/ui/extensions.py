"""Window features that live in their own modules (replay, thermal overlays, editing, live
status) and attach themselves to the main window through its public API, so each can grow
without editing ``main_window.py``.

Each module named in ``EXTENSIONS`` has ``install(window) -> object`` and may keep state on
the object it returns; the window keeps those in ``window.extensions[name]``.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

log = logging.getLogger(__name__)

#: Installed in this order; a module that does not exist in this checkout is skipped.
EXTENSIONS = (
    "twin.ui.replay",
    "twin.ui.thermal_view",
    "twin.ui.cfd_compare",
    "twin.ui.cfd_case_action",
    "twin.ui.editor",
    "twin.ui.live",
    "twin.ui.plugins_ui",
    "twin.ui.energy_dock",
    "twin.ui.export_actions",
    "twin.ui.whatif_dock",
    "twin.ui.worst_dock",
    "twin.ui.inspector_elevation",
    "twin.ui.all_halls",
    "twin.ui.legend_actions",
)


def install_extensions(window: MainWindow) -> dict[str, Any]:
    installed: dict[str, Any] = {}
    window.extensions = installed  # filled as they install: a later one may use an earlier
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        installed[name.rsplit(".", 1)[-1]] = module.install(window)
    return installed
