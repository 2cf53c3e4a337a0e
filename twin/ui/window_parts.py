"""The main window's jobs, one mixin each, so ``MainWindow`` itself holds only the session,
the view state and the scene: opening layouts (background load, errors, drag and drop, rows
menu), selection and camera (picking, tree, inspector, views), and the status bar and dialogs.
Each mixin uses only what ``MainWindow.__init__`` sets up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox, QProgressBar

from twin import __version__
from twin.model.facility import Facility
from twin.model.units import count_text, power_text
from twin.ui.actions import Action
from twin.ui.describe import Loads, item_id

LAYOUT_SUFFIXES = (".yaml", ".yml")
ROWS_IN_MENU = 60


class LoadingMixin:
    """Opening layouts in the background; the current one stays until the new one is good."""

    def open_dialog(self) -> None:
        start = str(self.facility.path.parent) if self.facility and self.facility.path else ""
        path, _ = QFileDialog.getOpenFileName(
            self, "Open Layout", start, "Twin layouts (*.yaml *.yml);;All files (*)"
        )
        if path:
            self.open_layout(path)

    def open_layout(self, path: str | Path) -> None:
        """Load a layout in the background (after every open guard agrees)."""
        path = Path(path)
        if self._loading is not None:
            self.statusBar().showMessage(f"Still loading {self._loading.name}…", 3000)
            return
        if not all(guard() for guard in self.open_guards):
            return
        self._loading = path
        self.progress.setVisible(True)
        self.status_layout.setText(f"Loading {path.name}…")
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        self._update_actions()
        self.loader.load(path)

    def reload(self) -> None:
        if self.facility is not None and self.facility.path is not None:
            self.open_layout(self.facility.path)

    def _finish_loading(self) -> None:
        self._loading = None
        self.progress.setVisible(False)
        QApplication.restoreOverrideCursor()
        self._update_actions()

    def _on_failed(self, path: Path, message: str) -> None:
        self._finish_loading()
        self._update_status()
        self.last_error = message
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Cannot open layout",
            f"{Path(path).name} was not opened; the current layout is unchanged.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setDetailedText(message)
        box.setInformativeText(message if len(message) < 1500 else message[:1500] + "…")
        box.setObjectName("layout_error_box")
        box.open()  # not exec(): the window keeps running (and tests can close it)
        self._error_box = box

    def _on_loaded(self, path: Path, facility: Facility, loads: Loads) -> None:
        self.statusBar().showMessage("Building 3D scene…")
        QApplication.processEvents()
        try:
            self.set_facility(facility, loads)
        finally:
            self._finish_loading()
        self.recent.add(path)
        self.statusBar().showMessage(f"Opened {path}", 4000)

    def _fill_rows_menu(self) -> None:
        reg = self.action_registry
        for aid in [a for a in reg.specs if a.startswith("view.along_row.")]:
            reg.remove(aid)
        f = self.facility
        for i, row in enumerate(f.row_ids[:ROWS_IN_MENU]):
            reg.add(
                Action(
                    f"view.along_row.{row}",
                    f"Row {row}",
                    "View/Along Row",
                    "1_rows",
                    i,
                    lambda r=row: self.set_view(f"row:{r}"),
                )
            )
        self.menus["View/Along Row"].setEnabled(bool(f.row_ids))

    # drag and drop of layout files
    @staticmethod
    def _dropped_layout(mime) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(LAYOUT_SUFFIXES):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self._dropped_layout(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        path = self._dropped_layout(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.open_layout(path)


class SelectionMixin:
    """One selection (in the view state) shown everywhere, picking, and the camera."""

    @property
    def selection(self) -> tuple[str, int] | None:
        sel = self.view.selection
        return None if sel is None else (sel.kind, sel.index)

    def select(self, kind: str, index: int, origin: str = "api") -> None:
        """Select one item everywhere: 3D highlight, tree, inspector, status bar."""
        f = self.facility
        if f is None or self.scene is None:
            return
        self.view.select(kind, index)
        self.scene.highlight(kind, [index])
        if origin != "tree":
            if kind == "gpu":
                self.tree.select("server", int(f.gpu_server[index]))
            elif kind == "host":
                self.tree.select("server", int(f.host_server[index]))
            else:
                self.tree.select(kind, index)
        self._show_inspector()
        self.status_selection.setText(
            f"Selected: {kind.replace('_', ' ')} {item_id(f, kind, index)}"
        )
        self._update_actions()
        self.plotter.render()
        self.selection_changed.emit(kind, int(index))

    def select_id(self, item: str) -> bool:
        """Select by id (rack, row, hall, unit, host or ``host/gpuN``); False if unknown."""
        if self.facility is None:
            return False
        found = self.facility.find(item)
        if found is None:
            self.statusBar().showMessage(f"No item {item!r} in this layout", 3000)
            return False
        self.select(*found)
        return True

    def known_gpu_uuids(self) -> dict[str, int]:
        """UUID -> GPU index: the layout's ``telemetry.gpu_uuids`` and the UUIDs the live
        source has learned from its series (the tree's search finds GPUs by them)."""
        from twin.model.gpu_search import layout_uuids

        f = self.facility
        if f is None:
            return {}
        cached = getattr(self, "_layout_uuids", None)
        if cached is None or cached[0] is not f:
            cached = self._layout_uuids = (f, layout_uuids(f))
        out = dict(cached[1])
        mapper = getattr(self.source, "mapper", None)
        if mapper is not None and hasattr(mapper, "known_uuids"):
            out.update(mapper.known_uuids())
        return out

    def clear_selection(self) -> None:
        self.view.clear_selection()
        if self.scene is not None:
            self.scene.highlight(None)
            self.plotter.render()
        self.tree.clear_selection()
        self.inspector.show_item(None, None)
        self.status_selection.setText("")
        self._update_actions()
        self.selection_changed.emit("", -1)

    def copy_selection(self) -> None:
        if self.selection and self.facility:
            QApplication.clipboard().setText(item_id(self.facility, *self.selection))

    def focus_search(self) -> None:
        self.docks["facility"].show()
        self.tree.search.setFocus()
        self.tree.search.selectAll()

    # 3D picking: a click (not the end of a rotation, see Navigation) selects what is under
    # the cursor, a double click also flies there
    def fly_to(self, x: float, y: float) -> None:
        """Select the item under display position (x, y) and bring the camera close to it."""
        hit = self.pick_at(x, y)
        if hit is not None and self.scene is not None:
            self.scene.look_at(hit.kind, [hit.index])
            self.plotter.render()

    def _camera_moving(self, moving: bool) -> None:
        """The camera started or stopped moving: the scene draws its far level meanwhile."""
        if self.scene is not None:
            self.scene.lod.set_interacting(moving)

    def pick_at(self, x: float, y: float):
        """Select what is under display position (x, y) (VTK pixels, origin bottom-left);
        clicking empty space clears the selection. Returns the ``Picked`` or None."""
        if self.scene is None:
            return None
        hit = self.scene.pick_to_item(x, y)
        if hit is None:
            self.clear_selection()
        else:
            self.select(hit.kind, hit.index, origin="3d")
        return hit

    # camera
    def bookmark_camera(self, name: str | None = None) -> str:
        """Keep the current camera in the view state (as "View N" unless named)."""
        from twin.viewstate import CameraBookmark

        cam = self.plotter.renderer.camera
        name = name or f"View {len(self.view.bookmarks) + 1}"
        self.view.add_bookmark(
            CameraBookmark(
                name,
                tuple(float(v) for v in cam.position),
                tuple(float(v) for v in cam.focal_point),
                tuple(float(v) for v in cam.up),
            )
        )
        return name

    def go_to_bookmark(self, name: str) -> None:
        """Put the camera back where a bookmark kept it."""
        mark = self.view.bookmark(name)
        cam = self.plotter.renderer.camera
        cam.position, cam.focal_point, cam.up = mark.position, mark.focal_point, mark.view_up
        self.plotter.renderer.ResetCameraClippingRange()
        self.plotter.render()

    def set_view(self, view: str) -> None:
        """A camera preset: ``top``, ``iso`` or ``row:ID``."""
        if self.scene is None:
            return
        try:
            self.scene.set_view(view)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 4000)
            return
        self.plotter.render()

    def view_selected_row(self) -> None:
        f = self.facility
        if f is None or self.scene is None:
            return
        row = None
        if self.selection is not None:
            kind, i = self.selection
            rack = {
                "rack": i,
                "gpu": int(f.gpu_rack[i]) if kind == "gpu" else -1,
                "server": int(f.server_rack[i]) if kind == "server" else -1,
            }.get(kind, -1)
            if kind == "row":
                row = i
            elif rack >= 0:
                row = int(f.rack_row[rack])
        if row is None:
            rows = np.flatnonzero(np.bincount(f.rack_row, minlength=len(f.row_ids)) > 0)
            if rows.size == 0:
                return
            row = int(rows[0])
        self.set_view(f"row:{f.row_ids[row]}")

    def frame_selection(self) -> None:
        if self.scene is not None and self.selection is not None:
            self.scene.look_at(self.selection[0], [self.selection[1]])
            self.plotter.render()


