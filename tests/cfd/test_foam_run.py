"""The convergence test of an OpenFOAM run, judged from its monitor files: rack inlets
steady within 0.1 K over the last 300 iterations and the energy balance within 0.5 %."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import foam_read
from twin.cfd.foam_run import MIN_IT, STARTUP_IT, progress

RHO_CP = 1.19 * 1005


def _write(case, name, it, vals, fname="surfaceFieldValue.dat"):
    d = case / "postProcessing" / f"mon_{name}" / "0"
    d.mkdir(parents=True, exist_ok=True)
    rows = "\n".join(f"{i}\t{v:.8e}" for i, v in zip(it, vals, strict=True))
    (d / fname).write_text(f"# Region type : patch {name}\n# Time\tvalue\n{rows}\n")


def _case(tmp_path, n_it, front, ret_c, heat_w):
    it = np.arange(1, n_it + 1)
    _write(tmp_path, "rf_0", it, front(it))
    _write(tmp_path, "sup_0", it, np.full(n_it, -1.0 * 18.0))  # phi T of 1 m3/s in at 18 C
    _write(tmp_path, "gr_0", it, np.full(n_it, 1.0 * ret_c))  # and out at ret_c
    desc = {
        "heat_w": heat_w,
        "rho_cp": RHO_CP,
        "patches": [
            {"name": "rf_0", "kind": "rack_front"},
            {"name": "sup_0", "kind": "supply"},
            {"name": "gr_0", "kind": "grille"},
        ],
    }
    return progress(tmp_path, desc)


N = max(MIN_IT, STARTUP_IT + 600) + 50
HEAT = RHO_CP * (30.0 - 18.0)  # what a 12 K rise of 1 m3/s carries


def test_steady_inlets_and_closed_balance_converge(tmp_path):
    pr = _case(tmp_path, N, lambda it: 25 + 5 * np.exp(-it / 50.0), 30.0, HEAT)
    assert pr.converged and pr.iteration == N
    assert pr.swing_k < 0.1 and pr.balance == pytest.approx(0.0, abs=1e-12)


def test_a_swinging_inlet_is_not_converged(tmp_path):
    pr = _case(tmp_path, N, lambda it: 25 + 0.1 * np.sin(it / 20.0), 30.0, HEAT)
    assert pr.swing_k == pytest.approx(0.2, abs=0.01) and not pr.converged


def test_an_open_balance_is_not_converged(tmp_path):
    # the returns carry 1 % less than the racks put in
    pr = _case(tmp_path, N, lambda it: np.full(len(it), 25.0), 18.0 + 0.99 * 12.0, HEAT)
    assert pr.balance == pytest.approx(0.01, rel=1e-6) and not pr.converged


def test_too_early_to_judge(tmp_path):
    pr = _case(tmp_path, MIN_IT - 1, lambda it: np.full(len(it), 25.0), 30.0, HEAT)
    assert not pr.converged


def test_restarted_monitors_merge_later_files_win(tmp_path):
    _write(tmp_path, "rf_0", [1, 2, 3], [10.0, 11.0, 12.0])
    _write(tmp_path, "rf_0", [3, 4], [13.0, 14.0], fname="surfaceFieldValue_3.dat")
    d = tmp_path / "postProcessing" / "mon_rf_0" / "0"
    os.utime(d / "surfaceFieldValue.dat", (1, 1))  # the first run's file is the older
    s = foam_read.read_monitor(tmp_path, "mon_rf_0")
    assert s[:, 0].tolist() == [1, 2, 3, 4] and s[:, 1].tolist() == [10.0, 11.0, 13.0, 14.0]


def test_read_internal_fields(tmp_path):
    from twin.cfd.foam_mesh import foam_header

    body = "dimensions [0 0 0 1 0 0 0];\n\ninternalField   nonuniform List<scalar> \n3\n(\n18.5\n19\n2.5e1\n)\n;\n"
    (tmp_path / "T").write_text(foam_header("volScalarField", "T", "100") + body)
    assert foam_read.read_internal_field(tmp_path / "T").tolist() == [18.5, 19.0, 25.0]
    body = "internalField   nonuniform List<vector> 2((0 0.5 -1) (1e-3 2 3));\n"
    (tmp_path / "U").write_text(foam_header("volVectorField", "U", "100") + body)
    u = foam_read.read_internal_field(tmp_path / "U")
    assert u.shape == (2, 3) and u[1].tolist() == [1e-3, 2.0, 3.0]
    (tmp_path / "k").write_text(
        foam_header("volScalarField", "k") + "internalField   uniform 0.01;\n"
    )
    assert foam_read.read_internal_field(tmp_path / "k", 4).tolist() == [0.01] * 4
    (tmp_path / "bad").write_text("internalField   nonuniform List<scalar> 3(1 2);\n")
    with pytest.raises(foam_read.FoamReadError, match="bad"):
        foam_read.read_internal_field(tmp_path / "bad")


FAKE_SOLVER = r'''#!/usr/bin/env python3
"""Stands in for buoyantBoussinesqSimpleFoam: from the latest time to endTime, one iteration
at a time, it notes which schemes are in place, writes the monitors (steady inlets, a closed
balance), writes times (the fields it started from) at writeInterval and on writeNow, and
reports its CPU time."""
import json, os, re, shutil, sys, time
from pathlib import Path
case = Path(sys.argv[sys.argv.index("-case") + 1])
desc = json.loads((case / "twin_case.json").read_text())
def control(key):
    return re.search(rf"^{key}\s+(\S+);", (case / "system" / "controlDict").read_text(), re.M).group(1)
start = max([int(d.name) for d in case.iterdir() if d.name.isdigit()], default=0)
end, every = int(control("endTime")), int(control("writeInterval"))
files = {}
for p in desc["patches"]:
    d = case / "postProcessing" / f"mon_{p['name']}" / str(start)
    d.mkdir(parents=True, exist_ok=True)
    files[p["name"]] = open(d / "surfaceFieldValue.dat", "a")
out_q = desc["heat_w"] / desc["rho_cp"]
first_out = next(p["name"] for p in desc["patches"] if not p["kind"].startswith("rack"))
trace = open(case / "schemes.trace", "a")
settle = int(os.environ.get("FAKE_SETTLE_IT", "0"))  # the inlets swing by 0.5 K until then
diverge = int(os.environ.get("FAKE_DIVERGE_IT", "0"))  # SIMPLEC blows up there
it = start
while it < end:
    it += 1
    if it == diverge and "consistent yes" in (case / "system" / "fvSolution").read_text():
        print("Floating point exception", flush=True)
        sys.exit(1)
    schemes = (case / "system" / "fvSchemes").read_text()
    trace.write(f"{it} {'second' if 'linearUpwind' in schemes else 'first'}\n")
    for name, f in files.items():
        swing = 0.5 * (it % 2) if it <= settle else 0.0
        v = 20.0 + swing if name.startswith("rf") else (out_q if name == first_out else 0.0)
        f.write(f"{it}\t{v}\n")
        f.flush()
    print(f"Time = {it}\nExecutionTime = {0.01 * (it - start):.2f} s", flush=True)
    stop = control("stopAt") == "writeNow"
    if it % every == 0 or it == end or stop:
        (case / str(it)).mkdir(exist_ok=True)
        for f in (case / "0").iterdir():
            shutil.copy(f, case / str(it) / f.name)
    if stop:
        break
    time.sleep(0.002)
'''


def _fake_solver(tmp_path, monkeypatch, settle_it: int = 0, diverge_it: int = 0) -> None:
    from twin.cfd import foam_run

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / foam_run.SOLVER
    fake.write_text(FAKE_SOLVER)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("WM_PROJECT_DIR", str(tmp_path))  # no OpenFOAM environment to source
    monkeypatch.setenv("FAKE_SETTLE_IT", str(settle_it))
    monkeypatch.setenv("FAKE_DIVERGE_IT", str(diverge_it))


def _fake_run(tmp_path, monkeypatch, max_iter: int, settle_it: int = 0):
    from twin.cfd import foam_case, foam_run
    from twin.model.loader import load_layout

    rooms = Path(__file__).resolve().parents[1] / "validation" / "rooms"
    fac = load_layout(rooms / "open-aisle-85.yaml")
    case = tmp_path / "case"
    desc = foam_case.write_case(fac, case, cell_m=0.3, max_iter=max_iter)
    _fake_solver(tmp_path, monkeypatch, settle_it)
    return case, foam_run.run(case, desc, poll_s=0.4, nice=0, log=lambda _m: None)


def test_the_schemes_switch_on_the_same_iteration_however_slow_the_polls(tmp_path, monkeypatch):
    """A first-order start-up of exactly STARTUP_IT iterations, as a run of its own; the
    second run carries on from its last time, and stops on the first CHECK_IT-th iteration
    that passes the convergence test, whenever a poll sees it; the CPU time is both runs'."""
    from twin.cfd import foam_read, foam_run
    from twin.cfd.foam_case import CHECK_IT

    case, info = _fake_run(tmp_path, monkeypatch, 1500)
    trace = [line.split() for line in (case / "schemes.trace").read_text().splitlines()]
    its = [int(i) for i, _ in trace]
    assert its == list(range(1, len(its) + 1))  # every iteration once: phase 2 resumed at 201
    phase = {int(i): p for i, p in trace}
    assert {phase[i] for i in range(1, foam_run.STARTUP_IT + 1)} == {"first"}
    assert {phase[i] for i in range(foam_run.STARTUP_IT + 1, its[-1] + 1)} == {"second"}
    # steady inlets and a closed balance: converged on the first iteration that may be
    # judged, though the solver ran on until the next poll and the stop took
    assert info["converged"] and info["iterations"] == foam_run.MIN_IT == 800
    assert its[-1] > 800
    assert max(t for t, _ in foam_read.time_dirs(case)) == 800
    # CPU: 0.01 s an iteration in each run, both counted up to the iteration it stops on
    assert info["cpu_s"] == pytest.approx(0.01 * 800, abs=1e-9)
    # the case's own end time and write interval are back for later runs
    text = (case / "system" / "controlDict").read_text()
    assert "endTime         1500;" in text and f"writeInterval   {CHECK_IT};" in text


