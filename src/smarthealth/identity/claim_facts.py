"""Bulk reads of the patient index for claims (XML 130 export and import matching), and the
one bulk write claims needs: the facility's own patient number (XML 130 MA_BN) of a person,
kept as a person identifier of kind `ma_bn.<facility code>`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
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


async def person_ids_by_cccd(session: AsyncSession, *, cccds: Iterable[str]) -> dict[str, int]:
    """CCCD → surviving person id, for the numbers that are in the index."""
    out: dict[str, int] = {}
    for part in _chunks(sorted(set(cccds))):
        for cccd, id_, merged in (await session.execute(
                select(Person.cccd, Person.id, Person.merged_into_id)
                .where(Person.cccd.in_(part)))).all():
            out[cccd] = merged or id_
    return out


async def person_ids_by_name_birth(session: AsyncSession, *, pairs: Iterable[tuple[str, date]]
                                   ) -> dict[tuple[str, date], int]:
    """(name key, birth date) → the one surviving person with exactly that name and birth date.

    Pairs matching several persons are left out (ambiguous: the caller creates a new person).
    """
    out: dict[tuple[str, date], int] = {}
    seen: dict[tuple[str, date], set[int]] = {}
    for part in _chunks(sorted(set(pairs))):
        for key, birth, id_, merged in (await session.execute(
                select(Person.name_key, Person.birth_date, Person.id, Person.merged_into_id)
                .where(tuple_(Person.name_key, Person.birth_date).in_(part)))).all():
            seen.setdefault((key, birth), set()).add(merged or id_)
    for pair, ids in seen.items():
        if len(ids) == 1:
            out[pair] = next(iter(ids))
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


async def person_ids_by_facility_number(session: AsyncSession, *,
                                        pairs: Iterable[tuple[str, str]]
                                        ) -> dict[tuple[str, str], int]:
    """(facility code, patient number) → person id, for the numbers on file."""
    wanted = sorted({(number_kind(f), n) for f, n in pairs if n})
    out: dict[tuple[str, str], int] = {}
    for part in _chunks(wanted):
        for kind, value, person_id in (await session.execute(
                select(PersonIdentifier.kind, PersonIdentifier.value, PersonIdentifier.person_id)
                .where(tuple_(PersonIdentifier.kind, PersonIdentifier.value).in_(part)))).all():
            out[(kind[6:], value)] = person_id
    return out


async def add_facility_numbers(session: AsyncSession, *, rows: Iterable[tuple[int, str, str]]
                               ) -> None:
    """Remember (person id, facility code, patient number); numbers already known are kept."""
    values = [{"person_id": p, "kind": number_kind(f), "value": n}
              for p, f, n in dict.fromkeys(rows) if n and len(n) <= 40]
    if not values:
        return
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    await session.execute(insert(PersonIdentifier).on_conflict_do_nothing(
        index_elements=["kind", "value"]), [{**v, "created_at": now} for v in values])
