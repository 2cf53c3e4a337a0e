"""Device types: what a server, rack, cooling unit or power device *is*, as an engineer looks it up.

A layout names catalog ids (``type: dgx-h100``); the figures live here once, with their source,
so that a layout stays short and a correction reaches every rack that uses the type.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from twin.model import limits as L

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:/+\-]+$")]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False), L.NoBool]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False), L.NoBool]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), L.NoBool]
Size3 = tuple[L.PositiveLength, L.PositiveLength, L.PositiveLength]
PowerW = L.positive(1e6)
IdleW = L.non_negative(1e6)
ServerKw = L.positive(L.MAX_RACK_POWER_KW)
IdleKw = L.non_negative(L.MAX_RACK_POWER_KW)
DeviceKw = L.positive(L.MAX_DEVICE_KW)
FlowM3s = L.positive(L.MAX_FLOW_M3S)
FlowLps = L.positive(L.MAX_FLOW_LPS)
WeightKg = L.non_negative(L.MAX_WEIGHT_KG)
DeviceC = L.DeviceC
HostsPerServer = L.count(1, L.MAX_HOSTS_PER_SERVER)
GpusPerHost = L.count(0, L.MAX_GPUS_PER_HOST)
RackUnits = L.count(1, 60)
ThermalResistance = L.positive(100.0)
TimeConstant = L.positive(1e5)
MaxLoadKg = L.positive(L.MAX_WEIGHT_KG)
Approach = L.physical(0.0, L.MAX_APPROACH_K, "approach temperature difference (K)")


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: Id
    name: L.Text
    source: L.Text | None = Field(None, description="Where the figures come from.")


class GpuType(_Item):
    """A GPU model with its power and the thermal thresholds nvidia-smi reports."""

    kind: Literal["gpu"]
    tdp_w: PowerW
    idle_w: IdleW
    max_operating_c: DeviceC
    slowdown_c: DeviceC
    shutdown_c: DeviceC
    hbm_max_c: DeviceC
    r_th_k_per_w: ThermalResistance = Field(
        description="Junction-to-coolant (or -inlet air) thermal resistance, K/W."
    )
    tau_s: TimeConstant = Field(30.0, description="First-order thermal time constant, s.")


class ServerType(_Item):
    """A server or rack-scale system: GPUs, hosts (as DCGM labels them), power and airflow."""

    kind: Literal["server"]
    gpu: Id | None = None
    hosts: HostsPerServer = 1
    gpus_per_host: GpusPerHost = 0
    u: RackUnits
    power_kw: ServerKw = Field(description="Maximum power draw.")
    idle_kw: IdleKw = 0.0
    liquid_fraction: Fraction = Field(0.0, description="Share of heat taken by liquid cooling.")
    delta_t_k: L.DeltaTK = Field(12.0, description="Air temperature rise at full load, K.")
    weight_kg: WeightKg = 0.0


class RackType(_Item):
    """A rack enclosure: footprint, usable height and static load rating."""

    kind: Literal["rack"]
    size_m: Size3 = Field(description="Width, depth, height in metres.")
    u: RackUnits
    weight_kg: WeightKg
    max_load_kg: MaxLoadKg


class AirUnitType(_Item):
    """A CRAH, CRAC or fan wall."""

    kind: Literal["air_unit"]
    size_m: Size3
    capacity_kw: DeviceKw = Field(description="Sensible cooling capacity.")
    airflow_m3s: FlowM3s
    supply_c: L.SupplyC = 18.0
    weight_kg: WeightKg = 0.0
    fan_kw: NonNegative | None = Field(
        None,
        description="Fan power at airflow_m3s; scaled by the affinity law (P ~ flow^3). "
        "Unset: 0.8 kW per m3/s.",
    )
    min_flow_fraction: Fraction = Field(0.3, description="Lowest fan speed the unit runs at.")
    coil_approach_k: Approach = Field(
        6.0, description="Supply air above the chilled water entering the coil, K."
    )


class CduType(_Item):
    """A coolant distribution unit serving liquid-cooled racks."""

    kind: Literal["cdu"]
    size_m: Size3
    capacity_kw: DeviceKw
    flow_lps: FlowLps = Field(description="Technology cooling loop flow, litres per second.")
    supply_c: L.SupplyC = 25.0
    weight_kg: WeightKg = 0.0
    pump_kw: NonNegative | None = Field(
        None,
        description="Pump power at flow_lps; scaled by the affinity law (P ~ flow^3). "
        "Unset: 200 kPa at 60 % efficiency.",
    )
    approach_k: Approach = Field(
        4.0, description="Loop supply above the facility water entering the CDU, K."
    )


class PowerType(_Item):
    """A device of the power chain: utility feed, switchgear, UPS, PDU, RPP, busway."""

    kind: Literal["utility", "switchgear", "transformer", "ups", "pdu", "rpp", "busway"]
    capacity_kw: DeviceKw
    size_m: Size3 | None = None
    efficiency: L.physical(0.5, 1.0, "power device efficiency") = 1.0  # type: ignore[valid-type]
    weight_kg: WeightKg = 0.0


class ChillerType(_Item):
    """A chiller: capacity, and a COP that follows the lift between chilled water and the
    condenser side (a fixed fraction of the Carnot COP, calibrated at the rating point)."""

    kind: Literal["chiller"]
    capacity_kw: DeviceKw
    cop_rated: L.physical(*L.CHILLER_COP, "chiller COP") = Field(  # type: ignore[valid-type]
        description="COP at the rating point (AHRI 550/590)."
    )
    condenser: Literal["water", "air"] = "water"
    rated_chw_supply_c: L.SupplyC = Field(6.7, description="Leaving chilled water at rating, C.")
    rated_condenser_c: L.CondenserC = Field(
        29.4, description="Entering condenser water (or outdoor air, air-cooled) at rating, C."
    )

    @field_validator("rated_condenser_c")
    @classmethod
    def _condenser_above_chilled(cls, cond_c: float, info: ValidationInfo) -> float:
        chw_c = info.data.get("rated_chw_supply_c")
        if chw_c is not None and cond_c <= chw_c:
            raise ValueError(
                f"a chiller rated with its condenser at {cond_c:g} °C, not above its "
                f"{chw_c:g} °C chilled water, moves no heat uphill: physically impossible"
            )
        return cond_c

    evaporator_approach_k: Approach = Field(
        3.0, description="Refrigerant evaporates this far below the chilled water supply."
    )
    condenser_approach_k: Approach = Field(
        8.0, description="Refrigerant condenses this far above the entering condenser medium."
    )
    min_lift_k: L.physical(0.1, 100.0, "smallest refrigerant lift (K)") = Field(  # type: ignore[valid-type]
        12.0, description="Smallest refrigerant lift the compressor runs at (caps the COP)."
    )


class HeatRejectionType(_Item):
    """A dry cooler or cooling tower: rejects plant heat, and cools the water on its own
    (free cooling) when the outdoor air is cold enough."""

    kind: Literal["dry_cooler", "cooling_tower"]
    capacity_kw: DeviceKw
    approach_k: Approach = Field(
        description="Leaving water above the outdoor dry bulb (dry cooler) or wet bulb (tower)."
    )
    fan_kw: L.non_negative(L.MAX_DEVICE_KW) = Field(  # type: ignore[valid-type]
        description="Fan power when rejecting capacity_kw."
    )

    @field_validator("fan_kw")
    @classmethod
    def _fan_below_capacity(cls, fan_kw: float, info: ValidationInfo) -> float:
        cap = info.data.get("capacity_kw")
        if cap is not None and fan_kw > cap:
            raise ValueError(
                f"fans drawing {fan_kw:g} kW to reject {cap:g} kW of heat are physically "
                "impossible for a dry cooler or tower (a few % of it is typical)"
            )
        return fan_kw


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
