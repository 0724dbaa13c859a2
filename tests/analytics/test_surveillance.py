"""Detection methods against fixtures produced by R `surveillance` 1.20.3, and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smarthealth.analytics.surveillance import (
    METHODS,
    MonthlyNotSupported,
    detect,
    first_evaluated,
)
from smarthealth.analytics.surveillance.ears import Z_C3
from tests.analytics.surveillance_fixtures import CASES, MISSING_CASES, compare


@pytest.mark.parametrize(("method", "frequency"), CASES)
def test_matches_r(method: str, frequency: int) -> None:
    c = compare(method, frequency)
    assert c.points > 100
    assert not c.na_mismatch, c.na_mismatch[:5]
    assert c.alarm_agree / c.points >= 0.98, c.disagreements[:5]
    assert c.alarm_agree == c.points, c.disagreements[:5]  # currently exact
    assert c.worst_rel <= 1e-6, (c.worst_rel, c.worst_where)
    assert c.expected_worst_rel <= 1e-6


@pytest.mark.parametrize(("method", "frequency"), MISSING_CASES)
def test_matches_r_with_missing_counts(method: str, frequency: int) -> None:
    c = compare(method, frequency, "_missing")
    assert c.points > 200
    assert not c.na_mismatch, c.na_mismatch[:5]
    assert c.alarm_agree == c.points, c.disagreements[:5]
    assert c.worst_rel <= 1e-6, (c.worst_rel, c.worst_where)
    assert c.expected_worst_rel <= 1e-6


def test_first_evaluated() -> None:
    assert [first_evaluated(method=m, frequency=52) for m in METHODS] == [8, 10, 12, 264, 264]
    assert first_evaluated(method="farrington", frequency=365) == 1829
    assert first_evaluated(method="farrington", frequency=12) == 64
    with pytest.raises(MonthlyNotSupported, match="monthly"):
        first_evaluated(method="farrington_flexible", frequency=12)
    with pytest.raises(ValueError):
        first_evaluated(method="cusum", frequency=52)
    with pytest.raises(ValueError):
        first_evaluated(method="ears_c1", frequency=7)


def test_evaluated_mask_and_shapes() -> None:
    counts = np.random.default_rng(3).poisson(3, (4, 300)).astype(float)
    for method in METHODS:
        det = detect(counts, frequency=52, method=method)
        first = first_evaluated(method=method, frequency=52)
        assert det.evaluated.shape == counts.shape
        assert not det.evaluated[:, : first - 1].any() and det.evaluated[:, first - 1:].all()
        assert np.isnan(det.threshold[:, : first - 1]).all()
        assert np.isin(det.alarm[det.evaluated & ~np.isnan(det.alarm)], (0.0, 1.0)).all()


def test_negative_counts_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        detect(np.array([[1.0, -1.0] * 10]), frequency=52, method="ears_c1")


def test_c1_c2_zero_variance_gives_mean_not_na() -> None:
    counts = np.zeros((1, 30))
    counts[0, 20] = 1
    for method in ("ears_c1", "ears_c2"):
        det = detect(counts, frequency=365, method=method)
        assert not np.isnan(det.threshold[det.evaluated]).any()
        assert det.threshold[0, 15] == 0.0 and det.alarm[0, 20] == 1.0


def test_c3_na_on_zero_variance_baselines() -> None:
    counts = np.zeros((1, 40))
    counts[0, 30] = 3
    det = detect(counts, frequency=52, method="ears_c3")
    assert np.isnan(det.threshold[0, 11]) and np.isnan(det.alarm[0, 11])
    assert np.isnan(det.alarm[det.evaluated]).sum() > 20


def test_c3_as_implemented_ignores_current_c2() -> None:
    """alarm <=> y_t > 0, s_t > 0, p_{t-1} + p_{t-2} > z (finite values); not the help page."""
    rng = np.random.default_rng(11)
    counts = rng.negative_binomial(2, 0.3, (20, 200)).astype(float)
    det = detect(counts, frequency=52, method="ears_c3")
    for s in range(counts.shape[0]):
        y = counts[s]
        for t in range(11, y.size):
            def c2(i: int, y: np.ndarray = y) -> float:
                base = y[i - 9: i - 2]
                return (y[i] - base.mean()) / base.std(ddof=1)
            sd_t = y[t - 9: t - 2].std(ddof=1)
            parts = [c2(t - 1), c2(t - 2)]
            if not all(math.isfinite(p) for p in parts) or sd_t == 0:
                continue
            p = sum(max(0.0, v - 1) for v in parts)
            assert det.alarm[s, t] == float(y[t] > 0 and p > Z_C3)


def test_missing_counts_propagate_in_ears() -> None:
    counts = np.full((1, 40), 4.0)
    counts[0, ::3] = 6.0
    counts[0, 20] = np.nan
    det = detect(counts, frequency=52, method="ears_c1")
    assert np.isnan(det.threshold[0, 21:28]).all() and np.isnan(det.alarm[0, 20])
    assert not np.isnan(det.threshold[0, 28])


def _weekly(n: int = 330, mean: float = 8.0, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return rng.poisson(mean * np.exp(0.5 * np.sin(2 * np.pi * t / 52)))[None, :].astype(float)


def test_farrington_low_count_rule() -> None:
    counts = _weekly(mean=0.6)
    counts[0, -4:] = [0, 1, 0, 3]  # 4 cases in 4 weeks: under limit54
    classic = detect(counts, frequency=52, method="farrington")
    assert classic.threshold[0, -1] == 0.0 and classic.alarm[0, -1] == 0.0
    assert classic.expected[0, -1] > 0
    flex = detect(counts, frequency=52, method="farrington_flexible")
    assert np.isnan(flex.threshold[0, -1]) and flex.alarm[0, -1] == 0.0
    assert flex.expected[0, -1] > 0


def test_outbreak_alarms_in_both_farringtons() -> None:
    counts = _weekly()
    counts[0, -1] = 60
    for method in ("farrington", "farrington_flexible"):
        det = detect(counts, frequency=52, method=method)
        assert det.alarm[0, -1] == 1.0 and det.threshold[0, -1] < 60


def test_flexible_all_zero_history_is_na_and_classic_is_floored() -> None:
    counts = np.zeros((1, 300))
    counts[0, -3:] = [2, 3, 4]
    flex = detect(counts, frequency=52, method="farrington_flexible")
    last = flex.evaluated[0]
    assert np.isnan(flex.expected[0, last]).all() and np.isnan(flex.alarm[0, last]).all()
    classic = detect(counts, frequency=52, method="farrington")
    assert (classic.expected[0, last] > 0).all()
    assert classic.alarm[0, -1] == 1.0


def test_flexible_threshold_is_integer_and_missing_history_dropped() -> None:
    counts = _weekly()
    counts[0, 100:110] = np.nan
    det = detect(counts, frequency=52, method="farrington_flexible")
    u = det.threshold[det.evaluated]
    u = u[~np.isnan(u)]
    assert u.size > 0 and (u == np.round(u)).all()
    assert not np.isnan(det.expected[det.evaluated]).any()


def test_series_are_independent() -> None:
    a, b = _weekly(seed=1), _weekly(seed=2)
    both = detect(np.vstack([a, b]), frequency=52, method="farrington_flexible")
    alone = detect(b, frequency=52, method="farrington_flexible")
    np.testing.assert_allclose(both.threshold[1], alone.threshold[0], rtol=1e-12)
    np.testing.assert_array_equal(both.alarm[1], alone.alarm[0])


def test_threads_give_identical_results() -> None:
    counts = np.vstack([_weekly(seed=s) for s in range(6)])
    one = detect(counts, frequency=52, method="farrington_flexible", threads=1)
    two = detect(counts, frequency=52, method="farrington_flexible", threads=2)
    np.testing.assert_allclose(one.threshold, two.threshold, rtol=1e-12)
    np.testing.assert_allclose(one.expected, two.expected, rtol=1e-12)
    np.testing.assert_array_equal(one.alarm, two.alarm)


@pytest.mark.parametrize("method", METHODS)
def test_last_periods_only_equal_full_run(method: str) -> None:
    counts = np.vstack([_weekly(seed=s) for s in range(3)])
    full = detect(counts, frequency=52, method=method)
    recent = detect(counts, frequency=52, method=method, last=8)
    assert recent.evaluated.sum() == 3 * 8 and recent.evaluated[:, -8:].all()
    np.testing.assert_allclose(recent.threshold[:, -8:], full.threshold[:, -8:], rtol=1e-12)
    np.testing.assert_array_equal(recent.alarm[:, -8:], full.alarm[:, -8:])
    assert np.isnan(recent.threshold[:, :-8]).all()
    assert not detect(counts[:, :200], frequency=52, method="farrington", last=8).evaluated.any()
