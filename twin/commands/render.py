"""``twin render``: a screenshot of a layout with no display (off-screen VTK)."""

from __future__ import annotations

import argparse
from pathlib import Path

from twin.model.metrics import DESIGN_COLOURINGS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="write a PNG of a layout in 3D, with no display needed",
        description="Render LAYOUT to a PNG off screen (no display, no window).",
    )
    _add_view_arguments(p)
    _add_recording_arguments(p)
    _add_thermal_arguments(p)
    p.set_defaults(func=run)


def _add_view_arguments(p: argparse.ArgumentParser) -> None:
    """What to draw and how: layout, image, camera, colouring, layers."""
    p.add_argument("layout", help="layout file (.yaml)")
    p.add_argument("-o", "--output", required=True, metavar="PNG", help="image to write")
    p.add_argument(
        "--size", nargs=2, type=int, default=(1600, 1000), metavar=("W", "H"), help="pixels"
    )
    p.add_argument(
        "--view",
        default="iso",
        help="camera: top, iso, row:ID (along a row's cold aisle) or rack:ID (the rack's "
        "front and rear elevation, GPUs coloured by --metric or --color tdp|slowdown)",
    )
    p.add_argument(
        "--color",
        "--colour",
        dest="color",
        default="none",
        help="colour racks or GPUs by a design figure of the layout "
        f"(none, {', '.join(DESIGN_COLOURINGS)}) or by an installed colour-mode plugin (see `twin plugins`)",
    )
    p.add_argument(
        "--show",
        default="",
        metavar="LAYERS",
        help="comma-separated layers to show, e.g. power_links,cooling_links",
    )
    p.add_argument("--hide", default="", metavar="LAYERS", help="comma-separated layers to hide")


def _add_recording_arguments(p: argparse.ArgumentParser) -> None:
    """A recorded instant to show."""
    p.add_argument(
        "--recording",
        metavar="FILE.h5",
        help="show a recorded instant: GPUs coloured by --metric, throttling and alarms outlined",
    )
    p.add_argument(
        "--at",
        default="0:00",
        help="time in the recording: mm:ss or hh:mm:ss from its start, or an ISO time "
        "(UTC when no zone); default its start",
    )
    p.add_argument(
        "--metric",
        default="temp_c",
        help="GPU overlay with --recording: temp_c (default), mem_temp_c, power_w, util_pct, "
        "sm_clock_mhz, throttle or job",
    )


def _add_thermal_arguments(p: argparse.ArgumentParser) -> None:
    """Thermal overlays, from a steady solve of one hall."""
    t = p.add_argument_group("thermal overlays (solve the hall's airflow and heat first)")
    t.add_argument(
        "--thermal",
        default="",
        metavar="OVERLAYS",
        help="comma-separated: slice (air temperature at --slice-z), vslice (vertical slice), "
        "arrows (airflow), inlets (rack inlet air by height, ASHRAE A1 colours)",
    )
    t.add_argument(
        "--slice-z", type=float, default=1.2, metavar="M", help="horizontal slice height (m)"
    )
    t.add_argument(
        "--vslice",
        default="x",
        metavar="AXIS[:POS]",
        help="vertical slice across x or y at POS metres (default x at the hall's middle)",
    )
    t.add_argument("--hall", default=None, metavar="ID", help="hall to solve (default the first)")
    t.add_argument(
        "--cell",
        type=float,
        default=None,
        metavar="M",
        help="thermal grid cell (default: 0.2 m, coarser for a hall over 1 M cells)",
    )
    t.add_argument(
        "--fail", action="append", default=[], metavar="UNIT", help="failed air unit (repeatable)"
    )


