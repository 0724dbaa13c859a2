"""Load the R `surveillance` fixtures and compare a Detection with them (shared by the tests)."""

from __future__ import annotations

import csv
import gzip
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smarthealth.analytics.surveillance import detect
from smarthealth.analytics.surveillance.io import CountTable, read_counts

FIXTURES = Path(__file__).parent / "fixtures" / "surveillance"
CASES = [(m, f) for f in (52, 365, 12)
         for m in ("ears_c1", "ears_c2", "ears_c3", "farrington", "farrington_flexible")
         if not (f == 12 and m == "farrington_flexible")]
# weekly series with missing counts (R's algo.farrington stops on NA, so not the classic one)
MISSING_CASES = [(m, 52) for m in ("ears_c1", "ears_c2", "ears_c3", "farrington_flexible")]


@dataclass
class Comparison:
    points: int
    alarm_agree: int
    na_mismatch: list[tuple[str, int, str]]
    worst_rel: float
    worst_where: tuple[str, int] | None
    expected_worst_rel: float
    disagreements: list[tuple[str, int, str, str, str]]


def r_rows(method: str, frequency: int, suffix: str = "") -> list[dict[str, str]]:
    path = FIXTURES / f"r_{method}_{frequency}{suffix}.csv.gz"
    with io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _f(text: str) -> float:
    return math.nan if text == "" else float(text)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def compare(method: str, frequency: int, suffix: str = "") -> Comparison:
    table: CountTable = read_counts(FIXTURES / f"input_{frequency}{suffix}.csv.gz")
    det = detect(table.counts, frequency=frequency, method=method)
    index = {sid: i for i, sid in enumerate(table.series_ids)}
    points = agree = 0
    na_mismatch, dis = [], []
    worst, where, worst_e = 0.0, None, 0.0
    seen = np.zeros_like(det.evaluated)
    for row in r_rows(method, frequency, suffix):
        i, j = index[row["series_id"]], int(row["period_index"]) - 1
        seen[i, j] = True
        points += 1
        r_u, r_a, r_e = _f(row["threshold"]), _f(row["alarm"]), _f(row["expected"])
        u, a, e = det.threshold[i, j], det.alarm[i, j], det.expected[i, j]
        if not det.evaluated[i, j]:
            na_mismatch.append((row["series_id"], j + 1, "not evaluated"))
            continue
        if math.isnan(r_u) != math.isnan(u) or math.isnan(r_a) != math.isnan(a):
            na_mismatch.append((row["series_id"], j + 1, f"R {r_u}/{r_a} py {u}/{a}"))
        if (math.isnan(r_a) and math.isnan(a)) or r_a == a:
            agree += 1
        else:
            dis.append((row["series_id"], j + 1, f"R u={r_u} a={r_a}", f"py u={u} a={a}",
                        f"y={table.counts[i, j]}"))
        if not math.isnan(r_u) and not math.isnan(u) and r_a == a:
            rel = _rel(u, r_u)
            if rel > worst:
                worst, where = rel, (row["series_id"], j + 1)
        if not math.isnan(r_e) and not math.isnan(e):
            worst_e = max(worst_e, _rel(e, r_e))
    for i, n in enumerate(table.lengths):
        extra = np.flatnonzero(det.evaluated[i, :n] & ~seen[i, :n])
        na_mismatch += [(table.series_ids[i], int(j) + 1, "extra row") for j in extra]
    return Comparison(points, agree, na_mismatch, worst, where, worst_e, dis)
