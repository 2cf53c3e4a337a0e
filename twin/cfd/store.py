"""Write a layout's ``physics:`` block (calibrated parameters and their provenance) through
the round-trip saver, so the author's comments and ordering survive and the file is replaced
only once it reads back equal."""

from __future__ import annotations

from pathlib import Path

from twin.model.document import LayoutDocument
from twin.model.save import save
from twin.model.schema import Calibration, Physics


def store_physics(
    layout_path: str | Path, out_path: str | Path | None, params: dict, prov: dict
) -> Path:
    """Set the layout's ``physics:`` block and save it (to ``out_path`` or in place)."""
    src = Path(layout_path)
    doc = LayoutDocument.from_text(src.read_text(), src)
    block = Physics(**params, calibration=Calibration(**prov))
    doc.layout = doc.layout.model_copy(update={"physics": block})
    doc.facility.layout = doc.layout
    return save(doc, out_path if out_path is not None else src)
