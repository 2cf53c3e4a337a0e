"""Builders of the scene's static parts: floors and walls, air units, CDUs and power devices,
supply tiles, returns, containment and sensors. Each adds its actors to the scene's plotter and
registers them as a layer (and with the picker where they can be clicked)."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.model.containment import ducted_to_ceiling
from twin.render import geometry as geo
from twin.render import style

UNIT_FACES = geo.ALL_FACES


def _tile_grid(ox: float, oy: float, w: float, d: float, tile_m: float) -> pv.PolyData:
    """The joints of a raised floor's tiles, just above the floor."""
    xs = ox + np.arange(tile_m, w - 1e-9, tile_m)
    ys = oy + np.arange(tile_m, d - 1e-9, tile_m)
    a = np.concatenate(
        [np.stack([xs, np.full_like(xs, oy)], 1), np.stack([np.full_like(ys, ox), ys], 1)]
    )
    b = np.concatenate(
        [np.stack([xs, np.full_like(xs, oy + d)], 1), np.stack([np.full_like(ys, ox + w), ys], 1)]
    )
    z = np.full((len(a), 1), 0.003)
    return geo.segments(np.hstack([a, z]), np.hstack([b, z]))


def _walls(ox: float, oy: float, w: float, d: float, height: float):
    """A hall's four walls (quads facing inwards) and their outline (top and bottom edges,
    corners)."""
    c = np.array([[ox, oy], [ox + w, oy], [ox + w, oy + d], [ox, oy + d]])
    nxt = np.roll(c, -1, axis=0)
    pts = np.concatenate(
        [
            np.hstack([nxt, np.zeros((4, 1))]),
            np.hstack([c, np.zeros((4, 1))]),
            np.hstack([c, np.full((4, 1), height)]),
            np.hstack([nxt, np.full((4, 1), height)]),
        ]
    )
    quads = np.arange(16).reshape(4, 4).T  # (p_next, p, p_top, p_next_top): inward
    top = np.hstack([c, np.full((4, 1), height)])
    bot = np.hstack([c, np.zeros((4, 1))])
    outline = geo.segments(
        np.concatenate([top, top, bot]),
        np.concatenate([np.roll(top, -1, 0), bot, np.roll(bot, -1, 0)]),
    )
    return pv.PolyData.from_regular_faces(pts, quads), outline


def build_site(scene) -> None:
    """Floors (slab or raised, with tile joints) and walls of every hall."""
    f = scene.facility
    floors, grids, walls, outlines = [], [], [], []
    for h, hall in enumerate(f.layout.halls):
        ox, oy = f.hall_origin_m[h]
        w, d, height = f.hall_size_m[h]
        floors.append(geo.rects(np.array([[ox, oy, ox + w, oy + d]]), 0.0))
        if hall.floor == "raised":
            grids.append(_tile_grid(ox, oy, w, d, hall.tile_m))
        wall, outline = _walls(ox, oy, w, d, height)
        walls.append(wall)
        outlines.append(outline)
    raised = any(h.floor == "raised" for h in f.layout.halls)
    floor = scene._add(
        pv.merge(floors) if floors else pv.PolyData(),
        color=style.FLOOR if raised else style.SLAB,
        ambient=0.25,
        diffuse=0.8,
        specular=0.05,
        name="floor",
    )
    grid = scene._add(
        pv.merge(grids) if grids else pv.PolyData(),
        color=style.FLOOR_GRID,
        line_width=1,
        lighting=False,
        name="floor_grid",
    )
    scene.add_layer("floor", [floor, grid])
    wall = scene._add(
        pv.merge(walls),
        color=style.WALL,
        ambient=0.3,
        diffuse=0.6,
        specular=0.0,
        culling="back",  # the near walls face away from the camera: a dollhouse view
        name="walls",
    )
    edge = scene._add(
        pv.merge(outlines),
        color=style.WALL_EDGE,
        line_width=1,
        lighting=False,
        opacity=0.6,
        name="wall_edges",
    )
    scene.add_layer("walls", [wall, edge])


