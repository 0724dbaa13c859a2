"""Read-only bulk reads of finished encounters for claims (XML 130 export): a few queries per chunk.

Each bundle is plain data: the encounter's columns, its current entries by kind, its stored
charge lines, its admission and bed stays. No audit here: the claims export records its own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.emr.models import Admission, Bed, BedStay, ChargeLine, Encounter, Entry

FINISHED = ("closed", "signed")
CLAIM_KINDS = ("vitals", "note", "diagnosis", "order", "result", "prescription")
Row = dict[str, Any]


async def finished_encounter_ids(session: AsyncSession, *, facility_codes: list[str] | None,
                                 start: datetime, end: datetime) -> list[int]:
    """Closed or signed encounters that ended in [start, end), by id; all facilities if None."""
    stmt = select(Encounter.id).where(Encounter.status.in_(FINISHED),
                                      Encounter.closed_at >= start, Encounter.closed_at < end)
    if facility_codes is not None:
        stmt = stmt.where(Encounter.facility_code.in_(facility_codes))
    return list((await session.scalars(stmt.order_by(Encounter.id))).all())


def _rows(result: Any) -> list[Row]:
    return [dict(r._mapping) for r in result.all()]


async def encounter_bundles(session: AsyncSession, *, encounter_ids: list[int]) -> list[Row]:
    """Bundles for the encounters (in id order): five queries whatever the number of ids."""
    if not encounter_ids:
        return []
    enc_t = Encounter.__table__
    encounters = _rows(await session.execute(
        select(enc_t).where(enc_t.c.id.in_(encounter_ids)).order_by(enc_t.c.id)))
    bundles = {e["id"]: {"encounter": e, "entries": defaultdict(list), "lines": [],
                         "admission": None, "stays": []} for e in encounters}
    entry_t = Entry.__table__
    for row in _rows(await session.execute(
            select(entry_t.c.entry_id, entry_t.c.encounter_id, entry_t.c.kind, entry_t.c.code,
                   entry_t.c.data, entry_t.c.author, entry_t.c.recorded_at)
            .where(entry_t.c.encounter_id.in_(encounter_ids), entry_t.c.status == "current",
                   entry_t.c.kind.in_(CLAIM_KINDS)).order_by(entry_t.c.entry_id))):
        bundles[row["encounter_id"]]["entries"][row["kind"]].append(row)
    line_t = ChargeLine.__table__
    for row in _rows(await session.execute(
            select(line_t).where(line_t.c.encounter_id.in_(encounter_ids))
            .order_by(line_t.c.encounter_id, line_t.c.line_no))):
        bundles[row["encounter_id"]]["lines"].append(row)
    adm_t = Admission.__table__
    admissions = _rows(await session.execute(
        select(adm_t).where(adm_t.c.encounter_id.in_(encounter_ids))))
    by_admission = {}
    for adm in admissions:
        bundles[adm["encounter_id"]]["admission"] = adm
        by_admission[adm["id"]] = bundles[adm["encounter_id"]]
    if by_admission:
        stay_t, bed_t = BedStay.__table__, Bed.__table__
        for row in _rows(await session.execute(
                select(stay_t, bed_t.c.code.label("bed_code"))
                .join(bed_t, bed_t.c.id == stay_t.c.bed_id)
                .where(stay_t.c.admission_id.in_(list(by_admission)))
                .order_by(stay_t.c.started_at, stay_t.c.id))):
            by_admission[row["admission_id"]]["stays"].append(row)
    return [bundles[i] for i in sorted(bundles)]
