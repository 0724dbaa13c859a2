"""Read-only bulk reads of BHYT cards for claims (XML 130 export and import)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.insurance import card as card_rules
from smarthealth.insurance.models import BhytCard

COLUMNS = ("person_id", "code", "group_code", "benefit_level", "registered_facility_code",
           "valid_from", "valid_to", "five_years_date", "area_code", "status")
CHUNK = 900


async def cards_of_persons(session: AsyncSession, *, person_ids: Iterable[int]
                           ) -> dict[int, list[dict[str, Any]]]:
    """Each person's cards, newest validity first."""
    table = BhytCard.__table__
    wanted = sorted(set(person_ids))
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(wanted), CHUNK):
        rows = (await session.execute(
            select(*[table.c[c] for c in COLUMNS]).where(
                table.c.person_id.in_(wanted[start:start + CHUNK]))
            .order_by(table.c.valid_from.desc(), table.c.id.desc()))).all()
        for row in rows:
            out[row[0]].append(dict(zip(COLUMNS, row, strict=True)))
    return out


def card_on(cards: list[dict[str, Any]], day: date) -> dict[str, Any] | None:
    """The card in force on a day, else the most recent (as insurance.card_for_person)."""
    current = [c for c in cards if c["valid_from"] <= day <= c["valid_to"]
               and c["status"] == "active"]
    return (current or cards or [None])[0]


def card_row(code: str, *, person_id: int, registered_facility_code: str, valid_from: date,
             valid_to: date, area_code: str | None, five_years_date: date | None
             ) -> dict[str, Any] | None:
    """A bhyt_cards row for insurance.bulk.add_cards from a card code; None if it does not parse."""
    try:
        card = card_rules.parse_card_code(code)
    except card_rules.InvalidCardCode:
        return None
    return {"person_id": person_id, "code": card.code, "group_code": card.group_code,
            "benefit_level": card.benefit_level, "province_code": card.province_code,
            "social_insurance_number": card.social_insurance_number,
            "registered_facility_code": registered_facility_code[:5], "valid_from": valid_from,
            "valid_to": valid_to, "five_years_date": five_years_date,
            "area_code": area_code or None}
