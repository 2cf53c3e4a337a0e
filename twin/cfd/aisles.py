"""Where each cold aisle's air comes from and where it goes, in Twin and in a CFD field.

Two airflow models put different temperatures at the same rack inlets mostly because the
aisle in front of the racks trades air with the room differently: how much warm air comes
in at its open ends and through gaps in its rows, and how much of the tiles' air spills
over the racks' tops instead of entering them. Each floor supply region gets a box: its
cells (as the grid's supply ports place them), up to the top of the tallest rack beside
it. On each of the box's five sides (two ends, two row sides, the top) the air crossing
between two air cells is summed inwards and outwards, with the flow-weighted temperature
of what comes in. Faces into racks, units and tiles are left out: their flows are the
layout's, the same in both models; containment panels are kept (their leak is the point).

A case Twin wrote keeps its solver's face flux (``phi``, and ``phiMean`` beside the running
means): its aisles are read from it on the case's own grid, and Twin's from its own faces,
both exactly (``case_faces``). Read through cell centres instead, the contained rooms' porous
panels pass 40-60 % of what they carry (``twin.cfd.case_faces``), and the CFD seemed to leak
less than Twin through the doors where the two agree within 0.02 m3/s. Any other CFD field
comes as cell-centred velocities, so each face takes the mean of its two cells
(``flow_split.faces_from_cells``), and Twin's face velocities are read the same way, through
its own cell centres, so that both are smoothed alike: the round trip moves a side's flow by
up to a fifth where the air through it varies sharply (Twin's own faces in the validation
rooms: the perimeter room's west end 1.01 -> 0.84 m3/s, the contained room's roof 0.67 ->
0.42 m3/s; most sides within 0.1 m3/s). ``side_flows`` itself takes any face velocities as
they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from twin.physics.grid import SUPPLY, Grid

if TYPE_CHECKING:
    from twin.cfd.foam_read import Results

#: side names by (axis, which end of the box)
_SIDES = ((0, 0, "x"), (0, 1, "x"), (1, 0, "y"), (1, 1, "y"), (2, 1, "z"))


@dataclass(frozen=True)
class CaseFaces:
    """A Twin-written case's face velocities (``case_faces.face_velocities``) on the grid its
    mesh was written from, its temperature there, and the flux they came from."""

    grid: Grid
    faces: tuple
    air_c: np.ndarray
    flux: str


def case_faces(
    case, own: Grid, air_c: np.ndarray, field: str, results: Results
) -> tuple[CaseFaces | None, str]:
    """The case's face flux that goes with temperature ``field`` (``case_faces.flux_name``)
    at ``results``, the time that field was read (``field.read_twin_case``), and a note:
    (None, "") where it has none (a case from before cases averaged ``phi``, a decomposed
    one), (None, why) where it cannot be read (the aisles are then read through cell
    centres, as any other CFD field's)."""
    from twin.cfd import case_faces as cf
    from twin.cfd import foam_read

    name = cf.flux_name(field)
    try:
        faces = cf.face_velocities(case, own, results, name)
    except cf.NoFaceFlux:
        return None, ""
    except foam_read.FoamReadError as e:
        return None, f"{e}: the aisles are read through cell centres"
    return CaseFaces(own, faces, air_c, name), ""


@dataclass(frozen=True)
class AisleBox:
    """One supply region's aisle on a grid: cells ``lo`` (inclusive) to ``hi`` (exclusive)."""

    supply_id: str
    lo: tuple[int, int, int]
    hi: tuple[int, int, int]


def aisle_boxes(fac, grid: Grid) -> list[AisleBox]:
    """A box per floor supply region of the grid's hall that has racks beside it (see the
    module docstring)."""
    hid = fac.hall_ids[grid.hall]
    supplies = [s for s in fac.layout.cooling.supplies if s.hall == hid]
    p = grid.ports
    boxes = []
    for n, s in enumerate(supplies):
        sel = (p.kind == SUPPLY) & (p.owner == n)
        if s.kind != "floor" or not sel.any():
            continue
        i, j, _ = np.unravel_index(p.cell[sel], grid.shape)
        lo, hi = (int(i.min()), int(j.min()), 0), (int(i.max()) + 1, int(j.max()) + 1)
        top = _rack_top(grid, lo, hi)
        if top > 0:
            boxes.append(AisleBox(s.id, lo, (*hi, top)))
    return boxes


def _rack_top(grid: Grid, lo: tuple[int, ...], hi: tuple[int, int]) -> int:
    """One past the highest layer holding a rack within a cell of the rectangle (0: none)."""
    nx, ny, _ = grid.shape
    ring = grid.owner[
        max(lo[0] - 1, 0) : min(hi[0] + 1, nx), max(lo[1] - 1, 0) : min(hi[1] + 1, ny)
    ]
    rack = (ring >= 0) & (ring < grid.n_racks)
    layers = np.flatnonzero(rack.any(axis=(0, 1)))
    return int(layers[-1]) + 1 if layers.size else 0


def side_flows(
    grid: Grid, box: AisleBox, faces: tuple, air_c: np.ndarray, known: np.ndarray | None = None
) -> list[dict]:
    """Air through each side of ``box`` between air cells: ``in_m3s``, ``out_m3s`` and
    ``in_c`` (the flow-weighted temperature of the cells it comes from; None when nothing
    comes in or their temperature is unknown). ``faces``: (u, v, w) face velocities, m/s.
    ``known``: the cells whose velocity is known (all air cells by default); a face is read
    only between two of them, and ``read`` is the share of the side's open faces that were."""
    h = grid.cell_m
    known = grid.fluid if known is None else grid.fluid & known
    out = []
    for axis, end, name in _SIDES:
        at = (box.lo, box.hi)[end][axis]
        side = {
            "plane": name,
            "at_m": round(at * h, 4),
            "in_m3s": 0.0,
            "out_m3s": 0.0,
            "in_c": None,
            "read": 1.0,
        }
        out.append(side)
        if at == 0 or at == grid.shape[axis]:  # the hall's own wall, floor or ceiling
            continue
        sl = [slice(box.lo[a], box.hi[a]) for a in range(3)]
        below, above = list(sl), list(sl)
        sl[axis], below[axis], above[axis] = at, at - 1, at
        both = grid.fluid[tuple(below)] & grid.fluid[tuple(above)]
        read = both & known[tuple(below)] & known[tuple(above)]
        side["read"] = float(read.sum() / both.sum()) if both.any() else 1.0
        q = faces[axis][tuple(sl)] * h * h * read
        inward = q if end == 0 else -q  # positive into the box
        t_out = air_c[tuple(below)] if end == 0 else air_c[tuple(above)]
        q_in = np.clip(inward, 0.0, None)
        side["in_m3s"] = float(q_in.sum())
        side["out_m3s"] = float(np.clip(-inward, 0.0, None).sum())
        comes_in = (q_in > 0) & np.isfinite(t_out)
        if q_in[comes_in].sum() > 0:
            side["in_c"] = float((q_in[comes_in] * t_out[comes_in]).sum() / q_in[comes_in].sum())
    return out


def compare(
    fac, res, cfd_velocity_ms: np.ndarray, cfd_air_c: np.ndarray, exact: CaseFaces | None = None
) -> list[dict]:
    """Each aisle's sides in Twin and in the CFD field (cell-centred velocity and
    temperature on ``res.grid``, as ``twin.cfd.source.load_field`` gives them), both read
    through cell centres; or, given the case's own faces (``exact``), both read on their
    faces (see the module docstring)."""
    from twin.cfd.flow_split import faces_from_cells
    from twin.cfd.velocity import twin_velocity

    if exact is not None:
        return _compare_faces(fac, res, exact)
    grid = res.grid
    twin_faces = faces_from_cells(twin_velocity(res), grid)
    cfd_faces = faces_from_cells(cfd_velocity_ms, grid)
    # where the CFD has no velocity (beyond its field, or values left out as not room air)
    # neither model's side is read: a damaged file must not read as still air
    known = np.isfinite(cfd_velocity_ms).all(-1)
    return [
        _aisle(box, grid, side_flows(grid, box, twin_faces, res.air_c, known),
               side_flows(grid, box, cfd_faces, cfd_air_c, known))
        for box in aisle_boxes(fac, grid)
    ]  # fmt: skip


def _compare_faces(fac, res, exact: CaseFaces) -> list[dict]:
    """``compare`` read on faces: Twin's box on its grid, the CFD's on the case's own (its
    top where that grid's layers put the racks' top), matched by supply."""
    grid = res.grid
    cfd_boxes = {b.supply_id: b for b in aisle_boxes(fac, exact.grid)}
    pairs = [
        (b, cfd_boxes[b.supply_id]) for b in aisle_boxes(fac, grid) if b.supply_id in cfd_boxes
    ]
    return [
        _aisle(box, grid, side_flows(grid, box, (res.flow.u, res.flow.v, res.flow.w), res.air_c),
               side_flows(exact.grid, other, exact.faces, exact.air_c))
        | {"faces": exact.flux, "cfd_top_m": round(other.hi[2] * exact.grid.cell_m, 4)}
        for box, other in pairs
    ]  # fmt: skip


def _aisle(box: AisleBox, grid: Grid, twin: list[dict], cfd: list[dict]) -> dict:
    """One aisle's entry: its box (m, on Twin's grid) and each side's Twin and CFD figures,
    with the share of the side the CFD gave (``read``)."""
    sides = [
        {"plane": t["plane"], "at_m": t["at_m"], "read": c["read"]}
        | {"twin": _figs(t), "cfd": _figs(c)}
        for t, c in zip(twin, cfd, strict=True)
    ]
    box_m = [round(v * grid.cell_m, 4) for v in (*box.lo[:2], *box.hi)]
    return {"supply": box.supply_id, "box_m": box_m, "sides": sides}


def _figs(side: dict) -> dict:
    return {k: side[k] for k in ("in_m3s", "out_m3s", "in_c")}


def text_lines(aisles: list[dict]) -> list[str]:
    """The aisles as ``twin cfd compare`` prints them."""
    lines = []
    for a in aisles:
        x0, y0, x1, y1, top = a["box_m"]
        how, up = "air between air cells", f"{top:.2f} m"
        if "faces" in a:  # read on the faces of a case's own grid
            how = f"air through the faces (the case's {a['faces']}, Twin's own)"
            if a["cfd_top_m"] != top:
                up += f", the CFD's cells to {a['cfd_top_m']:.2f} m"
        lines.append(
            f"aisle over {a['supply']} (x {x0:.2f}-{x1:.2f} m, y {y0:.2f}-{y1:.2f} m, up to "
            f"{up}): {how}, m3/s in / out (C of what comes in), Twin | CFD"
        )
        for s in a["sides"]:
            part = "" if s["read"] >= 0.995 else f"  (the CFD has {100 * s['read']:.0f} % of it)"
            lines.append(f"  {s['plane']} = {s['at_m']:5.2f} m  {_cell(s['twin'])} | ")
            lines[-1] += _cell(s["cfd"]) + part
    return lines


def _cell(f: dict) -> str:
    t = "  -  " if f["in_c"] is None else f"{f['in_c']:5.1f}"
    return f"{f['in_m3s']:5.2f} / {f['out_m3s']:5.2f} ({t})"


def summary_line(aisle: dict) -> str:
    """One aisle in a sentence: the air coming in at its ends and through its rows' gaps,
    and the air spilling over its top, Twin's against the CFD's."""
    sides, top = aisle["sides"][:-1], aisle["sides"][-1]
    t_in, c_in = (sum(s[m]["in_m3s"] for s in sides) for m in ("twin", "cfd"))
    part = min(s["read"] for s in aisle["sides"]) < 0.995
    return (
        f"Aisle over {aisle['supply']}: room air in at its ends and row gaps Twin {t_in:.2f}, "
        f"CFD {c_in:.2f} m3/s; over its top Twin {top['twin']['out_m3s']:.2f}, CFD "
        f"{top['cfd']['out_m3s']:.2f} m3/s" + (" (where the CFD has the air)" if part else "")
    )
