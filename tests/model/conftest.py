"""The suite runs with --import-mode=importlib: make this folder's helper modules (the corpus of
bad layouts) importable."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