def unit_layer(
    scene,
    name: str,
    kind: str,
    index: np.ndarray,
    center: np.ndarray,
    size: np.ndarray,
    rot: np.ndarray,
    rgb: np.ndarray,
) -> None:
    if len(index) == 0:
        scene.add_layer(name, [])
        return
    c = center.copy()
    c[:, 2] = size[:, 2] / 2
    mesh = geo.boxes(c, size, rot, UNIT_FACES)
    nf = len(UNIT_FACES)
    mesh.cell_data["index"] = np.repeat(index.astype(np.int32), nf)
    mesh.cell_data["rgb"] = np.repeat(rgb.astype(np.uint8), nf, axis=0)
    actor = scene._add(
        mesh,
        scalars="rgb",
        rgb=True,
        preference="cell",
        ambient=0.25,
        diffuse=0.8,
        specular=0.25,
        pickable=True,
        name=name,
    )
    edges = scene._add(
        geo.box_edges(c, size * 1.002, rot),
        color="#1d2126",
        line_width=1,
        lighting=False,
        opacity=0.7,
        name=name + "_edges",
    )
    scene.picker.register(actor, kind, lambda cell, m=mesh: int(m.cell_data["index"][cell]))
    setattr(scene, name + "_mesh", mesh)
    scene.add_layer(name, [actor, edges])


def build_units(scene) -> None:
    f = scene.facility
    o = scene._origin
    n = len(f.air_unit_ids)
    rgb = np.array(
        [style.hex_rgb(style.AIR_UNIT if on else style.AIR_UNIT_OFF) for on in f.air_unit_on]
    ).reshape(n, 3)
    unit_layer(
        scene,
        "air_units",
        "air_unit",
        np.arange(n),
        f.air_unit_center_m + o[f.air_unit_hall],
        f.air_unit_size_m,
        f.air_unit_rotation_deg,
        rgb,
    )
    n = len(f.cdu_ids)
    rgb = np.array([style.hex_rgb(style.CDU if on else style.CDU_OFF) for on in f.cdu_on]).reshape(
        n, 3
    )
    unit_layer(
        scene,
        "cdus",
        "cdu",
        np.arange(n),
        f.cdu_center_m + o[f.cdu_hall],
        f.cdu_size_m,
        f.cdu_rotation_deg,
        rgb,
    )
    drawn = np.flatnonzero(np.isfinite(f.power_center_m[:, 0]) & (f.power_size_m.min(axis=1) > 0))
    rgb = np.array(
        [
            style.hex_rgb(
                style.POWER.get(f.power_kind[i], style.POWER_OTHER)
                if f.power_on[i]
                else style.POWER_OFF
            )
            for i in drawn
        ]
    ).reshape(len(drawn), 3)
    hall = np.maximum(f.power_hall[drawn], 0)
    unit_layer(
        scene,
        "power_devices",
        "power",
        drawn,
        f.power_center_m[drawn] + o[hall],
        f.power_size_m[drawn],
        f.power_rotation_deg[drawn],
        rgb,
    )


def build_cooling_extras(scene) -> None:
    """Perforated tiles, return grilles, containment and sensors."""
    f, o = scene.facility, scene._origin
    cool = f.layout.cooling
    hall_h = {h: f.hall_size_m[i, 2] for i, h in enumerate(f.hall_ids)}

    def shifted(rect, hall):
        ox, oy = o[f.hall_index[hall], :2]
        return [rect[0] + ox, rect[1] + oy, rect[2] + ox, rect[3] + oy]

    floor = [shifted(s.rect_m, s.hall) for s in cool.supplies if s.kind == "floor"]
    ceil_rects = [shifted(s.rect_m, s.hall) for s in cool.supplies if s.kind == "ceiling"]
    ceil_z = [hall_h[s.hall] - 0.01 for s in cool.supplies if s.kind == "ceiling"]
    actors = [
        scene._add(
            geo.rects(np.array(floor).reshape(-1, 4), 0.006),
            color=style.SUPPLY_FLOOR,
            ambient=0.35,
            specular=0.1,
            name="supplies_floor",
        )
    ]
    if ceil_rects:
        actors.append(rect_outline(scene, ceil_rects, ceil_z, style.SUPPLY_FLOOR, "supplies_ceil"))
    scene.add_layer("supplies", actors)
    rets = [shifted(r.rect_m, r.hall) for r in cool.returns]
    ret_z = [hall_h[r.hall] - 0.01 if r.kind == "ceiling" else 1.5 for r in cool.returns]
    scene.add_layer(
        "returns", [rect_outline(scene, rets, ret_z, style.RETURN, "returns")] if rets else []
    )
    actors = []
    for kind, color in (("cold-aisle", style.CONTAIN_COLD), ("hot-aisle", style.CONTAIN_HOT)):
        items = [c for c in cool.containment if c.kind == kind]
        if items:
            actors += containment(scene, items, color, kind)
    panels = [c for c in cool.containment if c.kind == "panel"]
    if panels:
        actors += containment(scene, panels, style.WALL_EDGE, "panel")
    scene.add_layer("containment", actors)
    scene.add_layer("sensors", sensors(scene, f, o))


