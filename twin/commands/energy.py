"""``twin energy LAYOUT``: facility power, its breakdown and PUE; over a recording's span with
``--recording``; the highest safe set points with ``--optimise``."""

from __future__ import annotations

import argparse
import math

from twin.model.units import finite_or_none, ratio_change_text, ratio_text
from twin.physics.metrics import A1_ALLOWABLE_C, A1_RECOMMENDED_C

#: Rack inlet limits the optimiser takes (C): from A1's allowable low end to the warmest inlet
#: any ASHRAE air-cooled class allows (A4, 45 C); past it no catalog server is rated.
INLET_LIMIT_C = (A1_ALLOWABLE_C[0], 45.0)
#: GPU margins below max operating (K): 40 K under an H100's 87 C is 47 C, about what a GPU
#: runs at on the coldest recommended inlet, so a wider margin leaves no set point to find.
GPU_MARGIN_K = (0.0, 40.0)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "energy", help="facility power, PUE and cooling energy; --optimise for safe set points"
    )
    p.add_argument("layout", metavar="LAYOUT")
    p.add_argument("--recording", metavar="FILE.h5", help="energy frame by frame over a recording")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--optimise",
        "--optimize",
        action="store_true",
        help="search each hall for the warmest supply and lowest fan flow that keep every limit",
    )
    p.add_argument("--hall", action="append", default=[], help="hall id or index to optimise")
    p.add_argument(
        "--cell",
        type=float,
        default=0.25,
        metavar="M",
        help="optimiser grid cell (0.25 m; 0.05-1 m)",
    )
    p.add_argument(
        "--inlet-max",
        type=float,
        default=A1_RECOMMENDED_C[1],
        metavar="C",
        help="rack inlet limit (A1 recommended: 27 C; 15-45 C)",
    )
    p.add_argument(
        "--gpu-margin",
        type=float,
        default=5.0,
        metavar="K",
        help="GPU margin below max operating (5 K; 0-40 K)",
    )
    p.add_argument(
        "--failure-inlet-max",
        type=float,
        default=A1_ALLOWABLE_C[1],
        metavar="C",
        help="rack inlet limit with one air unit failed (A1 allowable: 32 C; 15-45 C)",
    )
    p.add_argument("-o", "--out", metavar="LAYOUT", help="write the optimised layout here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from twin.commands.argtypes import OptionError, refuse
    from twin.model.atomic import OutputError
    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout
    from twin.physics.energy import EnergyModel

    try:
        check_options(args)
    except (OptionError, OutputError) as exc:
        return refuse("energy", exc)
    try:
        fac = load_layout(args.layout)
    except (LayoutError, OSError) as exc:
        print(f"twin energy: {exc}", file=sys.stderr)
        return 2  # a refused layout, as for validate, thermal, render and simulate
    if args.recording:
        return _recording(args, fac)
    if args.optimise:
        return _optimise(args, fac)
    b = EnergyModel(fac).breakdown()
    if args.json:
        print(json.dumps({"layout": fac.layout.name, **b.as_dict()}, indent=2))
        return 0
    print_breakdown(fac.layout.name, b)
    return 0


def check_options(args: argparse.Namespace) -> None:
    """Refuse, before anything is read or solved, a limit that is no number or no sensible
    one (a NaN limit made every margin NaN and so switched its check off) and an output that
    cannot be written (it failed only after the whole optimisation). Raises ``OptionError``
    or ``OutputError``."""
    from twin.commands import argtypes
    from twin.model.atomic import check_target

    argtypes.cell("--cell", args.cell)
    for option, value in (
        ("--inlet-max", args.inlet_max),
        ("--failure-inlet-max", args.failure_inlet_max),
    ):
        argtypes.number(option, value, *INLET_LIMIT_C, "C", why="ASHRAE A1 to A4")
    argtypes.number("--gpu-margin", args.gpu_margin, *GPU_MARGIN_K, "K")
    if args.out and not args.optimise:
        raise argtypes.OptionError("-o writes the optimised layout: it goes with --optimise")
    if args.out:
        # the input layout may be the output (the set points written back into it, guarded by
        # the check that it did not change meanwhile); a recording never
        check_target(args.out, inputs=[args.recording])


def print_breakdown(name: str, b) -> None:
    """The breakdown as a short table."""
    print(
        f"{name}: IT {b.it_w / 1e3:,.1f} kW, facility {b.total_w / 1e3:,.1f} kW, PUE "
        f"{ratio_text(b.pue)}"
        + (f", cooling {b.cooling_per_it:.3f} kW per IT kW" if b.it_w > 0 else "")
        + f" (outdoor {b.dry_bulb_c:.1f} C)"
    )
    for label, w in (
        ("IT", b.it_w),
        ("power-chain losses", b.chain_loss_w),
        ("fans", b.fans_w),
        ("pumps", b.pumps_w),
        ("chillers", b.chillers_w),
        ("heat rejection", b.heat_rejection_w),
        ("lighting", b.lighting_w),
        ("fixed loads", b.fixed_w),
    ):
        share = 100 * w / b.total_w if b.total_w else 0.0
        print(f"  {label:20s} {w / 1e3:12,.1f} kW  {share:5.1f} %")
    for h, it, tot, pp in zip(b.hall_ids, b.hall_it_w, b.hall_total_w, b.hall_ppue, strict=True):
        print(
            f"hall {h}: IT {it / 1e3:,.1f} kW, total {tot / 1e3:,.1f} kW, partial PUE {ratio_text(pp)}"
        )
    for pid, p in zip(b.plant_ids, b.plants, strict=True):
        cop = "no chiller" if p.cop != p.cop else f"COP {p.cop:.2f}"
        print(
            f"plant {pid}: load {p.load_w / 1e3:,.1f} kW, water {p.supply_c:.1f} C, "
            f"free cooling {100 * p.free_fraction:.0f} %, {cop}, chillers "
            f"{p.chiller_w / 1e3:,.1f} kW, heat rejection {p.heat_rejection_w / 1e3:,.1f} kW, "
            f"pumps {p.pumps_w / 1e3:,.1f} kW" + (" OVER CAPACITY" if p.over_capacity else "")
        )
    for note in b.notes:
        print(f"note: {note}")


#: the frame groups the energy reads (and "gpu" where racks have no power reading)
FRAME_KINDS = ("rack", "air_unit", "cdu", "power")


def recording_energy(rec, facility=None, max_frames: int | None = None):
    """The facility power of a recording's frames (every frame, or ``max_frames`` spread
    evenly over the span), with its embedded layout unless ``facility`` is given."""
    import numpy as np

    from twin.physics.devices import rack_power_kinds
    from twin.physics.energy import EnergyModel, energy_series

    fac = facility if facility is not None else rec.facility()
    n = rec.n_frames
    idx = np.arange(n)
    if max_frames is not None and n > max_frames:
        idx = np.unique(np.linspace(0, n - 1, max_frames).round().astype(int))
    kinds = rack_power_kinds(rec, FRAME_KINDS)
    return energy_series(EnergyModel(fac), (rec.frame(int(i), kinds) for i in idx))


def _recording(args: argparse.Namespace, fac) -> int:
    import datetime as dt
    import json
    import sys

    from twin.commands.recording_notes import warn_damage
    from twin.physics.energy import assumed_readings, gap_note
    from twin.recording import RecordingError, open_recording

    try:
        with open_recording(args.recording) as rec:
            rec.check_layout(fac)
            warn_damage(rec, "energy")
            series = recording_energy(rec, fac)
            assumed = assumed_readings(rec)
    except RecordingError as exc:
        print(f"twin energy: {exc}", file=sys.stderr)
        return 1
    summary = series.summary()
    if args.json:
        out = {
            "layout": fac.layout.name,
            "recording": str(args.recording),
            **summary,
            "assumed": assumed,
            "series": series.as_lists(),
        }
        print(json.dumps(out, indent=2))
        return 0

    def when(t):
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%H:%M:%S") if t else "-"

    print(f"{args.recording}: {summary['frames']} frames of {fac.layout.name}")
    pue = ratio_text(math.nan if summary["pue"] is None else summary["pue"], 4)
    print(
        f"  IT {summary['it_kwh']:,.1f} kWh, facility {summary['facility_kwh']:,.1f} kWh, "
        f"cooling {summary['cooling_kwh']:,.1f} kWh; PUE {pue}{gap_note(summary)}"
    )
    if summary["pue_min"] is not None:  # no frame with IT load: no range either
        print(
            f"  PUE from {summary['pue_min']} ({when(summary['pue_min_time_s'])}) "
            f"to {summary['pue_max']} ({when(summary['pue_max_time_s'])})"
        )
    for what in assumed:
        print(f"  assumed  {what}")
    return 0


def _optimise(args: argparse.Namespace, fac) -> int:
    import json
    import sys

    from twin.physics.setpoints import Limits, SetPointOptimiser

    halls = []
    for h in args.hall:
        idx = fac.hall_index.get(h, int(h) if h.isdigit() else -1)
        if not 0 <= idx < len(fac.hall_ids):
            print(f"twin energy: no hall {h!r} (halls: {', '.join(fac.hall_ids)})", file=sys.stderr)
            return 2
        halls.append(idx)
    limits = Limits(
        inlet_max_c=args.inlet_max,
        gpu_margin_k=args.gpu_margin,
        failure_inlet_max_c=args.failure_inlet_max,
    )

    def progress(text: str) -> None:
        if not args.json:
            print(f"  solving {text}", file=sys.stderr, flush=True)

    doc = _document(args, fac)
    opt = SetPointOptimiser(fac, cell_m=args.cell, limits=limits, progress=progress)
    result = opt.run(halls or None)
    if doc is not None:
        error = _save(doc, result, args.out)
        if error:
            print(f"twin energy: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(optimisation_dict(result), indent=2))
        return 0
    print_optimisation(result)
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _document(args: argparse.Namespace, fac):
    """The layout as read at the start, to write the set points into with its comments kept
    (None without ``-o``). Built from the very text the optimiser solved, not the file read
    again afterwards: an edit made on disk meanwhile is then seen, not silently lost."""
    if not args.out:
        return None
    from twin.model.document import LayoutDocument

    return LayoutDocument.from_text(fac.source_text, args.layout)


def _save(doc, result, out: str) -> str | None:
    """Write the optimised ``doc`` to ``out``; the reason it was not written, or None."""
    from twin.model.save import ChangedOnDisk, SaveError, save
    from twin.physics.setpoints import as_edit

    edit = as_edit(result)
    if edit is not None:
        doc.history.push(edit)
    try:
        save(doc, out)
    except ChangedOnDisk:
        return (
            f"{out} was changed on disk during the optimisation; not overwritten (run again, "
            "or write the result elsewhere with -o OTHER.yaml)"
        )
    except SaveError as exc:
        return str(exc).replace("\n", ";")
    return None


def _stats(values) -> dict:
    import numpy as np

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if not len(v):
        return {}
    lo, hi = int(np.floor(v.min())), int(np.floor(v.max())) + 1
    counts = np.histogram(v, bins=np.arange(lo, hi + 1))[0]
    return {
        "min": round(float(v.min()), 2),
        "median": round(float(np.median(v)), 2),
        "p90": round(float(np.percentile(v, 90)), 2),
        "max": round(float(v.max()), 2),
        "histogram_1k": {f"{lo + k}": int(c) for k, c in enumerate(counts) if c},
    }


def optimisation_dict(result) -> dict:
    """The JSON object ``twin energy --optimise --json`` prints."""

    def r(values, nd=2):
        return [round(float(x), nd) for x in values]

    return {
        "saved_kw": round(result.saved_w / 1e3, 3),
        "pue_before": finite_or_none(result.before.pue, 4),
        "pue_after": finite_or_none(result.after.pue, 4),
        "solves": result.solves,
        "seconds": round(result.seconds, 2),
        "halls": [
            {
                "id": h.hall,
                "changed": h.changed,
                "limited_by": h.binding,
                "solves": h.solves,
                "air_units": h.air_units,
                "supply_before_c": r(h.supply_before_c),
                "supply_after_c": r(h.supply_after_c),
                "flow_before_m3s": r(h.flow_before_m3s),
                "flow_after_m3s": r(h.flow_after_m3s),
                "cdus": h.cdus,
                "cdu_supply_before_c": r(h.cdu_supply_before_c),
                "cdu_supply_after_c": r(h.cdu_supply_after_c),
                "inlet_before_c": _stats(h.inlet_before_c),
                "inlet_after_c": _stats(h.inlet_after_c),
                "gpu_max_before_c": finite_or_none(h.gpu_max_before_c, 2),
                "gpu_max_after_c": finite_or_none(h.gpu_max_after_c, 2),
                "checks": [
                    {
                        "case": m.case,
                        "inlet_margin_k": finite_or_none(m.inlet_k, 3),
                        "gpu_margin_k": finite_or_none(m.gpu_k, 3),
                    }
                    for m in h.checks
                ],
            }
            for h in result.halls
        ],
        "before": result.before.as_dict(),
        "after": result.after.as_dict(),
    }


def print_optimisation(result) -> None:
    for h in result.halls:
        print(f"hall {h.hall} ({h.solves} solves): {'changed' if h.changed else 'no change'}")
        for i, uid in enumerate(h.air_units):
            print(
                f"  {uid:12s} supply {h.supply_before_c[i]:5.1f} -> {h.supply_after_c[i]:5.1f} C, "
                f"flow {h.flow_before_m3s[i]:6.2f} -> {h.flow_after_m3s[i]:6.2f} m3/s"
            )
        for i, cid in enumerate(h.cdus):
            print(
                f"  {cid:12s} supply {h.cdu_supply_before_c[i]:5.1f} -> "
                f"{h.cdu_supply_after_c[i]:5.1f} C"
            )
        print(f"  limited by {h.binding}")
        for label, vals in (("before", h.inlet_before_c), ("after", h.inlet_after_c)):
            s = _stats(vals)
            if s:
                hist = " ".join(f"{k}:{v}" for k, v in s["histogram_1k"].items())
                print(
                    f"  rack inlets {label:6s} min {s['min']:.1f}  median {s['median']:.1f}  "
                    f"p90 {s['p90']:.1f}  max {s['max']:.1f} C   per 1 K bin [{hist}]"
                )
        if math.isfinite(h.gpu_max_before_c) or math.isfinite(h.gpu_max_after_c):
            print(f"  hottest GPU {h.gpu_max_before_c:.1f} -> {h.gpu_max_after_c:.1f} C")
        for m in h.checks:
            gpu = f"{m.gpu_k:6.2f} K" if m.gpu_k != float("inf") else "n/a (no air-cooled GPUs)"
            print(f"  check {m.case:24s} inlet margin {m.inlet_k:6.2f} K, GPU margin {gpu}")
    b, a = result.before, result.after
    print(
        f"saved {result.saved_w / 1e3:,.1f} kW: facility {b.total_w / 1e3:,.1f} -> "
        f"{a.total_w / 1e3:,.1f} kW, PUE {ratio_change_text(b.pue, a.pue)} "
        f"({result.solves} thermal solves, {result.seconds:.1f} s)"
    )
