"""The dictionaries of a generated validation case say what the README says the CFD runs:
buoyantBoussinesqSimpleFoam, steady, k-epsilon (or k-omega SST) RANS, linearUpwind
convection of U and T after an upwind start-up, the relaxation of each phase, the air's
properties, gravity down, a monitor on every port and running means of T and U. Read with
a parser of OpenFOAM's dictionary syntax written here, not with the writer's strings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twin.cfd import foam_case
from twin.model.loader import load_layout

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"
_TOKEN = re.compile(r'"[^"]*"|[{};]|[^\s{};"]+(?:\([^;{}]*?\))?')


def parse(text: str) -> dict:
    """An OpenFOAM dictionary as nested dicts: ``key value...;`` entries (the value's
    words joined by one space) and ``key { ... }`` sub-dictionaries; the FoamFile header
    and comments left out."""
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    tokens = _TOKEN.findall(text)
    pos = 0

    def block() -> dict:
        nonlocal pos
        out: dict = {}
        while pos < len(tokens) and tokens[pos] != "}":
            key = tokens[pos].strip('"')
            pos += 1
            if tokens[pos] == "{":
                pos += 1
                out[key] = block()
                pos += 1  # the closing brace
                continue
            words, depth = [], 0  # a list may hold dictionaries: ';' inside them is theirs
            while depth or tokens[pos] != ";":
                depth += {"{": 1, "}": -1}.get(tokens[pos], 0)
                words.append(tokens[pos])
                pos += 1
            pos += 1
            out[key] = " ".join(words)
        return out

    d = block()
    d.pop("FoamFile", None)
    return d


# per test, not per module: mutation testing credits a fixture's call to the first test only
@pytest.fixture(params=["kEpsilon", "kOmegaSST"])
def case(request, tmp_path_factory):
    fac = load_layout(ROOMS / "open-aisle-85.yaml")
    path = tmp_path_factory.mktemp(request.param)
    desc = foam_case.write_case(fac, path, cell_m=0.4, max_iter=4321, turbulence=request.param)
    return request.param, path, desc


def _read(path: Path, *parts: str) -> dict:
    return parse(path.joinpath(*parts).read_text())


def test_the_solver_and_its_run(case):
    _, path, desc = case
    c = _read(path, "system", "controlDict")
    assert c["application"] == "buoyantBoussinesqSimpleFoam"
    assert (c["startFrom"], c["stopAt"], c["endTime"], c["deltaT"]) == (
        "latestTime",
        "endTime",
        "4321",
        "1",
    )
    assert (c["writeControl"], c["writeInterval"], c["writeFormat"]) == ("timeStep", "100", "ascii")
    fns = c["functions"]
    for p in desc["patches"]:
        mon = fns[f"mon_{p['name']}"]
        assert (mon["type"], mon["regionType"], mon["name"], mon["fields"]) == (
            "surfaceFieldValue",
            "patch",
            p["name"],
            "(T)",
        )
        rack = p["kind"].startswith("rack")
        assert mon["operation"] == ("areaAverage" if rack else "weightedSum")
        assert ("weightField" in mon) is not rack and mon.get("weightField", "phi") == "phi"
        assert (mon["writeControl"], mon["writeInterval"]) == ("timeStep", "1")
    means = fns["TMean"]
    assert means["type"] == "fieldAverage" and means["writeControl"] == "writeTime"
    each = (
        "{ mean on ; prime2Mean off ; base iteration ; "
        f"window {2 * foam_case.WINDOW_IT} ; windowType approximate ; }}"
    )
    assert means["fields"] == f"( T {each} U {each} phi {each} )"  # phi: aisles' exact budget


def test_second_order_convection_after_an_upwind_start_up(case):
    turbulence, path, _ = case
    sst = turbulence == "kOmegaSST"
    second = _read(path, "system", "fvSchemes")
    first = _read(path, "system", "fvSchemes.startup")
    for d, u, t in (
        (second, "bounded Gauss linearUpwind grad(U)", "bounded Gauss linearUpwind grad(T)"),
        (first, "bounded Gauss upwind", "bounded Gauss upwind"),
    ):
        assert d["ddtSchemes"] == {"default": "steadyState"}
        assert (d["divSchemes"]["div(phi,U)"], d["divSchemes"]["div(phi,T)"]) == (u, t)
        assert d["divSchemes"]["default"] == "none"
        assert d["gradSchemes"]["grad(U)"] == "cellLimited Gauss linear 1"
        assert d["laplacianSchemes"] == {"default": "Gauss linear corrected"}
        assert d["interpolationSchemes"] == {"default": "linear"}
        assert d["snGradSchemes"] == {"default": "corrected"}
        assert ("div(phi,omega)" in d["divSchemes"]) is sst and ("wallDist" in d) is sst
        k = d["divSchemes"]["div(phi,k)"]
        assert k == ("bounded Gauss upwind" if sst else "bounded Gauss limitedLinear 1")


def test_the_relaxation_of_each_phase(case):
    turbulence, path, _ = case
    turb = "k|omega" if turbulence == "kOmegaSST" else "k|epsilon"
    want = {  # (p_rgh, U, T, turbulence), SIMPLEC; the open aisle has no panels
        "kEpsilon": (("0.7", "0.7", "0.7", "0.7", "yes"), ("0.3", "0.5", "0.7", "0.5", "yes")),
        "kOmegaSST": (("0.2", "0.3", "0.5", "0.3", "no"), ("0.2", "0.3", "0.5", "0.3", "no")),
    }[turbulence]
    for name, (p, u, t, ke, consistent) in zip(
        ("fvSolution", "fvSolution.startup"), want, strict=True
    ):
        d = _read(path, "system", name)
        assert d["relaxationFactors"]["fields"] == {"p_rgh": p}
        assert d["relaxationFactors"]["equations"] == {"U": u, "T": t, f"({turb})": ke}
        assert d["SIMPLE"]["consistent"] == consistent
        assert d["solvers"]["p_rgh"]["solver"] == "GAMG"
        assert (d["solvers"]["p_rgh"]["tolerance"], d["solvers"]["p_rgh"]["relTol"]) == (
            "1e-7",
            "0.05",
        )
        assert d["solvers"][f"(U|T|{turb})"]["solver"] == "smoothSolver"


def test_the_air_and_its_turbulence(case):
    turbulence, path, desc = case
    tp = _read(path, "constant", "transportProperties")
    assert tp["transportModel"] == "Newtonian"
    nu, beta, t_ref = float(tp["nu"]), float(tp["beta"]), float(tp["TRef"])
    assert 1.4e-5 <= nu <= 1.6e-5  # air at 15-30 C
    assert beta == pytest.approx(1 / 300.0, rel=1e-5)  # an ideal gas near 27 C
    assert float(tp["Pr"]) == pytest.approx(0.71) and 0.7 <= float(tp["Prt"]) <= 1.0
    assert 15.0 <= t_ref <= 40.0
    turb = _read(path, "constant", "turbulenceProperties")
    assert turb["simulationType"] == "RAS"
    assert turb["RAS"]["RASModel"] == turbulence and turb["RAS"]["turbulence"] == "on"
    g = _read(path, "constant", "g")
    assert g["value"] == "(0 0 -9.81)" and g["dimensions"] == "[0 1 -2 0 0 0 0]"
    assert desc["turbulence"] == turbulence


def test_the_parser_reads_what_openfoam_would():
    d = parse(
        'FoamFile { class dictionary; }\n// a comment\na 1;\nb { c "x y"; "(U|T)" 0.5; }\n'
        "div(phi,U) bounded Gauss linearUpwind grad(U);\n"
    )
    assert d == {
        "a": "1",
        "b": {"c": '"x y"', "(U|T)": "0.5"},
        "div(phi,U)": "bounded Gauss linearUpwind grad(U)",
    }
