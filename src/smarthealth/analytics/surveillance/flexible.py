"""Improved Farrington (Noufaily et al. 2013) as R `surveillance::farringtonFlexible` computes it.

Settings: b = 5, w = 3, noPeriods = 10, pastWeeksNotIncluded = 26, weightsThreshold = 2.58,
trend (kept when p < 1 and no extrapolation), reweight, thresholdMethod "nbPlugin",
alpha = 0.05 one-sided, limit54 = 5 cases in 4 periods, no population offset.
Every (series, t) is an independent 237-observation GLM (weekly); all are fitted together.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import stats

from smarthealth.analytics.surveillance import glm
from smarthealth.analytics.surveillance.farrington import distinct_zero, gather, limit54

B, W = 5, 3
NO_PERIODS = 10
PAST_NOT_INCLUDED = 26
WEIGHTS_THRESHOLD = 2.58
ALPHA = 0.05
CHUNK = 256


class MonthlyNotSupported(ValueError):
    """farringtonFlexible with Noufaily settings assumes weekly or daily data."""


def first_evaluated(frequency: int) -> int:
    """1-based first period: b*freq + w + 1."""
    if frequency == 12:
        raise MonthlyNotSupported(
            "farrington_flexible is not defined for monthly data (frequency 12): its 26-period "
            "exclusion and 10 seasonal blocks assume weeks or days")
    return B * frequency + W + 1


@lru_cache(maxsize=8)
def design(frequency: int) -> tuple[np.ndarray, np.ndarray]:
    """(offsets relative to t, one-hot levels) of the fitting data, as R's `blocks`."""
    now = B * frequency + W
    fac = np.full(now + 1, np.nan)
    fac[now - W: now + 1] = NO_PERIODS
    refs = [now - frequency * i for i in range(B + 1)]
    for i in range(1, B + 1):
        ref = refs[i]
        fac[ref - W: ref + W + 1] = NO_PERIODS
        period = refs[i - 1] - 2 * W - 1 - ref
        size, rest = divmod(period, NO_PERIODS - 1)
        start = ref + W + 1
        for j in range(NO_PERIODS - 1):
            length = size + (1 if j < rest else 0)
            fac[start: start + length] = j + 1
            start += length
    fac[now - PAST_NOT_INCLUDED: now + 1] = np.nan
    keep = np.flatnonzero(~np.isnan(fac))
    offsets = (keep - now).astype(float)
    levels = np.zeros((keep.size, NO_PERIODS))
    levels[np.arange(keep.size), fac[keep].astype(int) - 1] = 1.0
    return offsets, levels


def fit_flexible(y: np.ndarray, present: np.ndarray, levels: np.ndarray, xc: np.ndarray,
                 *, trend: bool) -> tuple[glm.Fit, np.ndarray]:
    """algo.farrington.fitGLM.flexible; returns the fit and the rows with a result (not NULL)."""
    ones = present.astype(float)
    pre = glm.start(y)
    fit = glm.irls_or_without_trend(pre, ones, levels, xc, trend=trend)
    ok = fit.converged.copy()
    omega = glm.anscombe_weights(fit, pre, ones, levels, xc, threshold=WEIGHTS_THRESHOLD)
    if not trend:
        return glm.irls(pre, omega, levels, None, trend=False), ok
    final = glm.irls(pre, omega, levels, xc, trend=True)
    notrend = np.flatnonzero(~fit.trend)
    if notrend.size:
        final.put(notrend, glm.irls(pre.take(notrend), omega[notrend], levels, None,
                                        trend=False))
    return final, ok


def nb_upper(mu0: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """qnbinom(1 - alpha, mu0/(phi-1), 1/phi) if phi > 1, else qpois(1 - alpha, mu0)."""
    upper = np.full(mu0.shape, np.nan)
    finite = np.isfinite(mu0)
    nb = finite & (phi > 1)
    po = finite & ~(phi > 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if nb.any():
            upper[nb] = stats.nbinom.ppf(1 - ALPHA, mu0[nb] / (phi[nb] - 1), 1 / phi[nb])
        if po.any():
            upper[po] = stats.poisson.ppf(1 - ALPHA, mu0[po])
    return upper


def evaluate(counts: np.ndarray, s: np.ndarray, t: np.ndarray, frequency: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected, threshold, alarm) for the given (series, 0-based column) pairs."""
    offsets, levels = design(frequency)
    y_all = gather(counts, s, t, offsets.astype(int))
    fit_rows, position = distinct_zero(y_all)
    eta0, upper, ok = _model(y_all[fit_rows], offsets, levels)
    eta0, upper, ok = eta0[position], upper[position], ok[position]
    with np.errstate(over="ignore"):
        mu0 = np.exp(eta0)
    enough = limit54(counts, s, t)
    y_t = counts[s, t]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (y_t - eta0) / (upper - eta0)
    alarm = ((enough == 1) & (y_t != 0) & (score > 1)).astype(float)
    threshold = np.where(enough == 1, upper, np.nan)
    expected = mu0.copy()
    for arr in (expected, threshold, alarm):
        arr[~ok] = np.nan
    return expected, threshold, alarm


def _model(y: np.ndarray, offsets: np.ndarray, levels: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eta0, upper bound, has a model) of the final model for every fitting window."""
    present = ~np.isnan(y)
    yz = np.where(present, y, 0.0)
    fit, ok = fit_flexible(yz, present, levels, offsets, trend=True)
    rows = np.flatnonzero(fit.trend & ok)
    if rows.size:
        mu_hat = np.maximum(np.exp(fit.alpha[rows, -1]), glm.EPS)
        ymax = np.where(present[rows], yz[rows], -np.inf).max(axis=1)
        keep = (fit.beta[rows] != 0) & (mu_hat <= ymax)
        drop = rows[~keep]
        if drop.size:
            refit, ok2 = fit_flexible(yz[drop], present[drop], levels, offsets, trend=False)
            fit.put(drop, refit)
            ok[drop] = ok2
    phi = np.maximum(fit.pearson, 1.0)
    eta0 = fit.alpha[:, -1]
    with np.errstate(over="ignore"):
        mu0 = np.exp(eta0)
    ok &= fit.s0[:, -1] > 0
    return eta0, nb_upper(mu0, phi), ok
