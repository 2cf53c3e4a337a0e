"""``thermal-margin``: how many kelvin each GPU has left before its slowdown threshold
(catalog ``slowdown_c`` minus the measured ``temp_c``). Red is the GPU that throttles next;
with no telemetry every GPU is unknown (grey), never an invented value."""

from __future__ import annotations

import numpy as np

from twin.api import Facility, Frame


class ThermalMargin:
    name = "thermal-margin"
    title = "GPU margin to slowdown (K)"
    target = "gpu"
    cmap = "RdYlGn"
    uses_frame = True

    def values(self, facility: Facility, frame: Frame | None) -> np.ndarray:
        if frame is None or "temp_c" not in frame.gpu:
            return np.full(facility.n_gpus, np.nan)
        return facility.gpu_slowdown_c - np.asarray(frame.gpu["temp_c"], dtype=float)

    def clim(self, facility: Facility) -> tuple[float, float]:
        return (0.0, 40.0)


#: What the ``twin.colour_modes`` entry point names.
mode = ThermalMargin()
