"""Saving never loses another program's change: a layout changed on disk since it was opened
is not written over without saying so, and temp files of killed writers are cleaned up."""

from __future__ import annotations

import subprocess
import sys

import pytest

from twin.model import edits as E
from twin.model.atomic import clean_stale_temps, write_text_atomic
from twin.model.document import LayoutDocument
from twin.model.loader import load_layout
from twin.model.save import ChangedOnDisk, save


@pytest.fixture
def doc(small_layout):
    d = LayoutDocument.open(small_layout)
    d.history.push(E.translate(d, ["A03"], (0.6, 0.0)))
    return d


def test_change_on_disk_is_not_overwritten(doc, small_layout):
    theirs = small_layout.read_text() + "# a note another program added\n"
    small_layout.write_text(theirs)
    with pytest.raises(ChangedOnDisk, match="changed on disk since it was opened"):
        save(doc)
    assert small_layout.read_text() == theirs
    assert doc.dirty
    save(doc, overwrite_changed=True)  # the user said: replace it
    assert "another program" not in small_layout.read_text()
    assert not doc.dirty


def test_unchanged_file_saves_again_and_again(doc, small_layout):
    save(doc)
    doc.history.push(E.translate(doc, ["A03"], (0.6, 0.0)))
    save(doc)  # the document's own last save is not "a change on disk"
    fac = load_layout(small_layout)
    assert fac.racks[fac.rack_index["A03"]].position_m[0] == pytest.approx(
        doc.layout.rows[0].racks[2].position_m[0]
    )


def test_crlf_file_is_no_false_alarm(small_layout):
    small_layout.write_bytes(small_layout.read_bytes().replace(b"\n", b"\r\n"))
    d = LayoutDocument.open(small_layout)
    d.history.push(E.translate(d, ["A03"], (0.6, 0.0)))
    save(d)


def test_deleted_file_is_written_again(doc, small_layout):
    small_layout.unlink()
    save(doc)
    assert load_layout(small_layout).n_racks == doc.facility.n_racks


def test_save_as_elsewhere_is_not_checked(doc, small_layout, tmp_path):
    small_layout.write_text(small_layout.read_text() + "# theirs\n")
    out = tmp_path / "mine.yaml"
    save(doc, out)
    assert out.is_file() and small_layout.read_text().endswith("# theirs\n")


def test_stale_temp_files_of_killed_writers_are_removed(tmp_path):
    target = tmp_path / "hall.yaml"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = tmp_path / f".hall.yaml.{int(dead.stdout)}.k2j3.tmp"
    stale.write_text("half a layout")
    live = tmp_path / ".hall.yaml.1.abcd.tmp"  # pid 1 is alive: not ours to remove
    live.write_text("someone writing")
    other = tmp_path / f".other.yaml.{int(dead.stdout)}.x.tmp"
    other.write_text("another file's")
    write_text_atomic(target, "format: twin-layout/1\n")
    assert not stale.exists() and live.exists() and other.exists()
    assert target.read_text() == "format: twin-layout/1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".hall.yaml.1.abcd.tmp", other.name, "hall.yaml"]
    )
    assert clean_stale_temps(tmp_path / "other.yaml") == [other]
