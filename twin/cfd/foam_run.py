"""Run a generated OpenFOAM case to convergence and turn it into a reference.

Converged means: every rack's mean inlet temperature moved by at most ``STEADY_K`` over the
last ``WINDOW_IT`` iterations and the energy balance closes within ``BALANCE_TOL``. A room
that never settles (steady RANS of a room can swing for thousands of iterations) runs to its
iteration limit and is averaged over a long window, its swing kept as the reference's own
uncertainty.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twin.cfd import foam_read
from twin.cfd.foam_case import BALANCE_TOL, CHECK_IT, STEADY_K, WINDOW_IT

SOLVER = "buoyantBoussinesqSimpleFoam"
#: OpenFOAM's environment script (Debian's package), sourced when the caller has not.
FOAM_BASHRC = os.environ.get("TWIN_FOAM_BASHRC", "/usr/share/openfoam/etc/bashrc")
#: Fewest iterations before convergence is judged (the field must have left its start).
MIN_IT = 800
#: Window averaged for a room that never settles.
AVERAGE_IT = 1000
#: Iterations run first-order (upwind) and more under-relaxed before the second-order
#: schemes take over: from a field at rest, jets of 2-4 m/s make k-epsilon blow up otherwise.
STARTUP_IT = 200
#: CPU seconds per cell and iteration of the solver (k-epsilon, second order, one core) in the
#: validation rooms' runs (tests/validation/references and holdout/: each ``cpu_s`` over its
#: cells times its seed's and its even draw's iterations gives 2.29-2.83 us, median 2.41; e.g.
#: open-aisle-85, 33,600 cells, 4,000 + 1,500 iterations, 460 s), on the machine that ran them:
#: what a case's run costs, roughly.
CPU_S_PER_CELL_ITERATION = 2.5e-6


def cpu_estimate_text(n_cells: int, iterations: int) -> str:
    """What a run of ``iterations`` at most costs on one core, in words: a hall of a factory
    meshes to a million cells, hours of CPU that a user should know of before ``--run``."""
    s = n_cells * iterations * CPU_S_PER_CELL_ITERATION
    size = f"{s / 3600:,.1f} CPU hours" if s >= 5400 else f"{max(s / 60, 1):,.0f} CPU minutes"
    return (
        f"a run costs at most about {size} ({iterations:,} iterations of {n_cells:,} cells at "
        f"the {CPU_S_PER_CELL_ITERATION * 1e6:g} us per cell and iteration of the validation "
        "rooms' runs; one that settles stops sooner)"
    )


@dataclass
class Progress:
    """Where a run stands: iteration, the largest rack-inlet swing over the last window, the
    energy balance error (fraction), and whether both meet the convergence test."""

    iteration: int
    swing_k: float
    balance: float
    converged: bool


def _front_series(case: Path, desc: dict) -> tuple[np.ndarray, np.ndarray]:
    fronts = [p["name"] for p in desc["patches"] if p["kind"] == "rack_front"]
    series = [foam_read.read_monitor(case, f"mon_{f}") for f in fronts]
    n = min((len(s) for s in series), default=0)
    if n == 0:
        return np.zeros(0), np.zeros((0, len(fronts)))
    it = series[0][:n, 0]
    return it, np.stack([s[:n, 1] for s in series], 1)


def heat_out_series(case: Path, desc: dict) -> tuple[np.ndarray, np.ndarray]:
    """(iterations, heat carried out by the room's own supplies and returns, W)."""
    names = [p["name"] for p in desc["patches"] if not p["kind"].startswith("rack")]
    series = [foam_read.read_monitor(case, f"mon_{n}") for n in names]
    n = min((len(s) for s in series), default=0)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    total = np.sum([s[:n, 1] for s in series], axis=0)
    return series[0][:n, 0], desc["rho_cp"] * total


def progress(case: str | Path, desc: dict, upto: int | None = None) -> Progress:
    """Judge the run so far, or as it stood at the end of iteration ``upto`` (see the module
    docstring)."""
    case = Path(case)
    it, fr = _front_series(case, desc)
    hit, hout = heat_out_series(case, desc)
    if upto is not None:
        it, fr = it[it <= upto], fr[it <= upto]
        hout = hout[hit <= upto]
    if len(it) == 0:
        return Progress(0, float("nan"), float("nan"), False)
    win = fr[it > it[-1] - WINDOW_IT]
    swing = float((win.max(0) - win.min(0)).max()) if len(win) else float("nan")
    bal = abs(hout[-1] - desc["heat_w"]) / max(desc["heat_w"], 1e-12) if len(hout) else np.nan
    enough = it[-1] >= max(MIN_IT, STARTUP_IT + 2 * WINDOW_IT)
    ok = bool(enough and swing <= STEADY_K and bal <= BALANCE_TOL)
    return Progress(int(it[-1]), swing, float(bal), ok)


#: OpenFOAM's ``fileModificationSkew`` (etc/controlDict, s): it takes a dictionary as changed
#: only when its time stamp moved past the one it read by more than this.
FOAM_SKEW_S = 10.0


def _stop_now(case: Path) -> None:
    """Ask the running solver to write and stop (it rereads controlDict every iteration).
    The new file's time stamp is put past the skew beyond the old one's: the second-order
    phase starts right after its controlDict was rewritten, and a stop asked for within
    10 s of that (a run judged converged at its first check, polled every 2 s) went unseen,
    so the solver ran on to its end time (the contained room's seed: 4,000 iterations
    instead of about 900)."""
    cd = case / "system" / "controlDict"
    old_mtime = cd.stat().st_mtime
    text = cd.read_text().replace("stopAt          endTime;", "stopAt          writeNow;")
    tmp = cd.with_suffix(".tmp")
    tmp.write_text(text)
    stamp = max(time.time(), old_mtime + FOAM_SKEW_S + 1.0)
    os.utime(tmp, (stamp, stamp))
    os.replace(tmp, cd)


def _use(case: Path, phase: str) -> None:
    """Put the ``phase`` ("startup" or "second") variants of system/fvSchemes and
    system/fvSolution in place (the solver rereads them)."""
    for d in ("fvSchemes", "fvSolution"):
        src = case / "system" / f"{d}.{phase}"
        tmp = case / "system" / f"{d}.tmp"
        tmp.write_text(src.read_text())
        os.replace(tmp, case / "system" / d)


def _control(case: Path, **entries: int) -> dict[str, int]:
    """Set top-level integer entries of system/controlDict (atomically); returns their old
    values."""
    cd = case / "system" / "controlDict"
    text = cd.read_text()
    old = {}
    for key, value in entries.items():
        pat = re.compile(rf"^({key}\s+)(\d+);", re.M)
        m = pat.search(text)
        if m is None:
            raise RuntimeError(f"{cd}: no {key} entry")
        old[key] = int(m.group(2))
        text = pat.sub(rf"\g<1>{int(value)};", text, count=1)
    tmp = cd.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, cd)
    return old


