"""Where a hall's OpenFOAM case is written, by ``twin cfd case`` and the window's Write
OpenFOAM Case…: never over a file or a folder holding anything unless asked to, and whole
or not at all (written beside and moved into place), so a layout the grid refuses or a
write that fails leaves what was there as it was; and what was written, in one line."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def refuse_existing(case: Path, force: bool, advice: str = "give a new directory") -> str | None:
    """Why ``case`` may not be written, or None: a file is never replaced, a folder with
    something in it (a case of another run, or anything else) only when ``force``; the
    latter's reason ends with ``advice`` (how the caller's user may go on)."""
    case = Path(case)
    if case.is_file() or case.is_symlink():
        return f"{case} is a file, not a directory"
    if case.is_dir() and any(case.iterdir()) and not force:
        return f"{case} exists and is not empty: {advice}"
    return None


def write_whole(fac, hall: int, case: Path, cell_m: float, **options) -> dict:
    """``foam_case.write_case`` into a folder beside ``case``, then moved into its place
    (replacing what was there); returns the case's description."""
    from twin.cfd import foam_case

    case = Path(case)
    case.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{case.name}.", dir=case.parent))
    try:
        desc = foam_case.write_case(fac, tmp, hall, cell_m, **options)
        if case.exists():
            shutil.rmtree(case)
        tmp.rename(case)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return desc


def describe(desc: dict, case: Path) -> str:
    """What was written: the mesh, the ports, the heat and the model."""
    kinds: dict[str, int] = {}
    for p in desc["patches"]:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    racks = kinds.get("rack_front", 0)
    ports = sum(n for kind, n in kinds.items() if not kind.startswith("rack"))
    shape = " x ".join(map(str, desc["shape"]))
    return (
        f"{case}: OpenFOAM case of hall {desc['hall']} of {desc['layout']}, "
        f"{desc['n_cells']:,} cells of {desc['cell_m']:g} m ({shape}), "
        f"{racks} rack{'' if racks == 1 else 's'} ({desc['heat_w'] / 1e3:,.1f} kW into the "
        f"air), {ports} supply and return patches, "
        f"buoyantBoussinesqSimpleFoam with {desc['turbulence']}"
    )
