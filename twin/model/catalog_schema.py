"""Device types: what a server, rack, cooling unit or power device *is*, as an engineer looks it up.

A layout names catalog ids (``type: dgx-h100``); the figures live here once, with their source,
so that a layout stays short and a correction reaches every rack that uses the type.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:/+\-]+$")]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Size3 = tuple[Positive, Positive, Positive]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    name: str
    source: str | None = Field(None, description="Where the figures come from.")


class GpuType(_Item):
    """A GPU model with its power and the thermal thresholds nvidia-smi reports."""

    kind: Literal["gpu"]
    tdp_w: Positive
    idle_w: NonNegative
    max_operating_c: float
    slowdown_c: float
    shutdown_c: float
    hbm_max_c: float
    r_th_k_per_w: Positive = Field(
        description="Junction-to-coolant (or -inlet air) thermal resistance, K/W."
    )
    tau_s: Positive = Field(30.0, description="First-order thermal time constant, s.")


class ServerType(_Item):
    """A server or rack-scale system: GPUs, hosts (as DCGM labels them), power and airflow."""

    kind: Literal["server"]
    gpu: Id | None = None
    hosts: Annotated[int, Field(ge=1)] = 1
    gpus_per_host: Annotated[int, Field(ge=0)] = 0
    u: Annotated[int, Field(ge=1, le=60)]
    power_kw: Positive = Field(description="Maximum power draw.")
    idle_kw: NonNegative = 0.0
    liquid_fraction: Fraction = Field(0.0, description="Share of heat taken by liquid cooling.")
    delta_t_k: Positive = Field(12.0, description="Air temperature rise at full load, K.")
    weight_kg: NonNegative = 0.0


class RackType(_Item):
    """A rack enclosure: footprint, usable height and static load rating."""

    kind: Literal["rack"]
    size_m: Size3 = Field(description="Width, depth, height in metres.")
    u: Annotated[int, Field(ge=1, le=60)]
    weight_kg: NonNegative
    max_load_kg: Positive


class AirUnitType(_Item):
    """A CRAH, CRAC or fan wall."""

    kind: Literal["air_unit"]
    size_m: Size3
    capacity_kw: Positive = Field(description="Sensible cooling capacity.")
    airflow_m3s: Positive
    supply_c: float = 18.0
    weight_kg: NonNegative = 0.0


class CduType(_Item):
    """A coolant distribution unit serving liquid-cooled racks."""

    kind: Literal["cdu"]
    size_m: Size3
    capacity_kw: Positive
    flow_lps: Positive = Field(description="Technology cooling loop flow, litres per second.")
    supply_c: float = 25.0
    weight_kg: NonNegative = 0.0


class PowerType(_Item):
    """A device of the power chain: utility feed, switchgear, UPS, PDU, RPP, busway."""

    kind: Literal["utility", "switchgear", "transformer", "ups", "pdu", "rpp", "busway"]
    capacity_kw: Positive
    size_m: Size3 | None = None
    efficiency: Fraction = 1.0
    weight_kg: NonNegative = 0.0


CatalogItem = Annotated[
    GpuType | ServerType | RackType | AirUnitType | CduType | PowerType,
    Field(discriminator="kind"),
]


class CatalogFile(BaseModel):
    """One file of ``assets/catalog/``."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["twin-catalog/1"]
    items: list[CatalogItem]
