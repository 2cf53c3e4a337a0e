"""The layout file format, ``twin-layout/1``, as pydantic models.

Conventions (also in the README):
- Lengths in metres; positions are hall-local, x along the hall's width, y along its depth,
  z up from the (raised) floor surface.
- A rack's ``position_m`` is the centre of its footprint. At ``rotation_deg: 0`` its front
  (air intake) faces -y and its rear (exhaust) faces +y; rotation is counter-clockwise seen
  from above, so 180 faces its front to +y.
- Rectangles are ``[x0, y0, x1, y1]``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from twin.model import limits as L
from twin.model.catalog_schema import CatalogItem, Fraction, Id
from twin.model.host_pattern import check_host_pattern

FORMAT = "twin-layout/1"

Vec2 = tuple[L.Coord, L.Coord]
Vec3 = tuple[L.Coord, L.Coord, L.Coord]
Rect = tuple[L.Coord, L.Coord, L.Coord, L.Coord]
Angle = L.Angle
Text = L.Text
HallSide = L.positive(L.MAX_HALL_SIDE_M)
HallHeight = L.positive(L.MAX_HALL_HEIGHT_M)
Length = L.Length
PositiveLength = L.PositiveLength
RackPowerKw = L.non_negative(L.MAX_RACK_POWER_KW)
DeviceKw = L.positive(L.MAX_DEVICE_KW)
FlowM3s = L.positive(L.MAX_FLOW_M3S)
FlowLps = L.positive(L.MAX_FLOW_LPS)
SupplyC = L.SupplyC
DeltaTK = L.DeltaTK
HostPattern = Annotated[str, Field(max_length=L.MAX_TEXT), AfterValidator(check_host_pattern)]
ShortText = Annotated[str, Field(max_length=L.MAX_HOST_NAME)]
AirDensity = L.physical(*L.AIR_DENSITY, "air density (kg/m³)")
AirCp = L.physical(*L.AIR_CP, "air heat capacity (J/(kg K))")
FloorLoad = L.positive(1e6)
GroupCount = L.count(1, 64)
OutdoorC = L.physical(-90.0, 60.0, "outdoor temperature (°C)")  # the Earth's recorded range


def _on_off(value: object) -> object:
    """YAML 1.1 reads a bare ``on``/``off`` as a boolean; accept both spellings."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return value


