"""Errors a recording can raise: always one of these with a message, never a bare h5py error."""

from __future__ import annotations


class RecordingError(Exception):
    """A recording cannot be read or written; the message says which file and why."""


class RecordingFormatError(RecordingError):
    """Not a Twin recording, or one written by a newer Twin."""


class LayoutMismatch(RecordingError):
    """The recording was made for a different layout than the one it is used with."""
