"""A small dcgm-exporter stand-in for tests: serves DCGM metrics in the Prometheus text format
on 127.0.0.1, with values that are known functions of (host, GPU) plus a counter that moves
with every scrape, so a test can check exact values at exact GPU indices."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INT64_BLANK = 9223372036854775794  # DCGM_FT_INT64_NOT_SUPPORTED
FP64_BLANK = 140737488355328.0  # DCGM_FT_FP64_BLANK


@dataclass
class Host:
    """One exporter host: the name it reports, under which label, and its GPUs' UUIDs."""

    name: str
    index: int  # drives the values: temp = 30 + 10*index + gpu
    gpus: int = 8
    host_label: str = "Hostname"
    uuid_prefix: str = ""

    def uuid(self, gpu: int) -> str:
        return f"GPU-{self.uuid_prefix or self.name}-{gpu:04d}"


def temp_of(host_index: int, gpu: int) -> float:
    return 30.0 + 10.0 * host_index + gpu


def power_of(host_index: int, gpu: int) -> float:
    return 300.0 + 10.0 * host_index + gpu + 0.5


@dataclass
class ExporterState:
    hosts: list[Host]
    #: (host name, gpu) -> metric -> raw value text, overriding the computed one.
    overrides: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)
    #: (host name, gpu) with a DCGM_FI_DEV_THERMAL_VIOLATION counter growing each scrape.
    violating: set[tuple[str, int]] = field(default_factory=set)
    #: point sensors served beside the GPUs, as an environment exporter would: the series'
    #: label set (as text) -> raw value text
    sensors: dict[str, str] = field(default_factory=dict)
    scrapes: int = 0


def render(state: ExporterState) -> str:
    """The /metrics page, as dcgm-exporter writes it (HELP/TYPE, full label sets)."""
    n = state.scrapes
    metrics = [
        ("DCGM_FI_DEV_GPU_TEMP", "gauge", lambda h, g: f"{temp_of(h.index, g):g}"),
        ("DCGM_FI_DEV_MEMORY_TEMP", "gauge", lambda h, g: f"{temp_of(h.index, g) + 5:g}"),
        ("DCGM_FI_DEV_POWER_USAGE", "gauge", lambda h, g: f"{power_of(h.index, g):.3f}"),
        ("DCGM_FI_DEV_GPU_UTIL", "gauge", lambda h, g: str((n * 7 + g) % 100)),
        ("DCGM_FI_DEV_SM_CLOCK", "gauge", lambda h, g: "1980"),
        ("DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", "gauge", lambda h, g: "0"),
        ("DCGM_FI_DEV_XID_ERRORS", "gauge", lambda h, g: "0"),
    ]
    lines: list[str] = []
    for name, kind, value in metrics:
        lines.append(f"# HELP {name} {name.lower()} (test exporter).")
        lines.append(f"# TYPE {name} {kind}")
        for h in state.hosts:
            for g in range(h.gpus):
                text = state.overrides.get((h.name, g), {}).get(name) or value(h, g)
                lines.append(f"{name}{{{_labels(h, g)}}} {text}")
    if state.violating:
        name = "DCGM_FI_DEV_THERMAL_VIOLATION"
        lines.append(f"# TYPE {name} counter")
        for h in state.hosts:
            for g in range(h.gpus):
                grows = (h.name, g) in state.violating
                lines.append(f"{name}{{{_labels(h, g)}}} {n * 250000 if grows else 0}")
    if state.sensors:
        name = "twin_sensor_temperature_celsius"
        lines.append(f"# TYPE {name} gauge")
        lines.extend(f"{name}{{{labels}}} {v}" for labels, v in state.sensors.items())
    return "\n".join(lines) + "\n"


def _labels(h: Host, g: int) -> str:
    return (
        f'gpu="{g}",UUID="{h.uuid(g)}",pci_bus_id="00000000:{0x18 + g:02X}:00.0",'
        f'device="nvidia{g}",modelName="NVIDIA H100 80GB HBM3",{h.host_label}="{h.name}",'
        f'DCGM_FI_DRIVER_VERSION="550.54.15"'
    )


class Exporter:
    """Serves ``render(state)`` at ``/metrics``; ``hang=True`` accepts and never answers."""

    def __init__(self, state: ExporterState, hang: bool = False):
        self.state = state
        self.hang = hang
        self._lock = threading.Lock()
        self._release = threading.Event()
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if exporter.hang:
                    exporter._release.wait(30)
                    return
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                with exporter._lock:
                    exporter.state.scrapes += 1
                    body = render(exporter.state).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815  (the hanging server hangs on any method)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Exporter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
