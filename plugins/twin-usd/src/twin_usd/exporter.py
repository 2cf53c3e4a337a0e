"""The ``usd`` exporter: a facility (and recorded telemetry) as an OpenUSD stage that
Omniverse-based tools open (``twin export usd hall.yaml -o hall.usda``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin.api import Facility, Frame, write_text_atomic

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
        # binary crate: export beside the target (same file system), then rename over it
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=path.suffix, dir=path.resolve().parent
        )
        os.close(fd)
        try:
            if not layer.Export(tmp):
                raise OSError(f"USD could not write {tmp}")
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


#: What the ``twin.exporters`` entry point names.
exporter = UsdExporter()
