"""Read-only bulk facts of the patient index for the analytics extract (birth date, sex and
ward only; the extract turns them into an age, an age group and a pseudonymous key)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.identity.models import Person

IN_CHUNK = 5000  # ids per IN list (well under the 32,767 bind-parameter limit)


async def person_facts(session: AsyncSession, *, ids: Iterable[int]
                       ) -> dict[int, tuple[date, str, int | None, int | None]]:
    """(birth date, sex, ward code, merged into id) of each person id."""
    values = sorted(set(ids))
    found: dict[int, tuple[date, str, int | None, int | None]] = {}
    for i in range(0, len(values), IN_CHUNK):
        rows = await session.execute(
            select(Person.id, Person.birth_date, Person.sex, Person.ward_code,
                   Person.merged_into_id).where(Person.id.in_(values[i:i + IN_CHUNK])))
        found.update({r[0]: (r[1], r[2], r[3], r[4]) for r in rows})
    return found
