"""EARS C1, C2 and C3 as R `surveillance::earsC` (1.20.3) computes them, vectorised."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

BASELINE = 7
MIN_SIGMA = 0.0
Z_C12 = 3.090232306167813   # qnorm(1 - 0.001)
Z_C3 = 1.959963984540054    # qnorm(1 - 0.025)
FIRST = {"ears_c1": BASELINE + 1, "ears_c2": BASELINE + 3, "ears_c3": BASELINE + 5}


def _baseline_stats(counts: np.ndarray, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd (n-1) of y[t-gap-7 .. t-gap-1] for every t (NaN where not defined)."""
    n_series, n = counts.shape
    mean = np.full((n_series, n), np.nan)
    sd = np.full((n_series, n), np.nan)
    start = BASELINE + gap
    if n <= start:
        return mean, sd
    win = sliding_window_view(counts, BASELINE, axis=1)[:, : n - start]
    m = win.mean(axis=2)
    mean[:, start:] = m
    sd[:, start:] = np.sqrt(((win - m[:, :, None]) ** 2).sum(axis=2) / (BASELINE - 1))
    return mean, sd


def ears(counts: np.ndarray, *, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected, threshold, alarm), each (n_series, n_periods); NaN outside the evaluated range.

    `expected` is the baseline mean (C1: t-7..t-1; C2, C3: t-9..t-3); R reports no expected value.
    C3 follows R's code, not its help page: U = max(0, y_t + s_t (z - p_{t-1} - p_{t-2})) with
    p_i = max(0, C2_i - 1), NaN propagating (zero-variance baselines give NA).
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.shape[1]
    first = FIRST[method] - 1  # 0-based first evaluated column
    gap = 0 if method == "ears_c1" else 2
    mean, sd = _baseline_stats(counts, gap)
    sigma = np.maximum(sd, MIN_SIGMA)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("ears_c1", "ears_c2"):
            upper = mean + Z_C12 * sigma
        else:
            c2 = (counts - mean) / sigma
            part = np.maximum(0.0, c2 - 1.0)
            lag1 = np.full_like(part, np.nan)
            lag2 = np.full_like(part, np.nan)
            lag1[:, 1:] = part[:, :-1]
            lag2[:, 2:] = part[:, :-2]
            upper = np.maximum(0.0, counts + sigma * (Z_C3 - (lag2 + lag1)))
        alarm = np.where(np.isnan(upper) | np.isnan(counts), np.nan,
                         (counts > upper).astype(float))
    out = []
    for arr in (mean, upper, alarm):
        arr = arr.copy()
        arr[:, : min(first, n)] = np.nan
        out.append(arr)
    return out[0], out[1], out[2]
