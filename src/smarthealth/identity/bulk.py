"""Fast bulk insert of people into the patient index (synthetic Hanoi and imports)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.identity.models import Person
from smarthealth.identity.names import name_key

_TABLE = Person.__table__


async def add_persons(session: AsyncSession, *, rows: list[dict[str, Any]]) -> list[int]:
    """Insert people (name_key filled in from full_name); returns their ids in the rows' order."""
    if not rows:
        return []
    now = utcnow()
    prepared = [{"created_at": now, "updated_at": now, "name_key": name_key(row["full_name"]),
                 **row} for row in rows]
    stmt = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)
    result = await session.execute(stmt, prepared)
    return list(result.scalars())
