"""A facility as an OpenUSD stage: Z up, metres, kilograms; one Xform per hall, row, rack,
server, cooling unit and power device, each a box of its real size with its ids, types,
powers and feeds as attributes (``names`` says which follow SimReady and which are Twin's).

Prim tree::

    /Twin                                   site (default prim): layout name, format
      /HALL_1                               hall, translated to its site origin
        /Rows/A/A01                         rack: translate + rotateZ, Body cube, ...
                  /Server_1                 server at its U slot: type, hosts, GPU ids
        /Cooling/CRAH_1, /Cooling/CDU_1     air units and CDUs
      /Power/PDU_A1_A                       power chain (placed when the layout places it)

Telemetry (``frames``) goes in ``twin:telemetry:*`` attributes: one frame as plain values
(a snapshot; its UTC time in the layer's customLayerData), several as time samples whose
time codes are seconds since the first frame (``timeCodesPerSecond`` = 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from pxr import Gf, Kind, Sdf, Tf, Usd, UsdGeom, UsdPhysics, Vt

from twin.api import LAYOUT_FORMAT, RACK_BASE_M, Facility, Frame, __version__
from twin.api import RACK_UNIT_M as U_M
from twin_usd import names as n

COLOURS = {
    "rack": (0.22, 0.24, 0.28),
    "server": (0.35, 0.55, 0.85),
    "air_unit": (0.55, 0.80, 0.95),
    "cdu": (0.25, 0.55, 0.95),
    "power": (0.95, 0.70, 0.20),
}


class _Names:
    """Valid, unique USD prim names for Twin ids (``HALL-1`` -> ``HALL_1``)."""

    def __init__(self) -> None:
        self._used: set[tuple[str, str]] = set()

    def reserve(self, parent: Sdf.Path, name: str) -> Sdf.Path:
        """Keep ``name`` for a prim of the exporter's own (``/Twin/Power``): an item with that
        id is named apart (a hall called Power became the power scope, its racks inside it)."""
        self._used.add((str(parent), name))
        return parent.AppendChild(name)

    def __call__(self, parent: Sdf.Path, item_id: str) -> Sdf.Path:
        base = Tf.MakeValidIdentifier(item_id)
        name, k = base, 1
        while (str(parent), name) in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add((str(parent), name))
        return parent.AppendChild(name)


def _set(prim: Usd.Prim, name: str, type_name, value) -> Usd.Attribute:
    attr = prim.CreateAttribute(name, type_name, custom=True)
    if value is not None:
        attr.Set(value)
    return attr


def _box(stage: Usd.Stage, parent: Sdf.Path, size_m, colour, z0: float = 0.0) -> None:
    """A ``Body`` cube of ``size_m`` (W, D, H) standing on z0 inside its parent's frame."""
    cube = UsdGeom.Cube.Define(stage, parent.AppendChild("Body"))
    cube.CreateSizeAttr(1.0)
    w, d, h = (float(x) for x in size_m)
    cube.AddTranslateOp().Set(Gf.Vec3d(0.0, 0.0, z0 + h / 2))
    cube.AddScaleOp().Set(Gf.Vec3f(w, d, h))
    cube.CreateDisplayColorAttr(Vt.Vec3fArray([Gf.Vec3f(*colour)]))
    cube.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(-0.5), Gf.Vec3f(0.5)]))


def _place(stage: Usd.Stage, path: Sdf.Path, x: float, y: float, rot_deg: float, kind) -> Usd.Prim:
    xf = UsdGeom.Xform.Define(stage, path)
    xf.AddTranslateOp().Set(Gf.Vec3d(float(x), float(y), 0.0))
    if rot_deg:
        xf.AddRotateZOp().Set(float(rot_deg))
    prim = xf.GetPrim()
    Usd.ModelAPI(prim).SetKind(kind)
    return prim


