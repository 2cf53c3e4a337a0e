"""Render Twin's SVG icon to a PNG of a given size (for the Linux icon theme, and as the
source of Windows' .ico and macOS's .icns): ``python render_icon.py in.svg out.png 256``."""

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer


def main(src: str, out: str, size: int) -> None:
    app = QGuiApplication([])  # noqa: F841 - QPainter needs an application
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(src).render(painter)
    painter.end()
    if not image.save(out):
        raise SystemExit(f"cannot write {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
