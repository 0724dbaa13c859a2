"""Fast bulk insert of BHYT cards (synthetic Hanoi and imports)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.insurance.models import BhytCard


async def add_cards(session: AsyncSession, *, rows: list[dict[str, Any]]) -> None:
    """Insert cards whose codes were already built and checked by the caller."""
    if rows:
        now = utcnow()
        await session.execute(insert(BhytCard.__table__),
                              [{"created_at": now, "status": "active", **row} for row in rows])
