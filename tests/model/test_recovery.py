"""Autosave and crash recovery, including a process killed with SIGKILL mid-session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from twin.model import edits as E
from twin.model import save as S
from twin.model.document import LayoutDocument
from twin.model.recovery import Autosaver, RecoveryStore, recovery_dir

TEXT = """\
# Recovery test layout (this comment must survive recover + save)
format: twin-layout/1
name: recovery test
halls: [{id: H1, size_m: [10, 8, 4]}]
rows:
- id: A
  hall: H1
  racks:
  - {id: A01, position_m: [2, 3], load: {power_kw: 10, delta_t_k: 12}}
  - {id: A02, position_m: [2.6, 3], load: {power_kw: 10, delta_t_k: 12}}
"""


@pytest.fixture
def layout_path(tmp_path):
    p = tmp_path / "hall.yaml"
    p.write_text(TEXT)
    return p


def test_recovery_dir_follows_platformdirs(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert recovery_dir() == tmp_path / "data" / "twin" / "recovery"


def test_autosave_find_recover_discard_in_process(layout_path, tmp_path):
    store = RecoveryStore(tmp_path / "rec")
    doc = LayoutDocument.open(layout_path)
    doc.history.push(E.MoveRacks(["A01"], [[5.0, 3.0]]))
    store.autosave(doc)
    (entry,) = store.entries()
    assert entry.layout_path == layout_path.resolve() and entry.name == "recovery test"
    assert not entry.crashed  # we are still running
    assert store.crashed() == [] and store.pending(layout_path) is None
    rec = store.recover(entry)
    assert rec.layout == doc.layout and rec.dirty and rec.path == entry.layout_path
    store.discard(doc)
    assert store.entries() == []


def test_autosaver_writes_when_due_and_discards_when_clean(layout_path, tmp_path):
    store = RecoveryStore(tmp_path / "rec")
    doc = LayoutDocument.open(layout_path)
    auto = Autosaver(doc, store, interval_s=10)
    assert not auto.tick(now=0)  # clean: nothing to save
    doc.history.push(E.MoveRacks(["A01"], [[5.0, 3.0]]))
    assert auto.tick(now=100)
    assert not auto.tick(now=101)  # nothing new
    doc.history.push(E.MoveRacks(["A02"], [[6.0, 3.0]]))
    assert not auto.tick(now=105)  # too soon
    assert auto.tick(now=111)
    assert len(store.entries()) == 1
    S.save(doc)
    assert not auto.tick(now=200)
    assert store.entries() == []  # saved: the recovery file is gone


def test_untitled_document_gets_its_own_key(tmp_path):
    store = RecoveryStore(tmp_path / "rec")
    a = LayoutDocument.from_text(TEXT)
    b = LayoutDocument.from_text(TEXT)
    store.autosave(a)
    store.autosave(b)
    assert len({e.key for e in store.entries()}) == 2
    assert all(e.layout_path is None for e in store.entries())
    a.set_path(tmp_path / "named.yaml")
    store.autosave(a)  # the untitled file is replaced by the named one
    assert len(store.entries()) == 2


def test_broken_recovery_files_are_skipped(tmp_path):
    root = tmp_path / "rec"
    root.mkdir()
    (root / "junk.json").write_text("{not json")
    (root / "half.json").write_text('{"format": "twin-recovery/1"}')
    assert RecoveryStore(root).entries() == []


CHILD = textwrap.dedent(
    """
    import sys, time
    from twin.model import edits as E
    from twin.model.document import LayoutDocument
    from twin.model.recovery import Autosaver, RecoveryStore

    doc = LayoutDocument.open(sys.argv[1])
    auto = Autosaver(doc, RecoveryStore(), interval_s=0)
    doc.history.push(E.MoveRacks(["A01"], [[4.4, 3.0]]))
    doc.history.push(E.DeleteRacks(["A02"]))
    doc.history.push(E.AddRack("A", E.rack_from_catalog(doc, "dgx-h100", (7, 3), count=2,
                                                         rack_id="NEW")))
    assert auto.tick()
    print("autosaved", flush=True)
    time.sleep(60)
    """
)


def test_crash_recovery_after_sigkill(layout_path, tmp_path, monkeypatch):
    data = tmp_path / "data"
    env = dict(os.environ, XDG_DATA_HOME=str(data))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(layout_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "autosaved", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert layout_path.read_text() == TEXT  # the crash lost nothing on disk either

    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    store = RecoveryStore()
    crashed = store.crashed()
    assert len(crashed) == 1 and crashed[0].pid == child.pid
    entry = store.pending(layout_path)
    assert entry is not None

    doc = store.recover(entry)
    assert doc.dirty and doc.path == layout_path.resolve()
    assert doc.rack("A01").position_m == (4.4, 3.0)
    assert [r.id for r in doc.layout.rows[0].racks] == ["A01", "NEW"]
    assert doc.facility.n_gpus == 16

    S.save(doc)  # back into the original file, keeping its comment
    saved = layout_path.read_text()
    assert saved.startswith("# Recovery test layout")
    assert "A02" not in saved and "NEW" in saved
    store.discard(entry)
    assert store.crashed() == []


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="process start times come from /proc")
def test_a_pid_reused_by_another_process_counts_as_crashed(layout_path, tmp_path):
    """The writer died and its pid now belongs to another live process: the recovery must
    still be offered (the process start time in the file tells the two apart)."""
    import json

    from twin.model import recovery

    store = RecoveryStore(tmp_path / "rec")
    doc = LayoutDocument.open(layout_path)
    doc.history.push(E.MoveRacks(["A01"], [[5.0, 3.0]]))
    store.autosave(doc)
    (meta_path,) = (tmp_path / "rec").glob("*.json")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        meta = json.loads(meta_path.read_text())
        real = recovery._process_token(other.pid)
        assert real is not None and real.isdigit()
        # same pid, but started at another time than the process that wrote the file
        meta.update(pid=other.pid, token=str(int(real) + 1))
        meta_path.write_text(json.dumps(meta))
        (entry,) = store.entries()
        assert entry.crashed and store.pending(layout_path) == entry
        # the very process that wrote it, still running: not crashed, nothing offered
        meta.update(token=real)
        meta_path.write_text(json.dumps(meta))
        (entry,) = store.entries()
        assert not entry.crashed and store.pending(layout_path) is None
    finally:
        other.kill()
        other.wait()
    (entry,) = store.entries()
    assert entry.crashed  # and once it is gone


def test_recovering_after_the_original_changed_keeps_the_recovered_layout(layout_path, tmp_path):
    """The layout file was edited elsewhere after the autosave: recovering gives the autosaved
    layout (not the file's), and saving it writes exactly that layout."""
    store = RecoveryStore(tmp_path / "rec")
    doc = LayoutDocument.open(layout_path)
    doc.history.push(E.MoveRacks(["A01"], [[5.0, 3.0]]))
    store.autosave(doc)
    changed = layout_path.read_text().replace("name: recovery test", "name: edited elsewhere")
    assert changed != layout_path.read_text()
    layout_path.write_text("# edited by someone else\n" + changed)
    (entry,) = store.entries()
    rec = store.recover(entry)
    assert rec.layout == doc.layout and rec.layout.name == "recovery test" and rec.dirty
    S.save(rec)
    again = LayoutDocument.open(layout_path)
    assert again.layout == doc.layout
    store.discard(rec)
    assert store.entries() == []
