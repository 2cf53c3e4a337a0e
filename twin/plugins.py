"""Plugins: found through entry-point groups, imported only when used, and never allowed to
stop Twin. A plugin that fails to import or to build, or whose object is not of its group's
kind (``KINDS``), is recorded with its error (Help › Plugins and ``twin plugins`` show it) and
the rest of Twin carries on without it; so is a distribution whose ``entry_points.txt`` is
malformed (group ``METADATA``). What no ``except`` catches (an import that calls ``os._exit``
or crashes the interpreter) still ends the process that imports it: ``twin plugins --check``
and Help › Plugins › Check All therefore import each plugin in a child process
(``twin.plugin_check``), and a plugin found ending it is never imported here after that.

A third party adds to Twin by declaring an entry point naming ``module:object`` in one of
``GROUPS``, in its own package's ``pyproject.toml``:

    [project.entry-points."twin.exporters"]
    usd = "twin_usd.exporter:UsdExporter"

What the object must be in each group is in ``twin.api`` (the only module a plugin imports).
"""

from __future__ import annotations

import reprlib
import threading
import traceback
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, distributions, entry_points
from typing import Any

SOURCES = "twin.sources"
IMPORTERS = "twin.importers"
EXPORTERS = "twin.exporters"
COLOUR_MODES = "twin.colour_modes"
COMMANDS = "twin.commands"
GROUPS = (SOURCES, IMPORTERS, EXPORTERS, COLOUR_MODES, COMMANDS)
#: Not a group: where a distribution whose ``entry_points.txt`` is malformed is listed, failed
#: (``broken_distributions``), named by the distribution.
METADATA = "metadata"

#: What each group's entry point must give (``twin.api`` has it in full): its description and
#: the methods Twin calls on it (none: the object itself is called). An int listed as loaded
#: failed only where Twin first used it.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    SOURCES: ("a class (or factory) to call with the facility", ()),
    IMPORTERS: ("an Importer (twin.api)", ("read",)),
    EXPORTERS: ("an Exporter (twin.api)", ("write",)),
    COLOUR_MODES: ("a ColourMode (twin.api)", ("values", "clim")),
    COMMANDS: ("a Command (twin.api)", ("register", "run")),
}

#: Plugins that ship inside Twin, used when the package metadata is missing (a checkout that
#: was never installed, or a frozen bundle without ``.dist-info``). An installed entry point
#: of the same name takes precedence.
BUILTIN: dict[str, dict[str, str]] = {
    SOURCES: {
        "simulated": "twin.telemetry.simulated:SimulatedSource",
        "replay": "twin.telemetry.replay:ReplaySource",
        "prometheus": "twin.telemetry.prometheus:PrometheusSource",
        "scrape": "twin.telemetry.scrape:ScrapeSource",
    },
}

#: How long a plugin's import may take before it is given up as hung (seconds;
#: ``TWIN_PLUGIN_IMPORT_S`` sets it). A plugin whose import never returned hung every command
#: that looked through its group (``twin import`` of an ordinary CSV, ``twin plugins
#: --check``, Help › Plugins' check): it is now recorded as failed and the rest carries on.
#: Its thread cannot be stopped; it is a daemon, so it does not keep Twin from exiting.
IMPORT_TIMEOUT_S = 30.0

NOT_LOADED = "not loaded"
LOADED = "loaded"
FAILED = "failed"


class PluginError(LookupError):
    """No plugin of that name in that group, or it failed to load; the message says which."""


@dataclass
class PluginInfo:
    """What Help › Plugins shows about one plugin."""

    name: str
    group: str
    value: str  # "module:object"
    distribution: str
    version: str
    status: str = NOT_LOADED
    error: str = ""  # the last error, one line
    details: str = ""  # its traceback, for a tooltip or ``twin plugins --verbose``
    entry_point: EntryPoint | None = field(default=None, repr=False, compare=False)


def _twin_version() -> str:
    from twin import __version__

    return __version__


