"""``twin cfd compare|calibrate|case``: Twin against a CFD field (OpenFOAM case, VTK or EnSight
file, a table of points or a stored reference), the model's free parameters fitted to one,
and the OpenFOAM case of a hall to make one (``cfd_case``)."""

from __future__ import annotations

import argparse

from twin.commands.cfd_hall import hall_index as _hall

#: What a CFD source may be (``source.load_field``, ``render.cfd_import.read_cfd``).
SOURCE_KINDS = (
    "an OpenFOAM case directory (its latest time: ASCII or binary, plain or compressed, "
    "decomposed or not)",
    "a VTK file (.vtk .vtu .vtp .vti .vtm)",
    "an EnSight Gold case (.case)",
    "a table of points (.csv .tsv .txt: x, y, z and T columns by name)",
    "a stored reference (.json)",
)


def _either(kinds: tuple[str, ...]) -> str:
    return ", ".join(kinds[:-1]) + " or " + kinds[-1]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cfd", help="compare Twin with a CFD field, or calibrate it to one")
    cs = p.add_subparsers(dest="cfd_command", metavar="ACTION")
    c = cs.add_parser(
        "compare",
        help="Twin's steady solution against an OpenFOAM case (latest time), a VTK or "
        "EnSight file, a table of points (.csv) or a stored reference (.json): per-rack "
        "inlet errors and summary figures",
    )
    c.add_argument("layout", metavar="LAYOUT")
    c.add_argument("source", metavar="CASE_OR_FILE", help=_either(SOURCE_KINDS))
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--cell", type=float, default=0.2, metavar="M", help="Twin's cell (0.2)")
    c.add_argument("--hall", default="0", help="hall id or index (first hall by default)")
    c.add_argument(
        "--field",
        metavar="NAME",
        help="the CFD's temperature field to compare (default: the first of T, TMean, "
        "temperature, ... it holds; TMean is a case's running mean)",
    )
    c.add_argument(
        "--on-cfd-flow",
        action="store_true",
        help="also solve Twin's heat on the CFD's own air velocity (a case or VTK file with "
        "U): the error left is the heat transport's, the rest the airflow's",
    )
    c.set_defaults(func=run_compare)
    k = cs.add_parser(
        "calibrate",
        help="fit the model's free parameters (eddy-viscosity scale, turbulent Prandtl number) "
        "to a CFD field or a recording's rack inlet and point sensors; store them in the layout",
    )
    k.add_argument("layout", metavar="LAYOUT")
    k.add_argument(
        "source",
        metavar="CASE_OR_FILE",
        help=_either((*SOURCE_KINDS, "a recording (.h5)")),
    )
    k.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write the calibrated layout here (default: update LAYOUT in place)",
    )
    k.add_argument("--dry-run", action="store_true", help="fit and report, write nothing")
    k.add_argument("--json", action="store_true", help="print one JSON object")
    k.add_argument("--cell", type=float, default=0.2, metavar="M", help="Twin's cell (0.2)")
    k.add_argument("--hall", default="0", help="hall id or index (first hall by default)")
    k.add_argument("--from", dest="t_from", metavar="TIME", help=_FROM_HELP)
    k.add_argument("--to", dest="t_to", metavar="TIME", help="recording: span end")
    k.add_argument(
        "--budget", type=_seconds, default=50.0, metavar="S", help="time for the fit (50)"
    )
    k.set_defaults(func=run_calibrate)
    from twin.commands import cfd_case

    cfd_case.register(cs)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse type): a budget of 0, -5 or nan was
    taken and the fit ran anyway."""
    import math

    try:
        s = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(s) and s > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return s


def compare_figures(
    layout: str,
    source: str,
    cell_m: float = 0.2,
    hall: str = "0",
    on_cfd_flow: bool = False,
    field: str | None = None,
) -> dict:
    """What ``twin cfd compare --json`` prints (``field``: the CFD's temperature field, by
    default the first of ``cfd_import.FIELD_NAMES`` it holds)."""
    import math
    from pathlib import Path

    from twin.cfd.source import compare_source, recording_refusal
    from twin.model.loader import load_layout
    from twin.recording.format import is_twin_recording

    if is_twin_recording(source):  # before the layout's solve
        raise ValueError(recording_refusal(source))
    fac = load_layout(layout)
    h = _hall(fac, hall)
    from twin.render.cfd_child import read_cfd_isolated

    out = compare_source(
        fac, h, cell_m, Path(source), read_cfd_isolated, on_cfd_flow=on_cfd_flow, field=field
    )[0]

    def finite(d: dict) -> dict:  # JSON has no NaN
        return {
            k: finite(v)
            if isinstance(v, dict)
            else None
            if isinstance(v, float) and not math.isfinite(v)
            else v
            for k, v in d.items()
        }

    return finite(out)


def _print_source_notes(source: dict) -> None:
    """Which of the source's temperature fields was compared, and what of the CFD source was
    left out: values that cannot be room air, and the air and racks its field does not
    reach."""
    if source.get("note"):
        print(f"{source['path']}: {source['note']}")
    for key in ("placement", "cold_air"):
        if source.get(key):
            print(f"{source['path']}: WARNING: {source[key]}")
    others = source.get("other_fields") or []
    if others:
        print(
            f"{source['path']}: compared its {source['field']}; it also holds "
            f"{', '.join(others)} (--field {others[0]} compares that instead)"
        )
    dropped = source.get("implausible_cells", 0)
    if dropped:
        print(
            f"{source['path']}: {dropped} cells hold values that cannot be room air "
            "(temperature outside -50..150 C, or velocity not finite or over 100 m/s); "
            "compared without them"
        )
    if source.get("load_changes"):
        print(
            f"{source['path']}: was run with other loads than Twin solves the hall with now: "
            f"{source['load_changes']}. Every figure differs by that too; write and run its "
            "case again to compare like with like"
        )
    held = source.get("held_at_inlet_cells", 0)
    if held:
        print(
            f"{source['path']}: {held} air cells behind the rack rears are left out: the case "
            "holds them at the rack's inlet temperature (the rack's heat goes in one cell "
            "further), where the room has the rack's exhaust"
        )
    outside = source.get("racks_outside") or []
    if outside or source.get("coverage", 1.0) < 0.995:
        racks = (
            f"{len(outside)} racks it does not reach are left out ({', '.join(outside)})"
            if outside
            else "it reaches every rack's inlet"
        )
        print(
            f"{source['path']}: the field covers {100 * source['coverage']:.0f} % "
            f"of the hall's air; {racks}"
        )


def _fig(x, fmt: str, unit: str = "") -> str:
    """A figure for the report, or n/a where the comparison has none (JSON has no NaN)."""
    return "n/a" if x is None else format(x, fmt) + unit


def _print_notes(out: dict) -> None:
    """What of the source was left out, where its racks and return were read, and the air
    units Twin runs out of capacity (``compare.units_at_capacity``)."""
    source = out["source"]
    _print_source_notes(source)
    read_m, cell_m = source.get("read_cell_m"), (out.get("twin") or {}).get("cell_m")
    if read_m is not None and cell_m is not None and abs(read_m - cell_m) > 1e-6:
        from twin.cfd.source import read_at_text

        print(f"{source['path']}: {read_at_text(read_m, source.get('spacing_m'), cell_m)}")
    for u in out.get("units_at_capacity", []):
        print(
            f"{u['id']} runs out of capacity in Twin: it supplies {u['supply_c']:.2f} C, not "
            f"its set point of {u['set_c']:.2f} C; a CFD that holds the set point differs "
            "from Twin there, not only in its air"
        )


def run_compare(args) -> int:
    import json
    import sys

    from twin.model.errors import LayoutError

    try:
        out = compare_figures(
            args.layout, args.source, args.cell, args.hall, args.on_cfd_flow, args.field
        )
    except (LayoutError, ValueError, OSError) as e:
        print(f"twin cfd compare: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    _print_notes(out)
    print(f"{'rack':<10}{'Twin':>8}{'CFD':>8}{'error':>8}{'Twin max':>10}{'CFD max':>9}  (C, K)")
    for r in out["rows"]:
        print(
            f"{r['id']:<10}{r['twin_mean_c']:>8.2f}{r['cfd_mean_c']:>8.2f}{r['error_k']:>+8.2f}"
            f"{r['twin_max_c']:>10.2f}{r['cfd_max_c']:>9.2f}"
        )

    print(
        f"rack mean inlet: RMS {_fig(out['rms_k'], '.2f')} K, max {_fig(out['max_k'], '.2f')} K, "
        f"bias {_fig(out['bias_k'], '+.2f')} K, rank correlation {_fig(out['rank_corr'], '.2f')}; "
        f"return error {_fig(out['return_error_k'], '+.2f', ' K')}"
    )
    pairs = out.get("pairs")
    if pairs is not None:
        wrong = ", ".join("/".join(pair) for pair in pairs["misordered"]) or "none"
        print(
            f"pairs of racks the reference tells apart (beyond their swing and mesh check): "
            f"{pairs['ordered']} of {pairs['resolved']} ordered as the CFD's; misordered: {wrong}"
        )
    if "field_rms_k" in out:
        print(f"air field RMS difference {_fig(out['field_rms_k'], '.2f')} K")
    _print_air(out)
    return 0


def _print_air(out: dict) -> None:
    """The flow comparison, each cold aisle's air budget and the heat-on-CFD-flow split."""

    flow = out.get("velocity") or out.get("plane_velocity")
    if flow is not None:
        from twin.cfd.velocity import summary_text

        where = "" if "velocity" in out else " (on the reference's two planes)"
        print(summary_text({k: float("nan") if v is None else v for k, v in flow.items()}) + where)
    if out.get("aisles"):
        from twin.cfd.aisles import text_lines

        print("\n".join(text_lines(out["aisles"])))
    split = out.get("on_cfd_flow")
    if split is not None:
        print(
            f"Twin's heat on the CFD's air: RMS {_fig(split['rms_k'], '.2f')} K, max "
            f"{_fig(split['max_k'], '.2f')} K, rank correlation {_fig(split['rank_corr'], '.2f')}; "
            "what it leaves is the heat transport's error, the rest the airflow's"
        )
        held = split.get("held_on_momentum_grid")
        if held is not None:
            print(
                f"... held on Twin's {held['cell_m']:g} m momentum grid first: RMS "
                f"{_fig(held['rms_k'], '.2f')} K, max {_fig(held['max_k'], '.2f')} K, rank "
                f"correlation {_fig(held['rank_corr'], '.2f')}; the best that grid's march can do"
            )


