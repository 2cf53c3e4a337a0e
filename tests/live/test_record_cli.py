"""``twin record``: live recording from a direct scrape, time parsing, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from dcgm_exporter import Exporter, ExporterState, Host, temp_of
from live_support import layout_text

from twin.cli import main
from twin.commands.record import parse_time


@pytest.fixture
def layout(tmp_path):
    path = tmp_path / "live.yaml"
    path.write_text(layout_text())
    return path


def test_record_live_scrape_then_replay(layout, tmp_path, facility, capsys):
    from twin.recording import open_recording

    exp = Exporter(ExporterState(hosts=[Host("A01-01", 0), Host("A01-02", 1)])).start()
    out = tmp_path / "lab.h5"
    try:
        rc = main(
            [
                "record", "--scrape", exp.url, "--duration", "1.2s", "--step", "0.2s",
                "-o", str(out), str(layout),
            ]
        )  # fmt: skip
    finally:
        exp.stop()
    assert rc == 0, capsys.readouterr().err
    with open_recording(out) as rec:
        assert rec.n_frames >= 3
        assert (np.diff(rec.times) > 0).all()
        frame = rec.frame(rec.n_frames - 1)
        a = facility.gpu_of("A01-02", 0)
        np.testing.assert_allclose(
            frame.gpu["temp_c"][a : a + 8], [temp_of(1, g) for g in range(8)]
        )
        assert np.isnan(frame.gpu["temp_c"][facility.gpu_of("A01-03", 0)])


def test_parse_time():
    now = 1_800_000_000.0
    assert parse_time("now", now) == now
    assert parse_time("-2h", now) == now - 7200
    assert parse_time("1764150000.5", now) == 1764150000.5
    assert parse_time("2026-11-26T09:00:00Z", now) == 1795683600.0
    assert parse_time("2026-11-26T10:00:00+01:00", now) == 1795683600.0
    with pytest.raises(ValueError, match="not a time"):
        parse_time("yesterday", now)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prometheus", "http://127.0.0.1:9", "--start", "10", "--end", "5"], "after --start"),
        (["--scrape", "http://127.0.0.1:9", "--start=-1h"], "need --prometheus"),
        (["--prometheus", "http://127.0.0.1:9"], "--duration"),
        (["--prometheus", "http://127.0.0.1:9", "--start=-1h", "--step", "0"], "positive"),
        (["--prometheus", "http://127.0.0.1:9", "--start", "soon"], "not a time"),
        (
            ["--prometheus", "http://127.0.0.1:9", "--start=-1h", "--timeout", "1"],
            "cannot reach",
        ),
    ],
)
def test_record_errors_are_clear(layout, tmp_path, capsys, args, message):
    rc = main(["record", *args, "-o", str(tmp_path / "x.h5"), str(layout)])
    assert rc == 2
    assert message in capsys.readouterr().err