def _recorded_instant(args: argparse.Namespace, facility):
    """(frame, alarm levels, offset from the start, UTC label, title) of ``--at`` in
    ``--recording``, or an exit code after printing what is wrong."""
    import datetime as dt
    import math
    import sys

    from twin.commands.recording_notes import warn_damage
    from twin.recording import LayoutMismatch, RecordingError, open_recording
    from twin.render.overlays import alarm_levels

    try:
        rec = open_recording(args.recording)
    except RecordingError as exc:
        print(f"twin render: {exc}", file=sys.stderr)
        return 1
    with rec:
        try:
            rec.check_layout(facility)
            warn_damage(rec, "render")
            if rec.n_frames == 0:
                raise RecordingError(f"{rec.path}: the recording has no frames")
            t = rec.parse_time(args.at)
            if not rec.start_s - 1e-6 <= t <= rec.end_s + 1e-6:
                span = rec.end_s - rec.start_s
                print(
                    f"twin render: --at {args.at} is outside the recording, which spans "
                    f"{dt.timedelta(seconds=round(span))} from "
                    f"{dt.datetime.fromtimestamp(rec.start_s, dt.UTC).isoformat()}",
                    file=sys.stderr,
                )
                return 2
            frame = rec.frame_at(t)
            alarmed = alarm_levels(facility, rec.events_between(-math.inf, frame.time_s))
        except LayoutMismatch as exc:
            print(f"twin render: {exc}", file=sys.stderr)
            return 1
        except RecordingError as exc:
            print(f"twin render: {exc}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"twin render: {exc}", file=sys.stderr)
            return 2
        offset = dt.timedelta(seconds=round(frame.time_s - rec.start_s))
        when = dt.datetime.fromtimestamp(frame.time_s, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        title = f"{facility.layout.name} — {rec.path.name}  +{offset}  ({when})"
    return frame, alarmed, offset, when, title


def render_recording(
    args: argparse.Namespace, facility, size: tuple[int, int], decorate=None, instant=None
) -> int:
    """``--recording FILE --at T``: the recorded state at T, coloured by ``--metric``
    (``decorate``: the ``--thermal`` overlays, drawn over it; ``instant``: the instant
    ``_recorded_instant`` read already)."""
    import sys

    from twin.model.metrics import GPU_METRICS
    from twin.render.offscreen import render_frame_png

    if args.metric not in GPU_METRICS:
        print(
            f"twin render: unknown --metric {args.metric!r}; choose from {', '.join(GPU_METRICS)}",
            file=sys.stderr,
        )
        return 2
    instant = instant or _recorded_instant(args, facility)
    if isinstance(instant, int):
        return instant
    frame, alarmed, offset, when, title = instant
    if args.view.startswith("rack:"):
        from twin.render.overlays import gpu_scale, overlay_values

        scale = gpu_scale(facility, args.metric)
        values = overlay_values(frame, args.metric)
        return render_elevation(args, facility, size, values, scale.title, scale.clim, scale.cmap)
    out, status = write_png(
        args.output,
        lambda: render_frame_png(
            facility,
            frame,
            args.output,
            metric=args.metric,
            alarmed=alarmed,
            size=size,
            view=args.view,
            title=title,
            colour_mode=None if args.color in ("none", *DESIGN_COLOURINGS) else args.color,
            decorate=decorate,
        ),
    )
    if out is None:
        return status
    shown = args.metric if args.color in ("none", *DESIGN_COLOURINGS) else args.color
    print(f"wrote {out} ({size[0]}x{size[1]}, {shown} at +{offset}, {when})")
    return 0


def thermal_overlays(args: argparse.Namespace, facility, frame=None):
    """``--thermal``: solve the hall and return a ``decorate(scene)`` for render_png, or an exit
    code after printing what is wrong. With a recorded ``frame``, the steady state of that
    instant: its rack powers, the units it reads off and its fans (as the window's Thermal
    dock solves a replay it is moved to); else the layout's nominal state."""
    import sys

    from twin.physics import GridError, ThermalError, choose_cell_m, solve_steady
    from twin.render.thermal_layer import (
        overlay_decorator,
        parse_overlays,
        parse_vslice,
    )

    try:
        overlays = parse_overlays(args.thermal)
        vertical = parse_vslice(args.vslice)
    except ValueError as exc:
        print(f"twin render: {exc}", file=sys.stderr)
        return 2
    if not len(facility.hall_ids):
        print("twin render: --thermal needs a layout with a hall", file=sys.stderr)
        return 2
    hall = 0
    if args.hall is not None:
        if args.hall not in facility.hall_index:
            print(
                f"twin render: unknown hall {args.hall!r} (halls: {', '.join(facility.hall_ids)})",
                file=sys.stderr,
            )
            return 2
        hall = facility.hall_index[args.hall]
    height_m = float(facility.layout.halls[hall].size_m[2])
    if "air_slice" in overlays and not 0.0 <= args.slice_z <= height_m:  # NaN fails too
        print(
            f"twin render: --slice-z {args.slice_z:g} m is not inside hall "
            f"{facility.hall_ids[hall]} (0 to {height_m:g} m)",
            file=sys.stderr,
        )
        return 2
    cell = args.cell if args.cell is not None else choose_cell_m(facility, hall)
    failed, options, at = instant_state(facility, hall, frame, args.fail)
    try:
        res = solve_steady(facility, hall, cell, failed=failed, **options)
    except (GridError, ThermalError, ValueError) as exc:
        print(f"twin render: thermal solve failed: {exc}", file=sys.stderr)
        return 2
    racks = res.grid.rack_ids
    hot = res.rack_inlet_max_c[racks] if len(racks) else res.rack_inlet_max_c[:0]
    worst = f", hottest inlet {max(hot):.1f} °C" if len(hot) and (hot == hot).any() else ""
    print(
        f"thermal: {facility.hall_ids[hall]} {'x'.join(map(str, res.grid.shape))} cells of "
        f"{cell:g} m solved{at} in {res.seconds:.1f} s{worst}"
    )
    return overlay_decorator(
        res, overlays, slice_height_m=args.slice_z, vertical=vertical, failed=failed
    )


def instant_state(facility, hall: int, frame, fail: list[str]) -> tuple[tuple, dict, str]:
    """(failed units, ``solve_steady`` options, what the summary line adds) for the steady
    solve of a recorded ``frame`` (``frame_inputs``), or of the layout's nominal state
    without one; ``--fail`` units are failed either way."""
    import numpy as np

    from twin.physics.fan_follow import followed_flow_scale
    from twin.physics.frame_inputs import frame_inputs

    inputs = None if frame is None else frame_inputs(facility, hall, frame)
    if inputs is None:
        return tuple(fail), {}, ""
    power, off, fans, racks = inputs
    units, _ = followed_flow_scale(None, fans, np.flatnonzero(facility.air_unit_hall == hall))
    racks, _ = followed_flow_scale(None, racks, np.flatnonzero(facility.rack_hall == hall))
    failed = tuple(dict.fromkeys([*fail, *sorted(off)]))
    options = {"rack_power_w": power, "unit_flow_scale": units, "rack_flow_scale": racks}
    said = f", {', '.join(sorted(off))} off" if off else ""
    return failed, options, f" at the recorded instant (its rack powers and fans{said})"


#: Names of other image formats: a PNG written under one is not what it says (a viewer that
#: trusts the name, or a converter, misreads it). Any other name is written as asked.
OTHER_IMAGE_SUFFIXES = frozenset(
    (".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".svg", ".pdf", ".eps", ".ps")
)


def _output_problem(args: argparse.Namespace) -> str:
    """Why the picture asked for cannot be written, before any work ('' if it can)."""
    from twin.model.atomic import OutputError, check_target

    if (kind := Path(args.output).suffix.lower()) in OTHER_IMAGE_SUFFIXES:
        return (
            f"{args.output}: writes PNG images only, and a {kind} name would hold PNG bytes; "
            "name the file .png"
        )
    try:  # a picture must not land on its layout or recording (a folder not there yet
        # cannot hold either: it is made, as `-o shots/hall.png` expects)
        if Path(args.output).parent.is_dir():
            check_target(args.output, inputs=[args.layout, args.recording])
    except OutputError as exc:
        return str(exc)
    w, h = args.size
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        return f"--size must be between 16 and 8192 pixels, got {w} {h}"
    return ""


def run(args: argparse.Namespace) -> int:
    import sys

    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout

    if problem := _output_problem(args):
        print(f"twin render: {problem}", file=sys.stderr)
        return 2
    w, h = args.size
    try:
        facility = load_layout(args.layout)
    except LayoutError as exc:
        print(f"twin render: {exc}", file=sys.stderr)
        return 2
    if not args.view.startswith("rack:"):  # an elevation draws one rack, the rest the site
        from twin.render.memory import render_memory_problem

        if (problem := render_memory_problem(facility, (w, h))) is not None:
            print(f"twin render: {problem}", file=sys.stderr)
            return 2
    if args.view.startswith("rack:") and not args.recording:
        return render_elevation(args, facility, (w, h), *_design_gpu_values(facility, args.color))
    decorate, instant = None, None
    if args.thermal and not args.view.startswith("rack:"):
        if args.recording:  # the overlays of the recorded instant
            instant = _recorded_instant(args, facility)
            if isinstance(instant, int):
                return instant
        decorate = thermal_overlays(args, facility, instant[0] if instant else None)
        if isinstance(decorate, int):
            return decorate
    if args.recording:
        return render_recording(args, facility, (w, h), decorate, instant)
    from twin.render.offscreen import render_png

    split = lambda s: [x.strip() for x in s.split(",") if x.strip()]  # noqa: E731
    out, status = write_png(
        args.output,
        lambda: render_png(
            facility,
            args.output,
            size=(w, h),
            view=args.view,
            color=args.color,
            show=split(args.show),
            hide=split(args.hide),
            decorate=decorate,
        ),
    )
    if out is None:
        return status
    print(f"wrote {out} ({w}x{h}, {facility.n_racks} racks, {facility.n_gpus} GPUs)")
    return 0


def _design_gpu_values(facility, colour: str):
    """Per-GPU design figures an elevation can show without a recording."""
    from twin.render import style

    if colour == "tdp":
        return facility.gpu_tdp_w, "GPU TDP (W)", None, style.CMAP_POWER
    if colour == "slowdown":
        return facility.gpu_slowdown_c, "GPU slowdown (°C)", None, style.CMAP_TEMPERATURE
    return None, "", None, style.CMAP_TEMPERATURE


def render_elevation(args, facility, size, values, title, clim, cmap) -> int:
    """``--view rack:ID``: the rack's front and rear elevation, GPUs coloured by ``values``."""
    from twin.render.elevation import elevation_png

    rack = args.view[len("rack:") :]
    out, status = write_png(
        args.output,
        lambda: elevation_png(
            facility, rack, args.output, size=size, gpu_values=values, title=title, clim=clim,
            cmap=cmap,
        ),
    )  # fmt: skip
    if out is None:
        return status
    print(f"wrote {out} ({size[0]}x{size[1]}, elevation of rack {rack})")
    return 0


def write_png(output: str, draw):
    """Run ``draw()`` (which writes ``output``) and turn its failures into the command's exit
    status: (path, 0) on success, (None, 2) for a bad option, (None, 1) when it cannot write."""
    import sys

    from twin.model.atomic import OutputError

    try:
        return draw(), 0
    except ValueError as exc:
        print(f"twin render: {exc}", file=sys.stderr)
        return None, 2
    except OutputError as exc:  # names the output itself
        print(f"twin render: {exc}", file=sys.stderr)
        return None, 1
    except OSError as exc:
        print(f"twin render: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return None, 1