_FROM_HELP = (
    "recording: span start (m:ss into it, 5m, or ISO 8601); the hall must hold steady over "
    "the span, and is solved as it ran (units off, fan speeds, supply)"
)


def _targets(fac, h: int, cell_m: float, args):
    from pathlib import Path

    from twin.cfd import calibrate

    path = Path(args.source)
    recording = path.suffix in (".h5", ".hdf5")
    if not recording and (args.t_from or args.t_to):
        raise ValueError(f"--from/--to pick a span of a recording (.h5); {path} is not one")
    if recording:
        from twin.recording.reader import open_recording

        with open_recording(path) as rec:
            rec.check_layout(fac)
            t0 = rec.parse_time(args.t_from) if args.t_from else None
            t1 = rec.parse_time(args.t_to) if args.t_to else None
            return calibrate.targets_from_recording(rec, fac, t0, t1, hall=h)
    from twin.render.cfd_child import read_cfd_isolated

    return calibrate.targets_from_source(fac, h, cell_m, path, read_cfd_isolated)


def calibrate_layout(args) -> dict:
    """Fit, and (unless a dry run) write the layout with its ``physics:`` block."""
    from twin.cfd import calibrate
    from twin.model.loader import load_layout
    from twin.physics.params import PhysicsParams

    fac = load_layout(args.layout)
    h = _hall(fac, args.hall)
    t = _targets(fac, h, args.cell, args)
    f = calibrate.fit(fac, h, args.cell, t, budget_s=args.budget)
    out = {
        "params": calibrate.stored_params(f.params),
        "before": f.before,
        "after": f.after,
        "racks": int(len(t.rack_c)),
        "points": int(len(t.point_c)),
        "evaluations": f.evaluations,
        "seconds": f.seconds,
        "written": None,
    }
    if t.conditions is not None:  # a recording's: what the solves ran under
        out["conditions"] = t.conditions.as_dict()
        out["conditions"]["summary"] = t.conditions.describe(fac)
    fitted = calibrate.stored_params(f.params if not f.kept else f.best[0])  # as printed
    out["edge_note"] = calibrate.edge_note(PhysicsParams(**fitted))
    if f.kept:  # the source does not pin the parameters down: the layout keeps its own
        out["kept"] = True
        out["best"] = {"params": calibrate.stored_params(f.best[0]), "after": f.best[1]}
        out["min_gain_k"] = t.min_gain_k
    if not args.dry_run and not f.kept:
        from twin.cfd.store import store_physics

        prov = calibrate.provenance(f, t, args.cell, str(args.source))
        out["written"] = str(store_physics(args.layout, args.output, out["params"], prov))
    return out


