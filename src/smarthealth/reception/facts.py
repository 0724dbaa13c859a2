"""Read-only bulk facts of reception for the analytics extract: visits with their first
queue ticket (issued, called), in pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.reception.models import Ticket, Visit

VISIT_COLUMNS = ("id", "facility_id", "person_id", "queue_date", "scan_received_at",
                 "checkin_ms", "coverage_decision", "insurance_verified", "scan_source",
                 "priority_group", "coverage")
IN_CHUNK = 5000  # ids per IN list (well under the 32,767 bind-parameter limit)


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    values = sorted(set(ids))
    return [values[i:i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


async def _with_tickets(session: AsyncSession, rows: list[dict[str, Any]]
                        ) -> list[dict[str, Any]]:
    """Add issued_at and called_at of each visit's first ticket."""
    first: dict[int, tuple] = {}
    for chunk in _chunks(r["id"] for r in rows):
        tickets = await session.execute(
            select(Ticket.visit_id, Ticket.issued_at, Ticket.called_at)
            .where(Ticket.visit_id.in_(chunk)).order_by(Ticket.id))
        for visit_id, issued, called in tickets:
            first.setdefault(visit_id, (issued, called))
    for row in rows:
        row["issued_at"], row["called_at"] = first.get(row["id"], (None, None))
    return rows


async def visit_day_span(session: AsyncSession) -> tuple[date, date] | None:
    """The first and last queue day of any visit, or None."""
    row = (await session.execute(select(func.min(Visit.queue_date),
                                        func.max(Visit.queue_date)))).one()
    return None if row[0] is None else (row[0], row[1])


async def visits_between(session: AsyncSession, *, first_day: date, last_day: date,
                         after_id: int = 0, limit: int = 20_000) -> list[dict[str, Any]]:
    """Visits of queue days first_day..last_day after an id, in id order, with ticket times."""
    cols = [getattr(Visit, c) for c in VISIT_COLUMNS]
    stmt = (select(*cols).where(Visit.queue_date >= first_day, Visit.queue_date <= last_day,
                                Visit.id > after_id).order_by(Visit.id).limit(limit))
    rows = [dict(zip(VISIT_COLUMNS, r, strict=True)) for r in (await session.execute(stmt))]
    return await _with_tickets(session, rows)


async def visits_by_id(session: AsyncSession, *, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Visits (with ticket times) by id."""
    cols = [getattr(Visit, c) for c in VISIT_COLUMNS]
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(ids):
        result = await session.execute(select(*cols).where(Visit.id.in_(chunk)))
        rows.extend(dict(zip(VISIT_COLUMNS, r, strict=True)) for r in result)
    return {r["id"]: r for r in await _with_tickets(session, rows)}


async def visit_days(session: AsyncSession, *, ids: Iterable[int]) -> dict[int, date]:
    """Queue day of each visit id."""
    found: dict[int, date] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(select(Visit.id, Visit.queue_date)
                                     .where(Visit.id.in_(chunk)))
        found.update({r[0]: r[1] for r in rows})
    return found


async def ticket_visits(session: AsyncSession, *, ticket_ids: Iterable[int]) -> dict[int, int]:
    """Visit id of each ticket id."""
    found: dict[int, int] = {}
    for chunk in _chunks(ticket_ids):
        rows = await session.execute(select(Ticket.id, Ticket.visit_id)
                                     .where(Ticket.id.in_(chunk)))
        found.update({r[0]: r[1] for r in rows})
    return found
