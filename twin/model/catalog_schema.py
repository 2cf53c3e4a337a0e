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
    fan_kw: NonNegative | None = Field(
        None,
        description="Fan power at airflow_m3s; scaled by the affinity law (P ~ flow^3). "
        "Unset: 0.8 kW per m3/s.",
    )
    min_flow_fraction: Fraction = Field(0.3, description="Lowest fan speed the unit runs at.")
    coil_approach_k: NonNegative = Field(
        6.0, description="Supply air above the chilled water entering the coil, K."
    )


class CduType(_Item):
    """A coolant distribution unit serving liquid-cooled racks."""

    kind: Literal["cdu"]
    size_m: Size3
    capacity_kw: Positive
    flow_lps: Positive = Field(description="Technology cooling loop flow, litres per second.")
    supply_c: float = 25.0
    weight_kg: NonNegative = 0.0
    pump_kw: NonNegative | None = Field(
        None,
        description="Pump power at flow_lps; scaled by the affinity law (P ~ flow^3). "
        "Unset: 200 kPa at 60 % efficiency.",
    )
    approach_k: NonNegative = Field(
        4.0, description="Loop supply above the facility water entering the CDU, K."
    )


class PowerType(_Item):
    """A device of the power chain: utility feed, switchgear, UPS, PDU, RPP, busway."""

    kind: Literal["utility", "switchgear", "transformer", "ups", "pdu", "rpp", "busway"]
    capacity_kw: Positive
    size_m: Size3 | None = None
    efficiency: Fraction = 1.0
    weight_kg: NonNegative = 0.0


class ChillerType(_Item):
    """A chiller: capacity, and a COP that follows the lift between chilled water and the
    condenser side (a fixed fraction of the Carnot COP, calibrated at the rating point)."""

    kind: Literal["chiller"]
    capacity_kw: Positive
    cop_rated: Positive = Field(description="COP at the rating point (AHRI 550/590).")
    condenser: Literal["water", "air"] = "water"
    rated_chw_supply_c: float = Field(6.7, description="Leaving chilled water at rating, C.")
    rated_condenser_c: float = Field(
        29.4, description="Entering condenser water (or outdoor air, air-cooled) at rating, C."
    )
    evaporator_approach_k: NonNegative = Field(
        3.0, description="Refrigerant evaporates this far below the chilled water supply."
    )
    condenser_approach_k: NonNegative = Field(
        8.0, description="Refrigerant condenses this far above the entering condenser medium."
    )
    min_lift_k: Positive = Field(
        12.0, description="Smallest refrigerant lift the compressor runs at (caps the COP)."
    )


class HeatRejectionType(_Item):
    """A dry cooler or cooling tower: rejects plant heat, and cools the water on its own
    (free cooling) when the outdoor air is cold enough."""

    kind: Literal["dry_cooler", "cooling_tower"]
    capacity_kw: Positive
    approach_k: NonNegative = Field(
        description="Leaving water above the outdoor dry bulb (dry cooler) or wet bulb (tower)."
    )
    fan_kw: NonNegative = Field(description="Fan power when rejecting capacity_kw.")


CatalogItem = Annotated[
    GpuType
    | ServerType
    | RackType
    | AirUnitType
    | CduType
    | PowerType
    | ChillerType
    | HeatRejectionType,
    Field(discriminator="kind"),
]


class CatalogFile(BaseModel):
    """One file of ``assets/catalog/``."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["twin-catalog/1"]
    items: list[CatalogItem]
