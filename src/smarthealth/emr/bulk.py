"""Fast writes of many past (closed) encounters for seeding: Core executemany, no audit.

Run it while nothing else writes EMR tables (seeding and imports run before the platform serves).
Each row: person_id, facility_code, started_at (aware datetime), optional closed_at, kind,
reason, outcome, doctor_name, and lists `diagnoses` ({code, title_vi, main}), `prescriptions`
({drug_code, name, strength, active_ingredient, ingredient_key, dose, frequency_per_day, days,
quantity, unit, price, bhyt_covered, instructions}), `vitals` (VitalsIn fields), `notes`
({section, text}) and person-level `allergies` / `conditions`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.catalogue.text import ingredient_key
from smarthealth.emr.models import Encounter, Entry

Row = dict[str, Any]
BATCH = 2000
ENTRY_LISTS = {"diagnoses": "diagnosis", "prescriptions": "prescription", "notes": "note",
               "allergies": "allergy", "conditions": "condition"}


async def _next_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    first = int(await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1
    return list(range(first, first + count))


async def _insert(session: AsyncSession, table: Table, rows: list[Row]) -> None:
    for start in range(0, len(rows), BATCH):
        await session.execute(insert(table), rows[start:start + BATCH])
    if rows and session.bind.dialect.name == "postgresql":
        await session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                   "'id'), :last)"), {"last": max(r["id"] for r in rows)})


def _encounter(row: Row, id_: int) -> Row:
    mains = [d for d in row.get("diagnoses", []) if d.get("main")]
    started = row["started_at"]
    closed = row.get("closed_at") or started + timedelta(minutes=15)
    return {"id": id_, "visit_id": None, "person_id": row["person_id"],
            "facility_code": row["facility_code"], "department_code": row.get("department_code"),
            "practitioner_id": None, "doctor_user_id": None,
            "doctor_name": row.get("doctor_name", ""), "kind": row.get("kind", "outpatient"),
            "status": row.get("status", "closed"), "started_at": started, "closed_at": closed,
            "reason": row.get("reason", ""), "outcome": row.get("outcome"),
            "follow_up_date": row.get("follow_up_date"), "referral_facility_code": None,
            "referral_reason": None, "coverage": row.get("coverage"),
            "main_icd": mains[0]["code"] if mains else None,
            "main_icd_title": mains[0].get("title_vi") if mains else None,
            "closed_by": row.get("doctor_name", ""), "charge_summary": None,
            "created_at": started, "updated_at": closed}


def _entries(row: Row, encounter_id: int) -> list[Row]:
    at = row["started_at"]
    out = []
    items = [("vitals", row["vitals"])] if row.get("vitals") else []
    for key, kind in ENTRY_LISTS.items():
        items += [(kind, item) for item in row.get(key, [])]
    for kind, data in items:
        if kind == "allergy" and "substance_key" not in data:
            data = {**data, "substance_key": ingredient_key(data["substance"])}
        code = data.get("code") if kind in ("diagnosis", "condition") else data.get("drug_code")
        out.append({"version": 1, "kind": kind, "person_id": row["person_id"],
                    "encounter_id": encounter_id, "facility_code": row["facility_code"],
                    "status": "current", "code": code, "data": data,
                    "author": row.get("doctor_name", "seed"), "author_role": "doctor",
                    "recorded_at": at, "reason": None})
    return out


async def add_past_encounters(session: AsyncSession, *, rows: list[Row]) -> list[int]:
    """Insert closed encounters with their entries; returns the encounter ids in row order."""
    enc_table: Table = Encounter.__table__  # type: ignore[assignment]
    entry_table: Table = Entry.__table__  # type: ignore[assignment]
    ids = await _next_ids(session, enc_table, len(rows))
    await _insert(session, enc_table, [_encounter(r, i) for r, i in zip(rows, ids, strict=True)])
    entry_rows = [e for r, i in zip(rows, ids, strict=True) for e in _entries(r, i)]
    entry_ids = await _next_ids(session, entry_table, len(entry_rows))
    for entry, id_ in zip(entry_rows, entry_ids, strict=True):
        entry["id"] = entry["entry_id"] = id_
    await _insert(session, entry_table, entry_rows)
    return ids
