"""Layout benchmarks: loading and validating the 100,000-GPU factory."""

from __future__ import annotations

import time
from pathlib import Path

from twin.bench import Result
from twin.model.catalog import assets_dir

FACTORY = "ai-factory-100k.yaml"


def factory_path() -> Path:
    """The shipped 100k-GPU layout (a checkout's ``layouts/``)."""
    return assets_dir().parent / "layouts" / FACTORY


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_load() -> list[Result]:
    from twin.model.loader import load_layout

    path = factory_path()
    text = path.read_text()
    fac = load_layout(path)
    load_s = _best(lambda: load_layout(path))
    parse_s = _best(lambda: _events_only(text))
    graph_s = _best(lambda: fac.__dict__.pop("graph", None) or fac.graph, repeat=1)
    return [
        Result(
            "layout.load_100k_s",
            load_s,
            "s",
            baseline=parse_s,
            ratio=load_s / parse_s,
            note=f"{fac.n_gpus} GPUs, {fac.n_racks} racks; baseline: libyaml's parse events "
            "alone (nothing built, no checks), the part of the load no loader can skip",
        ),
        Result("layout.graph_100k_s", graph_s, "s", note="topology graph, built on first use"),
    ]


def _events_only(text: str) -> None:
    """libyaml's parse events, nothing made of them: the floor of any YAML-reading validator."""
    import yaml

    parser = yaml.CSafeLoader(text)
    try:
        while not isinstance(parser.get_event(), yaml.StreamEndEvent):
            pass
    finally:
        parser.dispose()


#: The planted faults of the big-file figures: (fault, figure, what its message says).
BIG_FAULTS = (
    ("duplicate-id", "layout.big_error_20mb_s", "duplicate id"),
    ("unknown-key", "layout.big_unknown_key_20mb_s", "unknown field"),
)


def bench_big_error() -> list[Result]:
    """20 MB layouts (about 140,000 racks) with one fault 90 % of the way through, a
    duplicate id (found by the reference checks) or an unknown key (by the schema): seconds
    until the LayoutError that names it (the issue's goal: within 10 s), and the CPU seconds
    of this process and of the one that reads part of the text."""
    import resource

    from twin.bench.big_layout import big_layout_text
    from twin.model.errors import LayoutError
    from twin.model.loader import facility_from_text

    out: list[Result] = []
    events_s = 0.0
    for fault, figure, says in BIG_FAULTS:
        text = big_layout_text(20 * 2**20, fault=fault)

        def validate(text: str = text, says: str = says) -> None:
            try:
                facility_from_text(text, "big.yaml")
            except LayoutError as exc:
                assert says in str(exc.problems[0])
            else:
                raise AssertionError(f"the planted {says} was not reported")

        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time()
        error_s = _best(validate, repeat=1)
        cpu = time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        helper = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        if not events_s:  # the two texts differ by a line
            events_s = _best(lambda text=text: _events_only(text), repeat=1)
        out.append(
            Result(
                figure,
                error_s,
                "s",
                baseline=events_s,
                ratio=error_s / events_s,
                note=f"{len(text) / 2**20:.0f} MB, one {says}; CPU {cpu:.1f} s here + "
                f"{helper:.1f} s in the second reader; baseline: libyaml events alone, in one "
                "process",
            )
        )
    return out


BENCHMARKS = [("layout", bench_load), ("layout.big", bench_big_error)]
