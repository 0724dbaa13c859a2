"""Read-only bulk facts of BHYT cards and eligibility checks for the analytics extract."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.insurance.models import BhytCard, EligibilityCheck

IN_CHUNK = 5000  # ids per IN list (well under the 32,767 bind-parameter limit)
CHECK_COLUMNS = ("id", "facility_code", "checked_at", "check_date", "decision", "result_code",
                 "source")


async def card_periods(session: AsyncSession, *, person_ids: Iterable[int]
                       ) -> dict[int, list[tuple[date, date]]]:
    """(valid from, valid to) of each person's cards that are not withdrawn."""
    values = sorted(set(person_ids))
    found: dict[int, list[tuple[date, date]]] = {}
    for i in range(0, len(values), IN_CHUNK):
        rows = await session.execute(
            select(BhytCard.person_id, BhytCard.valid_from, BhytCard.valid_to)
            .where(BhytCard.person_id.in_(values[i:i + IN_CHUNK]),
                   BhytCard.status != "withdrawn"))
        for person_id, start, end in rows:
            found.setdefault(person_id, []).append((start, end))
    return found


async def check_day_span(session: AsyncSession) -> tuple[date, date] | None:
    """First and last day of any eligibility check, or None."""
    row = (await session.execute(select(func.min(EligibilityCheck.check_date),
                                        func.max(EligibilityCheck.check_date)))).one()
    return None if row[0] is None else (row[0], row[1])


async def checks_between(session: AsyncSession, *, first_day: date, last_day: date,
                         after_id: int = 0, limit: int = 20_000) -> list[dict[str, Any]]:
    """Eligibility checks (no card or person fields) of days first_day..last_day after an id."""
    cols = [getattr(EligibilityCheck, c) for c in CHECK_COLUMNS]
    stmt = (select(*cols).where(EligibilityCheck.check_date >= first_day,
                                EligibilityCheck.check_date <= last_day,
                                EligibilityCheck.id > after_id)
            .order_by(EligibilityCheck.id).limit(limit))
    return [dict(zip(CHECK_COLUMNS, r, strict=True)) for r in (await session.execute(stmt))]
