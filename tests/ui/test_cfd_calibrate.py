"""Compare with CFD › Calibrate to This CFD…: a field Twin itself solved with other
parameters is fitted back in the background, the result box says how far the errors fell,
and Apply stores the fit in the layout as one undoable edit (Xvfb)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.physics.params import PhysicsParams

pytestmark = pytest.mark.gui

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


def _field(tmp_path: Path, params: PhysicsParams | None) -> Path:
    """The room's air at 0.3 m as Twin solves it with ``params``, as a VTK point cloud."""
    pv = pytest.importorskip("pyvista")
    from twin.model.loader import load_layout
    from twin.physics import solve_steady

    res = solve_steady(load_layout(ROOM), 0, 0.3, params=params)
    g = res.grid
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    cloud.point_data["T"] = res.air_c[g.fluid]
    path = tmp_path / "cfd.vtp"
    cloud.save(str(path))
    return path


def test_a_fit_recovers_the_parameters_and_apply_stores_them_undoably(
    window, qtbot, tmp_path, compared
):
    src = _field(tmp_path, PhysicsParams(2.0, 0.5))
    ext = compared(src)
    cal = ext.calibration
    ext.dialog.calibrate_button.click()  # the dialog's button starts a fit of the source ...
    first = cal._job
    assert first is not None
    assert cal.start(str(src), budget_s=30.0) is not first  # ... which a newer one supersedes
    qtbot.waitUntil(lambda: cal.result is not None or cal.error is not None, timeout=120_000)
    assert cal.error is None
    fit, targets, cell_m, _ = cal.result
    assert cell_m == 0.3 and not fit.kept
    assert fit.params.eddy_viscosity_scale == pytest.approx(2.0, rel=0.08)
    assert fit.params.turbulent_prandtl == pytest.approx(0.5, rel=0.08)
    assert fit.after["rack_rms_k"] < 0.1 * fit.before["rack_rms_k"]
    text = cal.box.text()
    assert text.startswith("Fitted: eddy-viscosity scale ")
    assert f"Rack inlet RMS {fit.before['rack_rms_k']:.2f} → {fit.after['rack_rms_k']:.2f} K" in (
        text
    )
    assert cal.box.isVisible() and cal.apply_button is not None

    old_dialog = ext.dialog
    cal.apply_button.click()
    ph = window.facility.layout.physics
    assert (ph.eddy_viscosity_scale, ph.turbulent_prandtl) == (
        round(fit.params.eddy_viscosity_scale, 4),
        round(fit.params.turbulent_prandtl, 4),
    )
    assert ph.calibration.source == str(src) and ph.calibration.cell_m == 0.3
    assert ph.calibration.rms_after_k == round(fit.after["rack_rms_k"], 3)
    editor = window.extensions["editor"]
    assert editor.active and editor.doc.dirty
    assert not cal.apply(), "the same fit is applied once"
    # the comparison is made again, with the calibrated model: its figures are the fit's
    qtbot.waitUntil(lambda: ext.dialog is not old_dialog and ext.dialog is not None, timeout=90_000)
    assert f"RMS {fit.after['rack_rms_k']:.2f} K" in ext.dialog.summary.text()
    editor.doc.history.undo()
    assert window.facility.layout.physics is None
    cal.box.close()
    ext.dialog.close()


def test_a_fit_of_the_layouts_own_air_offers_nothing_to_apply(window, qtbot, tmp_path, compared):
    """Twin's own air at its own parameters: nothing fits better than those."""
    src = _field(tmp_path, None)
    ext = compared(src)
    cal = ext.calibration
    cal.start(str(src), budget_s=10.0)
    qtbot.waitUntil(lambda: cal.result is not None or cal.error is not None, timeout=120_000)
    fit = cal.result[0]
    assert fit.params == PhysicsParams() and fit.before["rack_rms_k"] < 1e-9
    assert cal.apply_button is None
    assert cal.box.text().endswith("The layout's own parameters fit best: nothing to apply.")
    assert not cal.apply() and window.facility.layout.physics is None
    cal.box.close()
    ext.dialog.close()


def test_a_fit_the_source_does_not_pin_down_is_shown_and_not_applied(window, qtbot):
    """A fit whose best lowers neither RMS by ``min_gain_k`` (``Fit.kept``): the box names
    the best found and why the layout keeps its own."""
    from types import SimpleNamespace

    from twin.cfd.calibrate import Fit, Targets

    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(ROOM)
    cal = window.extensions["cfd_compare"].calibration
    before = {"rack_rms_k": 0.30, "point_rms_k": 0.90, "cost": 2.0}
    best = {"rack_rms_k": 0.296, "point_rms_k": 0.895, "cost": 1.97}
    fit = Fit(PhysicsParams(), before, before, 40, 3.2, [], kept=True,
              best=(PhysicsParams(1.8, 0.7), best))  # fmt: skip
    targets = Targets(np.arange(10), np.zeros(10), np.zeros((5, 3)), np.zeros(5))
    cal._job, cal._asked = (job := object()), (window.facility, window.facility.edits)
    cal._check(SimpleNamespace(key="cfd.calibrate", job=job, error=None,
                               value=(fit, targets, 0.3, window.facility)))  # fmt: skip
    assert cal.box.text().splitlines() == [
        "Best fit found: eddy-viscosity scale 1.800, turbulent Prandtl number 0.700 (40 solves, "
        "3.2 s).",
        "Rack inlet RMS 0.30 → 0.30 K (10)",
        "Slice points RMS 0.90 → 0.90 K (5)",
        "It does not lower the rack or the point RMS by 0.01 K without reading the racks "
        "worse, so the layout keeps its own parameters: nothing to apply.",
    ]
    assert cal.apply_button is None and not cal.apply()
    assert window.facility.layout.physics is None
    cal.box.close()


