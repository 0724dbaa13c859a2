"""Read-only registry facts for the analytics extract."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.registry.models import Facility


async def facility_codes(session: AsyncSession) -> dict[int, str]:
    """Facility code of every facility id."""
    rows = await session.execute(select(Facility.id, Facility.code))
    return {r[0]: r[1] for r in rows}
