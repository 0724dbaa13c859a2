"""Classic Farrington (1996) as R `surveillance::algo.farrington` (1.20.3) computes it.

Defaults: b = 5 years, w = 3, reweight (threshold 1), trend kept when p < 0.05 and no
extrapolation, alpha = 0.05 two-sided, 2/3-power threshold, limit54 = 5 cases in 4 periods.
Every (series, t) is an independent 35-observation GLM; all of them are fitted together.
Missing reference values are left out of the fit (R itself stops on them).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy import stats

from smarthealth.analytics.surveillance import glm

B, W = 5, 3
ALPHA = 0.05
Z = 1.959963984540054  # qnorm(1 - 0.05 / 2)
LIMIT_CASES, LIMIT_PERIODS = 5, 4
CHUNK = 2048


def first_evaluated(frequency: int) -> int:
    """1-based first period with a full set of reference values: b*freq + w + 1."""
    return B * frequency + W + 1


def chunks(n_series: int, n_periods: int, first: int, size: int
           ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(series, column) index pairs of every evaluated point, in blocks of `size`."""
    cols = np.arange(first - 1, n_periods)
    total = n_series * cols.size
    for start in range(0, total, size):
        idx = np.arange(start, min(total, start + size))
        yield idx // cols.size, cols[idx % cols.size]


def gather(counts: np.ndarray, s: np.ndarray, t: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """counts[s, t + offset] for every pair and offset: (pairs, offsets)."""
    return counts[s[:, None], t[:, None] + offsets[None, :]]


def limit54(counts: np.ndarray, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """1.0 if y_{t-3} + ... + y_t >= 5, 0.0 if not, NaN if any of them is missing."""
    total = gather(counts, s, t, np.arange(-(LIMIT_PERIODS - 1), 1)).sum(axis=1)
    return np.where(np.isnan(total), np.nan, (total >= LIMIT_CASES).astype(float))


def fit_glm_fast(y: np.ndarray, present: np.ndarray, levels: np.ndarray, xc: np.ndarray,
                 *, trend: bool) -> glm.Fit:
    """algo.farrington.fitGLM.fast: fit (trend -> no trend if not converged), reweight, refit."""
    ones = present.astype(float)
    pre = glm.start(y)
    fit = glm.irls_or_without_trend(pre, ones, levels, xc, trend=trend)
    omega = glm.anscombe_weights(fit, pre, ones, levels, xc, threshold=1.0)
    final = glm.irls(pre, omega, levels, xc, trend=True) if trend else None
    if final is None:
        return glm.irls(pre, omega, levels, None, trend=False)
    notrend = np.flatnonzero(~fit.trend)
    if notrend.size:
        final.put(notrend, glm.irls(pre.take(notrend), omega[notrend], levels, None,
                                        trend=False))
    return final


def reference_offsets(frequency: int) -> np.ndarray:
    """t - i*freq + d for i = b..1 and d = -w..w, relative to t."""
    return np.array([-i * frequency + d for i in range(B, 0, -1) for d in range(-W, W + 1)],
                    dtype=float)


def distinct_zero(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows to fit, map from every row to its fitted row): complete all-zero windows share one.

    Every complete all-zero window has the same GLM (it depends on y only), so one is fitted for
    all of them; sparse ward series have many (and they need the most IRLS iterations).
    """
    zero = np.flatnonzero((y == 0).all(axis=1))
    if zero.size < 2:
        return np.arange(y.shape[0]), np.arange(y.shape[0])
    fit_rows = np.flatnonzero((y != 0).any(axis=1))  # NaN != 0: incomplete windows kept
    fit_rows = np.sort(np.r_[fit_rows, zero[0]])
    position = np.full(y.shape[0], -1)
    position[fit_rows] = np.arange(fit_rows.size)
    position[zero] = position[zero[0]]
    return fit_rows, position


def evaluate(counts: np.ndarray, s: np.ndarray, t: np.ndarray, frequency: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected, threshold, alarm) for the given (series, 0-based column) pairs."""
    offsets = reference_offsets(frequency)
    y_all = gather(counts, s, t, offsets.astype(int))
    fit_rows, position = distinct_zero(y_all)
    mu0, upper, usable = _model(y_all[fit_rows], offsets)
    mu0, upper, usable = mu0[position], upper[position], usable[position]
    with np.errstate(invalid="ignore", divide="ignore"):
        enough = limit54(counts, s, t)
        y_t = counts[s, t]
        score = (y_t - mu0) / (upper - mu0)
    threshold = np.where(enough == 1, upper, 0.0)
    alarm = np.where(enough == 1, (score > 1).astype(float), 0.0)
    bad = np.isnan(enough) | ~usable
    threshold[bad] = np.nan
    alarm[bad] = np.nan
    mu0 = np.where(usable, mu0, np.nan)
    return mu0, threshold, alarm


def _model(y: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu0, upper bound, usable) of the final Farrington model for every reference window."""
    levels = np.ones((offsets.size, 1))
    present = ~np.isnan(y)
    yz = np.where(present, y, 0.0)
    usable = present.sum(axis=1) >= 3
    fit = fit_glm_fast(yz, present, levels, offsets, trend=True)
    if fit.trend.any():
        rows = np.flatnonzero(fit.trend)
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(fit.pearson[rows] / fit.schur[rows])
            tval = fit.beta[rows] / se
            p = 2 * stats.t.sf(np.abs(tval), fit.df[rows])
        mu_hat = np.maximum(np.exp(fit.alpha[rows, 0]), glm.EPS)
        ymax = np.where(present[rows], yz[rows], -np.inf).max(axis=1)
        keep = (p < 0.05) & (mu_hat <= ymax)
        drop = rows[~keep]
        if drop.size:
            fit.put(drop, fit_glm_fast(yz[drop], present[drop], levels, offsets, trend=False))
    phi = np.maximum(fit.pearson, 1.0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        mu0 = np.maximum(np.exp(fit.alpha[:, 0]), glm.EPS)
        se_mu = np.sqrt(phi * glm.pred_var(fit, 0)) * mu0
        tau = phi + se_mu ** 2 / mu0
        upper = (mu0 ** (2.0 / 3.0) + Z * np.sqrt(4.0 / 9.0 * mu0 ** (1.0 / 3.0) * tau)) ** 1.5
    return mu0, upper, usable
