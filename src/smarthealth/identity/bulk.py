"""Fast bulk insert of people into the patient index (synthetic Hanoi and imports).

Ids are allocated here (after the current maximum) so that one executemany inserts a whole
chunk on both databases; on PostgreSQL the id sequence is moved past them afterwards. Run it
while nothing else inserts people (seeding and imports run before the platform serves).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.emr.bulk import (
    dialect_of,
    executemany,
    insert_rows,
    insert_sql,
    move_sequence,
    sqlite_datetime,
)
from smarthealth.identity.claim_facts import number_kind
from smarthealth.identity.models import Person, PersonIdentifier
from smarthealth.identity.names import name_key

_TABLE = Person.__table__


async def add_persons(session: AsyncSession, *, rows: list[dict[str, Any]]) -> list[int]:
    """Insert people (name_key filled in from full_name); returns their ids in the rows' order."""
    if not rows:
        return []
    first = int(await session.scalar(select(func.coalesce(func.max(Person.id), 0)))) + 1
    now = utcnow()
    prepared = [{"id": first + n, "created_at": now, "updated_at": now,
                 "name_key": name_key(row["full_name"]), **row} for n, row in enumerate(rows)]
    await insert_rows(session, _TABLE, prepared)
    await move_sequence(session, _TABLE, first + len(rows) - 1)
    return list(range(first, first + len(rows)))


async def add_facility_numbers(session: AsyncSession, *, rows: Iterable[tuple[int, str, str]]
                               ) -> None:
    """Remember (person id, facility code, patient number) as identifiers `ma_bn.<facility>`;
    numbers already known are kept (as identity.claim_facts.add_facility_numbers, one driver
    executemany)."""
    now = utcnow()
    dialect = dialect_of(session)
    stamp = sqlite_datetime(now) if dialect == "sqlite" else now
    values = [(p, number_kind(f), n, stamp) for p, f, n in dict.fromkeys(rows)
              if n and len(n) <= 40]
    await executemany(session, insert_sql(
        PersonIdentifier.__table__, ("person_id", "kind", "value", "created_at"),  # type: ignore[arg-type]
        dialect, " ON CONFLICT (kind, value) DO NOTHING"), values)


async def person_rows(session: AsyncSession, *, after_id: int = 0, limit: int = 10_000
                      ) -> list[tuple[int, Any, str, int | None]]:
    """(id, birth_date, sex, ward_code) of surviving persons after an id, for synthetic history."""
    stmt = (select(Person.id, Person.birth_date, Person.sex, Person.ward_code)
            .where(Person.id > after_id, Person.merged_into_id.is_(None))
            .order_by(Person.id).limit(limit))
    return [tuple(row) for row in (await session.execute(stmt)).all()]
