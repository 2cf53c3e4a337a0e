"""Real parts for the live-telemetry tests: our DCGM-format exporter and a real Prometheus
server, both on 127.0.0.1 with free ports, torn down after the module."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib: make this folder's helper modules importable.
sys.path.insert(0, str(Path(__file__).parent))

from dcgm_exporter import Exporter, ExporterState, Host  # noqa: E402
from live_support import MYSTERY, PROMETHEUS, PrometheusServer, layout_text  # noqa: E402

from twin.model.loader import facility_from_text  # noqa: E402


@pytest.fixture(scope="module")
def facility():
    return facility_from_text(layout_text())


def exporter_hosts() -> list[Host]:
    return [
        Host("A01-01", 0, host_label="Hostname"),
        Host("A01-02", 1, host_label="hostname"),  # newer exporters
        Host(MYSTERY, 2, host_label="Hostname"),  # mapped by UUID
        Host("ghost-01", 3, host_label="Hostname"),  # not in the layout
    ]


@pytest.fixture(scope="module")
def exporter():
    state = ExporterState(hosts=exporter_hosts())
    # A01-01 gpu2: memory temperature not supported; A01-02 gpu5: power blank (fp64 sentinel);
    # A01-01 gpu1: thermal throttling (HW thermal bit) with last XID 79.
    state.overrides[("A01-01", 2)] = {"DCGM_FI_DEV_MEMORY_TEMP": "9223372036854775794"}
    state.overrides[("A01-02", 5)] = {"DCGM_FI_DEV_POWER_USAGE": "140737488355328"}
    state.overrides[("A01-01", 1)] = {
        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS": "64",
        "DCGM_FI_DEV_XID_ERRORS": "79",
    }
    state.violating.add(("A01-02", 3))
    # point sensors: two readings (one from an HA pair of exporters, merged by max), a probe's
    # fault code, a sensor the layout does not know; T-SILENT has no series
    state.sensors = {
        'sensor="T-IN",instance="env-a"': "23.5",
        'sensor="T-IN",instance="env-b"': "23.25",
        'sensor="T-OUT"': "31.75",
        'sensor="T-DEAD"': "-999",
        'sensor="T-UNKNOWN"': "40",
    }
    exp = Exporter(state).start()
    yield exp
    exp.stop()


@pytest.fixture(scope="module")
def prometheus(exporter, tmp_path_factory):
    if PROMETHEUS is None:
        pytest.skip("the prometheus binary is not installed")
    server = PrometheusServer(tmp_path_factory.mktemp("prometheus"), [f"127.0.0.1:{exporter.port}"])
    server.start()
    try:
        server.wait_for_samples(count=32)
        # the violation rate needs two samples of the counter
        server.wait_for_samples("rate(DCGM_FI_DEV_THERMAL_VIOLATION[1m]) > 0")
        yield server
    finally:
        server.stop()
