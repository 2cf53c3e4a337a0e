"""The Energy dock: the layout's PUE at once, frames charted over time, and an optimisation
applied as one undoable edit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_energy_cli import ROOMY
from twin.physics.energy import EnergyModel
from twin.ui.energy_dock import OPTIMISE_KEY

pytestmark = pytest.mark.gui


def test_dock_shows_the_layout_pue(opened):
    dock = opened.extensions["energy_dock"]
    expected = EnergyModel(opened.facility).breakdown()
    assert f"PUE {expected.pue:.3f}" in dock.summary.text()
    assert "energy" in opened.docks
    act = opened.action_registry.actions["tools.optimise_set_points"]
    assert act in opened.action_registry.menus["Tools"].actions()


def test_frames_are_charted(opened):
    from twin.model.frame import Frame

    dock = opened.extensions["energy_dock"]
    fac = opened.facility
    for k, scale in enumerate((0.5, 1.0)):
        frame = Frame.empty(1.8e9 + 10 * k, fac.counts())
        frame.rack["power_w"][:] = fac.rack_power_w * scale
        opened.frame_shown.emit(frame)
    (pue_line,) = dock.chart.panels[0].lines
    it_line = dock.chart.panels[1].lines[0]
    assert len(pue_line.times) == 2
    np.testing.assert_allclose(
        it_line.values, [fac.rack_power_w.sum() / 2e3, fac.rack_power_w.sum() / 1e3]
    )


def test_a_facility_of_megawatts_is_shown_in_megawatts(opened, monkeypatch):
    """A factory's figures in MW throughout the dock ("Facility 90,399.9 kW" was hard to
    read), a hall's in kW; the chart's power panel in the same unit."""
    from twin.model import units
    from twin.model.frame import Frame

    dock = opened.extensions["energy_dock"]
    b = EnergyModel(opened.facility).breakdown()
    assert f"Facility {b.total_w / 1e3:,.1f} kW for {b.it_w / 1e3:,.1f} kW of IT" in (
        dock.summary.text()
    )
    assert dock.chart.panels[1].unit == "kW"
    monkeypatch.setattr(units, "MW_FROM_W", b.total_w / 2)  # this hall counts as large
    dock._on_layout(opened.facility)
    text = dock.summary.text()
    assert f"Facility {b.total_w / 1e6:,.2f} MW for {b.it_w / 1e6:,.2f} MW of IT" in text
    assert f"{b.fans_w / 1e6:,.2f} MW" in text and " kW</td>" not in text
    assert dock.chart.panels[1].unit == "MW"
    frame = Frame.empty(1.8e9, opened.facility.counts())
    frame.rack["power_w"][:] = opened.facility.rack_power_w
    opened.frame_shown.emit(frame)
    it_line = dock.chart.panels[1].lines[0]
    np.testing.assert_allclose(it_line.values, [opened.facility.rack_power_w.sum() / 1e6])


@pytest.mark.slow
def test_optimise_then_apply_and_undo(window, qtbot, tmp_path):
    path = tmp_path / "roomy.yaml"
    path.write_text(ROOMY)
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(path)
    opened = window
    dock = opened.extensions["energy_dock"]
    before = opened.facility.air_unit_supply_c.copy()
    asked = []
    opened.solver.asked.connect(lambda job: asked.append(job.key))
    with qtbot.waitSignal(dock.optimised, timeout=240_000) as sig:
        dock.optimise()
        assert dock.busy and not dock.optimise_button.isEnabled()
    result = sig.args[0]
    assert asked == [OPTIMISE_KEY]  # on the window's one solver service
    assert not dock.busy and dock.optimise_button.isEnabled()
    assert "Saves" in dock.result_label.text()
    assert result.changes()  # a roomy hall: 40 kW on a 77 kW CRAH
    assert dock.apply_button.isEnabled()
    assert dock.apply()
    after = result.halls[0].supply_after_c
    assert opened.facility.air_unit_supply_c.tolist() == after.tolist()
    editor = opened.extensions["editor"]
    editor.undo.stack.undo()
    assert opened.facility.air_unit_supply_c.tolist() == before.tolist()


def test_a_search_of_a_layout_edited_while_it_ran_is_shown_and_not_applied(
    window, qtbot, tmp_path, editor
):
    """The search held the window's facility, which the editor patches in place: a rack
    moved mid-search failed it ("matmul: dimension mismatch") on the demo hall. It now runs
    on a copy taken when asked, finishes, and says its set points are of the layout before
    the edit, offering nothing to apply."""
    from twin.model import edits as E

    path = tmp_path / "roomy.yaml"
    path.write_text(ROOMY)
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(path)
    dock = window.extensions["energy_dock"]
    fac = window.facility
    with qtbot.waitSignal(dock.optimised, timeout=240_000):
        dock.optimise()
        editor.set_active(True)
        assert editor.push(E.translate(editor.doc, [fac.rack_ids[0]], (0.0, 0.3)))
        assert window.facility is fac and dock.busy
    assert "Cannot optimise" not in dock.result_label.text()
    assert "edited while the search ran: optimise again" in dock.result_label.text()
    assert not dock.apply_button.isEnabled() and not dock.apply()
    assert dock.result is None


def test_a_frame_with_no_it_load_reads_no_pue(opened):
    """A recorded blackout: every rack at 0 W. The PUE has nothing to divide by, and the
    dock says so rather than "PUE nan"."""
    from twin.model.frame import Frame

    dock = opened.extensions["energy_dock"]
    frame = Frame.empty(1.8e9, opened.facility.counts())
    frame.rack["power_w"][:] = 0.0
    opened.frame_shown.emit(frame)
    text = dock.summary.text()
    assert "<b>PUE n/a (no IT load)</b>" in text
    assert "nan" not in text.lower()
    assert "for 0.0 kW of IT; <br>" in text


def test_an_optimised_hall_without_gpus_reads_no_gpu_figure():
    """A hall of 0 kW racks with no GPU: the optimiser slows its fans, and the dock's text
    said "hottest GPU nan → nan °C" and "PUE nan → nan"."""
    from twin.model.loader import facility_from_text
    from twin.physics.setpoints import SetPointOptimiser
    from twin.ui.energy_dock import describe

    fac = facility_from_text(ROOMY.replace("power_kw: 10", "power_kw: 0"), "unloaded.yaml")
    result = SetPointOptimiser(fac, cell_m=0.5).run()
    text = describe(result)
    assert result.halls[0].changed and "nan" not in text
    assert "°C; hottest GPU" not in text and text.endswith("</b>: PUE n/a (no IT load)")


def test_a_live_frame_s_figures_say_what_the_layout_gave(opened):
    """Live GPU telemetry: GPU power, no rack power, no air-unit reading. The dock's figures
    take the racks from their GPUs and the units from the layout, and say so; a frame that
    reads every rack and unit says nothing of it."""
    from twin.model.frame import Frame

    dock = opened.extensions["energy_dock"]
    fac = opened.facility
    n_racks, n_units = fac.n_racks, len(fac.air_unit_ids)
    live = Frame.empty(1.8e9, fac.counts())
    live.gpu["power_w"][:] = 0.5 * fac.gpu_tdp_w
    opened.frame_shown.emit(live)
    text = dock.summary.text()
    assert (
        f"<br><i>assumed: racks without a power reading of their own ({n_racks} of {n_racks}): "
        "from their GPUs' readings, their nominal power where those are missing too</i>"
    ) in text
    assert (
        f"<i>assumed: air units without a flow reading ({n_units} of {n_units}): their fans at rated flow</i>"
        in text
    )
    read = Frame.empty(1.8e9 + 10, fac.counts())
    read.rack["power_w"][:] = fac.rack_power_w
    read.air_unit["state"][:] = 1.0
    read.air_unit["flow_m3s"][:] = fac.air_unit_airflow_m3s
    read.cdu["state"][:] = 1.0
    read.cdu["flow_lps"][:] = fac.cdu_flow_lps
    opened.frame_shown.emit(read)
    assert "assumed" not in dock.summary.text()
