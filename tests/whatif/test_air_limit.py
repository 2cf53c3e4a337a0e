"""A transient stops at the step where the hall's air passes what any data hall reaches
(``engine.AIR_LIMIT_C``, the solver's own plausibility bound): with both CRAHs of the small
hall lost, its air read 845 °C after 30 minutes, the model having no thermal mass but the
air's and no trips but the GPUs'. What came before is reported as it was; what would come
after is not followed, and every form of the result says so."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twin.physics.plausible import AIR_C
from twin.whatif import run_whatif
from twin.whatif.compare import COUNTDOWN, countdown_min, gpu_view
from twin.whatif.engine import AIR_LIMIT_C
from twin.whatif.export import whatif_text

from .conftest import FAST

BOTH = ["CRAH-1", "CRAH-2"]


@pytest.fixture(scope="module")
def lost(fac, baseline):
    return run_whatif(fac, BOTH, options=FAST, baseline=baseline)


def test_the_limit_is_the_solvers_bound_on_air():
    assert AIR_LIMIT_C == AIR_C[1] == 150.0


def test_the_run_stops_at_the_first_step_past_the_limit(fac, baseline, lost):
    stop = lost.air_past_limit_s
    assert stop is not None and 0 < stop < FAST.duration_s
    assert stop % FAST.dt_s == 0  # at a step's end
    assert lost.followed_s == stop
    times = lost.series["time_s"]
    assert times[-1] == stop and len(times) == stop / FAST.dt_s + 1
    n = len(times)
    for key in ("rack_inlet_max_c", "gpus_throttling", "gpus_shut_down", "air_unit_load_w"):
        assert len(lost.series[key]) == n
    # each GPU's shutdown time falls within the step whose end first counts it off (here,
    # in the test that first asks for the module's run: mutmut credits a fixture's calls to it)
    for t, off in zip(times, lost.series["gpus_shut_down"], strict=True):
        assert (lost.gpu_shutdown_s <= t).sum() == off
    # before that step all the air was within the bound, so every rack inlet was too
    assert np.nanmax(lost.series["rack_inlet_max_c"][:-1]) <= AIR_LIMIT_C
    # one step shorter, the run ends before the air passes it: nothing stops it
    short = dataclasses.replace(FAST, duration_s=stop - FAST.dt_s)
    before = run_whatif(fac, BOTH, options=short, baseline=baseline)
    assert before.air_past_limit_s is None and before.followed_s == stop - FAST.dt_s
    assert len(before.series["time_s"]) == n - 1
    np.testing.assert_array_equal(
        before.series["rack_inlet_max_c"], lost.series["rack_inlet_max_c"][:-1]
    )
    # ending at that very step, it passed the bound at its last step: said so
    exact = dataclasses.replace(FAST, duration_s=stop)
    at = run_whatif(fac, BOTH, options=exact, baseline=baseline)
    assert at.air_past_limit_s == stop


def test_what_came_before_the_stop_is_reported(lost):
    s = lost.summary()
    assert s["air_past_limit_min"] == round(lost.air_past_limit_s / 60.0, 2)
    assert s["duration_min"] == FAST.duration_s / 60.0
    assert s["gpus_throttled"] == 192 and s["gpus_shut_down"] == 192
    assert s["ride_through_min"] < s["air_past_limit_min"]
    shut = np.isfinite(lost.gpu_shutdown_s)
    assert (lost.gpu_shutdown_s[shut] <= lost.air_past_limit_s).all()
    assert (lost.gpu_shutdown_s[shut] > lost.gpu_slowdown_s[shut]).all()
    assert lost.series["gpus_shut_down"][-1] == 192 and lost.series["gpus_shut_down"][0] == 0
    # peaks are the hottest each die has been, at least its shutdown temperature
    assert (lost.gpu_peak_c[shut] >= lost.facility.gpu_shutdown_c[shut]).all()
    assert (lost.gpu_peak_c >= lost.gpu_final_c).all()
    racks = lost.series["rack_inlet_max_c"]
    np.testing.assert_array_equal(lost.rack_peak_inlet_c[:6], racks.max(axis=0))
    assert lost.to_dict()["summary"]["air_past_limit_min"] == s["air_past_limit_min"]
    assert lost.to_dict()["series"]["time_s"][-1] == lost.air_past_limit_s


def test_the_text_says_where_and_why_it_stopped(lost):
    text = whatif_text(lost)
    first, second = text.splitlines()[:2]
    past = lost.summary()["air_past_limit_min"]
    assert f"followed {past:.1f} of 5 min in 10 s steps" in first
    assert second == (
        f"  stopped at {past:.1f} min: the hall's air passed 150 C, which no data hall "
        "reaches (its equipment trips and its walls take up heat first; the model has "
        "neither): what comes later is not followed"
    )


def test_a_run_that_stays_within_the_bound_is_followed_whole(fac, baseline):
    res = run_whatif(fac, ["CRAH-1"], options=FAST, baseline=baseline)
    assert res.air_past_limit_s is None and res.followed_s == FAST.duration_s
    assert res.summary()["air_past_limit_min"] is None
    text = whatif_text(res)
    assert "followed 5 min in 10 s steps" in text.splitlines()[0]
    assert "stopped" not in text


def test_gpus_never_slowed_count_down_the_time_followed(lost):
    never = dataclasses.replace(lost, gpu_slowdown_s=np.full_like(lost.gpu_slowdown_s, np.inf))
    never.gpu_dark = np.zeros_like(lost.gpu_dark)
    m = countdown_min(never)
    assert (m == lost.air_past_limit_s / 60.0).all()
    view = gpu_view(never, np.zeros(lost.facility.n_gpus), COUNTDOWN)
    assert view.clim == (0.0, lost.air_past_limit_s / 60.0)
