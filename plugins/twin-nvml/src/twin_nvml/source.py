"""Local GPUs through NVML, as a Twin telemetry source.

Readings map to the facility by (host name, NVML index), the same key DCGM's ``Hostname`` and
``gpu`` labels give. A value NVML does not support on a GPU is missing (NaN), not zero.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import numpy as np

from twin.api import BackgroundSource, Facility, Frame, SourceState

NVML_FI_DEV_MEMORY_TEMP = 82  # nvml.h field id for HBM temperature


def _nvml() -> Any:
    import pynvml  # imported lazily: the plugin must load where the library is absent

    return pynvml


class NvmlSource(BackgroundSource):
    """Polls every local GPU each ``interval_s`` and publishes a frame for the mapped ones."""

    name = "nvml"

    def __init__(self, facility: Facility, host: str | None = None, interval_s: float = 1.0):
        super().__init__(facility)
        self.host = host or socket.gethostname()
        self.interval_s = float(interval_s)
        self.mapped_gpus = 0
        self.unmapped_gpus = 0

    def _read(self, nv: Any, handle: Any) -> dict[str, float]:
        def safe(fn, *args, scale: float = 1.0) -> float:
            try:
                value = fn(handle, *args)
            except nv.NVMLError:
                return float("nan")
            return float(value) * scale

        out = {
            "temp_c": safe(nv.nvmlDeviceGetTemperature, nv.NVML_TEMPERATURE_GPU),
            "power_w": safe(nv.nvmlDeviceGetPowerUsage, scale=1e-3),  # milliwatts
            "sm_clock_mhz": safe(nv.nvmlDeviceGetClockInfo, nv.NVML_CLOCK_SM),
        }
        try:
            out["util_pct"] = float(nv.nvmlDeviceGetUtilizationRates(handle).gpu)
        except nv.NVMLError:
            out["util_pct"] = float("nan")
        reasons = (
            getattr(nv, "nvmlDeviceGetCurrentClocksEventReasons", None)
            or nv.nvmlDeviceGetCurrentClocksThrottleReasons
        )
        out["throttle"] = safe(reasons)
        try:
            (field,) = nv.nvmlDeviceGetFieldValues(handle, [NVML_FI_DEV_MEMORY_TEMP])
            ok = getattr(field, "nvmlReturn", 0) == 0
            out["mem_temp_c"] = float(field.value.uiVal) if ok else float("nan")
        except (nv.NVMLError, AttributeError, TypeError, ValueError):
            out["mem_temp_c"] = float("nan")
        return out

    def _run(self) -> None:
        try:
            nv = _nvml()
            nv.nvmlInit()
        except Exception as exc:  # library missing, driver not loaded
            self._set_state(SourceState.ERROR, f"NVML is not available here: {exc}")
            return
        try:
            count = nv.nvmlDeviceGetCount()
            handles = [nv.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            index = np.array([self.facility.gpu_of(self.host, i) for i in range(count)])
            self.mapped_gpus = int((index >= 0).sum())
            self.unmapped_gpus = int((index < 0).sum())
            if self.mapped_gpus == 0:
                self._set_state(
                    SourceState.ERROR,
                    f"host {self.host!r} has {count} GPU(s) but none is in the layout",
                )
                return
            self._set_state(SourceState.CONNECTED, f"{self.mapped_gpus} GPU(s) on {self.host}")
            counts = self.facility.counts()
            while not self._stopping.is_set():
                t = time.time()
                frame = Frame.empty(t, counts)
                for i, handle in enumerate(handles):
                    g = index[i]
                    if g < 0:
                        continue
                    for metric, value in self._read(nv, handle).items():
                        frame.gpu[metric][g] = value
                self._publish(frame)
                if self._sleep(self.interval_s - (time.time() - t)):
                    break
        finally:
            try:
                nv.nvmlShutdown()
            except Exception:  # noqa: BLE001 - shutting down a library that may be half-initialised
                pass
