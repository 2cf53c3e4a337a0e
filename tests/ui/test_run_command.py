"""``twin run`` without a display says so plainly and exits non-zero, without touching Qt."""

from __future__ import annotations

import sys

import pytest

from twin.cli import main


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="display check is Linux's")
def test_run_without_display_points_to_render(monkeypatch, small_layout, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["run", str(small_layout)]) == 3
    err = capsys.readouterr().err
    assert "no display" in err and f"twin render {small_layout}" in err


def test_run_with_missing_layout(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "no such layout" in capsys.readouterr().err


def test_source_prometheus_takes_its_url_from_the_environment(monkeypatch, small_layout, capsys):
    """TWIN_PROMETHEUS_URL was read only from Python: `--source prometheus` with it set still
    asked for --prometheus URL."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("TWIN_PROMETHEUS_URL", raising=False)
    assert main(["run", str(small_layout), "--source", "prometheus"]) == 2
    assert capsys.readouterr().err == (
        "twin run: a prometheus source needs its URL: use --prometheus URL (or set "
        "TWIN_PROMETHEUS_URL)\n"
    )
    monkeypatch.setenv("TWIN_PROMETHEUS_URL", "ftp://nowhere")  # checked as --prometheus is
    assert main(["run", str(small_layout), "--source", "prometheus"]) == 2
    assert capsys.readouterr().err == "twin run: not an http(s) URL: 'ftp://nowhere'\n"
    monkeypatch.setenv("TWIN_PROMETHEUS_URL", "http://prom.example:9090")
    assert main(["run", str(small_layout), "--source", "prometheus"]) == 3  # no display
