"""Names for ids and codes shown beside registry rows (one query per column, per page)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.registry.models import ClinicRoom, Department, Facility


async def facility_names(session: AsyncSession, *, codes: Iterable[str | None]
                         ) -> dict[str, str]:
    wanted = sorted({c for c in codes if c is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(Facility.code, Facility.name)
                                 .where(Facility.code.in_(wanted)))
    return {key: name for key, name in rows.all()}


async def department_names(session: AsyncSession, *, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(Department.id, Department.name)
                                 .where(Department.id.in_(wanted)))
    return {key: name for key, name in rows.all()}


async def room_names(session: AsyncSession, *, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(select(ClinicRoom.id, ClinicRoom.name)
                                 .where(ClinicRoom.id.in_(wanted)))
    return {key: name for key, name in rows.all()}