def sensors(scene, f, origins) -> list:
    """The point sensors as spheres coloured by their reading in the rack inlets' ASHRAE A1
    bands (``thermal_inlets``); light grey until a frame brings one (``Scene.update``)."""
    from twin.render.thermal_inlets import INLET_TABLE_C, inlet_lookup_table

    if not f.sensor_ids:
        return []
    mesh = pv.PolyData(f.sensor_position_m + origins[f.sensor_hall])
    mesh.point_data["temp_c"] = np.full(len(f.sensor_ids), np.nan)
    actor = scene._add(
        mesh,
        scalars="temp_c",
        clim=INLET_TABLE_C,
        show_scalar_bar=False,
        point_size=20,
        render_points_as_spheres=True,
        name="sensors",
    )
    lut = actor.mapper.lookup_table
    lut.DeepCopy(inlet_lookup_table())
    lut.SetNanColor(*(c / 255 for c in style.hex_rgb(style.SENSOR)), 1.0)
    actor.mapper.scalar_range = INLET_TABLE_C
    scene.sensor_mesh = mesh
    return [actor]


def rect_outline(scene, rects, z, color, name):
    r = np.asarray(rects, dtype=float).reshape(-1, 4)
    zz = np.asarray(z, dtype=float).reshape(-1)
    c = np.stack(
        [
            np.stack([r[:, 0], r[:, 1], zz], 1),
            np.stack([r[:, 2], r[:, 1], zz], 1),
            np.stack([r[:, 2], r[:, 3], zz], 1),
            np.stack([r[:, 0], r[:, 3], zz], 1),
        ],
        1,
    )
    return scene._add(
        geo.segments(c.reshape(-1, 3), np.roll(c, -1, axis=1).reshape(-1, 3)),
        color=color,
        line_width=2,
        lighting=False,
        name=name,
    )


def containment(scene, items, color, name) -> list:
    """Each containment's panels, as the airflow grid closes them: the short ends (doors) and
    the roof; a roofed hot aisle ducted to a ceiling return (``ducted_to_ceiling``) has no
    roof, and its doors and long sides rise above the racks to the ceiling."""
    o, f = scene._origin, scene.facility
    returns = f.layout.cooling.returns
    solid, edges = [], []

    def box(x0, y0, x1, y1, z0, z1):
        return np.array([[(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2]]), np.array(
            [[x1 - x0, y1 - y0, z1 - z0]]
        )

    for c in items:
        ox, oy = o[f.hall_index[c.hall], :2]
        x0, y0, x1, y1 = c.rect_m[0] + ox, c.rect_m[1] + oy, c.rect_m[2] + ox, c.rect_m[3] + oy
        along_x = (x1 - x0) >= (y1 - y0)
        ends, sides = (["left", "right"], ["front", "rear"])[:: 1 if along_x else -1]
        chimney = ducted_to_ceiling(c, returns)
        top = float(f.hall_size_m[f.hall_index[c.hall], 2]) if chimney else c.height_m
        center, size = box(x0, y0, x1, y1, 0.0, c.height_m)
        faces: list[str] = []
        if c.kind == "panel":
            faces = list(geo.ALL_FACES)
        else:
            if c.roof and not chimney:
                faces.append("top")
            if c.doors:  # the short ends of the aisle
                faces += ends
        if faces:
            solid.append(geo.boxes(center, size, np.zeros(1), tuple(faces)))
        if top > c.height_m:  # the chimney's walls above the racks, all four of them
            up_center, up_size = box(x0, y0, x1, y1, c.height_m, top)
            solid.append(geo.boxes(up_center, up_size, np.zeros(1), tuple(ends + sides)))
            center, size = box(x0, y0, x1, y1, 0.0, top)
        edges.append(geo.box_edges(center, size, np.zeros(1)))
    actors = []
    if solid:
        actors.append(
            scene._add(
                pv.merge(solid),
                color=color,
                opacity=0.22,
                ambient=0.4,
                specular=0.0,
                name=f"containment_{name}",
            )
        )
    actors.append(
        scene._add(
            pv.merge(edges),
            color=color,
            line_width=1,
            lighting=False,
            opacity=0.8,
            name=f"containment_{name}_edges",
        )
    )
    return actors
