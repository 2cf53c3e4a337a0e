"""The compare dialog's three horizontal slices (Twin, CFD, Twin − CFD) with their colour
bars and arrows (``SlicePanel``), and the fields they are cut from (``Cuts``): cut again at
another height, the images, arrows, bars and titles change and the zoom and pan stay, so
the same racks can be looked at from the floor to the ceiling without a new solve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from twin.model import units
from twin.ui.slice_views import SliceView, link

#: Grey of solids on a slice, and of air the CFD field does not reach.
SOLID_GREY, NO_DATA_GREY = 90, 200
#: A slice image's width (px): at least SLICE_PX, CELL_PX a cell (a factory hall's 213
#: cells: 852 px, to zoom into; ``slice_views``), at most MAX_SLICE_PX.
SLICE_PX, CELL_PX, MAX_SLICE_PX = 300, 4, 2400
#: A colour bar's height (px) under its slice.
BAR_PX = 12


def slice_image(
    field: np.ndarray,
    lo: float,
    hi: float,
    cmap: str,
    width_px: int = 300,
    no_data: np.ndarray | None = None,
) -> QImage:
    """A (nx, ny) slice as an image about ``width_px`` wide, x to the right and y up; NaN
    (solids) dark grey, and ``no_data`` cells (air without a value) light grey."""
    from matplotlib import colormaps

    scale = max(width_px // max(field.shape[0], 1), 1)
    f = np.asarray(field, float).T[::-1]  # rows: y from the top
    norm = np.clip((f - lo) / max(hi - lo, 1e-9), 0, 1)
    rgb = (colormaps[cmap](np.nan_to_num(norm))[..., :3] * 255).astype(np.uint8)
    rgb[~np.isfinite(f)] = SOLID_GREY
    if no_data is not None:
        rgb[np.asarray(no_data, bool).T[::-1]] = NO_DATA_GREY
    rgb = np.ascontiguousarray(np.repeat(np.repeat(rgb, scale, 0), scale, 1))
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def bar_image(cmap: str, width_px: int = 256) -> QImage:
    """Colour map ``cmap`` from 0 (left) to 1 (right), ``BAR_PX`` high, as ``slice_image``
    colours a slice."""
    from matplotlib import colormaps

    strip = (colormaps[cmap](np.linspace(0.0, 1.0, width_px))[:, :3] * 255).astype(np.uint8)
    rgb = np.ascontiguousarray(np.repeat(strip[None], BAR_PX, 0))
    return QImage(rgb.data, width_px, BAR_PX, 3 * width_px, QImage.Format.Format_RGB888).copy()


class ColourBar(QWidget):
    """The scale a slice is coloured on: its colour map as a strip the slice's width, the
    two ends and the middle labelled in ``unit``. The titles gave only the range; a colour
    between them could not be read as a temperature."""

    def __init__(self, cmap: str, unit: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.unit = unit
        strip = QLabel()
        strip.setObjectName("colour_bar_strip")
        strip.setPixmap(QPixmap.fromImage(bar_image(cmap)))
        strip.setScaledContents(True)
        strip.setFixedHeight(BAR_PX)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(1)
        box.addWidget(strip)
        ticks = QHBoxLayout()
        self.ticks = []
        for align in (
            Qt.AlignmentFlag.AlignLeft,
            Qt.AlignmentFlag.AlignHCenter,
            Qt.AlignmentFlag.AlignRight,
        ):
            label = QLabel()
            label.setAlignment(align)
            ticks.addWidget(label, 1)
            self.ticks.append(label)
        box.addLayout(ticks)

    def set_range(self, lo: float, hi: float) -> None:
        """Label the ends ``lo`` and ``hi`` and the middle (a difference signed: +0.0 K)."""
        for label, value in zip(self.ticks, (lo, 0.5 * (lo + hi), hi), strict=True):
            label.setText(
                f"{units.signed_text(value)} {self.unit}"
                if self.unit == "K"
                else f"{value:.1f} {self.unit}"
            )

    def labels(self) -> list[str]:
        return [t.text() for t in self.ticks]


#: The three slices: title, colour map and the unit of its bar.
COLUMNS = (("Twin", "inferno", "°C"), ("CFD", "inferno", "°C"), ("Twin − CFD", "coolwarm", "K"))


class SlicePanel(QWidget):
    """Twin and CFD on one temperature scale, and their difference on a symmetric one; the
    two models' air velocities (when given) as arrows on one speed scale, kept for every cut
    so that arrows at two heights compare. ``held``: the source left cells out behind the
    rack rears (``CfdField.held_cells``)."""

    def __init__(self, speed_scale_ms: float = 1.0, held: bool = False, parent=None):
        super().__init__(parent)
        self.speed_scale_ms = speed_scale_ms
        self.held = held
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.titles = [QLabel() for _ in COLUMNS]
        self.bars = [ColourBar(cmap, unit) for _, cmap, unit in COLUMNS]
        self.views: list[SliceView] = []
        for col, (title, bar) in enumerate(zip(self.titles, self.bars, strict=True)):
            bar.setObjectName(f"cfd_colour_bar_{col}")
            grid.addWidget(title, 0, col)
            grid.addWidget(bar, 2, col)
        grid.setRowStretch(1, 1)

    def show_cut(
        self,
        twin_slice: np.ndarray,
        cfd_slice: np.ndarray,
        z_m: float,
        twin_vel: np.ndarray | None = None,
        cfd_vel: np.ndarray | None = None,
    ) -> None:
        """Draw one height's slices (the first call makes the views; later ones keep their
        zoom and pan)."""
        both = np.concatenate(
            [twin_slice[np.isfinite(twin_slice)], cfd_slice[np.isfinite(cfd_slice)]]
        )
        lo, hi = (float(both.min()), float(both.max())) if both.size else (15.0, 45.0)
        diff = twin_slice - cfd_slice
        d = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 1.0
        no_data = np.isfinite(twin_slice) & ~np.isfinite(cfd_slice)
        grey = "beyond its field, or behind a rack rear" if self.held else "beyond its field"
        titles = (
            f"Twin, z = {z_m:.2f} m",
            f"CFD (light grey: {grey})" if no_data.any() else "CFD",
            "Twin − CFD",
        )
        fields = ((twin_slice, lo, hi), (cfd_slice, lo, hi), (diff, -d, d))
        vels = (twin_vel, cfd_vel, None) if twin_vel is not None and cfd_vel is not None else ()
        for col, ((f, a, b), (_, cmap, _)) in enumerate(zip(fields, COLUMNS, strict=True)):
            width_px = min(max(SLICE_PX, CELL_PX * f.shape[0]), MAX_SLICE_PX)
            image = slice_image(f, a, b, cmap, width_px, no_data=no_data if col else None)
            if len(self.views) <= col:
                view = SliceView(image)
                view.setObjectName(f"cfd_slice_{col}")
                self.layout().addWidget(view, 1, col)
                self.views.append(view)
            else:
                self.views[col].set_image(image)
            vel = vels[col] if vels else None
            if vel is not None:
                self.views[col].set_arrows(vel, image.width() / f.shape[0], self.speed_scale_ms)
            else:
                self.views[col].clear_arrows()
            self.titles[col].setText(titles[col])
            self.bars[col].set_range(a, b)
        link(self.views)


@dataclass
class Cuts:
    """What a comparison's slices are cut from: Twin's and the CFD's air on Twin's grid
    ((nx, ny, nz), NaN in solids) and their air velocities ((nx, ny, nz, 3) or None), or a
    stored reference's one plane ((nx, ny), velocities (nx, ny, 2)), which has one height."""

    twin_c: np.ndarray
    cfd_c: np.ndarray
    cell_m: float
    z_m: float  # the height shown first
    twin_vel: np.ndarray | None = None
    cfd_vel: np.ndarray | None = None

    @property
    def heights_m(self) -> tuple[float, float] | None:
        """The lowest and highest cell centres a cut can be made at, or None for one plane."""
        if self.twin_c.ndim != 3:
            return None
        return 0.5 * self.cell_m, (self.twin_c.shape[2] - 0.5) * self.cell_m

    def at(self, z_m: float) -> tuple:
        """(Twin's slice, the CFD's, z_m, Twin's horizontal air, the CFD's) at ``z_m``: the
        layer of cells that holds it (a plane: itself, whatever ``z_m``)."""
        if self.twin_c.ndim != 3:
            return self.twin_c, self.cfd_c, self.z_m, self.twin_vel, self.cfd_vel
        k = min(max(int(z_m / self.cell_m), 0), self.twin_c.shape[2] - 1)
        vel = self.twin_vel is not None and self.cfd_vel is not None
        return (
            self.twin_c[:, :, k],
            self.cfd_c[:, :, k],
            z_m,
            self.twin_vel[:, :, k, :2] if vel else None,
            self.cfd_vel[:, :, k, :2] if vel else None,
        )
