"""HDF5 recordings (``twin-recording/1``): ``Recorder`` writes frames in SWMR mode,
``open_recording`` reads one frame at any time or one item's history."""

from twin.recording.errors import LayoutMismatch, RecordingError, RecordingFormatError
from twin.recording.reader import Recording, open_recording
from twin.recording.recorder import Recorder

__all__ = [
    "LayoutMismatch",
    "Recorder",
    "Recording",
    "RecordingError",
    "RecordingFormatError",
    "open_recording",
]