class PluginRegistry:
    """Every plugin of every group, discovered from package metadata once, each imported the
    first time someone asks for it. Thread-safe: sources are built off the GUI thread too."""

    def __init__(self, builtin: dict[str, dict[str, str]] | None = None) -> None:
        self._builtin = BUILTIN if builtin is None else builtin
        self._lock = threading.RLock()
        self._infos: dict[tuple[str, str], PluginInfo] | None = None
        self._loaded: dict[tuple[str, str], Any] = {}
        #: plugins whose import did not return in time (and may still be running)
        self._hung: set[tuple[str, str]] = set()
        #: plugins whose import ended, crashed or hung a process that checked them
        #: (``twin.plugin_check``): never imported into this one
        self._deadly: set[tuple[str, str]] = set()
        #: Problems found while reading the metadata itself (a broken ``.dist-info``).
        self.discovery_errors: list[str] = []

    # ------------------------------------------------------------------ discovery
    def _discover(self) -> dict[tuple[str, str], PluginInfo]:
        if self._infos is not None:
            return self._infos
        with self._lock:
            if self._infos is not None:
                return self._infos
            infos: dict[tuple[str, str], PluginInfo] = {}
            version = _twin_version()
            for group, items in self._builtin.items():
                for name, value in items.items():
                    ep = EntryPoint(name, value, group)
                    infos[(group, name)] = PluginInfo(
                        name, group, value, "twin", version, entry_point=ep
                    )
            broken = self._broken(infos)
            for group in GROUPS:
                for ep in self._installed(group, broken):
                    dist = getattr(ep, "dist", None)
                    infos[(group, ep.name)] = PluginInfo(
                        ep.name,
                        group,
                        ep.value,
                        getattr(dist, "name", None) or "?",
                        getattr(dist, "version", None) or "?",
                        entry_point=ep,
                    )
            self._infos = infos
            return infos

    def _broken(self, infos: dict[tuple[str, str], PluginInfo]) -> set[str]:
        """List each distribution whose ``entry_points.txt`` is malformed as failed (group
        ``METADATA``); their names."""
        try:
            broken = broken_distributions()
        except Exception as exc:  # noqa: BLE001 - a broken .dist-info must not stop Twin
            self.discovery_errors.append(f"{METADATA}: {type(exc).__name__}: {exc}")
            return set()
        for name, version, why in broken:
            infos[(METADATA, name)] = PluginInfo(
                name, METADATA, "entry_points.txt", name, version, FAILED, why
            )
        return {name for name, _, _ in broken}

    def _installed(self, group: str, broken: set[str]) -> list[EntryPoint]:
        """The group's installed entry points. importlib.metadata's lookup raises for all
        when one distribution's ``entry_points.txt`` has a line it cannot split: then those
        of the others, read one by one."""
        try:
            return list(entry_points(group=group))
        except Exception as exc:  # noqa: BLE001 - a broken .dist-info must not stop Twin
            error = exc
        if broken:
            try:
                return _entry_points_of_others(group, broken)
            except Exception as exc:  # noqa: BLE001
                error = exc
        self.discovery_errors.append(f"{group}: {type(error).__name__}: {error}")
        return []

    def refresh(self) -> None:
        """Forget what was discovered (not what was loaded), e.g. after a ``pip install``."""
        with self._lock:
            self._infos = None
            self.discovery_errors = []

    def infos(self, group: str | None = None) -> list[PluginInfo]:
        """Every plugin (of one group), sorted by group then name."""
        items = self._discover().values()
        return sorted(
            (i for i in items if group is None or i.group == group),
            key=lambda i: (GROUPS.index(i.group) if i.group in GROUPS else 99, i.name),
        )

    def names(self, group: str) -> list[str]:
        """Names registered in a group, without importing anything."""
        return [i.name for i in self.infos(group)]

    def info(self, group: str, name: str) -> PluginInfo:
        infos = self._discover()
        if (group, name) not in infos:
            known = ", ".join(self.names(group)) or "none"
            raise PluginError(f"no {_noun(group)} {name!r}; available: {known}")
        return infos[(group, name)]

    # ------------------------------------------------------------------ loading
    def load(self, group: str, name: str) -> Any:
        """Import the plugin's object (once) and return it, or raise ``PluginError`` with its
        error recorded on its ``PluginInfo``. Any exception the import raises is caught: a
        plugin cannot take Twin down with it."""
        key = (group, name)
        with self._lock:
            if key in self._loaded:
                return self._loaded[key]
            info = self.info(group, name)
            if key in self._hung or key in self._deadly:  # still running, or it kills Twin
                raise PluginError(f"{_noun(group)} {name!r} ({info.value}): {info.error}")
            try:
                assert info.entry_point is not None
                obj = import_checked(info.entry_point, import_timeout_s())
            except BaseException as exc:  # noqa: BLE001 - SystemExit from a plugin is a failure too
                if isinstance(exc, KeyboardInterrupt):
                    raise
                if isinstance(exc, _Hung):
                    self._hung.add(key)
                self.record_failure(group, name, exc)
                raise PluginError(f"{_noun(group)} {name!r} ({info.value}): {info.error}") from exc
            self.record(group, name, LOADED)
            self._loaded[key] = obj
            return obj

    def record(
        self, group: str, name: str, status: str, error: str = "", details: str = ""
    ) -> None:
        """Set a plugin's status, its error in one line and the traceback behind it."""
        info = self.info(group, name)
        info.status, info.error, info.details = status, error, details

    def record_failure(self, group: str, name: str, exc: BaseException) -> None:
        """Mark a plugin failed: at import, or later when Twin used what it gave (a source
        whose constructor raised, an exporter that crashed)."""
        self.record(group, name, FAILED, *describe(exc))

    def record_deadly(self, group: str, name: str, why: str, details: str) -> None:
        """Mark a plugin failed because its import ended, crashed or hung the process that
        checked it: ``load`` refuses it from now on, so using it cannot take Twin down."""
        self.record(group, name, FAILED, why, details)
        self._deadly.add((group, name))

    def adopt(self, checked: PluginRegistry) -> None:
        """Take the statuses another registry found (Help › Plugins' check, run in a child
        process against a fresh registry), except for plugins already loaded here."""
        mine = self._discover()
        with self._lock:
            for key, info in checked._discover().items():
                if key not in mine or key in self._loaded or info.status == NOT_LOADED:
                    continue
                self.record(*key, info.status, info.error, info.details)
                if key in checked._deadly:
                    self._deadly.add(key)

    def load_all(self, group: str) -> dict[str, Any]:
        """Every plugin of a group that loads; the others are recorded as failed and skipped."""
        out = {}
        for name in self.names(group):
            try:
                out[name] = self.load(group, name)
            except PluginError:
                continue
        return out


