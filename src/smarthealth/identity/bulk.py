"""Fast bulk insert of people into the patient index (synthetic Hanoi and imports).

Ids are allocated here (after the current maximum) so that one executemany inserts a whole
chunk on both databases; on PostgreSQL the id sequence is moved past them afterwards. Run it
while nothing else inserts people (seeding and imports run before the platform serves).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.identity.models import Person
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
    await session.execute(insert(_TABLE), prepared)
    if session.bind.dialect.name == "postgresql":
        await session.execute(text(
            "SELECT setval(pg_get_serial_sequence('persons', 'id'), :last)"),
            {"last": first + len(rows) - 1})
    return list(range(first, first + len(rows)))


async def person_rows(session: AsyncSession, *, after_id: int = 0, limit: int = 10_000
                      ) -> list[tuple[int, Any, str, int | None]]:
    """(id, birth_date, sex, ward_code) of surviving persons after an id, for synthetic history."""
    stmt = (select(Person.id, Person.birth_date, Person.sex, Person.ward_code)
            .where(Person.id > after_id, Person.merged_into_id.is_(None))
            .order_by(Person.id).limit(limit))
    return [tuple(row) for row in (await session.execute(stmt)).all()]
