"""``twin report``: one self-contained HTML file whose figures agree with the recording read
independently (frame by frame), and a 3D snapshot per moment around each critical event."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from twin.cli import main
from twin.recording.reader import open_recording
from twin.report import build_report
from twin.report.incident import HEAT_THROTTLE

HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    """Four minutes of the small hall with a CRAH trip at 1:00 (one unit left for 245 kW)."""
    out = tmp_path_factory.mktemp("rep") / "trip.h5"
    args = ["simulate", str(HALL), "--scenario", "crah-trip", "--duration", "4m"]
    assert main([*args, "--fail-at", "1m", "--seed", "3", "-o", str(out)]) == 0
    return out


def test_report_is_self_contained_and_agrees_with_the_recording(trip, tmp_path):
    calls = []

    def snap(fac, frame, title):
        calls.append((frame.time_s, title))
        return PNG

    out = tmp_path / "incident.html"
    info = build_report(trip, out, snap)
    html = out.read_text()
    # nothing fetched: no script, no stylesheet link, no remote source
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'src="(?!data:)', html)
    with open_recording(trip) as rec:
        events = rec.events
        fail = [e for e in events if e.kind == "unit_failed"]
        assert len(fail) == 1
        t_fail = fail[0].time_s - rec.start_s
        assert (
            f"<b>{fail[0].item}</b> unit failed at {int(t_fail) // 60}:{int(t_fail) % 60:02d}"
            in html
        )
        # every event in the timeline
        assert html.count('<tr><td class="n">') >= len(events)
        # throttled GPU-hours, counted frame by frame
        hot = 0
        for i in range(rec.n_frames):
            thr = rec.frame(i, ("gpu",)).gpu["throttle"]
            hot += int(((np.nan_to_num(thr).astype(np.int64) & HEAT_THROTTLE) != 0).sum())
        dt = float(np.median(np.diff(rec.times)))
        crit = [e for e in events if e.severity >= 2][:3]
        assert crit[0] is fail[0]  # the trip is the first critical event
        # and the hottest GPU's peak
        temps = np.stack([rec.frame(i, ("gpu",)).gpu["temp_c"] for i in range(rec.n_frames)])
    assert f"{hot * dt / 3600:.2f}</b>throttled GPU-hours" in html
    assert f"{np.nanmax(temps):.1f} °C</b>peak GPU" in html
    # before, at and after each critical event (at most three events)
    assert info.snapshots == len(calls) == 3 * len(crit)
    assert [t for t, _ in calls[1::3]] == [e.time_s for e in crit]
    assert "before (0:00)" in calls[0][1] and "at (1:00)" in calls[1][1]
    assert html.count("data:image/png;base64,") == info.snapshots
    # heat shares add up to the whole
    shares = [int(s) for s in re.findall(r'<td class="n">(\d+) %</td>', html)]
    assert len(shares) == 2 and abs(sum(shares) - 100) <= 1


def test_report_cli_and_errors(trip, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(trip), "-o", str(out), "--no-snapshots"]) == 0
    assert "0 snapshots" in capsys.readouterr().out and out.stat().st_size > 10_000
    assert main(["report", str(tmp_path / "none.h5"), "-o", str(out)]) == 1
    assert "no such recording" in capsys.readouterr().err
    # the report never lands on its own recording (it was replaced by HTML), nor a folder
    data = trip.read_bytes()
    assert main(["report", str(trip), "-o", str(trip), "--no-snapshots"]) == 2
    assert capsys.readouterr().err == (
        f"twin report: {trip} is also an input of this command; choose another output file\n"
    )
    assert trip.read_bytes() == data
    assert main(["report", str(trip), "-o", str(tmp_path), "--no-snapshots"]) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_real_snapshots_are_pngs(trip, tmp_path):
    from twin.render.offscreen import png_snapshot

    out = tmp_path / "incident.html"
    info = build_report(trip, out, png_snapshot(size=(320, 200)))
    pngs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", out.read_text())
    assert len(pngs) == info.snapshots >= 3
    raw = [base64.b64decode(p) for p in pngs]
    assert all(r.startswith(b"\x89PNG") and len(r) > 2000 for r in raw)
    assert raw[0] != raw[2]  # the hall changed between before and after
