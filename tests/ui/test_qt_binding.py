"""The Qt binding does not leak references to None (PySide6 6.12.0 on Python 3.11 does, and
the app then aborts with 'none_dealloc' after about 10^5 Qt calls)."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for _ in range(20000):
    label.setText("x")
print(sys.getrefcount(None) - before)
"""


def test_no_none_refcount_drift():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    res = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=120
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert abs(int(res.stdout.strip().splitlines()[-1])) < 1000