def _aif_dimensions(prim: Usd.Prim, size_m, weight_kg: float | None) -> None:
    w, d, h = (float(x) * 1e3 for x in size_m)
    _set(prim, n.WIDTH_MM, Sdf.ValueTypeNames.Float, w)
    _set(prim, n.DEPTH_MM, Sdf.ValueTypeNames.Float, d)
    _set(prim, n.HEIGHT_MM, Sdf.ValueTypeNames.Float, h)
    _set(prim, n.DIMENSIONS_MM, Sdf.ValueTypeNames.Float3, Gf.Vec3f(w, d, h))
    if weight_kg:
        _set(prim, n.WEIGHT_KG, Sdf.ValueTypeNames.Float, float(weight_kg))


def _ident(
    prim: Usd.Prim,
    item_id: str,
    kind: str,
    type_id: str | None = None,
    type_name: str | None = None,
):
    _set(prim, n.ID, Sdf.ValueTypeNames.String, item_id)
    _set(prim, n.KIND, Sdf.ValueTypeNames.Token, kind)
    if type_id:
        _set(prim, n.TYPE, Sdf.ValueTypeNames.String, type_id)
    if type_name:
        _set(prim, n.TYPE_NAME, Sdf.ValueTypeNames.String, type_name)


class StageBuilder:
    """Builds the stage for one facility; ``prims[kind][index]`` is each item's prim, so the
    telemetry writer addresses items in the facility's index order."""

    def __init__(self, facility: Facility) -> None:
        self.f = facility
        self.stage = Usd.Stage.CreateInMemory()
        self.names = _Names()
        self.prims: dict[str, list[Usd.Prim]] = {}
        self.server_gpus: list[np.ndarray] = []  # GPU indices of each server, in order

    def build(self) -> Usd.Stage:
        f, stage = self.f, self.stage
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
        root = UsdGeom.Xform.Define(stage, "/Twin").GetPrim()
        Usd.ModelAPI(root).SetKind(Kind.Tokens.assembly)
        stage.SetDefaultPrim(root)
        _set(root, "twin:layoutName", Sdf.ValueTypeNames.String, f.layout.name)
        _set(root, "twin:format", Sdf.ValueTypeNames.String, LAYOUT_FORMAT)
        stage.GetRootLayer().customLayerData = {
            "twin:layoutName": f.layout.name,
            "twin:exportedBy": f"Twin {__version__}",
            "twin:conventions": "aif:core/aif:spec after SimReady AIF metadata; twin:* are Twin's",
        }
        power = self.names.reserve(root.GetPath(), "Power")
        halls = [self._hall(h) for h in range(len(f.hall_ids))]
        self._racks(halls)
        self._air_units(halls)
        self._cdus(halls)
        self._power(power)
        return stage

    # ------------------------------------------------------------------ halls and racks
    def _hall(self, h: int) -> Sdf.Path:
        f = self.f
        path = self.names(Sdf.Path("/Twin"), f.hall_ids[h])
        ox, oy = f.hall_origin_m[h]
        prim = _place(self.stage, path, ox, oy, 0.0, Kind.Tokens.group)
        _ident(prim, f.hall_ids[h], "hall")
        _set(
            prim, "twin:sizeM", Sdf.ValueTypeNames.Double3, Gf.Vec3d(*map(float, f.hall_size_m[h]))
        )
        for group in ("Rows", "Cooling"):
            UsdGeom.Scope.Define(self.stage, path.AppendChild(group))
        return path

    def _racks(self, halls: list[Sdf.Path]) -> None:
        f, stage, V = self.f, self.stage, Sdf.ValueTypeNames
        rows = []
        for r, row_id in enumerate(f.row_ids):
            path = self.names(halls[f.row_hall[r]].AppendChild("Rows"), row_id)
            prim = UsdGeom.Xform.Define(stage, path).GetPrim()
            Usd.ModelAPI(prim).SetKind(Kind.Tokens.group)
            _ident(prim, row_id, "row")
            rows.append(path)
        first_server = np.searchsorted(f.server_rack, np.arange(f.n_racks + 1))
        first_gpu = np.searchsorted(f.gpu_server, np.arange(len(f.server_rack) + 1))
        self.server_gpus = [
            np.arange(first_gpu[s], first_gpu[s + 1]) for s in range(len(f.server_rack))
        ]
        rack_prims, server_prims = [], []
        for i, rid in enumerate(f.rack_ids):
            x, y = f.rack_center_m[i, :2]
            path = self.names(rows[f.rack_row[i]], rid)
            prim = _place(stage, path, x, y, f.rack_rotation_deg[i], Kind.Tokens.component)
            rack = f.racks[i]
            _ident(prim, rid, "rack", rack.type, f.catalog[rack.type].name)
            _set(prim, n.ASSET_CLASS, V.String, n.CLASS_COMPUTE_RACK)
            _aif_dimensions(prim, f.rack_size_m[i], f.rack_weight_kg[i])
            _set(prim, "twin:row", V.String, f.row_ids[f.rack_row[i]])
            _set(prim, "twin:hall", V.String, f.hall_ids[f.rack_hall[i]])
            _set(prim, "twin:positionM", V.Double2, Gf.Vec2d(float(x), float(y)))
            _set(prim, "twin:rotationDeg", V.Double, float(f.rack_rotation_deg[i]))
            _set(prim, "twin:designPowerW", V.Double, float(f.rack_power_w[i]))
            _set(prim, "twin:idlePowerW", V.Double, float(f.rack_idle_w[i]))
            _set(prim, "twin:airflowM3s", V.Double, float(f.rack_airflow_m3s[i]))
            _set(prim, "twin:liquidFraction", V.Double, float(f.rack_liquid_fraction[i]))
            _set(prim, "twin:gpuCount", V.Int, int(f.rack_gpu_count[i]))
            feeds = f.feeds_of(rid)
            for side in ("A", "B"):
                chain = feeds.get(side, [])
                _set(prim, f"twin:feed{side}", V.String, chain[0] if chain else "")
                _set(prim, f"twin:feedPath{side}", V.StringArray, Vt.StringArray(chain))
            cdu = int(f.rack_cdu[i])
            _set(prim, "twin:cdu", V.String, f.cdu_ids[cdu] if cdu >= 0 else "")
            _box(stage, path, f.rack_size_m[i], COLOURS["rack"])
            rack_prims.append(prim)
            for k, s in enumerate(range(first_server[i], first_server[i + 1]), start=1):
                server_prims.append(self._server(path, i, k, s))
        self.prims["rack"] = rack_prims
        self.prims["server"] = server_prims

    def _server(self, rack_path: Sdf.Path, r: int, k: int, s: int) -> Usd.Prim:
        f, V = self.f, Sdf.ValueTypeNames
        stype = f.catalog[f.server_type[s]]
        path = rack_path.AppendChild(f"Server_{k}")
        xf = UsdGeom.Xform.Define(self.stage, path)
        z0 = RACK_BASE_M + float(f.server_slot_u[s]) * U_M
        xf.AddTranslateOp().Set(Gf.Vec3d(0.0, 0.0, z0))
        prim = xf.GetPrim()
        _ident(prim, f"{f.rack_ids[r]}/s{k}", "server", stype.id, stype.name)
        _set(prim, "twin:slotU", V.Int, int(f.server_slot_u[s]))
        _set(prim, "twin:heightU", V.Int, int(stype.u))
        _set(prim, "twin:designPowerW", V.Double, float(stype.power_kw) * 1e3)
        _set(prim, "twin:liquidFraction", V.Double, float(stype.liquid_fraction))
        hosts = np.flatnonzero(f.host_server == s)
        _set(prim, "twin:hosts", V.StringArray, Vt.StringArray([f.host_names[h] for h in hosts]))
        gpus = self.server_gpus[s]
        _set(
            prim, "twin:gpuIds", V.StringArray, Vt.StringArray([f.gpu_label(int(g)) for g in gpus])
        )
        w, d, _ = f.rack_size_m[r]
        _box(self.stage, path, (0.9 * w, 0.9 * d, stype.u * U_M), COLOURS["server"])
        return prim

    # ------------------------------------------------------------------ units and power
    def _air_units(self, halls: list[Sdf.Path]) -> None:
        f, V = self.f, Sdf.ValueTypeNames
        prims = []
        for i, uid in enumerate(f.air_unit_ids):
            x, y = f.air_unit_center_m[i, :2]
            path = self.names(halls[f.air_unit_hall[i]].AppendChild("Cooling"), uid)
            prim = _place(self.stage, path, x, y, f.air_unit_rotation_deg[i], Kind.Tokens.component)
            unit = f.layout.cooling.air_units[i]
            item = f.catalog[unit.type]
            _ident(prim, uid, "air_unit", unit.type, item.name)
            if unit.type.startswith("crah"):
                _set(prim, n.ASSET_CLASS, V.String, n.CLASS_CRAH)
            _aif_dimensions(prim, f.air_unit_size_m[i], getattr(item, "weight_kg", 0.0))
            _set(prim, n.NOMINAL_COOLING_KW, V.Float, float(f.air_unit_capacity_w[i]) / 1e3)
            _set(prim, "twin:capacityW", V.Double, float(f.air_unit_capacity_w[i]))
            _set(prim, "twin:airflowM3s", V.Double, float(f.air_unit_airflow_m3s[i]))
            _set(prim, "twin:supplyC", V.Double, float(f.air_unit_supply_c[i]))
            _set(prim, "twin:state", V.Token, "on" if f.air_unit_on[i] else "off")
            _set(prim, "twin:discharge", V.Token, f.air_unit_discharge[i])
            _box(self.stage, path, f.air_unit_size_m[i], COLOURS["air_unit"])
            prims.append(prim)
        self.prims["air_unit"] = prims

    def _cdus(self, halls: list[Sdf.Path]) -> None:
        f, V = self.f, Sdf.ValueTypeNames
        prims = []
        for i, cid in enumerate(f.cdu_ids):
            x, y = f.cdu_center_m[i, :2]
            path = self.names(halls[f.cdu_hall[i]].AppendChild("Cooling"), cid)
            prim = _place(self.stage, path, x, y, f.cdu_rotation_deg[i], Kind.Tokens.component)
            unit = f.layout.cooling.cdus[i]
            item = f.catalog[unit.type]
            _ident(prim, cid, "cdu", unit.type, item.name)
            _set(prim, n.ASSET_CLASS, V.String, n.CLASS_CDU)
            _aif_dimensions(prim, f.cdu_size_m[i], getattr(item, "weight_kg", 0.0))
            _set(prim, n.NOMINAL_COOLING_KW, V.Float, float(f.cdu_capacity_w[i]) / 1e3)
            _set(prim, "twin:capacityW", V.Double, float(f.cdu_capacity_w[i]))
            _set(prim, "twin:flowLps", V.Double, float(f.cdu_flow_lps[i]))
            _set(prim, "twin:supplyC", V.Double, float(f.cdu_supply_c[i]))
            _set(prim, "twin:state", V.Token, "on" if f.cdu_on[i] else "off")
            _set(prim, "twin:servedRacks", V.StringArray, Vt.StringArray(f.served_racks(cid)))
            _box(self.stage, path, f.cdu_size_m[i], COLOURS["cdu"])
            prims.append(prim)
        self.prims["cdu"] = prims

    def _power(self, scope: Sdf.Path) -> None:
        f, V = self.f, Sdf.ValueTypeNames
        UsdGeom.Scope.Define(self.stage, scope)
        prims = []
        for i, pid in enumerate(f.power_ids):
            path = self.names(scope, pid)
            placed = not np.isnan(f.power_center_m[i, 0]) and f.power_hall[i] >= 0
            if placed:
                ox, oy = f.hall_origin_m[f.power_hall[i]]
                x, y = f.power_center_m[i, :2]
                prim = _place(
                    self.stage, path, ox + x, oy + y, f.power_rotation_deg[i], Kind.Tokens.component
                )
            else:
                prim = UsdGeom.Xform.Define(self.stage, path).GetPrim()
            dev = f.layout.power[i]
            item = f.catalog[dev.type]
            _ident(prim, pid, f.power_kind[i], dev.type, item.name)
            if f.power_kind[i] == "ups":
                _set(prim, n.ASSET_CLASS, V.String, n.CLASS_UPS)
                _set(prim, n.UPS_RATING_KW, V.Float, float(f.power_capacity_w[i]) / 1e3)
            _set(prim, "twin:capacityW", V.Double, float(f.power_capacity_w[i]))
            _set(prim, "twin:efficiency", V.Double, float(f.power_efficiency[i]))
            up = int(f.power_upstream[i])
            _set(prim, "twin:upstream", V.String, f.power_ids[up] if up >= 0 else "")
            _set(prim, "twin:state", V.Token, "on" if f.power_on[i] else "off")
            if placed and f.power_size_m[i].any():
                _aif_dimensions(prim, f.power_size_m[i], getattr(item, "weight_kg", 0.0))
                _box(self.stage, path, f.power_size_m[i], COLOURS["power"])
            prims.append(prim)
        self.prims["power"] = prims


