"""Arrow schemas of the Parquet extract (documented column by column in SCHEMA.md).

Monthly tables live under `<root>/<table>/month=YYYY-MM/part-N.parquet` (the `month` column
comes from the folder name, Hive style, and is not stored in the files); snapshot tables under
`<root>/<table>/part-0.parquet`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
AGE_GROUPS = ("0-4", "5-14", "15-24", "25-49", "50-64", "65+")
AGE_EDGES = np.array([5, 15, 25, 50, 65])  # lower bound of groups 2..6

VISITS = pa.schema([
    ("visit_key", pa.string()), ("facility_code", pa.string()), ("ward_code", pa.int32()),
    ("patient_key", pa.string()), ("sex", pa.string()), ("age_years", pa.int16()),
    ("age_group", pa.string()), ("started_at", TS), ("visit_date", pa.date32()),
    ("kind", pa.string()), ("insured", pa.bool_()), ("main_icd", pa.string()),
    ("icd3", pa.string()), ("admitted", pa.bool_()), ("discharged_at", TS),
    ("checkin_ms", pa.int32()), ("wait_minutes", pa.float64()),
    ("department_code", pa.string()), ("status", pa.string()), ("closed_at", TS),
    ("coverage_decision", pa.string()),
])
DIAGNOSES = pa.schema([
    ("visit_key", pa.string()), ("visit_date", pa.date32()), ("facility_code", pa.string()),
    ("ward_code", pa.int32()), ("sex", pa.string()), ("age_group", pa.string()),
    ("icd10", pa.string()), ("icd3", pa.string()), ("main", pa.bool_()),
])
PRESCRIPTIONS = pa.schema([
    ("visit_key", pa.string()), ("visit_date", pa.date32()), ("facility_code", pa.string()),
    ("drug_code", pa.string()), ("active_ingredient", pa.string()),
    ("quantity", pa.float64()), ("days", pa.int16()),
])
CHECKINS = pa.schema([
    ("checkin_key", pa.string()), ("visit_key", pa.string()), ("facility_code", pa.string()),
    ("ward_code", pa.int32()), ("patient_key", pa.string()), ("sex", pa.string()),
    ("age_group", pa.string()), ("checked_in_at", TS), ("visit_date", pa.date32()),
    ("scan_source", pa.string()), ("priority_group", pa.string()),
    ("coverage_decision", pa.string()), ("insured", pa.bool_()), ("checkin_ms", pa.int32()),
    ("called_at", TS), ("wait_minutes", pa.float64()),
])
ADMISSIONS = pa.schema([
    ("admission_key", pa.string()), ("visit_key", pa.string()), ("facility_code", pa.string()),
    ("department_code", pa.string()), ("ward_code", pa.int32()), ("sex", pa.string()),
    ("age_group", pa.string()), ("admitted_at", TS), ("admitted_date", pa.date32()),
    ("discharged_at", TS), ("status", pa.string()), ("outcome", pa.string()),
])
COVERAGE = pa.schema([
    ("facility_code", pa.string()), ("checked_at", TS), ("check_date", pa.date32()),
    ("decision", pa.string()), ("result_code", pa.string()), ("source", pa.string()),
])
POPULATION = pa.schema([
    ("ward_code", pa.int32()), ("sex", pa.string()), ("age_group", pa.string()),
    ("persons", pa.int64()), ("insured_persons", pa.int64()),
])
BEDS = pa.schema([
    ("facility_code", pa.string()), ("department_code", pa.string()), ("beds", pa.int32()),
])

MONTHLY: dict[str, pa.Schema] = {
    "visits": VISITS, "diagnoses": DIAGNOSES, "prescriptions": PRESCRIPTIONS,
    "checkins": CHECKINS, "admissions": ADMISSIONS, "coverage": COVERAGE,
}
SNAPSHOTS: dict[str, pa.Schema] = {"population": POPULATION, "beds": BEDS}
TABLES: dict[str, pa.Schema] = {**MONTHLY, **SNAPSHOTS}


def age_group(age: int | None) -> str | None:
    """The dashboard's age group of an age in full years."""
    if age is None:
        return None
    return AGE_GROUPS[int(np.searchsorted(AGE_EDGES, age, side="right"))]


def age_group_index(ages: np.ndarray) -> np.ndarray:
    """Index into AGE_GROUPS for an array of ages (vectorised)."""
    return np.searchsorted(AGE_EDGES, ages, side="right")
