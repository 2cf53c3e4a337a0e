"""Helpers shared by the live-telemetry tests: the test layout, waiting, and a real
Prometheus server process on 127.0.0.1 with a free port and its own storage."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

PROMETHEUS = shutil.which("prometheus") or (
    "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
)
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None,
    reason="the prometheus binary is not installed (make test installs Debian's prometheus)",
)

#: A01-03 reports under a host name the layout does not know; its UUIDs map it instead.
MYSTERY = "node-17.cluster.local"

LAYOUT = """\
format: twin-layout/1
name: live-test
halls: [{id: H1, size_m: [10, 8, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [2, 3], servers: [{type: dgx-h100, count: 3}]}
sensors:
  - {id: T-IN, hall: H1, position_m: [2, 1.5, 1.2]}
  - {id: T-OUT, hall: H1, position_m: [2, 4.5, 1.8]}
  - {id: T-DEAD, hall: H1, position_m: [5, 1.5, 1.2]}
  - {id: T-SILENT, hall: H1, position_m: [5, 4.5, 1.2]}
telemetry:
  gpu_uuids:
UUIDS
"""


def layout_text() -> str:
    uuids = "\n".join(f"    GPU-{MYSTERY}-{g:04d}: A01-03/gpu{g}" for g in range(8))
    return LAYOUT.replace("UUIDS", uuids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


def wait_until(predicate, timeout_s: float, what: str, step_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class PrometheusServer:
    """A real ``prometheus`` process scraping the given targets every second."""

    def __init__(self, workdir: Path, targets: list[str]):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "prometheus.yml"
        jobs = [
            {
                "job_name": f"dcgm{i}",
                "honor_labels": True,
                "static_configs": [{"targets": [t]}],
            }
            for i, t in enumerate(targets)
        ]
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": jobs,
        }
        self.config.write_text(json.dumps(config))  # JSON is YAML
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.workdir / "prometheus.log", "ab")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._ready, 20, "Prometheus /-/ready")

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            text = (self.workdir / "prometheus.log").read_text(errors="replace")
            raise RuntimeError(f"prometheus exited with {self.proc.returncode}:\n{text[-2000:]}")
        try:
            http_get(self.url + "/-/ready", 0.5)
            return True
        except (urllib.error.URLError, OSError):
            return False

    def query(self, expr: str) -> list:
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        return json.loads(http_get(url))["data"]["result"]

    def wait_for_samples(self, expr: str = "DCGM_FI_DEV_GPU_TEMP", count: int = 1) -> None:
        wait_until(lambda: len(self.query(expr)) >= count, 20, f"{count} samples of {expr}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None
