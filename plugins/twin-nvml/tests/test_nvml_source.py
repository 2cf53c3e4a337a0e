"""The NVML source against a fake pynvml (no GPU on CI): mapping, units, missing values, and
discovery through the twin.sources entry point."""

from __future__ import annotations

import sys
import time
import types

import numpy as np
import pytest

from twin.model.loader import facility_from_text
from twin.telemetry import registry
from twin.telemetry.source import SourceState

LAYOUT = """
format: twin-layout/1
name: lab
halls: [{id: LAB, size_m: [6, 6, 3]}]
rows:
  - id: A
    hall: LAB
    racks:
      - {id: A01, position_m: [2, 2], servers: [{type: dgx-h100, hosts: [gpu-box]}]}
"""


class FakeNVMLError(Exception):
    pass


def fake_pynvml(n_gpus: int = 9) -> types.ModuleType:
    nv = types.ModuleType("pynvml")
    nv.NVMLError = FakeNVMLError
    nv.NVML_TEMPERATURE_GPU = 0
    nv.NVML_CLOCK_SM = 1
    nv.nvmlInit = lambda: None
    nv.nvmlShutdown = lambda: None
    nv.nvmlDeviceGetCount = lambda: n_gpus
    nv.nvmlDeviceGetHandleByIndex = lambda i: i
    nv.nvmlDeviceGetTemperature = lambda h, kind: 40 + h
    nv.nvmlDeviceGetPowerUsage = lambda h: 300_000 + 1000 * h  # milliwatts

    def clock(h, kind):
        if h == 2:
            raise FakeNVMLError("not supported")
        return 1980

    nv.nvmlDeviceGetClockInfo = clock
    nv.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=50 + h)
    nv.nvmlDeviceGetCurrentClocksEventReasons = lambda h: 0x40 if h == 1 else 0
    nv.nvmlDeviceGetFieldValues = lambda h, ids: [
        types.SimpleNamespace(nvmlReturn=0, value=types.SimpleNamespace(uiVal=60 + h))
    ]
    return nv


@pytest.fixture
def facility():
    return facility_from_text(LAYOUT, "lab.yaml")


def _first_frame(src, timeout_s=5.0):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        frame = src.poll()
        if frame is not None:
            return frame
        time.sleep(0.02)
    raise AssertionError(f"no frame: {src.status()}")


def test_reads_and_maps_local_gpus(monkeypatch, facility):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml())
    src = registry.create("nvml", facility, host="gpu-box", interval_s=0.05)
    src.start()
    try:
        frame = _first_frame(src)
    finally:
        src.stop()
    assert np.allclose(frame.gpu["temp_c"], 40 + np.arange(8))
    assert np.allclose(frame.gpu["power_w"], 300 + np.arange(8))  # mW -> W
    assert np.isnan(frame.gpu["sm_clock_mhz"][2])  # unsupported is missing, not zero
    assert frame.gpu["sm_clock_mhz"][0] == 1980
    assert frame.gpu["throttle"][1] == 0x40
    assert np.allclose(frame.gpu["mem_temp_c"], 60 + np.arange(8))
    assert src.mapped_gpus == 8 and src.unmapped_gpus == 1  # the 9th GPU is not in the layout


def test_unknown_host_is_an_error_state_not_a_crash(monkeypatch, facility):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml())
    src = registry.create("nvml", facility, host="elsewhere", interval_s=0.05)
    src.start()
    deadline = time.time() + 5
    while src.status().state != SourceState.ERROR and time.time() < deadline:
        time.sleep(0.02)
    src.stop()
    assert src.status().state == SourceState.ERROR
    assert "elsewhere" in src.status().message


def test_missing_library_is_reported(monkeypatch, facility):
    broken = types.ModuleType("pynvml")

    def fail():
        raise OSError("libnvidia-ml.so.1: cannot open shared object file")

    broken.nvmlInit = fail
    monkeypatch.setitem(sys.modules, "pynvml", broken)
    src = registry.create("nvml", facility, host="gpu-box")
    src.start()
    deadline = time.time() + 5
    while src.status().state != SourceState.ERROR and time.time() < deadline:
        time.sleep(0.02)
    src.stop()
    assert "NVML is not available" in src.status().message


def test_registered_through_entry_point():
    assert "nvml" in registry.available()
    assert registry.available()["nvml"].value == "twin_nvml.source:NvmlSource"