class _Hung(TimeoutError):
    """A plugin's import that had not returned in time."""


def import_timeout_s() -> float:
    """How long one plugin's import may take: ``TWIN_PLUGIN_IMPORT_S``, else
    ``IMPORT_TIMEOUT_S`` (``twin plugins --check`` waits as long for its child)."""
    import os

    try:
        return max(float(os.environ.get("TWIN_PLUGIN_IMPORT_S", IMPORT_TIMEOUT_S)), 0.1)
    except ValueError:
        return IMPORT_TIMEOUT_S


def describe(exc: BaseException) -> tuple[str, str]:
    """A plugin's failure as Help › Plugins and ``twin plugins`` show it: one line (the
    exception's type and first line), and its traceback for ``--verbose`` or a tooltip."""
    if isinstance(exc, _Hung):  # our own words, as ``twin plugins --check`` says them
        line = str(exc)
    else:
        line = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return line, "".join(traceback.format_exception(exc))


def import_checked(entry_point: EntryPoint, timeout_s: float | None) -> Any:
    """The entry point's object, imported as ``_load_in_time`` does, or ``TypeError`` when it
    is not of its group's kind (``wrong_kind``). ``twin plugins --check`` runs this in a child
    process (``twin.plugin_check``), the app in its own."""
    obj = _load_in_time(entry_point, timeout_s)
    wrong = wrong_kind(entry_point.group, obj)
    if wrong:
        raise TypeError(f"its entry point {entry_point.name} = {entry_point.value} gave {wrong}")
    return obj


