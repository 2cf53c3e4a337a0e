"""The RANS models a Twin-written OpenFOAM case can be run with, in a module of its own so
that ``twin cfd case --help`` lists them without loading the case writer (numpy, scipy and
the grid: half a second on every ``twin`` command's start)."""

from __future__ import annotations

#: k-epsilon (the references), or k-omega SST to see how far the answer depends on the
#: turbulence model (the issue allows either); the first is the default.
TURBULENCE_MODELS = ("kEpsilon", "kOmegaSST")
