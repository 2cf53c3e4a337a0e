"""Editing benchmarks: constraint checks after a move in the 100,000-GPU layout, and the thermal
re-solve after an edit in the small demo hall."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from twin.bench import Result
from twin.model.catalog import assets_dir


def _layouts() -> Path:
    return assets_dir().parent / "layouts"


def _generated_factory(halls: int = 4, rows: int = 20, per_row: int = 18) -> str:
    """A stand-in for the shipped factory when it is missing: liquid-cooled GB200 rows facing
    alternately, with dual busway feeds, CDUs and fan walls (about 1,440 racks, 100k GPUs)."""
    lines = [
        "format: twin-layout/1",
        "name: generated factory",
        "power_redundancy: 2N",
        "halls:",
    ]
    width = 4.0 + per_row * 0.6 + 4.0
    depth = 3.0 + rows * 2.4 + 3.0
    for h in range(halls):
        lines.append(
            f"- {{id: H{h}, size_m: [{width:.1f}, {depth:.1f}, 5.0], floor: slab, "
            "floor_load_kg_m2: 2500}"
        )
    lines.append("rows:")
    for h in range(halls):
        for r in range(rows):
            y = 3.0 + r * 2.4 + 0.6
            rot = 180 if r % 2 == 0 else 0
            lines += [f"- id: H{h}-R{r:02d}", f"  hall: H{h}", "  racks:"]
            for k in range(per_row):
                lines.append(
                    f"  - {{id: H{h}-R{r:02d}-{k:02d}, type: rack-nvl72, "
                    f"position_m: [{4.3 + 0.6 * k:.1f}, {y:.1f}], rotation_deg: {rot}, "
                    f"servers: [{{type: gb200-nvl72, count: 1}}], "
                    f"feeds: {{a: H{h}-R{r:02d}-A, b: H{h}-R{r:02d}-B}}, cdu: H{h}-CDU{r // 4}}}"
                )
    lines.append("power:")
    for h in range(halls):
        for side in "AB":
            lines.append(f"- {{id: H{h}-U{side}, type: utility-feed-20mva, capacity_kw: 60000}}")
            lines.append(
                f"- {{id: H{h}-UPS{side}, type: ups-1250kw, upstream: H{h}-U{side}, "
                f"capacity_kw: 60000}}"
            )
            for r in range(rows):
                lines.append(
                    f"- {{id: H{h}-R{r:02d}-{side}, type: pdu-300kva, "
                    f"upstream: H{h}-UPS{side}, capacity_kw: 2500}}"
                )
    lines += ["cooling:", "  cdus:"]
    for h in range(halls):
        for c in range((rows + 3) // 4):
            lines.append(
                f"  - {{id: H{h}-CDU{c}, type: cdu-room-2500kw, hall: H{h}, "
                f"position_m: [1.5, {3.0 + c * 9.6 + 4.8:.1f}], capacity_kw: 20000}}"
            )
    lines.append("  air_units:")
    for h in range(halls):
        for k in range(4):
            lines.append(
                f"  - {{id: H{h}-FW{k}, type: fanwall-300kw, hall: H{h}, "
                f"position_m: [{width - 0.7:.1f}, {3.0 + k * 10.0:.1f}], rotation_deg: 90, "
                "capacity_kw: 3000, airflow_m3s: 200}"
            )
    return "\n".join(lines) + "\n"


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def bench_constraints() -> list[Result]:
    from twin.model import edits as E
    from twin.model.constraints import ConstraintChecker
    from twin.model.document import LayoutDocument

    path = _layouts() / "ai-factory-100k.yaml"
    if path.exists():
        doc = LayoutDocument.open(path, strict=False)
        source = path.name
    else:
        doc = LayoutDocument.from_text(_generated_factory(), strict=False)
        source = "generated stand-in (layouts/ai-factory-100k.yaml missing)"
    fac = doc.facility
    checker = ConstraintChecker(fac).attach(doc)
    rack = fac.rack_ids[fac.n_racks // 2]
    x, y = doc.rack(rack).position_m
    step = [0]

    def move_and_check() -> None:
        # one drag frame: move one rack (alternating places), re-check, read the problem list
        step[0] += 1
        doc.history.push(E.MoveRacks([rack], [[x + 0.05 * (step[0] % 7), y]]))
        checker.problems  # noqa: B018 - the list the UI shows

    move_and_check()
    incremental = _median_ms(move_and_check, 60)

    def full() -> None:
        ConstraintChecker(doc.facility).problems  # noqa: B018

    full_ms = _median_ms(full, 5)
    checker.detach()
    return [
        Result(
            "edit.constraints_100k_ms",
            incremental,
            "ms",
            baseline=full_ms,
            ratio=incremental / full_ms,
            note=f"move one rack + all checks, {fac.n_gpus} GPUs, {fac.n_racks} racks "
            f"({source}); baseline: full check",
        ),
    ]


def bench_save() -> list[Result]:
    import shutil
    import tempfile

    from twin.model import edits as E
    from twin.model import save as S
    from twin.model.document import LayoutDocument

    src = _layouts() / "ai-factory-100k.yaml"
    if not src.exists():
        return []
    with tempfile.TemporaryDirectory(prefix="twin-bench-") as tmp:
        path = Path(tmp) / src.name
        shutil.copyfile(src, path)
        doc = LayoutDocument.open(path, strict=False)
        fac = doc.facility
        rack = fac.rack_ids[fac.n_racks // 3]
        doc.history.push(E.translate(doc, [rack], (0.0, 0.05)))
        t = time.perf_counter()
        S.save(doc)
        spliced = time.perf_counter() - t
        used_splice = doc.roundtrip_tree is None
        doc.history.push(E.translate(doc, [rack], (0.0, -0.05)))
        t = time.perf_counter()
        doc.roundtrip_tree = None
        text = S.roundtrip_text(doc)  # the whole-tree writer the splice replaces
        S.atomic_write(path, text)
        whole = time.perf_counter() - t
    return [
        Result(
            "edit.save_100k_s",
            spliced,
            "s",
            baseline=whole,
            ratio=spliced / whole,
            note=f"Save after moving one rack, verified through the loader "
            f"({'splice' if used_splice else 'whole tree'}); baseline: ruamel whole-tree "
            "round trip, unverified",
        )
    ]


def bench_resolve() -> list[Result]:
    from twin.model import edits as E
    from twin.model.document import LayoutDocument
    from twin.physics.hall_jobs import HallJobs, Snapshot
    from twin.physics.model import solve_steady

    doc = LayoutDocument.open(_layouts() / "demo-air-hall.yaml")
    fac = doc.facility
    rack = fac.rack_ids[fac.n_racks - 1]  # a row end: where an edit changes most
    r = fac.rack_index[rack]
    jobs = HallJobs()  # the window's path: a snapshot of the edited layout, on the worker
    answers: list = []
    jobs.service.finished.connect(lambda o: answers.append(o.value))
    jobs.service.failed.connect(lambda o: answers.append(RuntimeError(o.error)))

    def solve(**options):
        answers.clear()
        jobs.request(doc.facility, 0, **options)
        jobs.service.wait(600)
        if not answers or isinstance(answers[0], Exception):
            raise answers[0] if answers else RuntimeError("no answer")
        return answers[0].result

    try:
        before = solve()
        doc.history.push(E.translate(doc, [rack], (0.6, 0.0)))
        snap = Snapshot(doc.layout.model_copy(deep=True), doc.catalog, source=doc.facility)
        jobs.freeze = lambda f: snap
        t = time.perf_counter()
        after = solve()  # what the editor runs after the edit (warm-started)
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        cold = solve_steady(doc.facility, 0)
        cold_s = time.perf_counter() - t
    except Exception as exc:  # report the failure as a figure, keep the other benchmarks going
        return [
            Result(
                "edit.resolve_demo_s",
                float("nan"),
                "s",
                note=f"thermal solve failed: {type(exc).__name__}: {exc}",
            )
        ]
    finally:
        jobs.service.shutdown()
    delta = after.rack_inlet_max_c[r] - before.rack_inlet_max_c[r]
    delta_cold = cold.rack_inlet_max_c[r] - before.rack_inlet_max_c[r]
    return [
        Result(
            "edit.resolve_demo_s",
            seconds,
            "s",
            baseline=cold_s,
            ratio=seconds / cold_s,
            note=f"re-solve after moving {rack} 0.6 m, as the window runs it (solver service, "
            f"layout snapshot, warm start), {before.grid.cell_m} m cells; its max inlet "
            f"{delta:+.2f} K ({delta_cold:+.2f} K cold); baseline: a cold solve of the same edit",
        )
    ]


BENCHMARKS = [
    ("edit.constraints", bench_constraints),
    ("edit.save", bench_save),
    ("edit.resolve", bench_resolve),
]
