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

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from twin.model.catalog_schema import CatalogItem, Fraction, Id, NonNegative, Positive

FORMAT = "twin-layout/1"

Vec2 = tuple[float, float]
Vec3 = tuple[float, float, float]
Rect = tuple[float, float, float, float]


def _on_off(value: object) -> object:
    """YAML 1.1 reads a bare ``on``/``off`` as a boolean; accept both spellings."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return value


OnOff = Annotated[Literal["on", "off"], BeforeValidator(_on_off)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _check_rect(rect: Rect, where: str) -> None:
    if not (rect[2] > rect[0] and rect[3] > rect[1]):
        raise ValueError(f"{where} must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0")


class Air(_Strict):
    density_kg_m3: Positive = 1.19
    cp_j_kgk: Positive = 1005.0


class Hall(_Strict):
    id: Id
    name: str | None = None
    origin_m: Vec2 = (0.0, 0.0)
    size_m: tuple[Positive, Positive, Positive] = Field(description="Width (x), depth (y), height.")
    floor: Literal["raised", "slab"] = "raised"
    plenum_m: NonNegative = Field(0.6, description="Raised-floor plenum depth.")
    tile_m: Positive = 0.6
    floor_load_kg_m2: Positive = Field(1465.0, description="Rated distributed floor load.")
    clearance_front_m: NonNegative = 1.2
    clearance_rear_m: NonNegative = 0.9


class ServerGroup(_Strict):
    """``count`` servers of one type, stacked from the bottom of the rack."""

    type: Id
    count: Annotated[int, Field(ge=1, le=64)] = 1
    hosts: list[str] | None = Field(
        None, description="Host names as DCGM labels them, one per host, in slot order."
    )
    host_pattern: str | None = Field(
        None,
        description="Format for host names: {rack}, {row}, {hall}, {slot} (1-based host number "
        "in the rack), {n} (1-based host number in this group).",
    )


class RackLoad(_Strict):
    """A rack given by its load instead of its servers."""

    power_kw: NonNegative
    airflow_m3s: Positive | None = None
    delta_t_k: Positive | None = None
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
    rotation_deg: float = 0.0
    servers: list[ServerGroup] = []
    load: RackLoad | None = None
    feeds: Feeds = Feeds()
    cdu: Id | None = None
    label: str | None = None


class Row(_Strict):
    id: Id
    hall: Id
    racks: list[Rack] = []


class PowerDevice(_Strict):
    id: Id
    type: Id
    upstream: Id | None = None
    hall: Id | None = None
    position_m: Vec2 | None = None
    rotation_deg: float = 0.0
    capacity_kw: Positive | None = Field(None, description="Overrides the catalog rating.")
    state: OnOff = "on"


class AirUnit(_Strict):
    id: Id
    type: Id
    hall: Id
    position_m: Vec2
    rotation_deg: float = Field(0.0, description="0: discharge (front) faces -y, as for racks.")
    supply_c: float | None = None
    airflow_m3s: Positive | None = None
    capacity_kw: Positive | None = None
    discharge: Literal["underfloor", "front", "ceiling"] = "underfloor"
    intake: Literal["top", "rear"] = "top"
    state: OnOff = "on"


class Cdu(_Strict):
    id: Id
    type: Id
    hall: Id
    position_m: Vec2
    rotation_deg: float = 0.0
    supply_c: float | None = None
    flow_lps: Positive | None = None
    capacity_kw: Positive | None = None
    state: OnOff = "on"


class SupplyRegion(_Strict):
    """Perforated floor tiles (or ceiling diffusers) over a rectangle."""

    id: Id
    hall: Id
    rect_m: Rect
    kind: Literal["floor", "ceiling"] = "floor"
    open_fraction: Fraction = 0.25
    flow_m3s: Positive | None = Field(
        None, description="Total flow; by default the underfloor units' flow shared by open area."
    )
    supply_c: float | None = Field(None, description="By default the feeding units' set point.")

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
    height_m: Positive
    roof: bool = True
    doors: bool = Field(True, description="Close the short ends of the aisle.")

    @model_validator(mode="after")
    def _rect(self) -> Containment:
        _check_rect(self.rect_m, "rect_m")
        return self


class Cooling(_Strict):
    air_units: list[AirUnit] = []
    cdus: list[Cdu] = []
    supplies: list[SupplyRegion] = []
    returns: list[ReturnGrille] = []
    containment: list[Containment] = []


class Sensor(_Strict):
    id: Id
    hall: Id
    position_m: Vec3
    kind: Literal["temperature"] = "temperature"
    label: str | None = None


class TelemetryMapping(_Strict):
    """How exporter series map to GPUs: host label + GPU index, or the GPU UUID."""

    host_labels: list[str] = ["Hostname", "hostname"]
    gpu_label: str = "gpu"
    uuid_label: str = "UUID"
    default_host_pattern: str = "{rack}-{slot:02d}"
    metrics: dict[str, str] = Field(
        default_factory=dict,
        description="Overrides of exporter metric names, e.g. {temp_c: DCGM_FI_DEV_GPU_TEMP}.",
    )
    gpu_uuids: dict[str, str] = Field(
        default_factory=dict,
        description="GPU UUID -> 'host/gpuN', for series whose host label is missing or does not "
        "match the layout's host names.",
    )


class CoolingPlant(_Strict):
    """Chillers and heat rejection making the water for some air units and CDUs.

    With ``chiller`` unset the plant is chiller-less (dry coolers or towers only, as warm-water
    liquid cooling allows); with ``heat_rejection`` unset there is no free cooling."""

    id: Id
    chiller: Id | None = Field(None, description="Catalog chiller type.")
    chillers: Annotated[int, Field(ge=1)] = 1
    heat_rejection: Id | None = Field(None, description="Catalog dry cooler or cooling tower.")
    heat_rejection_units: Annotated[int, Field(ge=1)] = 1
    serves: list[Id] = Field(
        default_factory=list,
        description="Air units, CDUs or halls this plant serves; empty: every unit no other "
        "plant names.",
    )
    loop_delta_t_k: Positive = Field(6.0, description="Plant water temperature rise, K.")
    pump_head_kpa: NonNegative = Field(250.0, description="Plant (primary) pump head.")
    condenser_pump_head_kpa: NonNegative = Field(150.0, description="Condenser pump head.")
    pump_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.7


class OutdoorPoint(_Strict):
    """One point of an outdoor temperature series: a time of day ``HH:MM`` (repeated daily)
    or an ISO 8601 time."""

    at: str
    dry_bulb_c: float
    wet_bulb_c: float | None = None

    @model_validator(mode="after")
    def _when(self) -> OutdoorPoint:
        outdoor_time_s(self.at)
        return self


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

    outdoor_c: float = Field(20.0, description="Outdoor dry bulb (constant), C.")
    outdoor_wet_bulb_c: float | None = Field(
        None, description="Outdoor wet bulb for cooling towers; unset: the dry bulb."
    )
    outdoor_series: list[OutdoorPoint] = Field(
        default_factory=list, description="Outdoor temperature over time (overrides outdoor_c)."
    )
    lighting_w_m2: NonNegative = Field(10.0, description="Hall lighting per m2 of floor.")
    fixed_kw: NonNegative = Field(0.0, description="Offices, security, controls: site rest.")
    plants: list[CoolingPlant] = []

    @model_validator(mode="after")
    def _one_kind_of_time(self) -> Energy:
        daily = {is_time_of_day(p.at) for p in self.outdoor_series}
        if len(daily) > 1:
            raise ValueError("outdoor_series mixes times of day (HH:MM) and absolute times")
        return self


class Layout(_Strict):
    format: Literal["twin-layout/1"]
    name: str
    description: str | None = None
    air: Air = Air()
    power_redundancy: Literal["N", "N+1", "2N"] = "2N"
    cooling_redundancy: Literal["N", "N+1", "2N"] = Field(
        "N", description="Air units per hall: N+1 must carry the load with the largest unit off."
    )
    halls: list[Hall] = Field(min_length=1)
    rows: list[Row] = []
    power: list[PowerDevice] = []
    cooling: Cooling = Cooling()
    sensors: list[Sensor] = []
    telemetry: TelemetryMapping = TelemetryMapping()
    energy: Energy | None = Field(
        None, description="Cooling plant and site loads for PUE; unset: a default plant."
    )
    catalog: list[CatalogItem] = Field(
        default_factory=list,
        description="Device types added to (or overriding) the shared catalog.",
    )


def json_schema() -> dict:
    """The JSON Schema of the layout format, for editors and other tools."""
    schema = Layout.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://twin.dev/schema/twin-layout-1.json"
    schema["title"] = "Twin layout (twin-layout/1)"
    return schema
