"""``twin import``: a site's rack list (or any ``twin.importers`` plugin's format) into a
validated layout file."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="make a layout from a rack list (CSV, XLSX) or another importer's format",
        description="Read FILE with an importer plugin (chosen by --format, else by the file's "
        "extension), validate the layout it makes and write it as YAML.",
    )
    p.add_argument("file", help="input file, e.g. racks.csv or racks.xlsx")
    p.add_argument("-o", "--output", required=True, help="layout file to write (.yaml)")
    p.add_argument("--format", help="importer name (see `twin plugins`); default by extension")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an importer option, e.g. --option name='Hall 2' (repeatable)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(func=run)


def importer_for(path: Path, fmt: str | None):
    """(name, importer) by ``--format`` or by extension; ``PluginError`` / ``ValueError``."""
    from twin import plugins

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
    from twin import plugins
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


class ImporterCrash(Exception):
    """An importer raised something other than the ``InputError`` it should: its bug, said
    in one line rather than a traceback (``twin plugins`` lists it failed)."""


def import_options(pairs: list[str]) -> dict[str, str]:
    """``["name=Hall 2", "margin_m=2"]`` -> ``{"name": "Hall 2", "margin_m": "2"}``: values
    stay text (a hall named ``2e5`` stays so); the importer converts and names a bad one."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"--option wants KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


def layout_header(src: Path) -> str:
    """The comment line a written layout starts with. A file name is anyone's text: one with
    a line break in it (``'nl\\nformat: x\\n#.csv'``) would write YAML of its own into the
    layout, so a name with anything unprintable is written escaped, in quotes."""
    name = src.name if src.name.isprintable() else ascii(src.name)
    return f"# Imported from {name} by `twin import`.\n"


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


class NotWritten(Exception):
    """What import would write does not load back as the layout it made."""


class UsageError(ValueError):
    """A command line that cannot be read (exit 2, as argparse's own)."""


def problem_text(exc: Exception) -> str:
    """One problem on one line (``racks.csv:2: rack: ...``); several under a heading."""
    problems = getattr(exc, "problems", None)
    if problems is not None and len(problems) == 1:
        return str(problems[0])
    return str(exc)


def run(args: argparse.Namespace) -> int:
    import sys

    from twin import plugins
    from twin.model.atomic import OutputError, check_target, write_text_atomic
    from twin.model.errors import LayoutError

    src, out = Path(args.file), Path(args.output)
    try:  # before any work, whatever --force says: never over the rack list it reads
        check_target(out, inputs=(src,))
    except OutputError as exc:
        print(f"twin import: {exc}", file=sys.stderr)
        return 2
    if not src.is_file():
        print(f"twin import: no such file: {src}", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"twin import: {out} exists; use --force to overwrite it", file=sys.stderr)
        return 2
    try:
        options = import_options(args.option)
        text, facility = import_file(src, args.format, **options)
    except UsageError as exc:
        print(f"twin import: {exc}", file=sys.stderr)
        return 2
    except (ValueError, plugins.PluginError, LayoutError, ImporterCrash) as exc:
        print(f"twin import: {problem_text(exc)}", file=sys.stderr)
        return 1
    try:
        write_text_atomic(out, layout_header(src) + text, verify_written(out, facility))
    except NotWritten as exc:
        print(f"twin import: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"twin import: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    f = facility
    print(
        f"wrote {out}: {len(f.hall_ids)} hall(s), {len(f.row_ids)} row(s), {f.n_racks} racks, "
        f"{f.n_gpus} GPUs, {len(f.power_ids)} power device(s), "
        f"{f.rack_power_w.sum() / 1e3:.1f} kW design load"
    )
    return 0
