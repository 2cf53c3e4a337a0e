"""Recording and replay benchmarks on the 100,000-GPU factory at one sample per second.

Each figure has a same-run baseline: the same frames in an uncompressed float32 layout (one
(time x item) dataset per metric, row chunks, no filters), the obvious way to store them.

- ``record.realtime_factor``: simulated seconds recorded per wall second (simulation and
  recording together; the note gives the recorder alone).
- ``record.bytes_per_sample``: file bytes per stored value on simulated data.
- ``replay.frame_read_100k_ms``: one whole frame (every metric of every item) at a random time.
- ``replay.history_1h_ms``: one GPU's one-hour history, every GPU metric.

The one-hour file repeats one recorded block of simulated frames (simulating and compressing a
full hour of 100k GPUs would take minutes); the baseline's one-hour history is read from a
float32 slice of 1024 GPUs in row chunks: a column read costs the same at any width.
"""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from twin.bench import Result

RECORD_FRAMES = 120
HOUR_FRAMES = 3600
READS = 30
BASE_SLICE = 1024


def _facility():
    from twin.bench.layout import factory_path
    from twin.model.loader import facility_from_text, load_layout

    path = factory_path()
    if path.is_file():
        return load_layout(path)
    from twin.model.generate import ai_factory

    return facility_from_text(ai_factory(), "ai-factory-100k.yaml")


class _Float32Rows:
    """The baseline: float32, one dataset per metric, (1 x items) chunks, no compression."""

    def __init__(self, path: Path, facility) -> None:
        from twin.model.frame import METRICS

        self.f = h5py.File(path, "w", libver="latest")
        self.ds = []
        counts = facility.counts()
        for kind, metrics in METRICS.items():
            n = counts.get(kind, 0)
            for name, _, _ in metrics:
                if n:
                    d = self.f.create_dataset(
                        f"{kind}/{name}", (0, n), maxshape=(None, n), chunks=(1, n), dtype="f4"
                    )
                    self.ds.append((kind, name, d))
        self.t = self.f.create_dataset("time_s", (0,), maxshape=(None,), chunks=(4096,), dtype="f8")
        self.n = 0

    def append(self, frame) -> None:
        i = self.n
        for kind, name, d in self.ds:
            d.resize(i + 1, axis=0)
            d[i] = frame.group(kind)[name]
        self.t.resize(i + 1, axis=0)
        self.t[i] = frame.time_s
        self.n += 1

    def read_frame(self, i: int) -> None:
        for _, _, d in self.ds:
            d[i]

    def close(self) -> None:
        self.f.close()


@functools.cache
def _measure() -> dict[str, Result]:
    fac = _facility()
    out: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="twin-bench-") as tmp:
        tmp = Path(tmp)
        cycle, base = _measure_recording(fac, tmp, out)
        rng = np.random.default_rng(1)
        _measure_frame_reads(fac, tmp, base, rng, out)
        _measure_history(fac, tmp, cycle, rng, out)
    return out


