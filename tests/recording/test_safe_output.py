"""``twin record`` and ``twin simulate`` never lose a byte of an existing file: they refuse an
existing output without --force, never write over a layout or their input, replace a recording
only once the new one has data, and clean partial files left by a killed run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from twin.cli import main
from twin.recording.safe_output import OutputRefused, SafeOutput, is_hdf5

pytestmark = pytest.mark.timeout(120)


def _recording(path, tag="old"):
    with h5py.File(path, "w") as f:
        f.attrs["tag"] = tag
    return path.read_bytes()


def test_new_target_is_written_in_place_and_removed_without_frames(tmp_path):
    target = tmp_path / "new.h5"
    out = SafeOutput(target)
    assert out.path == target
    _recording(out.path)
    assert "wrote" in out.finish(3) and target.exists()
    out = SafeOutput(tmp_path / "empty.h5")
    _recording(out.path)
    assert "not written" in out.finish(0)
    assert not (tmp_path / "empty.h5").exists()


def test_existing_recording_needs_force_and_is_kept_without_frames(tmp_path):
    target = tmp_path / "precious.h5"
    old = _recording(target)
    with pytest.raises(OutputRefused, match="--force"):
        SafeOutput(target)
    out = SafeOutput(target, force=True)
    assert out.path != target and out.path.parent == target.parent
    _recording(out.path, "new")
    assert "left as it was" in out.finish(0)
    assert target.read_bytes() == old
    assert list(tmp_path.iterdir()) == [target]


def test_existing_recording_replaced_once_there_is_data(tmp_path):
    target = tmp_path / "precious.h5"
    _recording(target)
    out = SafeOutput(target, force=True)
    _recording(out.path, "new")
    assert "replaced" in out.finish(5)
    with h5py.File(target) as f:
        assert f.attrs["tag"] == "new"
    assert list(tmp_path.iterdir()) == [target]


def test_discard_keeps_the_old_file(tmp_path):
    target = tmp_path / "precious.h5"
    old = _recording(target)
    out = SafeOutput(target, force=True)
    _recording(out.path, "new")
    out.discard()
    assert target.read_bytes() == old and list(tmp_path.iterdir()) == [target]


def test_never_over_a_layout_or_an_input(tmp_path):
    layout = tmp_path / "hall.yaml"
    layout.write_text("format: twin-layout/1\nname: x\n")
    with pytest.raises(OutputRefused, match="not a recording"):
        SafeOutput(layout, force=True)
    with pytest.raises(OutputRefused, match="input"):
        SafeOutput(tmp_path / "." / "hall.yaml", force=True, inputs=[layout])
    assert layout.read_text() == "format: twin-layout/1\nname: x\n"
    assert not is_hdf5(layout)


def test_stale_partials_of_dead_runs_are_removed(tmp_path):
    target = tmp_path / "run.h5"
    _recording(target)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = tmp_path / f".run.h5.{int(dead.stdout)}.partial"
    stale.write_bytes(b"half a recording")
    live = tmp_path / ".run.h5.1.partial"  # pid 1 is alive
    live.write_bytes(b"someone else's")
    out = SafeOutput(target, force=True)
    assert out.removed_stale == [stale]
    assert not stale.exists() and live.exists()
    out.discard()


def test_simulate_refuses_to_overwrite_its_layout(small_layout_file, capsys):
    before = small_layout_file.read_bytes()
    rc = main(
        ["simulate", str(small_layout_file), "--duration", "5s", "-o", str(small_layout_file)]
    )
    assert rc == 2
    assert "input" in capsys.readouterr().err
    assert small_layout_file.read_bytes() == before
    rc = main(["simulate", str(small_layout_file), "--duration", "5s", "--force",
               "-o", str(small_layout_file)])  # fmt: skip
    assert rc == 2 and small_layout_file.read_bytes() == before


def test_simulate_needs_force_to_replace(small_layout_file, tmp_path, capsys):
    target = tmp_path / "run.h5"
    old = _recording(target)
    args = ["simulate", str(small_layout_file), "--duration", "5s", "-q", "-o", str(target)]
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err and target.read_bytes() == old
    assert main([*args, "--force"]) == 0
    assert target.read_bytes() != old
    assert main(["info", str(target)]) == 0 and "5 frames" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5", "small.yaml"]


def test_record_that_cannot_connect_keeps_the_old_recording(small_layout_file, tmp_path, capsys):
    target = tmp_path / "precious.h5"
    old = _recording(target)
    args = ["record", str(small_layout_file), "--prometheus", "http://127.0.0.1:1",
            "--start=-10m", "--timeout", "2", "-o", str(target)]  # fmt: skip
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach" in err and "left as it was" in err and "wrote 0 frames" in err
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.h5", "small.yaml"]
    new = tmp_path / "new.h5"
    args[-1] = str(new)
    assert main(args) == 2 and not new.exists()


def test_a_terminated_simulate_keeps_the_old_recording_and_leaves_no_partial(tmp_path):
    """SIGTERM (kill, a service stopping) ends a command as Ctrl-C does: killed so, 'twin
    simulate --force' left a 19 MB partial file beside the recording it was to replace."""
    import signal
    import time

    demo = Path(__file__).resolve().parents[2] / "layouts" / "demo-air-hall.yaml"
    old = tmp_path / "run.h5"
    cmd = [sys.executable, "-m", "twin.cli", "simulate", str(demo), "-o", str(old)]
    assert (
        subprocess.run([*cmd, "--duration", "1m"], capture_output=True, timeout=120).returncode == 0
    )
    before = old.read_bytes()
    proc = subprocess.Popen([*cmd, "--duration", "12h", "--force"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".run.h5.*.partial")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".run.h5.*.partial")), "the run never started writing"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5"]
    assert old.read_bytes() == before
