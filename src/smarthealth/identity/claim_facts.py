"""Bulk reads of the patient index for claims (XML 130 export and import): persons by id and
the facilities' own patient numbers (XML 130 MA_BN, person identifiers of kind
`ma_bn.<facility code>`). The import's matching and writes are in identity.bulk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.identity.models import Person, PersonIdentifier
from smarthealth.identity.names import name_key

COLUMNS = ("id", "cccd", "full_name", "birth_date", "birth_date_precision", "sex", "phone",
           "address", "province_code", "ward_code", "merged_into_id")
CHUNK = 900


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


async def persons_by_ids(session: AsyncSession, *, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Person rows (as dicts) by id, merged persons resolved to the survivor."""
    table = Person.__table__
    wanted = sorted(set(ids))
    out: dict[int, dict[str, Any]] = {}
    for part in _chunks(wanted):
        for row in (await session.execute(select(*[table.c[c] for c in COLUMNS])
                                          .where(table.c.id.in_(part)))).all():
            out[row[0]] = dict(zip(COLUMNS, row, strict=True))
    merged = {i: p["merged_into_id"] for i, p in out.items() if p["merged_into_id"]}
    if merged:
        survivors = await persons_by_ids(session, ids=merged.values())
        out.update({i: survivors[s] for i, s in merged.items() if s in survivors})
    return out


def key_of_name(full_name: str) -> str:
    """The index's name key (lower case, no diacritics) of a name."""
    return name_key(full_name)


def number_kind(facility_code: str) -> str:
    return f"ma_bn.{facility_code}"


async def facility_numbers(session: AsyncSession, *, person_ids: Iterable[int]
                           ) -> dict[tuple[int, str], str]:
    """(person id, facility code) → that facility's patient number (the first recorded)."""
    out: dict[tuple[int, str], str] = {}
    for part in _chunks(sorted(set(person_ids))):
        rows = (await session.execute(
            select(PersonIdentifier.person_id, PersonIdentifier.kind, PersonIdentifier.value)
            .where(PersonIdentifier.person_id.in_(part), PersonIdentifier.kind.like("ma_bn.%"))
            .order_by(PersonIdentifier.id))).all()
        for person_id, kind, value in rows:
            out.setdefault((person_id, kind[6:]), value)
    return out