def _measure_recording(fac, tmp: Path, out: dict[str, Result]):
    """record.realtime_factor and record.bytes_per_sample; the first history block of frames
    and the float32-rows baseline file, for the reads that follow."""
    from twin.recording import Recorder, open_recording
    from twin.telemetry.simulator import Simulator

    n_gpus = fac.n_gpus
    sim = Simulator(fac, "crah-trip", seed=0, start_s=1_800_000_000.0)
    sim.step()  # set-up and the first (steady-state) step are not part of the rate
    rec_s = sim_s = base_s = 0.0
    cycle = []
    rec = Recorder(tmp / "run.h5", fac)
    base = _Float32Rows(tmp / "base.h5", fac)
    for _ in range(RECORD_FRAMES):
        t0 = time.perf_counter()
        frame = sim.step()
        t1 = time.perf_counter()
        rec.append(frame)
        t2 = time.perf_counter()
        base.append(frame)
        t3 = time.perf_counter()
        sim_s += t1 - t0
        rec_s += t2 - t1
        base_s += t3 - t2
        if len(cycle) < rec.block_frames:
            cycle.append(frame)
    t0 = time.perf_counter()
    rec.close()
    rec_s += time.perf_counter() - t0
    base.f.flush()
    with open_recording(tmp / "run.h5") as r:
        samples = r.n_samples
        size = r.size_bytes
    base_size = (tmp / "base.h5").stat().st_size
    factor = RECORD_FRAMES / (sim_s + rec_s)
    base_factor = RECORD_FRAMES / (sim_s + base_s)
    out["record.realtime_factor"] = Result(
        "record.realtime_factor",
        factor,
        "x",
        baseline=base_factor,
        ratio=factor / base_factor,
        note=f"{n_gpus} GPUs at 1 Hz; simulation {1e3 * sim_s / RECORD_FRAMES:.1f} ms "
        f"+ recorder {1e3 * rec_s / RECORD_FRAMES:.1f} ms per frame "
        f"(float32 rows {1e3 * base_s / RECORD_FRAMES:.1f} ms)",
    )
    bps, base_bps = size / samples, base_size / samples
    out["record.bytes_per_sample"] = Result(
        "record.bytes_per_sample",
        bps,
        "B",
        baseline=base_bps,
        ratio=bps / base_bps,
        note=f"{RECORD_FRAMES} simulated frames, {samples:,} samples, {size / 1e6:.1f} MB",
    )

    return cycle, base


def _measure_frame_reads(fac, tmp: Path, base, rng, out: dict[str, Result]) -> None:
    """replay.frame_read_100k_ms: one whole frame at random times, against float32 rows."""
    from twin.recording import open_recording

    n_gpus = fac.n_gpus
    idx = rng.integers(0, RECORD_FRAMES, READS)
    with open_recording(tmp / "run.h5") as r:
        r.frame(0)
        t0, c0 = time.perf_counter(), time.process_time()
        for i in idx:
            r.frame(int(i))
        frame_ms = 1e3 * (time.perf_counter() - t0) / READS
        frame_cpu_ms = 1e3 * (time.process_time() - c0) / READS
    t0 = time.perf_counter()
    for i in idx:
        base.read_frame(int(i))
    base_frame_ms = 1e3 * (time.perf_counter() - t0) / READS
    base.close()
    out["replay.frame_read_100k_ms"] = Result(
        "replay.frame_read_100k_ms",
        frame_ms,
        "ms",
        baseline=base_frame_ms,
        ratio=frame_ms / base_frame_ms,
        note=f"every metric of {n_gpus} GPUs and all racks and units, decoded to float32; "
        f"CPU time {frame_cpu_ms:.2f} ms",
    )


