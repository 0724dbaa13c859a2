"""Counts per ward × syndrome × day or week from the Parquet extract (DuckDB), as a dense
matrix of consecutive periods with the empty ones filled with zeros: the detectors' input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from smarthealth.analytics.syndromes import SyndromeSet

FREQUENCIES = {52: "week", 365: "day"}


@dataclass
class SeriesCounts:
    """One row per (ward, syndrome) series, one column per period from `first_period` on."""

    frequency: int
    keys: list[tuple[int, str]]
    period_starts: list[date]
    counts: np.ndarray  # float64 (n_series, n_periods)

    def series_id(self, row: int) -> str:
        ward, syndrome = self.keys[row]
        return f"{ward}:{syndrome}"


def period_start(day: date, frequency: int) -> date:
    """The first day of the period holding a day: the Monday of its week, or the day itself."""
    if frequency == 52:
        return day - timedelta(days=day.weekday())
    if frequency == 365:
        return day
    raise ValueError(f"unsupported frequency {frequency} (52 or 365)")


def _step(frequency: int) -> timedelta:
    return timedelta(days=7 if frequency == 52 else 1)


def count_matrix(conn: Any, *, syndromes: SyndromeSet, frequency: int = 52,
                 start: date | None = None, end: date | None = None,
                 wards: list[int] | None = None, only_ward: int | None = None) -> SeriesCounts:
    """Visits with a main or secondary diagnosis in each syndrome, per residence ward and period
    (a visit counts once per syndrome); every ward seen in the data × every syndrome, or only
    `only_ward`."""
    unit = FREQUENCIES.get(frequency)
    if unit is None:
        raise ValueError(f"unsupported frequency {frequency} (52 or 365)")
    codes = pa.table(dict(zip(("syndrome", "icd3", "prefix"),
                              map(list, zip(*syndromes.code_rows(), strict=True)), strict=True)))
    conn.register("_syndrome_codes", codes)
    try:
        params: dict[str, Any] = {}
        window = ""
        if start is not None:
            window += " AND visit_date >= $start"
            params["start"] = start
        if end is not None:
            window += " AND visit_date <= $end"
            params["end"] = end
        bound_params = dict(params)
        if only_ward is not None:
            window += " AND ward_code = $ward"
            params["ward"] = only_ward
        found = conn.execute(f"""
            WITH dx AS (
                SELECT visit_key, ward_code, visit_date, icd3, main_icd AS code FROM visits
                WHERE main_icd IS NOT NULL AND ward_code IS NOT NULL {window}
                UNION ALL
                SELECT visit_key, ward_code, visit_date, icd3, icd10 FROM diagnoses
                WHERE icd10 IS NOT NULL AND ward_code IS NOT NULL {window})
            SELECT ward_code, c.syndrome, CAST(date_trunc('{unit}', visit_date) AS DATE) AS period,
                   count(DISTINCT visit_key) AS n
            FROM dx JOIN _syndrome_codes c ON dx.icd3 = c.icd3 AND starts_with(dx.code, c.prefix)
            GROUP BY ALL""", params).fetchnumpy()
        dates = window.replace(" AND ward_code = $ward", "")
        bounds = conn.execute(
            "SELECT min(visit_date), max(visit_date), list(DISTINCT ward_code ORDER BY ward_code) "
            f"FROM visits WHERE ward_code IS NOT NULL {dates}", bound_params).fetchone()
    finally:
        conn.unregister("_syndrome_codes")
    first_day, last_day, seen_wards = bounds
    first_day, last_day = start or first_day, end or last_day
    all_wards = sorted(set(wards if wards is not None else (seen_wards or [])))
    names = list(syndromes.syndromes)
    keys = [(w, s) for w in all_wards for s in names]
    if first_day is None or last_day is None or not keys:
        return SeriesCounts(frequency, keys, [], np.zeros((len(keys), 0)))
    first, step = period_start(first_day, frequency), _step(frequency)
    n_periods = (period_start(last_day, frequency) - first) // step + 1
    starts = [first + i * step for i in range(n_periods)]
    counts = np.zeros((len(keys), n_periods))
    _fill(counts, found, wards=np.array(all_wards), names=names, first=first,
          step_days=step.days)
    return SeriesCounts(frequency, keys, starts, counts)


def _fill(counts: np.ndarray, found: dict[str, Any], *, wards: np.ndarray, names: list[str],
          first: date, step_days: int) -> None:
    """Put the (ward, syndrome, period, n) rows into the matrix (rows ward-major)."""
    if len(found["n"]) == 0:
        return
    ward = np.asarray(found["ward_code"], dtype=np.int64)
    ward_index = np.searchsorted(wards, ward)
    known = (ward_index < len(wards)) & (wards[np.minimum(ward_index, len(wards) - 1)] == ward)
    position = {name: i for i, name in enumerate(names)}
    unique, inverse = np.unique(np.asarray(found["syndrome"], dtype=str), return_inverse=True)
    syndrome_index = np.array([position.get(str(u), -1) for u in unique])[inverse]
    days = (np.asarray(found["period"], dtype="datetime64[D]")
            - np.datetime64(first, "D")).astype(np.int64)
    period = days // step_days
    keep = known & (syndrome_index >= 0) & (period >= 0) & (period < counts.shape[1])
    rows = ward_index[keep] * len(names) + syndrome_index[keep]
    counts[rows, period[keep]] = np.asarray(found["n"], dtype=float)[keep]
