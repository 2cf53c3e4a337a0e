"""Limits on everything a layout file can ask for, checked before anything is allocated.

A few bytes of YAML can ask for two billion GPUs, a host name a gigabyte wide or a hall 1e300 m
long; each limit here is far above any real facility (the largest shipped layout has 100,800
GPUs in 1,400 racks) and far below what would exhaust a workstation's memory. The physical
ranges are those no working data hall leaves (ASHRAE TC 9.9 supply air, air properties at
sea-level to high-altitude sites).
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

MAX_LAYOUT_BYTES = 64 * 2**20  # a 1M-GPU layout written out in full is ~25 MB
MAX_YAML_NODES = 10_000_000  # scalars + items after aliases are expanded (alias bombs)
MAX_HALLS = 256
MAX_ROWS = 100_000
MAX_RACKS_PER_ROW = 10_000
MAX_RACKS = 500_000
MAX_SERVER_GROUPS = 64
MAX_HOSTS_PER_SERVER = 256
MAX_GPUS_PER_HOST = 64
MAX_HOSTS = 2_000_000
MAX_GPUS = 4_000_000
MAX_ITEMS = 100_000  # power devices, air units, CDUs, supplies, returns, containment, sensors
MAX_CATALOG_ITEMS = 10_000
MAX_MAP_ITEMS = 4_000_000  # telemetry.gpu_uuids
MAX_SMALL_LIST = 64  # host labels, metric overrides
MAX_TEXT = 4_096  # names, labels, sources, host patterns, PromQL
MAX_DESCRIPTION = 65_536
MAX_HOST_NAME = 253  # a DNS name
MAX_HOST_WIDTH = 64  # widest field a host pattern may pad to

MAX_HALL_SIDE_M = 2_000.0
MAX_HALL_HEIGHT_M = 100.0
MAX_COORD_M = 10_000.0  # hall-local positions; hall origins in the site
MAX_ANGLE_DEG = 3_600.0
MAX_RACK_POWER_KW = 5_000.0
MAX_DEVICE_KW = 1_000_000.0  # a 1 GW utility feed
MAX_FLOW_M3S = 1_000.0
MAX_FLOW_LPS = 100_000.0
MAX_SIZE_M = 100.0
MAX_WEIGHT_KG = 1_000_000.0

SUPPLY_C = (-10.0, 60.0)  # supply air or coolant a working hall can have
MAX_DELTA_T_K = 60.0  # air temperature rise through a rack
DEVICE_C = (-40.0, 200.0)  # thresholds of a GPU that works
AIR_DENSITY = (0.5, 2.0)  # kg/m3: 5,000 m altitude to cold dense air
AIR_CP = (900.0, 1200.0)  # J/(kg K): dry to saturated warm air
CHILLER_COP = (0.3, 30.0)  # an absorption chiller's ~0.7 to far past any compressor's
CONDENSER_C = (-40.0, 70.0)  # entering condenser water, or outdoor air for an air-cooled one
MAX_APPROACH_K = 30.0  # coils, heat exchangers, towers and dry coolers: 1-15 K in practice
PUMP_EFFICIENCY = (0.1, 1.0)  # wire to water; 0.3-0.85 for real plant pumps


def _no_bool(value: object) -> object:
    """YAML reads ``true`` as a boolean, which pydantic would take as 1: refuse it."""
    if isinstance(value, bool):
        raise ValueError("Input should be a number, not true/false")
    return value


def _between(lo: float, hi: float, what: str):
    def check(value: float) -> float:
        if not lo <= value <= hi:
            raise ValueError(f"{what} must be between {lo:g} and {hi:g}, got {value:g}")
        return value

    return AfterValidator(check)


def _finite_width(value: float) -> float:
    if not math.isfinite(value):  # allow_inf_nan=False covers fields; this covers bare types
        raise ValueError("Input should be a finite number")
    return value


#: Put after the ``Field`` constraints in ``Annotated``: it still runs first (a before
#: validator), and the bounds stay in pydantic's core instead of three Python calls per number
#: (a 20 MB layout has millions of numbers).
NoBool = BeforeValidator(_no_bool)
Num = Annotated[float, NoBool, AfterValidator(_finite_width)]


def bounded(lo: float, hi: float) -> object:
    """A finite number in [lo, hi]; beyond it, pydantic's 'at most'/'at least' message."""
    return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False), NoBool]


def count(lo: int, hi: int) -> object:
    return Annotated[int, Field(ge=lo, le=hi), NoBool]


def physical(lo: float, hi: float, what: str) -> object:
    """A finite number that outside [lo, hi] is physically impossible, with a message saying so."""
    return Annotated[float, Field(allow_inf_nan=False), _between(lo, hi, what), NoBool]


Coord = bounded(-MAX_COORD_M, MAX_COORD_M)
Angle = bounded(-MAX_ANGLE_DEG, MAX_ANGLE_DEG)
Length = bounded(0.0, MAX_SIZE_M)
PositiveLength = Annotated[float, Field(gt=0, le=MAX_SIZE_M, allow_inf_nan=False), NoBool]
SupplyC = physical(*SUPPLY_C, "supply temperature (°C)")
DeltaTK = Annotated[
    float,
    Field(gt=0, allow_inf_nan=False),
    NoBool,
    _between(0.0, MAX_DELTA_T_K, "air temperature rise through a rack (K)"),
]
DeviceC = physical(*DEVICE_C, "device temperature threshold (°C)")
CondenserC = physical(*CONDENSER_C, "condenser entering water or air (°C)")
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
HostName = Annotated[str, Field(min_length=1, max_length=MAX_HOST_NAME)]


def positive(hi: float) -> object:
    return Annotated[float, Field(gt=0, le=hi, allow_inf_nan=False), NoBool]


def non_negative(hi: float) -> object:
    return Annotated[float, Field(ge=0, le=hi, allow_inf_nan=False), NoBool]