class DialogsMixin:
    """The status bar, image export, validation and the Help dialogs."""

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.status_layout = QLabel("No layout")
        self.status_selection = QLabel("")
        self.status_source = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        sb.addWidget(self.status_layout, 1)
        sb.addPermanentWidget(self.status_selection)
        sb.addPermanentWidget(self.status_source)
        sb.addPermanentWidget(self.progress)

    def _update_status(self) -> None:
        f = self.facility
        if f is None:
            self.status_layout.setText("No layout — File › Open or drop a layout here")
            return
        counts = " · ".join(
            count_text(n, noun)
            for n, noun in (
                (len(f.hall_ids), "hall"),
                (len(f.row_ids), "row"),
                (f.n_racks, "rack"),
                (f.n_gpus, "GPU"),
            )
        )
        self.status_layout.setText(
            f"{f.layout.name}   |   {counts} · {power_text(f.rack_power_w.sum())} IT"
        )

    def export_image(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Image", "twin.png", "PNG (*.png)")
        if path:
            self.save_image(path)

    def save_image(self, path: str) -> bool:
        """The view as a PNG at ``path``, atomically (``render.png.save_png``); a failure (a
        full disk, a recording chosen by mistake) is said in the status bar, the old file kept."""
        from twin.render.png import save_png

        try:
            save_png(self.plotter, path)
        except OSError as exc:
            self.statusBar().showMessage(f"Image not saved: {exc.strerror or exc}", 8000)
            return False
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def validate_layout(self) -> None:
        if self.facility is None or self.facility.path is None:
            return
        from twin.model.errors import LayoutError
        from twin.model.loader import load_layout

        try:
            f = load_layout(self.facility.path)
        except LayoutError as exc:
            QMessageBox.warning(self, "Layout problems", str(exc))
            return
        QMessageBox.information(
            self,
            "Layout valid",
            f"{self.facility.path.name} is valid: {count_text(f.n_racks, 'rack')}, "
            f"{count_text(f.n_gpus, 'GPU')}.",
        )

    def show_shortcuts(self) -> None:
        lines = [f"{title:28s} {keys}" for title, keys in self.action_registry.shortcuts()]
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(lines))

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Twin",
            f"<b>Twin {__version__}</b><br>A desktop digital twin of an AI factory: racks, power, "
            "cooling and live GPU thermals in 3D.",
        )