def run_calibrate(args) -> int:
    import json
    import sys

    from twin.model.atomic import OutputError, check_target
    from twin.model.errors import LayoutError
    from twin.model.save import SaveError
    from twin.recording.errors import RecordingError

    if args.output is not None and not args.dry_run:
        try:  # before a fit of up to a minute: never over the field it fits to
            check_target(args.output, inputs=[args.source])
        except OutputError as exc:
            print(f"twin cfd calibrate: {exc}", file=sys.stderr)
            return 2
    try:
        out = calibrate_layout(args)
    except (LayoutError, SaveError, RecordingError, ValueError, OSError) as e:
        print(f"twin cfd calibrate: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    p, b, a = out["params"], out["before"], out["after"]
    print(
        f"{'kept' if out.get('kept') else 'fitted'} eddy_viscosity_scale "
        f"{p['eddy_viscosity_scale']:.3f}, turbulent_prandtl {p['turbulent_prandtl']:.3f} "
        f"({out['racks']} racks, {out['points']} points, {out['evaluations']} solves, "
        f"{out['seconds']:.1f} s)"
    )
    if "conditions" in out:
        print(f"  solved as the recording ran: {out['conditions']['summary']}")
    if out.get("kept"):
        _print_kept(out["best"], b, out["min_gain_k"])
    if out["edge_note"]:
        print(f"  WARNING: {out['edge_note']}")
    if out["racks"]:
        print(f"rack inlet RMS {b['rack_rms_k']:.2f} K -> {a['rack_rms_k']:.2f} K")
    if out["points"]:
        # a CFD field's slices, or a recording's point sensors
        print(f"point RMS      {b['point_rms_k']:.2f} K -> {a['point_rms_k']:.2f} K")
    if out["written"]:
        print(f"wrote {out['written']}")
    return 0


def _print_kept(best: dict, before: dict, min_gain_k: float) -> None:
    """Why a fit left the layout's parameters as they were (``min_gain_k``: the least it had
    to lower an RMS by: ``calibrate.MIN_GAIN_K``, or half a recording's resolution)."""
    p, a = best["params"], best["after"]
    moves = [
        f"the {what} RMS by {a[k] - before[k]:+.3f} K"
        for what, k in (("rack", "rack_rms_k"), ("point", "point_rms_k"))
        if a[k] == a[k]
    ]
    found = f"  the best fit found ({p['eddy_viscosity_scale']:.3f} / {p['turbulent_prandtl']:.3f})"
    from twin.cfd.calibrate import racks_worse

    if racks_worse(before, a, min_gain_k):
        print(
            f"{found} moves {' and '.join(moves)}: it reads the racks' inlets worse, which "
            "are what Twin's figures are read from, so the layout keeps its own (nothing "
            "written)"
        )
        return
    print(
        f"{found} moves {' and '.join(moves)}: it lowers neither by {min_gain_k:g} K, so the "
        "source does not pin the parameters down and the layout keeps its own (nothing written)"
    )
