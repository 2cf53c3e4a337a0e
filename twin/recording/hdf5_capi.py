"""The one HDF5 C call h5py does not wrap that recordings need: capping a SWMR reader's
metadata read attempts (H5Pset_metadata_read_attempts), found in the HDF5 library h5py
already loaded. Best effort: where the library cannot be found, HDF5's default applies."""

from __future__ import annotations

import ctypes
import functools
import sys

import h5py


@functools.cache
def _library() -> ctypes.CDLL | None:
    paths: list[str] = []
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps") as maps:
                for line in maps:
                    path = line.rsplit(" ", 1)[-1].strip()
                    name = path.rsplit("/", 1)[-1]
                    if name.startswith("libhdf5") and "_hl" not in name and ".so" in name:
                        paths.append(path)
        except OSError:
            pass
    for path in dict.fromkeys(paths):
        try:
            lib = ctypes.CDLL(path)
            fn = lib.H5Pset_metadata_read_attempts
        except (OSError, AttributeError):
            continue
        fn.argtypes = (ctypes.c_int64, ctypes.c_uint)
        fn.restype = ctypes.c_int
        return lib
    return None


def set_metadata_read_attempts(fapl: h5py.h5p.PropFAID, attempts: int) -> bool:
    """Set the attempts on a file-access property list; False if it could not be done."""
    lib = _library()
    if lib is None:
        return False
    return lib.H5Pset_metadata_read_attempts(fapl.id, attempts) >= 0
