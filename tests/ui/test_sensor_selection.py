"""A point sensor in the window: listed in the Facility tree, selectable there, outlined in
3D where it hangs, its reading in the inspector, and its history in the Charts dock."""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.frame import Frame

pytestmark = pytest.mark.gui

SENSORS = """sensors:
  - {id: T-CA1, hall: H1, position_m: [3.6, 4.5, 1.2], label: cold aisle}
  - {id: T-TOP, hall: H1, position_m: [6.0, 4.5, 2.5]}
"""


@pytest.fixture
def with_sensors(window, qtbot, small_layout):
    small_layout.write_text(small_layout.read_text() + SENSORS)
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(small_layout)
    return window


def _pick_in_tree(win, kind, index):
    item = win.tree._items[(kind, index)]
    win.tree.view.setCurrentIndex(win.tree.proxy.mapFromSource(item.index()))


def test_a_sensor_from_the_tree(with_sensors, qtbot):
    win = with_sensors
    f = win.facility
    assert ("sensor", 1) in win.tree._items
    _pick_in_tree(win, "sensor", 0)
    assert win.selection == ("sensor", 0)
    rows = dict(win.inspector.rows())
    assert rows["Sensor"] == "T-CA1" and rows["Label"] == "cold aisle"
    assert rows["Position"] == "x 3.60 m, y 4.50 m, height 1.20 m"
    assert "sensor T-CA1" in win.status_selection.text()
    # outlined where it hangs: a 0.3 m box (and the outline's 4 cm pad) centred on the point,
    # not standing on the floor
    sv = win.scene.selection_view
    pts = sv.outline_mesh.points
    assert sv.outline_mesh.n_cells == 12
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    assert (lo + hi) / 2 == pytest.approx(f.sensor_position_m[0] + win.scene._origin[0], abs=1e-6)
    assert hi - lo == pytest.approx([0.34, 0.34, 0.34], abs=1e-6)
    # a frame's reading shows in the inspector
    frame = Frame.empty(1.8e9, f.counts())
    frame.sensor["temp_c"][:] = [21.25, 33.5]
    win.show_frame(frame)
    assert dict(win.inspector.rows())["Temperature"] == "21.2 °C"
    _pick_in_tree(win, "sensor", 1)
    assert dict(win.inspector.rows())["Temperature"] == "33.5 °C"


def test_a_sensor_history_is_charted_with_the_a1_limits(with_sensors, qtbot):
    from twin.ui.charts import panels_for

    f = with_sensors.facility
    times = 1.8e9 + np.arange(0.0, 60.0, 10.0)

    def fetch(kind, index, metrics):
        assert (kind, index, metrics) == ("sensor", 1, ["temp_c"])
        return times, {"temp_c": np.linspace(20.0, 30.0, len(times))}

    panels = panels_for(f, "sensor", 1, fetch)
    assert [p.title for p in panels] == ["Air temperature"]
    assert [r[1] for r in panels[0].refs] == ["A1 recommended", "A1 allowable"]
    np.testing.assert_allclose(panels[0].lines[0].values, np.linspace(20.0, 30.0, 6))


def test_the_inspector_sets_a_reading_against_the_thermal_view(window, qtbot, tmp_path):
    """With the hall solved, a selected sensor shows the model's air where it hangs and how
    far its reading is from it: what an operator watches to trust the twin."""
    from tests.render.test_thermal_layer import TWO_CRAHS

    path = tmp_path / "two_crahs.yaml"
    path.write_text(TWO_CRAHS + SENSORS)
    view = window.extensions["thermal_view"]
    view.cell_m = 0.5
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(path)
    f = window.facility
    _pick_in_tree(window, "sensor", 0)
    assert "Model (thermal view)" not in dict(window.inspector.rows())  # nothing solved yet
    view.request_solve()
    qtbot.waitUntil(lambda: view.result is not None, timeout=90_000)
    res = view.result
    # independently: trilinear between the eight cell centres round the point
    x = f.sensor_position_m[0] / res.cell_m - 0.5
    i = np.floor(x).astype(int)
    t = x - i
    cube = res.air_c[i[0] : i[0] + 2, i[1] : i[1] + 2, i[2] : i[2] + 2]
    assert np.isfinite(cube).all()
    w = np.einsum("i,j,k->ijk", [1 - t[0], t[0]], [1 - t[1], t[1]], [1 - t[2], t[2]])
    model = float((w * cube).sum())
    frame = Frame.empty(1.8e9, f.counts())
    frame.sensor["temp_c"][:] = [model + 1.5, np.nan]
    window.show_frame(frame)
    rows = dict(window.inspector.rows())
    assert rows["Model (thermal view)"] == f"{model:.1f} °C"
    assert rows["Reading − model"] == "+1.5 K"
    _pick_in_tree(window, "sensor", 1)  # no reading: the model alone
    rows = dict(window.inspector.rows())
    assert "Model (thermal view)" in rows and "Reading − model" not in rows
