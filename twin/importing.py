"""Importing a file into a layout with a ``twin.importers`` plugin: what ``twin import`` and
File › Import share. The importer is chosen by name or by the file's extension; one that
places its own problems (``read_layout``) is asked to; a crash is one line naming it; the
header names the source safely; what is written must load back as the layout just made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from twin import plugins


class ImporterCrash(Exception):
    """An importer raised something other than the ``InputError`` it should: its bug, said
    in one line rather than a traceback (``twin plugins`` lists it failed)."""


class NotWritten(Exception):
    """What import would write does not load back as the layout it made."""


def importer_for(path: Path, fmt: str | None):
    """(name, importer) by ``fmt`` or by extension; ``PluginError`` / ``ValueError``."""
    if fmt:
        return fmt, plugins.load(plugins.IMPORTERS, fmt)
    suffix = path.suffix.lower()
    tried = []
    for name in plugins.names(plugins.IMPORTERS):
        try:
            importer = plugins.load(plugins.IMPORTERS, name)
        except plugins.PluginError as exc:
            tried.append(str(exc))
            continue
        if suffix in importer.extensions:
            return name, importer
    known = ", ".join(plugins.names(plugins.IMPORTERS)) or "none installed"
    extra = f" ({'; '.join(tried)})" if tried else ""
    raise ValueError(
        f"no importer reads {suffix or 'files without an extension'}: importers: {known}{extra}"
    )


def import_file(path: Path, fmt: str | None = None, **options) -> tuple[str, object]:
    """(YAML text, Facility) of an imported file; raises ValueError/PluginError/LayoutError,
    and ``ImporterCrash`` (naming the importer) for anything else the importer raises."""
    from twin.api import facility_from_data
    from twin.model.errors import LayoutError

    name, importer = importer_for(path, fmt)
    read_layout = getattr(importer, "read_layout", None)
    try:
        if callable(read_layout):  # validates itself, placing problems in its own file
            return read_layout(path, **options)
        data = importer.read(path, **options)
    except (ValueError, LayoutError):
        raise
    except Exception as exc:  # a plugin's crash: reported in a line, and recorded
        plugins.registry.record_failure(plugins.IMPORTERS, name, exc)
        raise ImporterCrash(f"the {name} importer failed: {type(exc).__name__}: {exc}") from exc
    return facility_from_data(data, f"{path} (imported by {name})")


def layout_header(src: Path, by: str = "`twin import`") -> str:
    """The comment line a written layout starts with. A file name is anyone's text: one with
    a line break in it (``'nl\\nformat: x\\n#.csv'``) would write YAML of its own into the
    layout, so a name with anything unprintable is written escaped, in quotes."""
    name = src.name if src.name.isprintable() else ascii(src.name)
    return f"# Imported from {name} by {by}.\n"


def verify_written(out: Path, facility) -> Callable[[Path], None]:
    """A check for ``write_text_atomic``: the text written must load back as the layout just
    validated (same racks), or ``NotWritten`` and the old file stays."""
    from twin.model.errors import LayoutError
    from twin.model.loader import facility_from_text

    def verify(tmp: Path) -> None:
        try:
            back = facility_from_text(tmp.read_bytes().decode("utf-8"), out)
        except (LayoutError, UnicodeDecodeError) as exc:
            raise NotWritten(
                f"not written: {out} would not load back: {problem_text(exc)}"
            ) from None
        if back.rack_ids != facility.rack_ids:
            raise NotWritten(f"not written: {out} would load back with other racks")

    return verify


def problem_text(exc: Exception) -> str:
    """One problem on one line (``racks.csv:2: rack: ...``); several under a heading."""
    problems = getattr(exc, "problems", None)
    if problems is not None and len(problems) == 1:
        return str(problems[0])
    return str(exc)
