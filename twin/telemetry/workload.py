"""Training and inference jobs placed on GPUs, and the utilisation and power they demand.

Jobs take whole hosts, contiguous in index order (schedulers pack jobs onto neighbouring
nodes). Training jobs ramp up (data loading, compilation), run near full utilisation with a
step-time ripple, and dip at periodic checkpoints; inference replicas follow a slow load
curve with bursts. Everything per step is vectorised over GPUs through ``gpu_job``; the only
Python loops run over jobs at placement and over the few jobs that start or end in a step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import Event, EventKind

#: Training job sizes (GPUs) seen in practice: fine-tuning runs of 8-256 GPUs up to
#: pre-training runs of tens of thousands; sampled log-uniformly, capped by the facility.
TRAIN_MIN_GPUS = 64
TRAIN_MAX_GPUS = 32_768
INFER_GPUS = (8, 8, 16, 16, 32, 64)


@dataclass
class Jobs:
    """Per-job parameters; index 0 is "no job" (idle GPUs)."""

    ids: np.ndarray  # job id reported per GPU (0 = none)
    train: np.ndarray  # bool
    start_s: np.ndarray  # relative to the simulation start
    end_s: np.ndarray
    ramp_s: np.ndarray
    level: np.ndarray  # steady utilisation, 0..1
    intensity: np.ndarray  # power at full utilisation as a share of TDP above idle
    ckpt_period_s: np.ndarray
    ckpt_len_s: np.ndarray
    ckpt_phase_s: np.ndarray
    ripple_period_s: np.ndarray
    ripple: np.ndarray
    load_period_s: np.ndarray
    load_phase: np.ndarray
    gpus: np.ndarray  # GPU count per job

    def __len__(self) -> int:
        return len(self.ids)


class Workload:
    """Places jobs on a facility's GPUs and computes utilisation and power demand per step."""

    def __init__(self, facility: Facility, rng: np.random.Generator) -> None:
        self.facility = facility
        self.jobs, self.gpu_job = place_jobs(facility, rng)
        n = facility.n_gpus
        self._rng = rng
        # fixed per-GPU spread: silicon and position in the chassis
        self.gpu_power_spread = (1.0 + 0.03 * rng.standard_normal(n)).astype(np.float32)
        self._running = np.zeros(len(self.jobs), dtype=bool)

    def step(self, t_s: float, now_s: float) -> tuple[np.ndarray, np.ndarray, list[Event]]:
        """Utilisation (0..1) and power demand (W) per GPU at ``t_s`` seconds after the start,
        and the job start/end events since the previous step (stamped ``now_s``)."""
        j, g = self.jobs, self.gpu_job
        phase = t_s - j.start_s
        running = (phase >= 0) & (t_s < j.end_s)
        running[0] = False
        ramp = np.clip(phase / j.ramp_s, 0.0, 1.0)
        in_ckpt = np.mod(phase + j.ckpt_phase_s, j.ckpt_period_s) < j.ckpt_len_s
        ripple = 1.0 - j.ripple * 0.5 * (1 + np.sin(2 * np.pi * t_s / j.ripple_period_s))
        train_level = j.level * ripple * np.where(in_ckpt, 0.08, 1.0)
        load = 0.65 + 0.35 * np.sin(2 * np.pi * t_s / j.load_period_s + j.load_phase)
        infer_level = j.level * load
        level = np.where(j.train, train_level, infer_level) * ramp * running
        noise_sd = np.where(j.train, 0.012, 0.05)[g]
        util = level[g] + noise_sd * self._rng.standard_normal(len(g), dtype=np.float32)
        util = np.clip(util, 0.0, 1.0) * running[g]
        fac = self.facility
        active = fac.gpu_idle_w + (fac.gpu_tdp_w - fac.gpu_idle_w) * j.intensity[g] * util
        power = np.where(util > 0, active * self.gpu_power_spread, fac.gpu_idle_w)
        power = power + 3.0 * self._rng.standard_normal(len(g), dtype=np.float32)
        events = self._job_events(running, now_s)
        return util.astype(np.float32), power.astype(np.float32), events

    def _job_events(self, running: np.ndarray, t_s: float) -> list[Event]:
        changed = np.flatnonzero(running != self._running)
        self._running = running
        j = self.jobs
        out = []
        for k in changed:
            kind = "training" if j.train[k] else "inference"
            if running[k]:
                out.append(
                    Event(
                        t_s,
                        EventKind.JOB_START,
                        f"job {j.ids[k]}",
                        f"{kind} job {j.ids[k]} started on {j.gpus[k]} GPUs",
                        0,
                    )
                )
            else:
                out.append(
                    Event(
                        t_s,
                        EventKind.JOB_END,
                        f"job {j.ids[k]}",
                        f"{kind} job {j.ids[k]} finished ({j.gpus[k]} GPUs freed)",
                        0,
                    )
                )
        return out


