"""Read-only bulk facts of the EMR for the analytics extract: plain rows, no audit (no
identifiers leave through here; the extract pseudonymises the person id)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.emr.models import Admission, Bed, Encounter, Entry

ENCOUNTER_COLUMNS = ("id", "visit_id", "person_id", "facility_code", "department_code", "kind",
                     "status", "started_at", "closed_at", "coverage", "main_icd")
ADMISSION_COLUMNS = ("id", "encounter_id", "facility_code", "department_code", "admitted_at",
                     "discharged_at", "status", "outcome")
IN_CHUNK = 5000  # ids per IN list (well under the 32,767 bind-parameter limit)


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    values = sorted(set(ids))
    return [values[i:i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


async def encounter_span(session: AsyncSession) -> tuple[datetime, datetime] | None:
    """The first and last encounter start, or None when there is none."""
    row = (await session.execute(select(func.min(Encounter.started_at),
                                        func.max(Encounter.started_at)))).one()
    return None if row[0] is None else (row[0], row[1])


async def encounters_between(session: AsyncSession, *, start: datetime, end: datetime,
                             after_id: int = 0, limit: int = 20_000) -> list[dict[str, Any]]:
    """Encounters started in [start, end) after an id, in id order (keyset pages)."""
    cols = [getattr(Encounter, c) for c in ENCOUNTER_COLUMNS]
    stmt = (select(*cols).where(Encounter.started_at >= start, Encounter.started_at < end,
                                Encounter.id > after_id)
            .order_by(Encounter.id).limit(limit))
    return [dict(zip(ENCOUNTER_COLUMNS, row, strict=True))
            for row in (await session.execute(stmt)).all()]


async def encounter_starts(session: AsyncSession, *, ids: Iterable[int]) -> dict[int, datetime]:
    """Start time of each encounter id that exists."""
    found: dict[int, datetime] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(select(Encounter.id, Encounter.started_at)
                                     .where(Encounter.id.in_(chunk)))
        found.update({r[0]: r[1] for r in rows})
    return found


async def encounters_of_visits(session: AsyncSession, *, visit_ids: Iterable[int]
                               ) -> dict[int, tuple[int, datetime]]:
    """(encounter id, start) of the encounter opened from each reception visit, if any."""
    found: dict[int, tuple[int, datetime]] = {}
    for chunk in _chunks(visit_ids):
        rows = await session.execute(select(Encounter.visit_id, Encounter.id,
                                            Encounter.started_at)
                                     .where(Encounter.visit_id.in_(chunk)))
        found.update({r[0]: (r[1], r[2]) for r in rows})
    return found


async def current_entries(session: AsyncSession, *, encounter_ids: Iterable[int],
                          kinds: tuple[str, ...] = ("diagnosis", "prescription")
                          ) -> list[tuple[int, str, str | None, dict[str, Any]]]:
    """(encounter id, kind, code, data) of the current entries of the encounters."""
    out: list[tuple[int, str, str | None, dict[str, Any]]] = []
    for chunk in _chunks(encounter_ids):
        rows = await session.execute(
            select(Entry.encounter_id, Entry.kind, Entry.code, Entry.data)
            .where(Entry.encounter_id.in_(chunk), Entry.kind.in_(kinds),
                   Entry.status == "current").order_by(Entry.encounter_id, Entry.entry_id))
        out.extend(tuple(r) for r in rows)
    return out


async def admissions_of(session: AsyncSession, *, encounter_ids: Iterable[int]
                        ) -> dict[int, dict[str, Any]]:
    """The admission of each encounter that led to one, by encounter id."""
    cols = [getattr(Admission, c) for c in ADMISSION_COLUMNS]
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(encounter_ids):
        rows = await session.execute(select(*cols).where(Admission.encounter_id.in_(chunk)))
        for row in rows:
            item = dict(zip(ADMISSION_COLUMNS, row, strict=True))
            found[item["encounter_id"]] = item
    return found


async def beds_per_department(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(facility code, department code, active beds)."""
    rows = await session.execute(
        select(Bed.facility_code, Bed.department_code, func.count())
        .where(Bed.active.is_(True)).group_by(Bed.facility_code, Bed.department_code)
        .order_by(Bed.facility_code, Bed.department_code))
    return [(r[0], r[1], int(r[2])) for r in rows]
