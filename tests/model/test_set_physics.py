"""A fit from the window lands in the layout as one undoable edit (``edits.SetPhysics``):
the facility is rebuilt so that every solve after it uses the parameters, undo puts the
layout's own back, and a save writes the block beside the author's comments."""

from __future__ import annotations

import pytest

from twin.model import edits as E
from twin.model.document import LayoutDocument
from twin.model.errors import EditError
from twin.model.loader import load_layout
from twin.model.save import save
from twin.model.schema import Calibration, Physics
from twin.physics.params import PhysicsParams

LAYOUT = """\
format: twin-layout/1
name: physics test  # the room calibrated below
halls: [{id: H1, size_m: [12, 10, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [2.0, 3.0], load: {power_kw: 20, delta_t_k: 12}}
cooling:
  air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [10, 1]}]
"""


def _block(nu: float = 1.7, pr: float = 0.6) -> Physics:
    cal = Calibration(source="case/T", fitted_at="2026-12-07T02:00:00+00:00", samples=12,
                      rms_before_k=0.8, rms_after_k=0.3, cell_m=0.2)  # fmt: skip
    return Physics(eddy_viscosity_scale=nu, turbulent_prandtl=pr, calibration=cal)


def test_set_physics_is_one_undoable_structure_change():
    doc = LayoutDocument.from_text(LAYOUT)
    kinds = []
    doc.changed.connect(lambda c: kinds.append(c.kind))
    fac0 = doc.facility
    doc.history.push(E.SetPhysics(_block()))
    assert doc.layout.physics == _block() and doc.dirty
    assert doc.facility is not fac0 and doc.facility.layout.physics == _block()
    assert PhysicsParams.of(doc.facility.layout) == PhysicsParams(1.7, 0.6)
    assert kinds == ["structure"] and doc.history.undo_text == "Calibrate the airflow model"
    doc.history.undo()
    assert doc.layout.physics is None and not doc.dirty
    assert PhysicsParams.of(doc.facility.layout) == PhysicsParams()
    doc.history.redo()
    assert doc.layout.physics == _block()
    doc.history.push(E.SetPhysics(_block(2.5, 0.4)))  # a second fit replaces the first
    doc.history.undo()
    assert doc.layout.physics == _block()
    doc.history.push(E.SetPhysics(None))
    assert doc.layout.physics is None and doc.history.undo_text == "Clear calibration"


def test_the_command_keeps_its_own_copy_of_the_block():
    doc = LayoutDocument.from_text(LAYOUT)
    block = _block()
    doc.history.push(E.SetPhysics(block))
    assert doc.layout.physics is not block
    doc.layout.physics.eddy_viscosity_scale = 3.0  # the layout's, not the command's
    doc.history.undo()
    doc.history.redo()
    assert doc.layout.physics.eddy_viscosity_scale == 1.7


def test_a_block_the_schema_refuses_changes_nothing():
    doc = LayoutDocument.from_text(LAYOUT)
    with pytest.raises(EditError, match=r"^physics: Input should be a valid dictionary"):
        doc.set_physics("not a physics block")
    assert doc.layout.physics is None and not doc.dirty


def test_a_saved_calibration_loads_and_keeps_the_comments(tmp_path):
    src = tmp_path / "room.yaml"
    src.write_text(LAYOUT)
    doc = LayoutDocument.open(src)
    doc.history.push(E.SetPhysics(_block()))
    save(doc, src)
    text = src.read_text()
    assert "# the room calibrated below" in text and "physics:" in text
    fac = load_layout(src)
    assert fac.layout.physics == _block()
    assert PhysicsParams.of(fac.layout) == PhysicsParams(1.7, 0.6)
