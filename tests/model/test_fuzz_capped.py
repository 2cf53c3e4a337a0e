"""The loader fuzzed with hypothesis under a memory cap (``resource.setrlimit``) and a CPU and
wall-clock cap, in its own process: nasty values at every path of the shipped layouts (NaN,
1e308, 2^1000, true, huge strings and host patterns) and YAML alias bombs only ever give a
Facility or a LayoutError, within 1.5 GiB of address space, 10 s of CPU per layout and 300 s
of CPU in all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


@pytest.mark.timeout(600)
def test_loader_fuzzed_under_memory_and_time_caps():
    mem = 1536 * 2**20  # address space, not only what is touched: python + numpy + pydantic
    p = subprocess.run(
        [sys.executable, str(HERE / "fuzz_worker.py"), str(mem), "300", "60"],
        capture_output=True,
        text=True,
        timeout=500,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"},
    )
    assert p.returncode == 0, (p.stdout + p.stderr)[-4000:]
    assert "fuzzed 60 examples" in p.stdout
