"""Fast bulk inserts of registry rows (synthetic Hanoi and imports): Core executemany, no ORM."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.registry.models import (
    ClinicRoom,
    Department,
    Facility,
    Practitioner,
    Service,
    StaffUser,
)

Row = dict[str, Any]


def _stamped(rows: list[Row], *, updated: bool = True) -> list[Row]:
    """The rows with one shared created_at (and updated_at), so defaults are not called per row."""
    now = utcnow()
    stamp = {"created_at": now, "updated_at": now} if updated else {"created_at": now}
    return [{**stamp, **row} for row in rows]


async def _insert_ids(session: AsyncSession, table: Table, rows: list[Row]) -> list[int]:
    """Insert the rows with ids allocated after the current maximum; returns them in order.

    One executemany on both databases (RETURNING would go row by row on SQLite); on
    PostgreSQL the table's id sequence is moved past the new ids. Run it while nothing else
    inserts into the table (seeding and imports run before the platform serves).
    """
    if not rows:
        return []
    first = int(await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1
    ids = list(range(first, first + len(rows)))
    await session.execute(insert(table), [{**row, "id": id_} for row, id_ in
                                          zip(_stamped(rows), ids, strict=True)])
    if session.bind.dialect.name == "postgresql":
        await session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                   "'id'), :last)"), {"last": ids[-1]})
    return ids


async def count_facilities(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Facility)) or 0)


async def add_facilities(session: AsyncSession, *, rows: list[Row]) -> dict[str, int]:
    """Insert facilities; returns facility code -> id."""
    ids = await _insert_ids(session, Facility.__table__, rows)
    return {row["code"]: id_ for row, id_ in zip(rows, ids, strict=True)}


async def add_departments(session: AsyncSession, *, rows: list[Row]) -> list[int]:
    """Insert departments; returns their ids in order."""
    return await _insert_ids(session, Department.__table__, rows)


async def add_rooms(session: AsyncSession, *, rows: list[Row]) -> list[int]:
    """Insert clinic rooms; returns their ids in order."""
    return await _insert_ids(session, ClinicRoom.__table__, rows)


async def add_services(session: AsyncSession, *, rows: list[Row]) -> None:
    if rows:
        await session.execute(insert(Service.__table__), _stamped(rows))


async def add_staff_users(session: AsyncSession, *, rows: list[Row]) -> dict[str, int]:
    """Insert staff accounts (password_hash already computed); returns username -> id."""
    ids = await _insert_ids(session, StaffUser.__table__, rows)
    return {row["username"]: id_ for row, id_ in zip(rows, ids, strict=True)}


async def add_practitioners(session: AsyncSession, *, rows: list[Row]) -> None:
    if rows:
        await session.execute(insert(Practitioner.__table__), _stamped(rows))
