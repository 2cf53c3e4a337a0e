"""How a rack's server fans follow its load: one rule for every layer that needs a rack's
airflow at part load (the simulator's heat balance, the physics following telemetry).

Server fans run at a floor when idle (cooling the drives, memory and power supplies that
draw power whatever the load) and speed up with the power to carry away: the rack's airflow
is its rated flow times ``FAN_FLOOR_FRACTION + (1 - FAN_FLOOR_FRACTION) * load``, the load
being the rack's power over its nominal power, clipped to 0..``MAX_LOAD_FRACTION``. At
nominal power the rack moves exactly its rated airflow. No Qt.
"""

from __future__ import annotations

import numpy as np

#: Share of rated airflow the server fans keep at no load.
FAN_FLOOR_FRACTION = 0.4
#: Load (share of nominal power) beyond which the fans speed up no further.
MAX_LOAD_FRACTION = 1.5


def fan_flow_fraction(load_fraction: np.ndarray) -> np.ndarray:
    """Per rack: its airflow as a share of rated, for its load as a share of nominal power
    (NaN stays NaN: a rack with no reading)."""
    load = np.clip(np.asarray(load_fraction, float), 0.0, MAX_LOAD_FRACTION)
    return FAN_FLOOR_FRACTION + (1.0 - FAN_FLOOR_FRACTION) * load


def rack_load_fraction(nominal_w: np.ndarray, rack_power_w: np.ndarray) -> np.ndarray:
    """Per rack: its power over its nominal power (a rack without one counts as 1 W)."""
    return np.asarray(rack_power_w, float) / np.maximum(np.asarray(nominal_w, float), 1.0)