OnOff = Annotated[Literal["on", "off"], BeforeValidator(_on_off)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


def _check_rect(rect: Rect, where: str) -> None:
    if not (rect[2] > rect[0] and rect[3] > rect[1]):
        raise ValueError(f"{where} must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0")


class Air(_Strict):
    density_kg_m3: AirDensity = 1.19
    cp_j_kgk: AirCp = 1005.0


class Hall(_Strict):
    id: Id
    name: Text | None = None
    origin_m: Vec2 = (0.0, 0.0)
    size_m: tuple[HallSide, HallSide, HallHeight] = Field(
        description="Width (x), depth (y), height."
    )
    floor: Literal["raised", "slab"] = "raised"
    plenum_m: Length = Field(0.6, description="Raised-floor plenum depth.")
    tile_m: PositiveLength = 0.6
    floor_load_kg_m2: FloorLoad = Field(1465.0, description="Rated distributed floor load.")
    clearance_front_m: Length = 1.2
    clearance_rear_m: Length = 0.9


class ServerGroup(_Strict):
    """``count`` servers of one type, stacked from the bottom of the rack."""

    type: Id
    count: GroupCount = 1
    hosts: list[L.HostName] | None = Field(
        None,
        max_length=64 * L.MAX_HOSTS_PER_SERVER,
        description="Host names as DCGM labels them, one per host, in slot order.",
    )
    host_pattern: HostPattern | None = Field(
        None,
        description="Format for host names: {rack}, {row}, {hall}, {slot} (1-based host number "
        "in the rack), {n} (1-based host number in this group).",
    )


class RackLoad(_Strict):
    """A rack given by its load instead of its servers."""

    power_kw: RackPowerKw
    airflow_m3s: FlowM3s | None = None
    delta_t_k: DeltaTK | None = None
    liquid_fraction: Fraction = 0.0

    @model_validator(mode="after")
    def _one_flow(self) -> RackLoad:
        if (self.airflow_m3s is None) == (self.delta_t_k is None):
            raise ValueError("give exactly one of airflow_m3s or delta_t_k")
        return self


class Feeds(_Strict):
    a: Id | None = None
    b: Id | None = None


class Rack(_Strict):
    id: Id
    type: Id = "rack-600x1200-48u"
    position_m: Vec2
    rotation_deg: Angle = 0.0
    servers: list[ServerGroup] = Field(default_factory=list, max_length=L.MAX_SERVER_GROUPS)
    load: RackLoad | None = None
    feeds: Feeds = Field(default_factory=Feeds)  # a fresh one each, without a deepcopy per rack
    cdu: Id | None = None
    label: Text | None = None


class Row(_Strict):
    id: Id
    hall: Id
    racks: list[Rack] = Field(default_factory=list, max_length=L.MAX_RACKS_PER_ROW)


class PowerDevice(_Strict):
    id: Id
    type: Id
    upstream: Id | None = None
    hall: Id | None = None
    position_m: Vec2 | None = None
    rotation_deg: Angle = 0.0
    capacity_kw: DeviceKw | None = Field(None, description="Overrides the catalog rating.")
    state: OnOff = "on"


class AirUnit(_Strict):
    id: Id
    type: Id
    hall: Id
    position_m: Vec2
    rotation_deg: Angle = Field(0.0, description="0: discharge (front) faces -y, as for racks.")
    supply_c: SupplyC | None = None
    airflow_m3s: FlowM3s | None = None
    capacity_kw: DeviceKw | None = None
    discharge: Literal["underfloor", "front", "ceiling"] = "underfloor"
    intake: Literal["top", "rear"] = "top"
    state: OnOff = "on"


class Cdu(_Strict):
    id: Id
    type: Id
    hall: Id
    position_m: Vec2
    rotation_deg: Angle = 0.0
    supply_c: SupplyC | None = None
    flow_lps: FlowLps | None = None
    capacity_kw: DeviceKw | None = None
    state: OnOff = "on"


class SupplyRegion(_Strict):
    """Perforated floor tiles (or ceiling diffusers) over a rectangle."""

    id: Id
    hall: Id
    rect_m: Rect
    kind: Literal["floor", "ceiling"] = "floor"
    open_fraction: Fraction = 0.25
    flow_m3s: FlowM3s | None = Field(
        None, description="Total flow; by default the underfloor units' flow shared by open area."
    )
    supply_c: SupplyC | None = Field(None, description="By default the feeding units' set point.")

    @model_validator(mode="after")
    def _rect(self) -> SupplyRegion:
        _check_rect(self.rect_m, "rect_m")
        return self


class ReturnGrille(_Strict):
    id: Id
    hall: Id
    rect_m: Rect
    kind: Literal["ceiling", "wall"] = "ceiling"

    @model_validator(mode="after")
    def _rect(self) -> ReturnGrille:
        _check_rect(self.rect_m, "rect_m")
        return self


class Containment(_Strict):
    """Panels around a rectangle (the aisle between two rows), with an optional roof."""

    id: Id
    hall: Id
    kind: Literal["cold-aisle", "hot-aisle", "panel"]
    rect_m: Rect
    height_m: HallHeight
    roof: bool = True
    doors: bool = Field(True, description="Close the short ends of the aisle.")

    @model_validator(mode="after")
    def _rect(self) -> Containment:
        _check_rect(self.rect_m, "rect_m")
        return self


class Cooling(_Strict):
    air_units: list[AirUnit] = Field(default_factory=list, max_length=L.MAX_ITEMS)
    cdus: list[Cdu] = Field(default_factory=list, max_length=L.MAX_ITEMS)
    supplies: list[SupplyRegion] = Field(default_factory=list, max_length=L.MAX_ITEMS)
    returns: list[ReturnGrille] = Field(default_factory=list, max_length=L.MAX_ITEMS)
    containment: list[Containment] = Field(default_factory=list, max_length=L.MAX_ITEMS)


class Sensor(_Strict):
    id: Id
    hall: Id
    position_m: Vec3
    kind: Literal["temperature"] = "temperature"
    label: Text | None = None


class TelemetryMapping(_Strict):
    """How exporter series map to GPUs (host label + GPU index, or the GPU UUID) and to the
    layout's point sensors (a label holding the sensor's id)."""

    host_labels: list[ShortText] = Field(["Hostname", "hostname"], max_length=L.MAX_SMALL_LIST)
    gpu_label: ShortText = "gpu"
    uuid_label: ShortText = "UUID"
    default_host_pattern: HostPattern = "{rack}-{slot:02d}"
    metrics: dict[ShortText, Text] = Field(
        default_factory=dict,
        max_length=L.MAX_SMALL_LIST,
        description="Overrides of exporter metric names, e.g. {temp_c: DCGM_FI_DEV_GPU_TEMP}.",
    )
    gpu_uuids: dict[ShortText, ShortText] = Field(
        default_factory=dict,
        max_length=L.MAX_MAP_ITEMS,
        description="GPU UUID -> 'host/gpuN', for series whose host label is missing or does not "
        "match the layout's host names.",
    )
    sensor_query: Text = Field(
        "twin_sensor_temperature_celsius",
        description="PromQL giving one series per point sensor (the layout's sensors:), in "
        "degrees C, e.g. an SNMP or Redfish exporter's inlet probes.",
    )
    sensor_label: ShortText = Field(
        "sensor", description="The label of sensor_query's series that holds the sensor's id."
    )


class CoolingPlant(_Strict):
    """Chillers and heat rejection making the water for some air units and CDUs.

    With ``chiller`` unset the plant is chiller-less (dry coolers or towers only, as warm-water
    liquid cooling allows); with ``heat_rejection`` unset there is no free cooling."""

    id: Id
    chiller: Id | None = Field(None, description="Catalog chiller type.")
    chillers: L.count(1, 10_000) = 1  # type: ignore[valid-type]
    heat_rejection: Id | None = Field(None, description="Catalog dry cooler or cooling tower.")
    heat_rejection_units: L.count(1, 10_000) = 1  # type: ignore[valid-type]
    serves: list[Id] = Field(
        default_factory=list,
        max_length=L.MAX_ITEMS,
        description="Air units, CDUs or halls this plant serves, or 'air' (every air unit) or "
        "'liquid' (every CDU) not named by an earlier entry; empty: every unit no plant names.",
    )
    loop_delta_t_k: L.positive(L.MAX_DELTA_T_K) = Field(  # type: ignore[valid-type]
        6.0, description="Plant water temperature rise, K."
    )
    pump_head_kpa: L.non_negative(10_000.0) = Field(  # type: ignore[valid-type]
        250.0, description="Plant (primary) pump head."
    )
    condenser_pump_head_kpa: L.non_negative(10_000.0) = Field(  # type: ignore[valid-type]
        150.0, description="Condenser pump head."
    )
    pump_efficiency: L.physical(*L.PUMP_EFFICIENCY, "pump efficiency") = 0.7  # type: ignore[valid-type]


class OutdoorPoint(_Strict):
    """One point of an outdoor temperature series: a time of day ``HH:MM`` (repeated daily)
    or an ISO 8601 time."""

    at: Text
    dry_bulb_c: OutdoorC
    wet_bulb_c: OutdoorC | None = None

    @field_validator("wet_bulb_c")
    @classmethod
    def _wet_at_most_dry(cls, wet_c: float | None, info: ValidationInfo) -> float | None:
        return _wet_bulb(wet_c, info, "dry_bulb_c")

    @model_validator(mode="after")
    def _when(self) -> OutdoorPoint:
        outdoor_time_s(self.at)
        return self


def _wet_bulb(wet_c: float | None, info: ValidationInfo, dry_field: str) -> float | None:
    """Air cannot be wetter than saturated: its wet bulb is at most its dry bulb."""
    dry_c = info.data.get(dry_field)
    if wet_c is not None and dry_c is not None and wet_c > dry_c + 1e-9:
        raise ValueError(
            f"a wet bulb above the dry bulb ({wet_c:g} > {dry_c:g} °C) is physically impossible"
        )
    return wet_c


def is_time_of_day(text: str) -> bool:
    parts = text.strip().split(":")
    return len(parts) in (2, 3) and all(p.isdigit() for p in parts)


def outdoor_time_s(text: str) -> float:
    """Seconds of the day for ``HH:MM[:SS]``, else seconds since the epoch for ISO 8601 (UTC
    unless zoned); ValueError otherwise."""
    import datetime as dt

    if is_time_of_day(text):
        h, m, *s = (int(p) for p in text.strip().split(":"))
        if not (0 <= h < 24 and 0 <= m < 60 and all(0 <= x < 60 for x in s)):
            raise ValueError(f"{text!r} is not a time of day")
        return h * 3600.0 + m * 60.0 + (s[0] if s else 0)
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither HH:MM nor an ISO 8601 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


class Energy(_Strict):
    """The site's energy figures outside the halls' IT: cooling plant, outdoor conditions,
    lighting and other fixed loads."""

    outdoor_c: OutdoorC = Field(20.0, description="Outdoor dry bulb (constant), C.")
    outdoor_wet_bulb_c: OutdoorC | None = Field(
        None, description="Outdoor wet bulb for cooling towers; unset: the dry bulb."
    )

    outdoor_series: list[OutdoorPoint] = Field(
        default_factory=list,
        max_length=L.MAX_ITEMS,
        description="Outdoor temperature over time (overrides outdoor_c).",
    )
    lighting_w_m2: L.non_negative(1_000.0) = Field(  # type: ignore[valid-type]
        10.0, description="Hall lighting per m2 of floor."
    )
    fixed_kw: L.non_negative(L.MAX_DEVICE_KW) = Field(  # type: ignore[valid-type]
        0.0, description="Offices, security, controls: site rest."
    )
    plants: list[CoolingPlant] = Field(default_factory=list, max_length=L.MAX_ITEMS)

    @field_validator("outdoor_wet_bulb_c")
    @classmethod
    def _wet_at_most_dry(cls, wet_c: float | None, info: ValidationInfo) -> float | None:
        return _wet_bulb(wet_c, info, "outdoor_c")

    @model_validator(mode="after")
    def _one_kind_of_time(self) -> Energy:
        daily = {is_time_of_day(p.at) for p in self.outdoor_series}
        if len(daily) > 1:
            raise ValueError("outdoor_series mixes times of day (HH:MM) and absolute times")
        return self


class Calibration(_Strict):
    """Where a ``physics:`` block's values came from (written by ``twin cfd calibrate``)."""

    source: L.Text = Field(description="The CFD field, reference or recording fitted to.")
    method: L.Text = "least squares on rack inlets and slice temperatures"
    fitted_at: L.Text = Field(description="ISO 8601 time of the fit.")
    samples: L.count(0, 10**9) = 0
    rms_before_k: L.bounded(0.0, 1000.0) | None = None
    rms_after_k: L.bounded(0.0, 1000.0) | None = None
    cell_m: L.PositiveLength | None = None


class Physics(_Strict):
    """The airflow model's free parameters, for a hall calibrated to its own CFD or sensors."""

    eddy_viscosity_scale: Annotated[float, Field(gt=0, le=20, allow_inf_nan=False), L.NoBool] = (
        Field(
            1.0,
            description="Multiplies the Chen-Xu zero-equation eddy viscosity (momentum mixing).",
        )
    )
    turbulent_prandtl: Annotated[float, Field(gt=0.05, le=5, allow_inf_nan=False), L.NoBool] = (
        Field(0.9, description="Turbulent Prandtl number: heat mixing is eddy viscosity / this.")
    )
    calibration: Calibration | None = None


class Layout(_Strict):
    format: Literal["twin-layout/1"]
    name: Text
    description: L.Description | None = None
    air: Air = Air()
    power_redundancy: Literal["N", "N+1", "2N"] = "2N"
    cooling_redundancy: Literal["N", "N+1", "2N"] = Field(
        "N", description="Air units per hall: N+1 must carry the load with the largest unit off."
    )
    halls: list[Hall] = Field(min_length=1, max_length=L.MAX_HALLS)
    rows: list[Row] = Field(default_factory=list, max_length=L.MAX_ROWS)
    power: list[PowerDevice] = Field(default_factory=list, max_length=L.MAX_ITEMS)
    cooling: Cooling = Cooling()
    sensors: list[Sensor] = Field(default_factory=list, max_length=L.MAX_ITEMS)
    telemetry: TelemetryMapping = TelemetryMapping()
    energy: Energy | None = Field(
        None, description="Cooling plant and site loads for PUE; unset: a default plant."
    )
    physics: Physics | None = Field(
        None, description="Calibrated airflow-model parameters; unset: the model's defaults."
    )
    catalog: list[CatalogItem] = Field(
        default_factory=list,
        max_length=L.MAX_CATALOG_ITEMS,
        description="Device types added to (or overriding) the shared catalog.",
    )


def json_schema() -> dict:
    """The JSON Schema of the layout format, for editors and other tools."""
    schema = Layout.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://twin.dev/schema/twin-layout-1.json"
    schema["title"] = "Twin layout (twin-layout/1)"
    return schema
