"""Fast bulk insert of people into the patient index (synthetic Hanoi and imports).

Ids are allocated here (after the current maximum) so that one executemany inserts a whole
chunk on both databases; on PostgreSQL the id sequence is moved past them afterwards. Run it
while nothing else inserts people (seeding and imports run before the platform serves).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.emr.bulk import (
    dialect_of,
    executemany,
    fetch_in,
    insert_rows,
    insert_sql,
    move_sequence,
    sqlite_date,
    sqlite_datetime,
)
from smarthealth.identity.claim_facts import number_kind
from smarthealth.identity.models import Person, PersonIdentifier
from smarthealth.identity.names import name_key

_TABLE = Person.__table__


async def add_persons(session: AsyncSession, *, rows: list[dict[str, Any]]) -> list[int]:
    """Insert people (name_key from full_name unless given); their ids in the rows' order."""
    if not rows:
        return []
    first = int(await session.scalar(select(func.coalesce(func.max(Person.id), 0)))) + 1
    now = utcnow()
    prepared = [{"id": first + n, "created_at": now, "updated_at": now,
                 "name_key": row.get("name_key") or name_key(row["full_name"]), **row}
                for n, row in enumerate(rows)]
    await insert_rows(session, _TABLE, prepared)
    await move_sequence(session, _TABLE, first + len(rows) - 1)
    return list(range(first, first + len(rows)))


async def add_facility_numbers(session: AsyncSession, *, rows: Iterable[tuple[int, str, str]]
                               ) -> None:
    """Remember (person id, facility code, patient number) as identifiers `ma_bn.<facility>`;
    numbers already known are kept (one driver executemany)."""
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


# Lookups for the claims import (the same answers as identity.claim_facts, read with the
# driver: no SQLAlchemy statement building per value)


async def person_ids_by_cccd(session: AsyncSession, *, cccds: Iterable[str]) -> dict[str, int]:
    """CCCD → surviving person id, for the numbers that are in the index."""
    rows = await fetch_in(session, "SELECT cccd, id, merged_into_id FROM persons WHERE",
                          ("cccd",), sorted(set(cccds)))
    return {cccd: merged or id_ for cccd, id_, merged in rows}


async def person_ids_by_facility_number(session: AsyncSession, *,
                                        pairs: Iterable[tuple[str, str]]
                                        ) -> dict[tuple[str, str], int]:
    """(facility code, patient number) → person id, for the numbers on file."""
    wanted = sorted({(number_kind(f), n) for f, n in pairs if n})
    rows = await fetch_in(session, "SELECT kind, value, person_id FROM person_identifiers WHERE",
                          ("kind", "value"), wanted)
    return {(kind[6:], value): person_id for kind, value, person_id in rows}


async def person_ids_by_name_birth(session: AsyncSession, *, pairs: Iterable[tuple[str, date]]
                                   ) -> dict[tuple[str, date], int]:
    """(name key, birth date) → the one surviving person with exactly that name and birth date
    (pairs matching several persons are left out)."""
    wanted = sorted(set(pairs))
    sqlite = dialect_of(session) == "sqlite"
    rows = await fetch_in(
        session, "SELECT name_key, birth_date, id, merged_into_id FROM persons WHERE",
        ("name_key", "birth_date"), [(k, sqlite_date(b)) for k, b in wanted] if sqlite else wanted)
    seen: dict[tuple[str, date], set[int]] = {}
    for key, birth, id_, merged in rows:
        day = date.fromisoformat(birth) if isinstance(birth, str) else birth
        seen.setdefault((key, day), set()).add(merged or id_)
    return {pair: next(iter(ids)) for pair, ids in seen.items() if len(ids) == 1}