def _measure_history(fac, tmp: Path, cycle, rng, out: dict[str, Result]) -> None:
    """replay.history_1h_ms: one GPU's hour from a one-hour recording of the full width."""
    from twin.recording import Recorder, open_recording

    n_gpus = fac.n_gpus
    # one GPU's hour: a one-hour recording of the full width. The recorder writes the
    # first history block of simulated frames; the other blocks repeat its compressed
    # chunks (what the recorder writes for frames that repeat every block), so the file
    # has a recorded hour's chunk layout, sizes and index without an hour of compression.
    t0 = time.perf_counter()
    with Recorder(tmp / "hour.h5", fac) as rec:
        for k, f in enumerate(cycle):
            f.time_s = 1_900_000_000.0 + k
            f.events = []
            rec.append(f)
        block = rec.block_frames
    _repeat_blocks(tmp / "hour.h5", block, HOUR_FRAMES)
    hour_write_s = time.perf_counter() - t0
    base_path = tmp / "base_hour.h5"
    gpu_metrics = [n for n in cycle[0].gpu]
    with h5py.File(base_path, "w", libver="latest") as bf:
        for name in gpu_metrics:
            d = bf.create_dataset(
                name, (HOUR_FRAMES, BASE_SLICE), chunks=(1, BASE_SLICE), dtype="f4"
            )
            rows = np.stack([f.gpu[name][:BASE_SLICE] for f in cycle])
            for k in range(0, HOUR_FRAMES, len(cycle)):
                d[k : k + len(cycle)] = rows[: min(len(cycle), HOUR_FRAMES - k)]
    gpus = rng.integers(0, min(n_gpus, BASE_SLICE), READS)
    with open_recording(tmp / "hour.h5") as r:
        r.history("gpu", 0)
        t0, c0 = time.perf_counter(), time.process_time()
        for g in gpus:
            _, h = r.history("gpu", int(g))
        hist_ms = 1e3 * (time.perf_counter() - t0) / READS
        hist_cpu_ms = 1e3 * (time.process_time() - c0) / READS
        assert len(h["temp_c"]) == HOUR_FRAMES
        t0 = time.perf_counter()
        for g in gpus:
            r.history("gpu", int(g), ["temp_c"])
        one_ms = 1e3 * (time.perf_counter() - t0) / READS
    with h5py.File(base_path, "r") as bf:
        ds = [bf[n] for n in gpu_metrics]
        t0 = time.perf_counter()
        for g in gpus[:5]:
            for d in ds:
                d[:, int(g)]
        base_hist_ms = 1e3 * (time.perf_counter() - t0) / 5
    out["replay.history_1h_ms"] = Result(
        "replay.history_1h_ms",
        hist_ms,
        "ms",
        baseline=base_hist_ms,
        ratio=hist_ms / base_hist_ms,
        note=f"{len(gpu_metrics)} GPU metrics x {HOUR_FRAMES} samples of a {n_gpus}-GPU "
        f"recording (CPU time {hist_cpu_ms:.2f} ms); one metric {one_ms:.2f} ms; "
        f"baseline float32 rows "
        f"(hour file built in {hour_write_s:.0f} s)",
    )


def _repeat_blocks(path: Path, block: int, frames: int) -> None:
    """Extend a recording of exactly one history block to ``frames`` samples by copying its
    compressed chunks (frame rows and history blocks) block after block."""
    with h5py.File(path, "r+") as f:
        n0 = f["time_s"].shape[0]
        assert n0 == block, "the recording must hold exactly one block"
        t0 = f["time_s"][0]
        f["time_s"].resize(frames, axis=0)
        f["time_s"][:] = t0 + np.arange(frames)
        for kind in f["frames"]:
            for name in f["frames"][kind]:
                d = f["frames"][kind][name]
                n, w = d.shape[1], d.chunks[1]
                rows = [[d.id.read_direct_chunk((i, j)) for j in range(0, n, w)] for i in range(n0)]
                d.resize(frames, axis=0)
                for i in range(n0, frames):
                    for j, (mask, data) in zip(range(0, n, w), rows[i % n0], strict=True):
                        d.id.write_direct_chunk((i, j), data, mask)
            h = f["history"][kind]
            n, hc = h.shape[0], h.chunks[0]
            blk = [h.id.read_direct_chunk((j, 0)) for j in range(0, n, hc)]
            whole = -(-frames // block) * block  # as a closed recording: last block padded
            h.resize(whole, axis=1)
            for b in range(block, whole, block):
                for j, (mask, data) in zip(range(0, n, hc), blk, strict=True):
                    h.id.write_direct_chunk((j, b), data, mask)


def bench_record() -> list[Result]:
    m = _measure()
    return [m["record.realtime_factor"], m["record.bytes_per_sample"]]


def bench_replay() -> list[Result]:
    m = _measure()
    return [m["replay.frame_read_100k_ms"], m["replay.history_1h_ms"]]


BENCHMARKS = [("record", bench_record), ("replay", bench_replay)]
