"""The ``usd`` exporter: a facility (and recorded telemetry) as an OpenUSD stage that
Omniverse-based tools open (``twin export usd hall.yaml -o hall.usda``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin.api import Facility, Frame, write_bytes_atomic, write_text_atomic

SUFFIXES = (".usda", ".usdc", ".usd")


class UsdExporter:
    name = "usd"
    title = "OpenUSD stage"
    extensions = SUFFIXES
    takes_frames = True

    def stage(self, facility: Facility, frames: Sequence[Frame] = ()):
        """The stage in memory (``pxr.Usd.Stage``), for callers that keep working on it."""
        from twin_usd.stage import StageBuilder, write_frames

        builder = StageBuilder(facility)
        builder.build()
        write_frames(builder, frames)
        return builder.stage

    def write(
        self, facility: Facility, path: Path, frames: Sequence[Frame] = (), **options: Any
    ) -> None:
        if options:
            raise ValueError(f"the usd exporter takes no options (got {', '.join(options)})")
        path = Path(path)
        if path.suffix.lower() not in SUFFIXES:
            raise ValueError(
                f"an OpenUSD file ends in {', '.join(SUFFIXES)}, not {path.suffix or 'nothing'}"
            )
        stage = self.stage(facility, frames)  # keep it alive: the layer is owned by it
        layer = stage.GetRootLayer()
        if path.suffix.lower() == ".usda":
            write_text_atomic(path, layer.ExportToString())
            return
        # binary crate: exported to a temp folder, then put in place as every output is
        # (atomically, with the umask's mode: mkstemp's 0600 stayed on the file; a device
        # written through; never over a recording)
        with tempfile.TemporaryDirectory(prefix="twin-usd-") as folder:
            tmp = os.path.join(folder, "stage" + path.suffix)
            try:
                ok = layer.Export(tmp)
            except Exception as exc:  # pxr's ErrorException: C++ lines; the first says why
                why = str(exc).strip().splitlines()
                raise OSError(f"USD could not write {path}: {why[-1] if why else exc}") from None
            if not ok:
                raise OSError(f"USD could not write {path}")
            data = Path(tmp).read_bytes()
        write_bytes_atomic(path, data)


#: What the ``twin.exporters`` entry point names.
exporter = UsdExporter()