def write_frames(builder: StageBuilder, frames: Sequence[Frame]) -> None:
    """Telemetry on the prims: one frame as values, several as time samples."""
    if not frames:
        return
    stage, f = builder.stage, builder.f
    t0 = float(frames[0].time_s)
    samples = len(frames) > 1
    layer = stage.GetRootLayer()
    data = dict(layer.customLayerData)
    start = dt.datetime.fromtimestamp(t0, dt.UTC).isoformat().replace("+00:00", "Z")
    if samples:
        stage.SetTimeCodesPerSecond(1.0)
        stage.SetStartTimeCode(0.0)
        stage.SetEndTimeCode(float(frames[-1].time_s) - t0)
        data["twin:telemetryStartUtc"] = start
        data["twin:telemetryFrames"] = len(frames)
    else:
        data["twin:snapshotUtc"] = start
    layer.customLayerData = data
    attrs: dict[tuple[str, str], list[Usd.Attribute]] = {}

    def attributes(
        kind: str, metric: str, prims: list[Usd.Prim], array: bool
    ) -> list[Usd.Attribute]:
        key = (kind, metric)
        if key not in attrs:
            type_name = Sdf.ValueTypeNames.FloatArray if array else Sdf.ValueTypeNames.Float
            name = n.metric_attr(metric, "gpu" if array else "")
            attrs[key] = [p.CreateAttribute(name, type_name, custom=True) for p in prims]
        return attrs[key]

    gpu_slices = builder.server_gpus
    for frame in frames:
        when = Usd.TimeCode(float(frame.time_s) - t0) if samples else Usd.TimeCode.Default()
        for kind in ("rack", "air_unit", "cdu", "power"):
            prims = builder.prims.get(kind, [])
            for metric, values in frame.group(kind).items():
                if len(values) != len(prims):
                    continue
                for attr, v in zip(
                    attributes(kind, metric, prims, False), values.tolist(), strict=True
                ):
                    attr.Set(float(v), when)
        servers = builder.prims.get("server", [])
        for metric, values in frame.gpu.items():
            if len(values) != f.n_gpus:
                continue
            vals = np.asarray(values, dtype=np.float32)
            for attr, idx in zip(attributes("gpu", metric, servers, True), gpu_slices, strict=True):
                attr.Set(Vt.FloatArray.FromNumpy(vals[idx]), when)