class _Judge:
    """Judges a run at every ``CHECK_IT``-th iteration once the monitors have passed it, and
    stops it at the first that passes the convergence test (``stop_at``); the fields written
    at the iterations that failed it are deleted as they go."""

    def __init__(self, case: Path, desc: dict, start_it: int):
        self.case, self.desc = case, desc
        self.next = (start_it // CHECK_IT + 1) * CHECK_IT
        self.stop_at: int | None = None

    def __call__(self, last_it: int, final: bool = False) -> bool:
        """Judge what ``last_it`` (the monitors' last iteration) allows; True: stop."""
        while self.stop_at is None and (self.next < last_it or (final and self.next <= last_it)):
            if progress(self.case, self.desc, upto=self.next).converged:
                self.stop_at = self.next
                return True
            if self.next < last_it:
                shutil.rmtree(self.case / str(self.next), ignore_errors=True)
            self.next += CHECK_IT
        return self.stop_at is not None


def _solve(case: Path, desc: dict, poll_s: float, nice: int, log, judge=None) -> None:
    """One solver run from the case's latest time to its end time, or until ``judge``
    (given each poll's last iteration) asks it to stop."""
    with open(case / "log.solver", "a") as out:
        cmd = f"exec nice -n {int(nice)} {SOLVER} -case '{case}'"
        if "WM_PROJECT_DIR" not in os.environ:
            cmd = f". '{FOAM_BASHRC}' >/dev/null 2>&1; {cmd}"
        proc = subprocess.Popen(
            ["bash", "-c", cmd],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stopping = False
    try:
        while proc.poll() is None:
            time.sleep(poll_s)
            pr = progress(case, desc)
            log(
                f"{case.name}: it {pr.iteration} swing {pr.swing_k:.3f} K "
                f"balance {100 * pr.balance:.3f} %"
            )
            if judge is not None and not stopping and judge(pr.iteration):
                stopping = True
                _stop_now(case)
        proc.wait()
    except BaseException:  # Ctrl-C, or the caller's error: the solver must not run on
        _stop_solver(proc)
        raise
    if proc.returncode != 0:
        reason = fatal_error(case / "log.solver")
        raise RuntimeError(
            f"{SOLVER} failed in {case}{': ' + reason if reason else ''} "
            f"(see {case / 'log.solver'})"
        )


def _diverged(lines: list[str]) -> str:
    """A run OpenFOAM's floating-point trap ended (it prints a stack, no FATAL ERROR): the
    solution blew up; at which iteration, from the log's last ``Time =``."""
    if not any("sigFpe" in ln or "Floating point exception" in ln for ln in lines[-60:]):
        return ""
    times = [ln.split("=", 1)[1].strip() for ln in lines if ln.startswith("Time = ")]
    at = f" at iteration {times[-1]}" if times else ""
    return f"the solution diverged{at} (OpenFOAM's floating-point trap stopped it)"


def fatal_error(log: Path) -> str:
    """OpenFOAM's own words for why it stopped: the last ``FOAM FATAL ... ERROR`` of the log
    and the lines after it up to the first blank one, on one line; or that the solution
    diverged, where its floating-point trap ended the run ("" when the log says neither)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    starts = [n for n, ln in enumerate(lines) if "FOAM FATAL" in ln]
    if not starts:
        return _diverged(lines)
    words = [lines[starts[-1]].replace("-->", "").strip()]
    for ln in lines[starts[-1] + 1 :]:
        if not ln.strip():
            break
        words.append(ln.strip())
    return " ".join(w for w in words if w)


def _stop_solver(proc: subprocess.Popen) -> None:
    """End the solver's process group and reap it: SIGTERM, then SIGKILL if it has not gone
    in 10 s. Unreaped, it stayed a zombie after the caller exited, wherever the machine's
    first process does not reap orphans (a container's)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:  # it had already gone
        proc.wait()


#: Fields a seeded case takes from its seed (whichever of them the seed has).
SEED_FIELDS = ("U", "p_rgh", "p", "T", "k", "epsilon", "omega", "nut", "alphat")


_PATCH = re.compile(r"^    (\w+)\n    \{\n(.*?)^    \}\n", re.S | re.M)
_TYPE = re.compile(r"^\s*type\s+(\w+);", re.M)


def _with_own_conditions(seed_text: str, own_text: str) -> str:
    """The seed's field file with each patch whose condition type the case changed taking the
    case's entry (the others keep the seed's values: a flow-rate inlet's initial value of zero
    started the seeded run with its inflows missing, and it blew up within 20 iterations)."""
    own = dict(_PATCH.findall(own_text[own_text.index("boundaryField") :]))

    def pick(m: re.Match) -> str:
        name, body = m.group(1), m.group(2)
        mine = own.get(name)
        if mine is None or _TYPE.search(mine).group(1) == _TYPE.search(body).group(1):
            return m.group(0)
        return f"    {name}\n    {{\n{mine}    }}\n"

    cut = seed_text.index("boundaryField")
    return seed_text[:cut] + _PATCH.sub(pick, seed_text[cut:])


#: k-epsilon's C_mu: omega = epsilon / (C_mu k).
C_MU = 0.09


def _omega_from_epsilon(case: Path, latest: Path) -> None:
    """A k-omega case seeded from a k-epsilon run: its omega's internal values from the
    seed's epsilon and k (omega = epsilon / (C_mu k)), its own boundary conditions kept."""
    mine = case / "0" / "omega"
    if not mine.exists() or (latest / "omega").exists() or not (latest / "epsilon").exists():
        return
    eps = foam_read.read_internal_field(latest / "epsilon")
    k = foam_read.read_internal_field(latest / "k", n_cells=len(eps))
    omega = eps / (C_MU * np.maximum(k, 1e-12))
    own = mine.read_text()
    body = "\n".join(f"{x:.8g}" for x in omega)
    field = f"internalField   nonuniform List<scalar> \n{len(omega)}\n(\n{body}\n)\n;\n\n"
    mine.write_text(own[: own.index("internalField")] + field + own[own.index("boundaryField") :])


def seed_from(case: str | Path, seed: str | Path, start_up: bool = False) -> int:
    """Start ``case`` from the latest fields of ``seed`` (a finished run of the same case but
    for its velocity's boundary conditions): every field in ``case/0`` becomes the seed's, the
    velocity keeps the case's own boundary conditions, and the case runs its second-order
    schemes from its first iteration (no start-up phase; ``start_up``: its start-up phase
    kept, for a case that diverged without). Returns the seed's iteration. Why:
    a condition that diverges from a field at rest (``foam_case`` "even" outflow) runs from
    a developed field. The seed's boundary values are kept too: the wall functions' values
    left at their initial uniform ones blew k-epsilon up within 25 iterations. A k-omega SST
    case may be seeded from a k-epsilon run: its omega is then derived from the seed's
    epsilon and k (its model check run from the k-epsilon reference's field, not from rest)."""
    case, seed = Path(case), Path(seed)
    times = foam_read.time_dirs(seed)
    if not times:
        raise ValueError(f"{seed}: no time directory to seed {case} from")
    it, latest = max(times)
    _omega_from_epsilon(case, latest)
    for name in SEED_FIELDS:
        mine, theirs = case / "0" / name, latest / name
        if not (mine.exists() and theirs.exists()):
            continue
        src = theirs.read_text()
        if name == "U":
            src = _with_own_conditions(src, mine.read_text())
        mine.write_text(src)
    for d in ("fvSchemes", "fvSolution"):
        if not start_up:
            (case / "system" / f"{d}.startup").unlink(missing_ok=True)
    return int(it)


def run(case: str | Path, desc: dict, poll_s: float = 15.0, nice: int = 19, log=print) -> dict:
    """Run the solver in ``case`` (niced) until it converges or reaches its end time; return
    {converged, iterations, cpu_s, wall_s}. A run that converges ends on the first
    ``CHECK_IT``-th iteration that passes the test (its fields, figures and CPU time are
    that iteration's; what the solver ran past it before the stop took is dropped), so that
    the end does not fall wherever a poll did. When the case has them, the first ``STARTUP_IT``
    iterations run as a run of their own with the first-order schemes and stronger
    under-relaxation (``*.startup``), the rest from its last time with the case's own: the
    switch falls on the same iteration whenever the solver runs, so a rerun reproduces a
    reference exactly (swapped while the solver ran, it fell wherever the next poll did:
    iteration 200-350, and the references of rooms that never settle moved by up to 0.3 K)."""
    case = Path(case)
    t0 = time.time()
    startup_cpu_s = 0.0
    if (case / "system" / "fvSchemes.startup").exists():
        for d in ("fvSchemes", "fvSolution"):
            second = case / "system" / f"{d}.second"
            if not second.exists():
                second.write_text((case / "system" / d).read_text())
        done = [t for t, _ in foam_read.time_dirs(case) if t > 0]
        if not done or max(done) < STARTUP_IT:
            _use(case, "startup")
            old = _control(case, endTime=STARTUP_IT, writeInterval=STARTUP_IT)
            try:
                _solve(case, desc, poll_s, nice, log)
            finally:  # a start-up stopped short leaves the case's own run length
                _control(case, **old)
            startup_cpu_s = foam_read.execution_time_s(case / "log.solver")
        _use(case, "second")
        log(f"{case.name}: second-order schemes from iteration {STARTUP_IT}")
    start = max((int(t) for t, _ in foam_read.time_dirs(case)), default=0)
    judge = _Judge(case, desc, start)
    _solve(case, desc, poll_s, nice, log, judge)
    last = progress(case, desc).iteration
    judge(last, final=True)
    end = judge.stop_at if judge.stop_at is not None else last
    for t, d in foam_read.time_dirs(case):  # the solver ran past the iteration it stops on
        if t > end:
            shutil.rmtree(d)
    pr = progress(case, desc, upto=end)
    return {
        "converged": bool(pr.converged),
        "iterations": pr.iteration,
        "swing_k": pr.swing_k,
        "balance": pr.balance,
        "cpu_s": startup_cpu_s + foam_read.execution_time_s(case / "log.solver", end),
        "wall_s": time.time() - t0,
    }
