"""A small hand-built Parquet extract in the contract's layout (Hive `month=YYYY-MM` folders),
with numbers small enough to work out every dashboard figure by hand."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TS = pa.timestamp("us", tz="UTC")
VISITS = pa.schema([
    ("visit_key", pa.string()), ("facility_code", pa.string()), ("ward_code", pa.int32()),
    ("patient_key", pa.string()), ("sex", pa.string()), ("age_years", pa.int16()),
    ("age_group", pa.string()), ("started_at", TS), ("visit_date", pa.date32()),
    ("kind", pa.string()), ("insured", pa.bool_()), ("main_icd", pa.string()),
    ("icd3", pa.string()), ("admitted", pa.bool_()), ("discharged_at", TS),
    ("checkin_ms", pa.int32()), ("wait_minutes", pa.float64()),
])
DIAGNOSES = pa.schema([
    ("visit_key", pa.string()), ("visit_date", pa.date32()), ("facility_code", pa.string()),
    ("ward_code", pa.int32()), ("sex", pa.string()), ("age_group", pa.string()),
    ("icd10", pa.string()), ("icd3", pa.string()), ("main", pa.bool_()),
])
POPULATION = pa.schema([
    ("ward_code", pa.int32()), ("sex", pa.string()), ("age_group", pa.string()),
    ("persons", pa.int64()), ("insured_persons", pa.int64()),
])
BEDS = pa.schema([
    ("facility_code", pa.string()), ("department_code", pa.string()), ("beds", pa.int32()),
])
AGES = {"0-4": 3, "5-14": 9, "15-24": 20, "25-49": 35, "50-64": 55, "65+": 70}


def _utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Hanoi wall-clock time as a UTC instant (UTC+7, no daylight saving)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


# key, facility, ward, sex, age group, day, insured, main ICD, admitted, discharged (Hanoi time),
# check-in ms, wait minutes, secondary diagnoses
SMALL_VISITS: list[tuple[Any, ...]] = [
    ("v1", "01001", 4, "male", "25-49", date(2026, 3, 1), True, "A90.0", True,
     _utc(2026, 3, 3, 10), 2000, 10.0, []),
    ("v2", "01001", 4, "female", "0-4", date(2026, 3, 1), False, "B08.4", False, None,
     4000, 20.0, []),
    ("v3", "01001", 70, "female", "25-49", date(2026, 3, 2), True, "A90", True,
     _utc(2026, 3, 3, 0, 30), 8000, 40.0, []),
    ("v4", "01002", 70, "male", "65+", date(2026, 3, 2), True, "J11", False, None,
     None, 5.0, ["A09"]),
    ("v5", "01002", None, "male", "65+", date(2026, 4, 1), True, "I10", True, None,
     3000, None, ["J10.1"]),
    ("v6", "01001", 4, "male", "0-4", date(2026, 4, 1), True, "A90.1", False, None,
     6000, 30.0, []),
]
SMALL_POPULATION = [(4, "male", "0-4", 100, 90), (4, "female", "0-4", 100, 95),
                    (70, "male", "65+", 50, 50)]
SMALL_BEDS = [("01001", "KHN", 10), ("01001", "NOI", 20), ("01002", "NOI", 5)]


def visit_row(key: str, facility: str, ward: int | None, sex: str, age_group: str, day: date,
              insured: bool = True, main_icd: str | None = None, admitted: bool = False,
              discharged_at: datetime | None = None, checkin_ms: int | None = None,
              wait_minutes: float | None = None) -> dict[str, Any]:
    """One visits row with every contract column."""
    return {
        "visit_key": key, "facility_code": facility, "ward_code": ward,
        "patient_key": f"{abs(hash(key)) % 16**16:016x}", "sex": sex,
        "age_years": AGES[age_group], "age_group": age_group,
        "started_at": datetime(day.year, day.month, day.day, 2, tzinfo=UTC),
        "visit_date": day, "kind": "inpatient" if admitted else "outpatient",
        "insured": insured, "main_icd": main_icd, "icd3": main_icd[:3] if main_icd else None,
        "admitted": admitted, "discharged_at": discharged_at, "checkin_ms": checkin_ms,
        "wait_minutes": wait_minutes,
    }


def write_monthly(root: Path, table: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    """Rows into <root>/<table>/month=YYYY-MM/part-0.parquet."""
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_month[row["visit_date"].strftime("%Y-%m")].append(row)
    for month, items in by_month.items():
        folder = root / table / f"month={month}"
        folder.mkdir(parents=True, exist_ok=True)
        part = len(list(folder.glob("*.parquet")))
        pq.write_table(pa.Table.from_pylist(items, schema=schema),
                       folder / f"part-{part}.parquet", compression="zstd")


def write_snapshot(root: Path, table: str, schema: pa.Schema, rows: list[tuple]) -> None:
    folder = root / table
    folder.mkdir(parents=True, exist_ok=True)
    names = schema.names
    pq.write_table(pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows],
                                        schema=schema), folder / "part-0.parquet")


def diagnosis_rows(visit: dict[str, Any], secondary: list[str]) -> list[dict[str, Any]]:
    codes = ([(visit["main_icd"], True)] if visit["main_icd"] else []) + \
        [(code, False) for code in secondary]
    return [{"visit_key": visit["visit_key"], "visit_date": visit["visit_date"],
             "facility_code": visit["facility_code"], "ward_code": visit["ward_code"],
             "sex": visit["sex"], "age_group": visit["age_group"], "icd10": code,
             "icd3": code[:3], "main": main} for code, main in codes]


def write_visits(root: Path, visits: list[dict[str, Any]],
                 secondary: dict[str, list[str]] | None = None) -> None:
    """Visits and their diagnoses (main + secondary) as Parquet under root."""
    secondary = secondary or {}
    write_monthly(root, "visits", VISITS, visits)
    write_monthly(root, "diagnoses", DIAGNOSES,
                  [d for v in visits for d in diagnosis_rows(v, secondary.get(v["visit_key"], []))])


def build_small(root: Path) -> Path:
    """The six-visit extract the query tests work out by hand."""
    visits = [visit_row(*row[:12]) for row in SMALL_VISITS]
    write_visits(root, visits, {row[0]: row[12] for row in SMALL_VISITS})
    write_snapshot(root, "population", POPULATION, SMALL_POPULATION)
    write_snapshot(root, "beds", BEDS, SMALL_BEDS)
    return root


BASELINE = (2, 3, 2, 4, 3, 2, 3, 1, 2, 3)  # dengue cases a week, repeated


def build_outbreak_history(root: Path, *, weeks: int = 20, outbreak_ward: int = 70,
                           quiet_ward: int = 4, outbreak_cases: int = 25,
                           last_monday: date = date(2026, 11, 16)) -> Path:
    """Weekly dengue (A90) in two wards with a steady baseline, and an outbreak of
    `outbreak_cases` in the last week in `outbreak_ward`; plus one hypertension visit a week."""
    first = last_monday - timedelta(weeks=weeks - 1)
    visits = []
    for week in range(weeks):
        monday = first + timedelta(weeks=week)
        for ward in (quiet_ward, outbreak_ward):
            cases = BASELINE[week % len(BASELINE)]
            if ward == outbreak_ward and week == weeks - 1:
                cases = outbreak_cases
            for n in range(cases):
                day = monday + timedelta(days=n % 6)
                visits.append(visit_row(f"d{ward}-{week}-{n}", "01001", ward,
                                        "male" if n % 2 else "female", "25-49", day,
                                        main_icd="A90", checkin_ms=3000, wait_minutes=12.0))
        visits.append(visit_row(f"h{week}", "01002", quiet_ward, "female", "65+", monday,
                                main_icd="I10"))
    write_visits(root, visits)
    write_snapshot(root, "population", POPULATION, SMALL_POPULATION)
    write_snapshot(root, "beds", BEDS, SMALL_BEDS)
    return root