def test_a_run_stops_on_the_first_check_after_its_inlets_settle(tmp_path, monkeypatch):
    """Swinging until iteration 1,150: the window ending at 1,200 still holds the swing, the
    one ending at 1,500 (300 iterations) is the first to pass; only that time's fields are
    kept beside the start-up's."""
    from twin.cfd import foam_read

    case, info = _fake_run(tmp_path, monkeypatch, 3000, settle_it=1150)
    assert info["converged"] and info["iterations"] == 1500
    assert [t for t, _ in foam_read.time_dirs(case)] == [0, 200, 1500]
    assert info["swing_k"] == 0.0


@pytest.mark.parametrize("diverge_it", [22, 201])
def test_a_start_up_that_diverges_is_run_again_gently_and_said_so(
    tmp_path, monkeypatch, diverge_it
):
    """The wall-CRAH perimeter room's 0.2 m mesh diverged at iteration 22 under SIMPLEC:
    ``run_cfd`` writes the case again with ``foam_case.GENTLE_START`` (plain SIMPLE, p_rgh
    0.2) and says so in run.json and twin_case.json. A run that fails after its start-up is
    not retried: a gentler start would not change it."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "validation"))
    import run_cfd

    from twin.cfd import foam_run

    monkeypatch.setattr(foam_run, "_solve", _polling(foam_run._solve))
    monkeypatch.setattr(run_cfd, "_log", lambda _m: None)
    _fake_solver(tmp_path, monkeypatch, diverge_it=diverge_it)
    work = tmp_path / "work"
    if diverge_it > foam_run.STARTUP_IT:
        with pytest.raises(RuntimeError, match="failed"):
            run_cfd.run_one("open-aisle-85", 0.3, work, 300, False, outflow="extrapolated")
        assert "consistent yes" in (work / "open-aisle-85-300mm/system/fvSolution").read_text()
        return
    info = run_cfd.run_one("open-aisle-85", 0.3, work, 300, False, outflow="extrapolated")
    case = work / "open-aisle-85-300mm"
    assert info["gentle_start"] and info["iterations"] == 300  # ran on to its end
    assert json.loads((case / "run.json").read_text())["gentle_start"]
    assert json.loads((case / "twin_case.json").read_text())["gentle_start"]
    start = (case / "system" / "fvSolution.startup").read_text()
    assert "consistent no;" in start and "p_rgh 0.2;" in start
    assert 'equations { U 0.5; T 0.7; "(k|epsilon)" 0.5; }' in start
    # the second-order phase is the usual one
    assert "consistent yes;" in (case / "system" / "fvSolution.second").read_text()


def test_an_even_draw_run_that_diverges_goes_again_through_the_gentle_start_up(
    tmp_path, monkeypatch
):
    """The held-out test aisle's even run diverged at iteration 21 from its seed's field:
    it runs again from the same field through the gentle start-up, and says so."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "validation"))
    import run_cfd

    from twin.cfd import foam_run

    monkeypatch.setattr(foam_run, "_solve", _polling(foam_run._solve))
    monkeypatch.setattr(run_cfd, "_log", lambda _m: None)
    _fake_solver(tmp_path, monkeypatch, diverge_it=21)
    work = tmp_path / "work"
    info = run_cfd.run_one("open-aisle-85", 0.3, work, 900, False)
    case = work / "open-aisle-85-300mm"
    assert info["gentle_start"] and info["iterations"] == 800
    assert "consistent no;" in (case / "system" / "fvSolution.startup").read_text()
    trace = [line.split() for line in (case / "schemes.trace").read_text().splitlines()]
    assert {p for i, p in trace if int(i) <= foam_run.STARTUP_IT} == {"first"}
    assert json.loads((case / "twin_case.json").read_text())["outflow_u"] == "even"


