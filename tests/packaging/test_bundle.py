"""The desktop bundle, end to end (marked ``bundle``, not run by default: building takes
10-20 minutes). One command builds it and runs this:

    make package-test        # = packaging/build.sh, then pytest -m bundle tests/packaging

Set ``TWIN_BUNDLE_TARBALL=dist/twin-...tar.gz`` to test an existing tarball without
rebuilding. The tarball is unpacked into an empty folder and installed there as a user
would (``install.sh``), and every command runs with a bare environment: no virtualenv, no
PYTHONPATH, PATH=/usr/bin:/bin.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bundle, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tarball() -> Path:
    given = os.environ.get("TWIN_BUNDLE_TARBALL")
    if given:
        return Path(given).resolve()
    subprocess.run([str(ROOT / "packaging" / "build.sh")], check=True, cwd=ROOT, timeout=3600)
    (found,) = sorted((ROOT / "dist").glob("twin-*-linux-*.tar.gz"), key=os.path.getmtime)[-1:]
    return found


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """(home, twin executable on the user's PATH) after unpacking and ./install.sh."""
    home = tmp_path_factory.mktemp("home")
    with tarfile.open(tarball) as tar:
        tar.extractall(home / "apps", filter="tar")
    (folder,) = list((home / "apps").iterdir())
    env = _bare_env(home)
    done = subprocess.run([str(folder / "install.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in ("demo-air-hall.yaml", "test-room.yaml"):
        shutil.copy(ROOT / "layouts" / name, home)
    return home, home / ".local" / "bin" / "twin"


def _bare_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": f"{home}/.local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }


def _twin(installed, *args: str, timeout: float = 300, **env) -> subprocess.CompletedProcess:
    home, exe = installed
    return subprocess.run(
        [str(exe), *args],
        cwd=home,
        env=_bare_env(home) | env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_install_puts_desktop_entry_icon_and_file_types_in_place(installed):
    home, exe = installed
    share = home / ".local" / "share"
    desktop = (share / "applications" / "twin.desktop").read_text()
    assert f"Exec={exe.resolve()} run %f" in desktop  # the unpacked bundle, opening the file
    assert "application/x-twin-layout" in desktop and "application/x-hdf5" in desktop
    assert (share / "mime" / "packages" / "twin.xml").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "twin.svg").is_file()
    assert exe.is_symlink() and exe.resolve().is_file()


def test_version_validate_thermal_render_from_the_bundle(installed):
    home, _ = installed
    version = _twin(installed, "--version")
    assert (
        version.returncode == 0
        and version.stdout.strip() == f"twin {__import__('twin').__version__}"
    )
    assert _twin(installed, "validate", "demo-air-hall.yaml").returncode == 0
    thermal = _twin(installed, "thermal", "test-room.yaml", "--cell", "0.25", "--json")
    assert thermal.returncode == 0, thermal.stderr
    result = json.loads(thermal.stdout)
    assert len(result["racks"]) == 12 and abs(result["balance"]["error"]) < 0.01  # energy balances
    render = _twin(
        installed, "render", "demo-air-hall.yaml", "-o", "hall.png", "--size", "640", "400"
    )
    assert render.returncode == 0, render.stderr
    png = (home / "hall.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_worker_processes_run_in_the_bundle(installed):
    """``twin thermal --all`` and the N-1 sweep spawn workers: the frozen executable must
    run them (``freeze_support``) and its pool must answer every job."""
    args = "demo-air-hall.yaml --all --cell 0.5 --coarse 1.0 --jobs 2 --json"
    halls = _twin(installed, "thermal", *args.split())
    assert halls.returncode == 0, halls.stderr
    passes = json.loads(halls.stdout)["passes"]
    assert [p["stage"] for p in passes] == ["coarse", "fine"]
    assert all(p["halls"] and p["failed"] == [] for p in passes)
    args = "demo-air-hall.yaml --all-single-failures --cell 0.5 --duration 5m --workers 2 --json"
    sweep = _twin(installed, "whatif", *args.split())
    assert sweep.returncode == 0, sweep.stderr
    cases = json.loads(sweep.stdout)["cases"]
    assert len(cases) == 20 and len({c["worker_pid"] for c in cases}) == 2


def test_bundled_plugins_load(installed):
    home, _ = installed
    check = _twin(installed, "plugins", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    for name in ("racklist", "usd", "thermal-margin", "inventory", "nvml"):
        assert name in check.stdout
    usd = _twin(installed, "export", "usd", "demo-air-hall.yaml", "-o", "hall.usda")
    assert usd.returncode == 0, usd.stderr
    assert (home / "hall.usda").read_text().startswith("#usda 1.0")
    (home / "racks.csv").write_text("Rack,Row,Position,Servers\nA1,A,1,4x dgx-h100\n")
    imported = _twin(installed, "import", "racks.csv", "-o", "racks.yaml")
    assert imported.returncode == 0, imported.stderr


def test_window_opens_under_xvfb(installed):
    """The window comes up with the demo hall loaded (its title names the layout) and stays
    up; prints the cold-start time to that usable window."""
    home, exe = installed
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1600x1000x24"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        display = ":" + xvfb.stdout.readline().strip()
        env = _bare_env(home) | {"DISPLAY": display}
        start = time.monotonic()
        app = subprocess.Popen(
            [str(exe), "run", "demo-air-hall.yaml", "--source", "none"],
            cwd=home,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            title = "Demo air-cooled hall — Twin (demo-air-hall.yaml)"
            seen = None
            while time.monotonic() - start < 180 and app.poll() is None:
                tree = subprocess.run(
                    ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True
                ).stdout
                if title in tree:
                    seen = time.monotonic() - start
                    break
                time.sleep(0.1)
            assert seen is not None, f"no window titled {title!r}; exit {app.poll()}"
            print(f"\ncold start to a usable window: {seen:.1f} s")
            time.sleep(3)
            assert app.poll() is None, "the window closed by itself"
        finally:
            app.terminate()
            out = app.communicate(timeout=30)[0]
        assert "Traceback" not in out, out
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=30)
