"""CSV in and out: `series_id,period_index,date,count` -> detection -> alarms CSV."""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from smarthealth.analytics.surveillance import Detection

INPUT_COLUMNS = ("series_id", "period_index", "date", "count")
OUTPUT_COLUMNS = ("series_id", "period_index", "method", "expected", "threshold", "alarm")


class InputError(ValueError):
    """The counts file is not usable; the message says where and why."""


@dataclass
class CountTable:
    """Series ids (in order of first appearance) and their counts, NaN = missing."""

    series_ids: list[str]
    counts: np.ndarray  # (n_series, n_periods); a shorter series is NaN-padded on the right
    lengths: np.ndarray  # periods per series


def _open_text(path: str | Path) -> TextIO:
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def read_counts(path: str | Path) -> CountTable:
    """Read and validate the input; an empty count cell is a missing value (NaN)."""
    with _open_text(path) as handle:
        return parse_counts(handle)


def parse_counts(handle: Iterable[str]) -> CountTable:
    """Parse and validate rows: consecutive periods from 1 per series, counts >= 0 or empty."""
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        raise InputError("the input is empty (expected a header series_id,period_index,date,count)")
    header = [h.strip() for h in header]
    missing = [c for c in INPUT_COLUMNS if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; "
                         f"expected {','.join(INPUT_COLUMNS)}")
    col = {c: header.index(c) for c in INPUT_COLUMNS}
    series: dict[str, list[float]] = {}
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise InputError(f"line {line}: {len(row)} fields, expected {len(header)}")
        sid = row[col["series_id"]].strip()
        if not sid:
            raise InputError(f"line {line}: empty series_id")
        try:
            period = int(row[col["period_index"]])
        except ValueError:
            raise InputError(f"line {line}: period_index {row[col['period_index']]!r} "
                             "is not an integer") from None
        text = row[col["count"]].strip()
        if text in ("", "NA"):
            value = math.nan
        else:
            try:
                value = float(text)
            except ValueError:
                raise InputError(f"line {line}: count {text!r} is not a number") from None
            if not math.isfinite(value) or value < 0:
                raise InputError(f"line {line}: count {text!r} must be a number >= 0")
        values = series.setdefault(sid, [])
        if period != len(values) + 1:
            expected = len(values) + 1
            what = "a gap in" if period > expected else "a repeated or unordered"
            raise InputError(f"line {line}: series {sid!r} has {what} period_index: got {period}, "
                             f"expected {expected} (periods must be consecutive from 1)")
        values.append(value)
    ids = list(series)
    lengths = np.array([len(series[s]) for s in ids], dtype=int)
    counts = np.full((len(ids), int(lengths.max(initial=0))), np.nan)
    for i, sid in enumerate(ids):
        counts[i, : lengths[i]] = series[sid]
    return CountTable(ids, counts, lengths)


def _num(value: float) -> str:
    if math.isnan(value):
        return ""
    return repr(float(value)) if value != int(value) or abs(value) >= 1e15 else str(int(value))


def write_alarms(handle: TextIO, table: CountTable, detection: Detection, *, method: str) -> int:
    """Write one row per evaluated period (empty cells for NA); returns the number of rows."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    rows = 0
    for i, sid in enumerate(table.series_ids):
        n = table.lengths[i]
        for j in np.flatnonzero(detection.evaluated[i, :n]):
            alarm = detection.alarm[i, j]
            writer.writerow((sid, j + 1, method, _num(detection.expected[i, j]),
                             _num(detection.threshold[i, j]),
                             "" if math.isnan(alarm) else int(alarm)))
            rows += 1
    return rows
