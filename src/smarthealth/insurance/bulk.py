"""Fast bulk insert of BHYT cards (synthetic Hanoi and imports)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.emr.bulk import fetch_in, insert_rows
from smarthealth.insurance import card as card_rules
from smarthealth.insurance.models import BhytCard


async def add_cards(session: AsyncSession, *, rows: list[dict[str, Any]]) -> None:
    """Insert cards whose codes were already built and checked by the caller."""
    if rows:
        now = utcnow()
        await insert_rows(session, BhytCard.__table__,  # type: ignore[arg-type]
                          [{"created_at": now, "status": "active", **row} for row in rows])


async def person_ids_by_card(session: AsyncSession, *, codes: Iterable[str]) -> dict[str, int]:
    """Card code → holder's person id, for the codes on file (read with the
    driver)."""
    wanted = sorted({card_rules.normalise(c)[:15] for c in codes if c})
    rows = await fetch_in(session, "SELECT code, person_id FROM bhyt_cards WHERE", ("code",),
                          wanted)
    return dict(rows)  # type: ignore[arg-type]
