"""Worst N benchmark: ranking one 100,000-GPU frame's hottest GPUs, racks and air units (what
the window's Worst N dock does per frame), against a full sort of the GPUs in the same run."""

from __future__ import annotations

import time

import numpy as np

from twin.bench import Result


def bench_worst() -> list[Result]:
    from twin.bench.live import _facility
    from twin.model.frame import Frame
    from twin.model.worst import worst_items

    fac = _facility()
    rng = np.random.default_rng(0)
    fr = Frame.empty(0.0, fac.counts())
    fr.gpu["temp_c"] = rng.uniform(30, 90, fac.n_gpus).astype(np.float32)
    fr.air_unit["return_c"] = rng.uniform(25, 40, len(fac.air_unit_ids)).astype(np.float32)

    def best_ms(fn, repeats: int = 20) -> float:
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times) * 1e3

    ours = best_ms(lambda: worst_items(fac, fr, "temp_c", 10))
    full = best_ms(lambda: np.argsort(fr.gpu["temp_c"].astype(float)))
    return [
        Result(
            "ui.worst_100k_ms",
            round(ours, 3),
            "ms",
            round(full, 3),
            round(ours / full, 3),
            f"{fac.n_gpus} GPUs, 10 worst GPUs, racks and air units; baseline: argsort of the GPUs",
        )  # fmt: skip
    ]


BENCHMARKS = [("ui.worst", bench_worst)]