def _load_in_time(entry_point: EntryPoint, timeout_s: float | None) -> Any:
    """``entry_point.load()`` on a daemon thread, waited for at most ``timeout_s`` (None: for
    as long as it takes): its result, or what it raised, or ``TimeoutError`` when it has not
    returned by then."""
    if entry_point.pattern.match(entry_point.value) is None:
        raise ValueError(f"its entry point {entry_point.value!r} is not 'module:object'")
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["obj"] = entry_point.load()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["exc"] = exc

    worker = threading.Thread(target=run, name=f"plugin import {entry_point.value}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise _Hung(f"its import did not finish within {timeout_s:g} s (hung?)")
    if "exc" in box:
        raise box["exc"]
    return box["obj"]


def wrong_kind(group: str, obj: Any) -> str:
    """What ``obj`` is and what ``group`` expects (``KINDS``), or '' when it is of that kind
    (a group not in ``KINDS`` takes anything)."""
    if group not in KINDS:
        return ""
    what, methods = KINDS[group]
    if not methods:
        if callable(obj):
            return ""
        expects, lack = what, "not callable"
    else:
        missing = [m for m in methods if not callable(getattr(obj, m, None))]
        if not missing:
            return ""
        expects = f"{what}: an object with {_methods(methods)}"
        lack = f"no {', '.join(missing)} method" + "s" * (len(missing) > 1)
    if isinstance(obj, type):
        gave = f"class {obj.__qualname__} ({lack})"
    elif type(obj).__module__ == "builtins":
        gave = f"{type(obj).__name__} {reprlib.repr(obj)}"
    else:
        gave = f"{type(obj).__qualname__} object ({lack})"
    return f"{gave}; {group} expects {expects}"


def _methods(names) -> str:
    """'a read method', 'register, run methods'."""
    return f"a {names[0]} method" if len(names) == 1 else f"{', '.join(names)} methods"


def broken_distributions() -> list[tuple[str, str, str]]:
    """(name, version, why) of each installed distribution (the first of a name on the path,
    as importlib.metadata takes) whose ``entry_points.txt`` cannot be read or holds a line
    importlib.metadata drops in silence or fails every lookup on; ``why`` names the file."""
    out = []
    for dist in _unique_distributions():
        where = getattr(dist, "_path", None)
        where = f"{where}/entry_points.txt" if where else "its entry_points.txt"
        try:
            why = _entry_points_problem(dist.read_text("entry_points.txt") or "")
        except Exception as exc:  # noqa: BLE001 - undecodable, unreadable
            why = f"cannot be read ({type(exc).__name__}: {exc}): none of its entry points can be"
        if why:
            name, version = getattr(dist, "name", None) or "?", getattr(dist, "version", None)
            out.append((name, version or "?", f"{where}: {why}"))
    return out


def _unique_distributions():
    """The installed distributions, the first of each name on the path (as importlib.metadata's
    ``entry_points`` takes them): named from their folder where it can (no METADATA read)."""
    import re

    seen = set()
    for dist in distributions():
        key = getattr(dist, "_normalized_name", None) or getattr(dist, "name", None) or "?"
        key = re.sub(r"[-_.]+", "-", key).lower()
        if key not in seen:
            seen.add(key)
            yield dist


def _entry_points_problem(text: str) -> str:
    """The first line of an ``entry_points.txt`` that importlib.metadata (its ``Sectioned``
    parser) drops in silence (one before any ``[group]`` line) or cannot split (no '=': it
    then raises for every lookup), or ''."""
    group = False
    for number, line in enumerate(map(str.strip, text.splitlines()), 1):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = True
        elif not group:
            return (
                f"line {number}: {line!r} comes before any [group] line: it and the lines "
                "after it up to one are ignored"
            )
        elif "=" not in line:
            return (
                f"line {number}: {line!r} is not 'name = module:object': none of its entry "
                "points can be read"
            )
    return ""


def _entry_points_of_others(group: str, broken: set[str]) -> list[EntryPoint]:
    """The group's entry points of every installed distribution but the ``broken`` ones."""
    out = []
    for dist in _unique_distributions():
        if getattr(dist, "name", None) not in broken:
            out.extend(dist.entry_points.select(group=group))
    return out


def _noun(group: str) -> str:
    return {
        SOURCES: "telemetry source",
        IMPORTERS: "importer",
        EXPORTERS: "exporter",
        COLOUR_MODES: "colour mode",
        COMMANDS: "command",
    }.get(group, f"{group} plugin")


#: The registry of this process.
registry = PluginRegistry()


def names(group: str) -> list[str]:
    return registry.names(group)


def load(group: str, name: str) -> Any:
    return registry.load(group, name)


def infos(group: str | None = None) -> list[PluginInfo]:
    return registry.infos(group)