def test_a_source_that_cannot_be_read_is_reported(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(ROOM)
    window.extensions["thermal_view"].cell_m = 0.3
    cal = window.extensions["cfd_compare"].calibration
    bad = tmp_path / "broken.vtu"
    bad.write_text("not vtk")
    cal.start(str(bad))
    qtbot.waitUntil(lambda: cal.error is not None, timeout=90_000)
    assert "broken.vtu" in cal.error and cal.result is None
    assert cal.box.isVisible() and cal.box.windowTitle() == "Calibration failed"
    assert cal.apply_button is None
    cal.box.close()


def test_a_fit_of_a_layout_changed_while_it_ran_is_not_applied(window, qtbot, editor):
    """The layout was edited (or another opened) while the fit ran: the box says so and
    offers nothing to apply, which would put parameters fitted to another hall in this one."""
    from types import SimpleNamespace

    from twin.cfd.calibrate import Fit, Targets
    from twin.model.loader import load_layout

    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(ROOM)
    cal = window.extensions["cfd_compare"].calibration
    assert cal.apply_button is None
    before = {"rack_rms_k": 0.30, "point_rms_k": 0.90, "cost": 2.0}
    after = {"rack_rms_k": 0.10, "point_rms_k": 0.50, "cost": 0.5}
    fit = Fit(PhysicsParams(1.8, 0.7), before, after, 40, 3.2, [])
    targets = Targets(np.arange(10), np.zeros(10))
    other = load_layout(ROOM)  # the facility the fit was asked of: not the window's now
    cal._job, cal._asked = (job := object()), (other, 0)
    cal._check(SimpleNamespace(key="cfd.calibrate", job=job, error=None,
                               value=(fit, targets, 0.3, other)))  # fmt: skip
    assert cal.box.text().startswith("Fitted: eddy-viscosity scale 1.800")
    assert cal.box.text().endswith(
        "The layout changed while the fit ran: compare and calibrate again."
    )
    assert cal.apply_button is None and not cal.apply()
    assert window.facility.layout.physics is None
    cal.box.close()
    # the window's own facility, a rack moved in place while the fit ran (the same object)
    from twin.model import edits as E

    fac = window.facility
    cal._job, cal._asked = (job := object()), (fac, fac.edits)
    editor.set_active(True)
    assert editor.push(E.translate(editor.doc, [fac.rack_ids[0]], (0.0, 0.3)))
    assert window.facility is fac
    cal._check(SimpleNamespace(key="cfd.calibrate", job=job, error=None,
                               value=(fit, targets, 0.3, other)))  # fmt: skip
    assert cal.box.text().endswith(
        "The layout changed while the fit ran: compare and calibrate again."
    )
    assert cal.apply_button is None
    cal.box.close()


def test_the_result_box_warns_of_a_fit_at_the_edge_of_its_range():
    """The dock's text gives ``calibrate.edge_note`` after the RMS lines, and nothing of one
    for a fit inside the range."""
    from types import SimpleNamespace

    from twin.cfd.calibrate import Fit, Targets, edge_note
    from twin.ui.cfd_calibrate import describe

    targets = Targets(np.arange(4), np.full(4, 20.0))
    layout = SimpleNamespace(layout=SimpleNamespace(physics=None))
    rms = {"rack_rms_k": 1.2, "point_rms_k": float("nan")}
    edge = PhysicsParams(6.6, 0.221)
    fit = Fit(edge, rms, {**rms, "rack_rms_k": 0.92}, 83, 58.0, [])
    lines = describe(fit, targets, layout).splitlines()
    assert lines[:2] == [
        "Fitted: eddy-viscosity scale 6.600, turbulent Prandtl number 0.221 (83 solves, 58.0 s).",
        "Rack inlet RMS 1.20 → 0.92 K (4)",
    ]
    assert lines[2] == f"Warning: {edge_note(edge)}." and len(lines) == 3
    inside = Fit(PhysicsParams(2.0, 0.5), rms, {**rms, "rack_rms_k": 0.92}, 83, 58.0, [])
    assert "Warning" not in describe(inside, targets, layout)