def test_an_even_draw_run_continues_from_its_extrapolated_seed(tmp_path, monkeypatch):
    """``run_cfd``'s even draw: the room run first with the extrapolated outflow (kept as
    ``...-seed``), then from that run's last fields, second-order from its first iteration,
    with every outflow's velocity fixed across it and free along it, and the seed's other
    boundary values kept; its CPU time is both runs'. A finished seed is used again."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "validation"))
    import run_cfd

    from twin.cfd import foam_read, foam_run

    monkeypatch.setattr(foam_run, "_solve", _polling(foam_run._solve))
    monkeypatch.setattr(run_cfd, "_log", lambda _m: None)
    monkeypatch.setattr(run_cfd, "EVEN_IT", 900)
    _fake_solver(tmp_path, monkeypatch)
    work = tmp_path / "work"
    info = run_cfd.run_one("open-aisle-85", 0.3, work, 1500, False)
    case, seed = work / "open-aisle-85-300mm", work / "open-aisle-85-300mm-seed"
    first = json.loads((seed / "run.json").read_text())
    assert first["iterations"] == 800 and info["seed"]["iterations"] == 800
    assert info["iterations"] == 800 and info["cpu_s"] == pytest.approx(8.0 + 8.0, abs=1e-9)
    assert json.loads((case / "run.json").read_text())["seed"] == info["seed"]
    trace = (case / "schemes.trace").read_text().split()
    assert set(trace[1::2]) == {"second"} and len(trace) >= 2 * 800
    assert not (case / "system" / "fvSchemes.startup").exists()
    u = (case / "0" / "U").read_text()
    blocks = dict(re.findall(r"^    (\w+)\n    \{\n(.*?)^    \}\n", u, re.S | re.M))
    seed_u = (max(foam_read.time_dirs(seed))[1] / "U").read_text()
    seed_blocks = dict(re.findall(r"^    (\w+)\n    \{\n(.*?)^    \}\n", seed_u, re.S | re.M))
    desc = json.loads((case / "twin_case.json").read_text())
    assert desc["outflow_u"] == "even"
    for p in desc["patches"]:
        if p["flow_m3s"] < 0:
            assert "flowRateOutletVelocity" in seed_blocks[p["name"]]
            assert "type            fixedNormalSlip;" in blocks[p["name"]]
        else:
            assert blocks[p["name"]] == seed_blocks[p["name"]]
    # again: the finished seed is not run a second time, and its last fields are the start
    before = (seed / "schemes.trace").read_text()
    last = max(foam_read.time_dirs(seed))[1]
    for name, value in (("T", "24.5"), ("U", "(0.1 0.2 0.3)"), ("k", "0.0123")):
        text = (last / name).read_text()
        (last / name).write_text(
            re.sub(r"internalField +uniform [^;]*;", f"internalField   uniform {value};", text)
        )
    # ... the seed's own boundary values too (a rack's exhaust as the seed left it)
    seeded_u = (
        (last / "U")
        .read_text()
        .replace(
            "constant 1;\n        extrapolateProfile no;\n        value           uniform (0 0 0);",
            "constant 1;\n        extrapolateProfile no;\n        value           uniform (0 -1.5 0);",
        )
    )
    assert seeded_u.count("uniform (0 -1.5 0)") >= 5
    (last / "U").write_text(seeded_u)
    run_cfd.run_one("open-aisle-85", 0.3, work, 1500, False)
    assert (seed / "schemes.trace").read_text() == before
    for name, value in (("T", "24.5"), ("U", "(0.1 0.2 0.3)"), ("k", "0.0123")):
        assert f"internalField   uniform {value};" in (case / "0" / name).read_text()
    u = (case / "0" / "U").read_text()
    assert u.count("uniform (0 -1.5 0)") == seeded_u.count("uniform (0 -1.5 0)")
    assert u.count("fixedNormalSlip") == sum(p["flow_m3s"] < 0 for p in desc["patches"])


def _polling(solve):
    """``foam_run._solve`` polling every 0.4 s (the tests' fake solver is quick)."""

    def fast(case, desc, poll_s, nice, log, judge=None):
        return solve(case, desc, 0.4, 0, log, judge)

    return fast


def _with_internal(path: Path, values: np.ndarray) -> None:
    text = path.read_text()
    body = "\n".join(f"{x:.8g}" for x in values)
    field = f"internalField   nonuniform List<scalar> \n{len(values)}\n(\n{body}\n)\n;\n\n"
    path.write_text(
        text[: text.index("internalField")] + field + text[text.index("boundaryField") :]
    )


def test_a_k_omega_case_seeded_from_k_epsilon_takes_omega_from_epsilon_and_k(tmp_path):
    """The model check (k-omega SST) run from the k-epsilon reference's last field: omega =
    epsilon / (C_mu k) cell by cell, k itself the seed's, omega's own wall conditions kept."""
    from twin.cfd import foam_case, foam_read, foam_run
    from twin.model.loader import load_layout

    fac = load_layout(Path(__file__).resolve().parents[1] / "validation/rooms/open-aisle-85.yaml")
    seed, case = tmp_path / "seed", tmp_path / "sst"
    desc = foam_case.write_case(fac, seed, cell_m=0.3, max_iter=10)
    n = desc["n_cells"]
    last = seed / "1200"
    last.mkdir()
    for f in (seed / "0").iterdir():
        (last / f.name).write_text(f.read_text())
    rng = np.random.default_rng(3)
    k, eps = rng.uniform(1e-3, 0.1, n), rng.uniform(1e-4, 0.05, n)
    _with_internal(last / "k", k)
    _with_internal(last / "epsilon", eps)
    foam_case.write_case(fac, case, cell_m=0.3, max_iter=10, turbulence="kOmegaSST", outflow="even")
    walls = re.search(r"boundaryField.*", (case / "0" / "omega").read_text(), re.S).group(0)
    assert foam_run.seed_from(case, seed) == 1200
    omega = foam_read.read_internal_field(case / "0" / "omega")
    assert omega == pytest.approx(eps / (0.09 * k), rel=1e-6)
    assert foam_read.read_internal_field(case / "0" / "k") == pytest.approx(k, rel=1e-6)
    assert re.search(r"boundaryField.*", (case / "0" / "omega").read_text(), re.S).group(0) == walls


def test_openfoams_reason_for_stopping_is_read_from_its_log(tmp_path):
    from twin.cfd.foam_run import fatal_error

    log = tmp_path / "log.solver"
    log.write_text(
        "Time = 1\n\n--> FOAM FATAL IO ERROR: \nkeyword type is undefined in dictionary "
        '"0/U.boundaryField.rf_0"\n\nfile: 0/U at line 30.\n\n'
        "Time = 2\n--> FOAM FATAL ERROR: \nMaximum number of iterations exceeded\n"
        "    in solver p_rgh\n\n    From function ...\n\nFOAM exiting\n"
    )
    # the last error, its lines up to the first blank one, on one line
    assert fatal_error(log) == (
        "FOAM FATAL ERROR: Maximum number of iterations exceeded in solver p_rgh"
    )
    log.write_text("Time = 1\nsmoothSolver: Solving for Ux\nEnd\n")
    assert fatal_error(log) == ""
    assert fatal_error(tmp_path / "missing.log") == ""


def test_a_run_its_floating_point_trap_ended_is_said_to_have_diverged(tmp_path):
    """The contained room at 0.35 m blows up at iteration 14: OpenFOAM prints a stack from
    its SIGFPE handler and no FATAL ERROR."""
    from twin.cfd.foam_run import fatal_error

    log = tmp_path / "log.solver"
    log.write_text(
        "Time = 13\n\nbounding k, min: -3.7e+120 max: 3.7e+122\nExecutionTime = 0.15 s\n\n"
        "Time = 14\n\n#0  Foam::error::printStack(Foam::Ostream&) at ??:?\n"
        "#1  Foam::sigFpe::sigHandler(int) at ??:?\n#2  ? in /lib/x86_64-linux-gnu/libc.so.6\n"
    )
    assert fatal_error(log) == (
        "the solution diverged at iteration 14 (OpenFOAM's floating-point trap stopped it)"
    )
