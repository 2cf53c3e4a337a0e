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


NVML_FI_DEV_MEMORY_TEMP = 82  # nvml.h
NVML_ERROR_NOT_SUPPORTED = 3


def fake_pynvml(n_gpus: int = 9, older: bool = False) -> types.ModuleType:
    """A pynvml that answers only what the real one would: each call checks its constant or
    field id. ``older``: a pynvml from before the clocks-event rename (throttle reasons)."""
    nv = types.ModuleType("pynvml")
    nv.NVMLError = FakeNVMLError
    nv.NVML_TEMPERATURE_GPU = 0
    nv.NVML_CLOCK_SM = 1
    nv.nvmlInit = lambda: None
    nv.nvmlShutdown = lambda: None
    nv.nvmlDeviceGetCount = lambda: n_gpus
    nv.nvmlDeviceGetHandleByIndex = lambda i: i

    def temperature(h, kind):
        if kind != nv.NVML_TEMPERATURE_GPU:
            raise FakeNVMLError(f"sensor {kind} not supported")
        return 40 + h

    def clock(h, kind):
        if h == 2 or kind != nv.NVML_CLOCK_SM:
            raise FakeNVMLError("not supported")
        return 1980

    def fields(h, ids):
        out = []
        for fid in ids:
            ok = fid == NVML_FI_DEV_MEMORY_TEMP and h != 4  # GPU 4: no HBM sensor
            out.append(
                types.SimpleNamespace(
                    fieldId=fid,
                    nvmlReturn=0 if ok else NVML_ERROR_NOT_SUPPORTED,
                    value=types.SimpleNamespace(uiVal=60 + h if ok else 0),
                )
            )
        return out

    nv.nvmlDeviceGetTemperature = temperature
    nv.nvmlDeviceGetPowerUsage = lambda h: 300_000 + 1000 * h  # milliwatts
    nv.nvmlDeviceGetClockInfo = clock
    nv.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=50 + h)
    reasons = lambda h: 0x40 if h == 1 else 0  # noqa: E731
    if older:
        nv.nvmlDeviceGetCurrentClocksThrottleReasons = reasons
    else:
        nv.nvmlDeviceGetCurrentClocksEventReasons = reasons
    nv.nvmlDeviceGetFieldValues = fields
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


@pytest.mark.parametrize("older", [False, True], ids=["pynvml", "older-pynvml"])
def test_reads_and_maps_local_gpus(monkeypatch, facility, older):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml(older=older))
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
    mem = frame.gpu["mem_temp_c"]
    assert np.isnan(mem[4])  # field not supported on that GPU: missing
    assert np.allclose(np.delete(mem, 4), 60 + np.delete(np.arange(8), 4))
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
