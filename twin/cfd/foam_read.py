"""Read what an OpenFOAM run leaves behind: the fields of its latest time (ASCII or binary,
plain or gzip-compressed, from a serial run's time directories or reassembled from a
decomposed run's processor directories), and the per-iteration monitor files of
``surfaceFieldValue`` function objects."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
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


def field_path(time_dir: Path, name: str) -> Path | None:
    """Field ``name`` of a time directory, as written plain or compressed
    (``writeCompression on`` writes ``T.gz``); None when it has neither."""
    for p in (time_dir / name, time_dir / f"{name}.gz"):
        if p.is_file():
            return p
    return None


def processor_dirs(case: str | Path) -> list[Path]:
    """A decomposed run's ``processorN`` directories, in N's order."""
    found = [(d.name[9:], d) for d in Path(case).glob("processor*") if d.is_dir()]
    return [d for n, d in sorted((int(n), d) for n, d in found if n.isdigit())]


@dataclass(frozen=True)
class Results:
    """Where a case's newest results are: one time directory (a serial or reconstructed
    run), or that time's directory in each processor directory (a decomposed run)."""

    time: float
    dirs: tuple[Path, ...]
    #: why a newer time was not read (a run still writing it), or ""
    skipped: str = ""

    @property
    def name(self) -> str:
        return self.dirs[0].name

    @property
    def decomposed(self) -> bool:
        return self.dirs[0].parent.name.startswith("processor")

    def has(self, name: str) -> bool:
        return all(field_path(d, name) is not None for d in self.dirs)

    def files(self, name: str) -> list[Path]:
        """The files field ``name`` is kept in (one per processor when decomposed)."""
        return [p for d in self.dirs if (p := field_path(d, name)) is not None]

    def read(self, name: str, n_cells: int | None = None) -> np.ndarray:
        """Field ``name``'s internal values in the whole mesh's cell order."""
        if not self.decomposed:
            return read_internal_field(self.files(name)[0], n_cells)
        parts = []
        for d in self.dirs:
            poly = d.parent / "constant" / "polyMesh"
            at = field_path(poly, "cellProcAddressing")
            if at is None:
                raise FoamReadError(f"{poly}: no cellProcAddressing to reassemble {name} from")
            addr = read_label_list(at)
            parts.append((addr, read_internal_field(field_path(d, name), len(addr))))
        addr = np.concatenate([a for a, _ in parts])
        n = len(addr)
        if n_cells is not None and n != n_cells:
            raise FoamReadError(
                f"{self.dirs[0].parent.parent}: its processor directories hold {n} cells of "
                f"{name}, the mesh has {n_cells}"
            )
        if not np.array_equal(np.sort(addr), np.arange(n)):
            raise FoamReadError(
                f"{self.dirs[0].parent.parent}: its processors' cellProcAddressing do not "
                f"cover the mesh's {n} cells once each"
            )
        out = np.empty((n,) + parts[0][1].shape[1:])
        for a, vals in parts:
            out[a] = vals
        return out


def latest_time(case: str | Path, field: str | tuple[str, ...] | None = "T") -> Results:
    """The newest results holding ``field`` (one of them, given several; None: any field),
    from the case's own time
    directories or, when they are newer, its processor directories (a decomposed run not
    reconstructed). Refused when that is only the initial time 0: the run has written
    nothing yet, and the initial field (often seeded from another run) would be read as
    if it were the answer."""
    case = Path(case)

    names = (field,) if isinstance(field, str) else field

    def holds(d: Path) -> bool:
        if names is None:
            return any(p.is_file() for p in d.iterdir())
        return any(field_path(d, n) is not None for n in names)

    found = [(t, True, (d,)) for t, d in time_dirs(case) if holds(d)]
    procs = processor_dirs(case)
    if procs:
        each = [{t: d for t, d in time_dirs(p) if holds(d)} for p in procs]
        common = set(each[0]).intersection(*each[1:])
        found += [(t, False, tuple(e[t] for e in each)) for t in common]
    what = "a field"
    if names:
        what = f"a field {names[0]!r}" if len(names) == 1 else f"any of {', '.join(names)}"
    t, _, dirs = max(found, default=(float("-inf"), True, ()))  # a tie: the reconstructed one
    collated = _collated_newer(case, t)
    if collated:
        raise FoamReadError(
            f"{case}: its newest results (time {collated[0]}) are in {collated[1]}, "
            "OpenFOAM's collated format, which Twin cannot read: run `reconstructPar` first"
        )
    if not found:
        raise FoamReadError(f"{case}: no time directory holds {what}")
    if t <= 0:
        raise FoamReadError(
            f"{case}: only its initial time {dirs[0].name} holds {what}: the run has written "
            "no result yet"
        )
    return Results(t, dirs, _skipped(case, names, t, dirs[0].name, procs))


def _skipped(case: Path, names, t: float, read: str, procs: list[Path]) -> str:
    """Why results newer than time ``t`` were not read: the newest such time, without
    ``field`` or not in every processor directory (a run still writing it), or ""."""
    newer = [(s, d.name, "top") for s, d in time_dirs(case) if s > t]
    for p in procs:
        newer += [(s, d.name, p.name) for s, d in time_dirs(p) if s > t]
    if not newer:
        return ""
    s, name, _ = max(newer)
    where = sorted({w for x, _, w in newer if x == s} - {"top"})
    if where:
        why = f"is in {len(where)} of its {len(procs)} processor directories"
    else:
        why = f"has no {' or '.join(names)}" if names else "has no field"
    return f"its time {name} {why} (a run still writing it?): read at time {read}"


