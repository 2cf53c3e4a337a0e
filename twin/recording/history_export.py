"""One item's recorded history as a file people open elsewhere: CSV for a spreadsheet, Parquet
(typed columns, UTC timestamps, each metric's unit in the schema) for pandas, Polars or DuckDB.
Written atomically; NaN (no sample) is an empty CSV cell and a Parquet null."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin.model.atomic import write_bytes_atomic, write_text_atomic

if TYPE_CHECKING:
    from twin.recording.reader import Recording

#: File suffix -> format name, in the order the save dialog offers them.
FORMATS = {".csv": "CSV", ".parquet": "Parquet"}


@dataclass
class HistoryTable:
    """An item's samples: times (s since the epoch) and one column per recorded metric."""

    kind: str
    item: str
    times_s: np.ndarray
    start_s: float
    columns: dict[str, np.ndarray]
    units: dict[str, str]
    source: str = ""
    layout: str = ""

    def __len__(self) -> int:
        return len(self.times_s)


def history_table(rec: Recording, kind: str, index: int, item: str) -> HistoryTable:
    """The whole recorded history of item ``index`` of ``kind`` (``item``: its id)."""
    times, values = rec.history(kind, index)
    return HistoryTable(
        kind,
        item,
        np.asarray(times, np.float64),
        float(rec.start_s),
        {name: np.asarray(v) for name, v in values.items()},
        {name: rec.units(kind, name) for name in values},
        str(rec.path),
        str(getattr(rec, "layout_name", "") or ""),
    )


def write_history(table: HistoryTable, path: str | Path) -> int:
    """Write ``table`` as CSV or Parquet, by ``path``'s suffix; returns the rows written."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        write_text_atomic(path, csv_text(table))
    elif suffix == ".parquet":
        write_bytes_atomic(path, parquet_bytes(table))
    else:
        known = ", ".join(FORMATS)
        raise ValueError(f"{path}: cannot tell the format from {suffix or 'no suffix'!r} ({known})")
    return len(table)


def _utc(t_s: float) -> str:
    return dt.datetime.fromtimestamp(float(t_s), dt.UTC).isoformat()


def csv_text(table: HistoryTable) -> str:
    """time_utc (ISO 8601), t_s (from the recording's start, ms), then each metric."""
    buf = io.StringIO()
    names = list(table.columns)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["time_utc", "t_s", *names])
    cols = [table.columns[n] for n in names]
    for k, t in enumerate(table.times_s):
        vals = ["" if not np.isfinite(c[k]) else float(c[k]) for c in cols]
        w.writerow([_utc(t), round(float(t) - table.start_s, 3), *vals])
    return buf.getvalue()


def parquet_bytes(table: HistoryTable) -> bytes:
    """A Parquet file: ``time_utc`` as timestamp[us, UTC], ``t_s`` float64, each metric float64
    with nulls for missing samples and its unit in the field's metadata; the item, its kind,
    the recording and the layout in the schema's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    micros = np.round(table.times_s * 1e6).astype(np.int64)
    arrays = [
        pa.array(micros, pa.timestamp("us", tz="UTC")),
        pa.array(table.times_s - table.start_s, pa.float64()),
    ]
    fields = [pa.field("time_utc", pa.timestamp("us", tz="UTC")), pa.field("t_s", pa.float64())]
    for name, col in table.columns.items():
        v = np.asarray(col, np.float64)
        arrays.append(pa.array(v, pa.float64(), mask=~np.isfinite(v)))
        unit = table.units.get(name, "")
        fields.append(pa.field(name, pa.float64(), metadata={"unit": unit} if unit else None))
    meta = {
        "twin.kind": table.kind,
        "twin.item": table.item,
        "twin.recording": table.source,
        "twin.layout": table.layout,
    }
    out = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=meta)), out)
    return out.getvalue().to_pybytes()
