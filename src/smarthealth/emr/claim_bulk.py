"""Bulk writes of finished encounters from claim files (XML 130 import) and synthetic claims.

One driver executemany per table (`emr.bulk.insert_rows`, or `insert_values` for rows
already made driver values, e.g. by the import's workers), ids allocated after the current
maxima (like `emr.bulk`): run it while nothing else inserts EMR rows, or inside one
transaction that may be retried.

Each row: `encounter` (Encounter columns except id), `entries` ({kind, code, data, recorded_at,
author}; a result's data may carry `order_ref`, the index of its order in `entries`),
`lines` (ChargeLine columns except id/encounter_id; `source` = index of the entry in
`entries` or None) and `admission` (Admission columns except ids, or None).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.emr.bulk import (
    _insert,
    _next_ids,
    dialect_of,
    executemany,
    insert_sql,
    move_sequence,
)
from smarthealth.emr.claim_facts import CLAIM_KINDS
from smarthealth.emr.models import Admission, ChargeLine, Encounter, Entry

Row = dict[str, Any]


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


ENCOUNTER_COLUMNS = ("id", "visit_id", "person_id", "facility_code", "department_code",
                     "practitioner_id", "doctor_user_id", "doctor_name", "kind", "status",
                     "started_at", "closed_at", "reason", "outcome", "follow_up_date",
                     "referral_facility_code", "referral_reason", "coverage", "main_icd",
                     "main_icd_title", "closed_by", "charge_summary", "created_at", "updated_at")
ENTRY_COLUMNS = ("id", "entry_id", "version", "kind", "person_id", "encounter_id",
                 "facility_code", "status", "code", "data", "author", "author_role",
                 "recorded_at", "reason")
LINE_COLUMNS = ("id", "encounter_id", "line_no", "kind", "code", "name", "unit", "quantity",
                "bhyt_unit_price", "hospital_unit_price", "in_bhyt_list", "amount", "bhyt_pays",
                "patient_pays", "source_entry_id")
ADMISSION_COLUMNS = ("id", "encounter_id", "person_id", "facility_code", "department_code",
                     "bed_id", "status", "admitted_at", "discharged_at", "outcome", "reason")
TABLES = {"encounter": (Encounter, ENCOUNTER_COLUMNS), "entry": (Entry, ENTRY_COLUMNS),
          "line": (ChargeLine, LINE_COLUMNS), "admission": (Admission, ADMISSION_COLUMNS)}


def written(row: Row, enc_id: int, first_entry_id: int) -> Row:
    """The rows of one claim_bulk row as written, ids from `enc_id` and `first_entry_id` on
    (pure): {encounter, entries, lines, admission}; lines keep their order."""
    enc = {**row["encounter"], "id": enc_id}
    person_id, facility = enc["person_id"], enc["facility_code"]
    ids = range(first_entry_id, first_entry_id + len(row["entries"]))
    entries = []
    for entry, id_ in zip(row["entries"], ids, strict=True):
        data = entry["data"]
        if "order_ref" in data:
            ref = data["order_ref"]
            data = {k: v for k, v in data.items() if k != "order_ref"}
            data["order_entry_id"] = ids[ref] if ref is not None else None
        entries.append({"id": id_, "entry_id": id_, "version": 1, "kind": entry["kind"],
                        "person_id": person_id, "encounter_id": enc_id,
                        "facility_code": facility, "status": "current",
                        "code": entry.get("code"), "data": data,
                        "author": entry.get("author") or "xml130",
                        "author_role": entry.get("author_role"),
                        "recorded_at": entry["recorded_at"], "reason": None})
    lines = []
    for line in row["lines"]:
        written_line = dict(line)
        source = written_line.pop("source", None)
        written_line["encounter_id"] = enc_id
        written_line["source_entry_id"] = ids[source] if source is not None else None
        lines.append(written_line)
    admission = None
    if row.get("admission"):
        admission = {**row["admission"], "encounter_id": enc_id, "person_id": person_id,
                     "facility_code": facility}
    return {"encounter": enc, "entries": entries, "lines": lines, "admission": admission}


async def next_id(session: AsyncSession, kind: str) -> int:
    """The first id after the current maximum of a TABLES kind (encounter, entry, line, ...)."""
    return (await _next_ids(session, _table(TABLES[kind][0]), 1))[0]


async def insert_values(session: AsyncSession, kind: str, values: list[tuple[Any, ...]]) -> None:
    """Rows of a TABLES kind as driver values in its column order (id first); ids allocated
    by the caller (next_id), the PostgreSQL sequence moved past them."""
    if not values:
        return
    model, columns = TABLES[kind]
    table = _table(model)
    await executemany(session, insert_sql(table, columns, dialect_of(session)), values)
    await move_sequence(session, table, max(v[0] for v in values))


async def add_finished_encounters(session: AsyncSession, *, rows: list[Row]) -> list[int]:
    """Insert the encounters with entries, charge lines and admissions; their ids in order."""
    enc_ids = await _next_ids(session, _table(Encounter), len(rows))
    next_entry = await next_id(session, "entry")
    for row, enc_id in zip(rows, enc_ids, strict=True):
        row["written"] = written(row, enc_id, next_entry)
        next_entry += len(row["entries"])
    await _insert(session, _table(Encounter), [r["written"]["encounter"] for r in rows])
    await _insert(session, _table(Entry), [e for r in rows for e in r["written"]["entries"]])
    lines = [line for r in rows for line in r["written"]["lines"]]
    line_ids = await _next_ids(session, _table(ChargeLine), len(lines))
    await _insert(session, _table(ChargeLine),
                  [{**line, "id": i} for line, i in zip(lines, line_ids, strict=True)])
    admissions = [r["written"]["admission"] for r in rows if r["written"]["admission"]]
    adm_ids = await _next_ids(session, _table(Admission), len(admissions))
    await _insert(session, _table(Admission),
                  [{**a, "id": i} for a, i in zip(admissions, adm_ids, strict=True)])
    return enc_ids


def as_bundle(row: Row) -> Row:
    """The written row in the shape of `claim_facts.encounter_bundles` (no read back)."""
    written = row["written"]
    entries: dict[str, list[Row]] = defaultdict(list)
    for entry in written["entries"]:
        if entry["kind"] in CLAIM_KINDS:
            entries[entry["kind"]].append(entry)
    return {"encounter": written["encounter"], "entries": entries,
            "lines": sorted(written["lines"], key=lambda line: line["line_no"]),
            "admission": written["admission"], "stays": []}
