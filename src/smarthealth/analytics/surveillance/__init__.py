"""Outbreak detection (EARS C1-C3, Farrington 1996, Noufaily 2013) matching R `surveillance`.

numpy/scipy only; see SURVEILLANCE.md for the methods, parameters and R quirks mirrored.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from smarthealth.analytics.surveillance import ears, farrington, flexible
from smarthealth.analytics.surveillance.flexible import MonthlyNotSupported

METHODS = ("ears_c1", "ears_c2", "ears_c3", "farrington", "farrington_flexible")
FREQUENCIES = (12, 52, 365)

__all__ = ["METHODS", "FREQUENCIES", "Detection", "MonthlyNotSupported", "detect",
           "first_evaluated"]


@dataclass
class Detection:
    """Per (series, period): expected value, threshold and alarm (NaN = NA / empty cell)."""

    expected: np.ndarray
    threshold: np.ndarray
    alarm: np.ndarray
    evaluated: np.ndarray  # bool: the period has an output row


def _check(method: str, frequency: int) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be 12, 52 or 365, not {frequency!r}")


def first_evaluated(*, method: str, frequency: int) -> int:
    """1-based index of the first period the method evaluates."""
    _check(method, frequency)
    if method in ears.FIRST:
        return ears.FIRST[method]
    if method == "farrington":
        return farrington.first_evaluated(frequency)
    return flexible.first_evaluated(frequency)


def _workers() -> int:
    """Threads for the Farrington fits: SMARTHEALTH_SURVEILLANCE_THREADS (default 1)."""
    value = os.environ.get("SMARTHEALTH_SURVEILLANCE_THREADS", "")
    return max(1, int(value)) if value.isdigit() else 1


def detect(counts: np.ndarray, *, frequency: int, method: str, last: int | None = None,
           threads: int | None = None) -> Detection:
    """Run one method on every series (rows of `counts`; NaN = missing count).

    `last`: evaluate only the last `last` periods (the others get evaluated = False), e.g. the
    recent weeks a daily alarm run needs; results there are the same as for a full run.
    The Farrington methods fit chunks of (series, t) problems on `threads` threads (numpy
    releases the GIL in its array loops); results do not depend on the thread count.
    """
    first = first_evaluated(method=method, frequency=frequency)
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    if counts.size and np.nanmin(counts, initial=0.0) < 0:
        raise ValueError("counts must not be negative")
    n_series, n_periods = counts.shape
    if last is not None:
        if last < 0:
            raise ValueError("last must be >= 0")
        first = max(first, n_periods - last + 1)
    evaluated = np.zeros(counts.shape, dtype=bool)
    evaluated[:, first - 1:] = True
    if method in ears.FIRST:
        expected, threshold, alarm = ears.ears(counts, method=method)
        for arr in (expected, threshold, alarm):
            arr[~evaluated] = np.nan
        return Detection(expected, threshold, alarm, evaluated)
    expected = np.full(counts.shape, np.nan)
    threshold = np.full(counts.shape, np.nan)
    alarm = np.full(counts.shape, np.nan)
    module = farrington if method == "farrington" else flexible

    def run(block: tuple[np.ndarray, np.ndarray]) -> None:
        s, t = block
        e, u, a = module.evaluate(counts, s, t, frequency)
        expected[s, t], threshold[s, t], alarm[s, t] = e, u, a

    blocks = farrington.chunks(n_series, n_periods, first, module.CHUNK)
    workers = threads if threads is not None else _workers()
    if workers <= 1:
        for block in blocks:
            run(block)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(run, blocks):
                pass
    return Detection(expected, threshold, alarm, evaluated)