def _collated_newer(case: Path, than: float) -> tuple[str, str] | None:
    """(time, directory) of results newer than ``than`` in a ``processorsN`` directory (a
    run decomposed with ``-fileHandler collated``, all processors' fields in one file)."""
    for d in sorted(case.glob("processors*")):
        if d.is_dir() and d.name[10:].isdigit():
            times = [(t, p) for t, p in time_dirs(d) if any(f.is_file() for f in p.iterdir())]
            if times and max(times)[0] > max(than, 0.0):
                return max(times)[1].name, d.name
    return None


_NUM = r"[-+0-9.eE]+"


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path) as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError) as e:
        raise FoamReadError(f"{path}: {getattr(e, 'strerror', None) or e}") from e


def _binary_types(data: bytes, path: Path) -> tuple[np.dtype, np.dtype] | None:
    """(scalar, label) dtypes of a binary file (from its header's ``arch``), or None when the
    file is ASCII."""
    head = data[: data.find(b"}")]
    if not re.search(rb"format\s+binary\s*;", head):
        return None
    arch = re.search(rb'arch\s+"([^"]*)"', head)
    arch_s = arch.group(1).decode("ascii", "replace") if arch else "LSB;label=32;scalar=64"
    bits = dict(re.findall(r"(label|scalar)=(\d+)", arch_s))
    end = ">" if "MSB" in arch_s else "<"
    try:
        scalar = np.dtype({"64": "f8", "32": "f4"}[bits.get("scalar", "64")]).newbyteorder(end)
        label = np.dtype({"64": "i8", "32": "i4"}[bits.get("label", "32")]).newbyteorder(end)
    except KeyError:
        raise FoamReadError(f"{path}: binary with an unknown word size ({arch_s})") from None
    return scalar, label


def _binary_list(
    body: bytes, n: int, dtype: np.dtype, path: Path, width: int = 1, what: str = "values"
) -> np.ndarray:
    """``n`` items of ``width`` values of ``dtype`` at the start of ``body`` (just past the
    list's opening parenthesis), checked for the closing one; ``what`` they are, for the
    refusal."""
    size = n * width * dtype.itemsize
    if len(body) < size + 1 or body[size : size + 1] != b")":
        raise FoamReadError(f"{path}: its binary list of {n} {what} is cut short or damaged")
    arr = np.frombuffer(body[:size], dtype)
    return arr.reshape(-1, 3) if width == 3 else arr


def read_internal_field(path: str | Path, n_cells: int | None = None) -> np.ndarray:
    """The internalField of a volScalarField (n,) or volVectorField (n, 3): ASCII or binary,
    plain or gzip-compressed."""
    path = Path(path)
    data = _read_bytes(path)
    types = _binary_types(data, path)
    m = re.search(rb"internalField\s+(uniform|nonuniform)\s*", data)
    if not m:
        raise FoamReadError(f"{path}: no internalField")
    rest = data[m.end() :]
    if m.group(1) == b"uniform":
        v = re.match(rb"\(?\s*([^;)]*)\)?\s*;", rest)
        if not v or not v.group(1).split():
            raise FoamReadError(f"{path}: its uniform internalField has no value")
        try:
            vals = np.array(v.group(1).decode("latin-1").split(), float)
        except ValueError as e:
            raise FoamReadError(f"{path}: its uniform internalField does not parse ({e})") from e
        if n_cells is None:
            raise FoamReadError(f"{path}: a uniform field needs the cell count")
        return np.tile(vals, (n_cells, 1)).squeeze()
    hdr = re.match(rb"List<(scalar|vector)>\s*(\d+)\s*\(", rest)
    if not hdr:
        raise FoamReadError(f"{path}: internalField is not a List<scalar> or List<vector>")
    n = int(hdr.group(2))
    width = 1 if hdr.group(1) == b"scalar" else 3
    if types is not None:
        return _binary_list(rest[hdr.end() :], n, types[0], path, width).astype(float)
    body = rest[hdr.end() :].decode("latin-1")
    # large lists are one value per line, small ones inline: "3(1 2 3)", "2((0 0 1) (1 0 0))"
    try:
        if width == 1:
            arr = np.array(body[: body.index(")")].split(), float)
        else:
            vecs = re.findall(r"\(([^()]*)\)", body[: body.index("\n)") if "\n)" in body else None])
            arr = np.array(" ".join(vecs[:n]).split(), float).reshape(-1, 3)
    except ValueError as e:
        raise FoamReadError(f"{path}: internalField does not parse ({e})") from e
    if len(arr) != n:
        raise FoamReadError(f"{path}: internalField has {len(arr)} values, header says {n}")
    return arr


def read_label_list(path: str | Path) -> np.ndarray:
    """A labelList file (a decomposed mesh's ``cellProcAddressing``): ASCII or binary, plain
    or gzip-compressed."""
    path = Path(path)
    data = _read_bytes(path)
    types = _binary_types(data, path)
    start = data.find(b"}", data.find(b"FoamFile")) + 1
    # past the header and the comment lines after it: the count and the opening parenthesis
    hdr = re.compile(rb"(?:\s|//[^\n]*)*(\d+)\s*\(").match(data, start)
    if not start or not hdr:
        raise FoamReadError(f"{path}: not a labelList")
    n = int(hdr.group(1))
    body = data[hdr.end() :]
    if types is not None:
        return _binary_list(body, n, types[1], path, what="labels").astype(np.int64)
    text = body.decode("latin-1")
    try:
        arr = np.array(text[: text.index(")")].split(), np.int64)
    except ValueError as e:
        raise FoamReadError(f"{path}: its labels do not parse ({e})") from e
    if len(arr) != n:
        raise FoamReadError(f"{path}: it has {len(arr)} labels, its header says {n}")
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
