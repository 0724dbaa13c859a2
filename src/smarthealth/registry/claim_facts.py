"""Read-only bulk reads of the registry for claims (XML 130 export and import)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.registry.models import Facility, Practitioner


async def facilities_by_code(session: AsyncSession, *, codes: Iterable[str] | None = None
                             ) -> dict[str, dict[str, Any]]:
    """code → {name, tier, care_level, province_code} for the codes given (all if None)."""
    stmt = select(Facility.code, Facility.name, Facility.tier, Facility.care_level,
                  Facility.province_code)
    if codes is not None:
        stmt = stmt.where(Facility.code.in_(sorted(set(codes))))
    keys = ("code", "name", "tier", "care_level", "province_code")
    return {r[0]: dict(zip(keys, r, strict=True)) for r in (await session.execute(stmt)).all()}


async def certificates_by_practitioner(session: AsyncSession, *, ids: Iterable[int | None]
                                       ) -> dict[int, str]:
    """Practitioner id → practising-certificate number (XML 130 MA_BAC_SI)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = (await session.execute(select(Practitioner.id, Practitioner.certificate_number)
                                  .where(Practitioner.id.in_(wanted)))).all()
    return dict(rows)  # type: ignore[arg-type]


async def practitioners_by_certificate(session: AsyncSession, *, numbers: Iterable[str]
                                       ) -> dict[str, int]:
    """Practising-certificate number → practitioner id, for the numbers on file."""
    wanted = sorted({n for n in numbers if n})
    if not wanted:
        return {}
    rows = (await session.execute(select(Practitioner.certificate_number, Practitioner.id)
                                  .where(Practitioner.certificate_number.in_(wanted)))).all()
    return dict(rows)  # type: ignore[arg-type]


async def first_doctors(session: AsyncSession) -> dict[str, int]:
    """Facility code → id of its first active doctor (by id), for facilities that have one."""
    rows = (await session.execute(
        select(Facility.code, Practitioner.id)
        .join(Facility, Facility.id == Practitioner.facility_id)
        .where(Practitioner.title == "doctor", Practitioner.active.is_(True))
        .order_by(Practitioner.id))).all()
    out: dict[str, int] = {}
    for code, id_ in rows:
        out.setdefault(code, id_)
    return out
