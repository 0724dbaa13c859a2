"""Fast bulk insert of BHYT cards (synthetic Hanoi and imports)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.emr.bulk import insert_rows
from smarthealth.insurance.models import BhytCard


async def add_cards(session: AsyncSession, *, rows: list[dict[str, Any]]) -> None:
    """Insert cards whose codes were already built and checked by the caller."""
    if rows:
        now = utcnow()
        await insert_rows(session, BhytCard.__table__,  # type: ignore[arg-type]
                          [{"created_at": now, "status": "active", **row} for row in rows])
