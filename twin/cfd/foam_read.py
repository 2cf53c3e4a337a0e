"""Read what an OpenFOAM run leaves behind: ASCII fields of the latest time, and the
per-iteration monitor files of ``surfaceFieldValue`` function objects."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np


class FoamReadError(ValueError):
    """A case or field that cannot be read (named in the message)."""


def time_dirs(case: str | Path) -> list[tuple[float, Path]]:
    """The case's time directories (numbers), oldest first."""
    out = []
    for d in Path(case).iterdir():
        if d.is_dir():
            try:
                out.append((float(d.name), d))
            except ValueError:
                continue
    return sorted(out)


def latest_time(case: str | Path, field: str = "T") -> Path:
    """The newest time directory holding ``field`` (0 excluded unless it is the only one)."""
    dirs = [d for t, d in time_dirs(case) if (d / field).exists()]
    if not dirs:
        raise FoamReadError(f"{case}: no time directory holds a field '{field}'")
    return dirs[-1]


_NUM = r"[-+0-9.eE]+"


def read_internal_field(path: str | Path, n_cells: int | None = None) -> np.ndarray:
    """The internalField of an ASCII volScalarField (n,) or volVectorField (n, 3)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise FoamReadError(f"{path}: {e.strerror}") from e
    m = re.search(r"internalField\s+(uniform|nonuniform)\s*", text)
    if not m:
        raise FoamReadError(f"{path}: no internalField (is the field written in binary?)")
    rest = text[m.end() :]
    if m.group(1) == "uniform":
        v = re.match(r"\(?\s*([^;)]*)\)?\s*;", rest)
        vals = np.array([float(x) for x in v.group(1).split()]) if v else np.array([])
        if n_cells is None:
            raise FoamReadError(f"{path}: a uniform field needs the cell count")
        return np.tile(vals, (n_cells, 1)).squeeze()
    hdr = re.match(r"List<(scalar|vector)>\s*(\d+)\s*\(", rest)
    if not hdr:
        raise FoamReadError(f"{path}: internalField is not a List<scalar> or List<vector>")
    n = int(hdr.group(2))
    body = rest[hdr.end() :]
    # large lists are one value per line, small ones inline: "3(1 2 3)", "2((0 0 1) (1 0 0))"
    try:
        if hdr.group(1) == "scalar":
            arr = np.array(body[: body.index(")")].split(), float)
        else:
            vecs = re.findall(r"\(([^()]*)\)", body[: body.index("\n)") if "\n)" in body else None])
            arr = np.array(" ".join(vecs[:n]).split(), float).reshape(-1, 3)
    except ValueError as e:
        raise FoamReadError(f"{path}: internalField does not parse ({e})") from e
    if len(arr) != n:
        raise FoamReadError(f"{path}: internalField has {len(arr)} values, header says {n}")
    return arr


def read_monitor(case: str | Path, name: str) -> np.ndarray:
    """(iterations, 2) [iteration, value] of one surfaceFieldValue monitor, restarts merged
    (a later file overrides the iterations it repeats)."""
    d = Path(case) / "postProcessing" / name
    rows: dict[float, float] = {}
    if not d.exists():
        return np.zeros((0, 2))
    for _t, sub in time_dirs(d):
        for f in sorted(sub.glob("surfaceFieldValue*.dat"), key=lambda p: p.stat().st_mtime):
            for line in f.read_text().splitlines():
                if not line or line[0] == "#":
                    continue
                parts = line.split()
                if len(parts) >= 2:
                    try:
                        rows[float(parts[0])] = float(parts[1])
                    except ValueError:
                        continue
    if not rows:
        return np.zeros((0, 2))
    it = np.array(sorted(rows))
    return np.stack([it, np.array([rows[i] for i in it])], 1)


def execution_time_s(log: str | Path, iteration: int | None = None) -> float:
    """The solver's CPU time (ExecutionTime) in a log: the last it reported, or the one it
    reported at the end of ``iteration``; NaN when there is none."""
    try:
        text = Path(log).read_text()
    except OSError:
        return float("nan")
    if iteration is not None:
        at = text.rfind(f"\nTime = {int(iteration)}\n")
        if at < 0:
            return float("nan")
        m = re.search(r"ExecutionTime = (" + _NUM + ") s", text[at:])
        return float(m.group(1)) if m else float("nan")
    m = re.findall(r"ExecutionTime = (" + _NUM + ") s", text)
    return float(m[-1]) if m else float("nan")
