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
    from twin.model.yamlpos import load_fast

    path = factory_path()
    text = path.read_text()
    fac = load_layout(path)
    load_s = _best(lambda: load_layout(path))
    parse_s = _best(lambda: load_fast(text))
    graph_s = _best(lambda: fac.__dict__.pop("graph", None) or fac.graph, repeat=1)
    return [
        Result(
            "layout.load_100k_s",
            load_s,
            "s",
            baseline=parse_s,
            ratio=load_s / parse_s,
            note=f"{fac.n_gpus} GPUs, {fac.n_racks} racks; baseline: YAML parse alone",
        ),
        Result("layout.graph_100k_s", graph_s, "s", note="topology graph, built on first use"),
    ]


BENCHMARKS = [("layout", bench_load)]