def place_jobs(facility: Facility, rng: np.random.Generator) -> tuple[Jobs, np.ndarray]:
    """Pack jobs onto whole hosts in index order; a few hosts stay idle. Returns the jobs and
    the job index per GPU (0 = idle)."""
    gpu_hosts = np.flatnonzero(facility.host_gpu_count > 0)
    counts = facility.host_gpu_count[gpu_hosts]
    n_gpus = int(counts.sum())
    max_train = max(TRAIN_MIN_GPUS, min(TRAIN_MAX_GPUS, int(n_gpus * 0.25)))
    host_job = np.zeros(len(gpu_hosts), dtype=np.int64)
    sizes: list[int] = []
    trains: list[bool] = []
    h = 0
    while h < len(gpu_hosts):
        if rng.random() < 0.06:  # drained, reserved or broken nodes
            h += int(rng.integers(1, 4))
            continue
        train = bool(rng.random() < 0.55)
        if train:
            want = int(np.exp(rng.uniform(np.log(TRAIN_MIN_GPUS), np.log(max_train))))
        else:
            want = int(rng.choice(INFER_GPUS))
        per_host = int(counts[h])
        n_hosts = max(1, -(-want // per_host))
        end = min(len(gpu_hosts), h + n_hosts)
        sizes.append(int(counts[h:end].sum()))
        trains.append(train)
        host_job[h:end] = len(sizes)
        h = end
    gpu_job = np.zeros(facility.n_gpus, dtype=np.int64)
    host_of_gpu = np.zeros(len(facility.host_gpu_count), dtype=np.int64)
    host_of_gpu[gpu_hosts] = host_job
    gpu_job[:] = host_of_gpu[facility.gpu_host]

    k = len(sizes) + 1
    train = np.array([False, *trains])
    # most jobs are already running when the simulation starts; some start within 15 min
    already = rng.random(k) < 0.7
    start = np.where(already, -rng.uniform(600, 36_000, k), rng.uniform(0, 900, k))
    end = np.full(k, np.inf)
    ends = (~train) & (rng.random(k) < 0.1) | (train & (rng.random(k) < 0.05))
    end[ends] = np.maximum(start[ends], 0) + rng.uniform(600, 3_600, ends.sum())
    jobs = Jobs(
        ids=int(rng.integers(100_000, 900_000)) + np.arange(k),
        train=train,
        start_s=start,
        end_s=end,
        ramp_s=np.where(train, rng.uniform(60, 240, k), 20.0),
        level=np.where(train, rng.uniform(0.88, 0.99, k), rng.uniform(0.35, 0.7, k)),
        intensity=np.where(train, rng.uniform(0.85, 0.97, k), rng.uniform(0.6, 0.8, k)),
        ckpt_period_s=rng.uniform(900, 2_400, k),
        ckpt_len_s=rng.uniform(30, 120, k),
        ckpt_phase_s=rng.uniform(0, 2_400, k),
        ripple_period_s=rng.uniform(1.5, 8.0, k),
        ripple=rng.uniform(0.02, 0.08, k),
        load_period_s=rng.uniform(300, 1_800, k),
        load_phase=rng.uniform(0, 2 * np.pi, k),
        gpus=np.array([0, *sizes]),
    )
    jobs.ids[0] = 0
    return jobs, gpu_job
