"""A check HDF5 does not make: a global heap collection whose free-space object reads as size
0 makes the library loop forever on the first attribute it reads (``H5HG__cache_heap_
deserialize`` advances by that size), at full CPU and deaf to Ctrl-C: a recording with 16
zeroed bytes there, or one a killed writer left so, hung every command that opened it.
String attributes and the layout text live in such collections, near the start of the file,
so the first ``HEAD_BYTES`` are walked here as HDF5 would walk them before HDF5 opens it."""

from __future__ import annotations

import struct
from pathlib import Path

#: How much of a file's start is checked (its header's heaps lie in the first few kB).
HEAD_BYTES = 8 << 20
_SIGNATURE = b"GCOL"
_HEADER = 16  # signature, version, reserved, collection size
_OBJECT_HEADER = 16  # index, reference count, reserved, size


def looping_heap_at(path: str | Path, head_bytes: int = HEAD_BYTES) -> int | None:
    """The byte offset of a global heap object HDF5 would never get past, or None. Only
    collections that look like HDF5's own (version 1, at least 4 kB, inside the file) are
    walked, as HDF5 walks them: an object of index 0 (free space) spans its own size; any
    other its header and its size rounded up to 8 bytes."""
    with open(path, "rb") as f:
        data = f.read(head_bytes)
        f.seek(0, 2)
        file_size = f.tell()
    at = data.find(_SIGNATURE)
    while at >= 0:
        if at + _HEADER <= len(data) and data[at + 4] == 1:
            (size,) = struct.unpack_from("<Q", data, at + 8)
            if 4096 <= size <= file_size - at:
                end = min(size, len(data) - at)
                p = _HEADER
                while p + _OBJECT_HEADER <= end:
                    (index,) = struct.unpack_from("<H", data, at + p)
                    (length,) = struct.unpack_from("<Q", data, at + p + 8)
                    if index == 0 and length == 0:
                        return at + p
                    p += length if index == 0 else _OBJECT_HEADER + (length + 7) // 8 * 8
        at = data.find(_SIGNATURE, at + 4)
    return None
