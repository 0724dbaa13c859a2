"""Catalogue look-ups used by EMR, claims and pharmacy: ICD-10, ICD-9-CM, drugs, services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.catalogue.models import (
    Drug,
    DrugFacilityPrice,
    Icd9Procedure,
    Icd10Code,
    TechniqueCrosswalk,
)
from smarthealth.catalogue.rules import diagnosis_problems, unknown_code
from smarthealth.catalogue.schemas import CrosswalkOut, DrugOut, Icd9Out, Icd10Out, Problem
from smarthealth.catalogue.text import looks_like_icd10, nodot, query_tokens, search_key
from smarthealth.core.db import utcnow
from smarthealth.core.errors import NotFound
from smarthealth.registry import catalog as registry_catalog
from smarthealth.registry import service as registry_service
from smarthealth.registry.schemas import ServiceOut

MAX_LIMIT = 100


def _today() -> date:
    return utcnow().date()


def _valid_on(on: date) -> object:
    return and_(Icd10Code.valid_from <= on,
                or_(Icd10Code.valid_to.is_(None), Icd10Code.valid_to >= on))


def _contains_all(column: object, tokens: Sequence[str]) -> object:
    return and_(*(column.like(f"%{token}%") for token in tokens))  # type: ignore[attr-defined]


# ICD-10


async def search_icd10(session: AsyncSession, *, q: str, limit: int = 20,
                       primary_only: bool = False, on: date | None = None) -> list[Icd10Out]:
    """As-you-type: code prefix (with or without dot), or Vietnamese/English words, any accents."""
    tokens = query_tokens(q)
    if not tokens:
        return []
    phrase = " ".join(tokens)
    code_prefix = nodot(q) if looks_like_icd10(q) else None
    # One character matches nearly every title; treat it as the start of a code only.
    matches = [_contains_all(Icd10Code.search_key, tokens)] if len(phrase) > 1 else []
    if code_prefix:
        matches.append(Icd10Code.code_nodot.like(f"{code_prefix}%"))
    if not matches:
        return []
    rank = case(
        (Icd10Code.code_nodot == (code_prefix or "-"), 0),
        (Icd10Code.code_nodot.like(f"{code_prefix or '-'}%"), 1),
        (Icd10Code.title_key.like(f"{phrase}%"), 2),
        (Icd10Code.search_key.like(f"%{phrase}%"), 3), else_=4)
    stmt = (select(Icd10Code).where(or_(*matches), _valid_on(on or _today()))
            .order_by(rank, func.length(Icd10Code.code_nodot), Icd10Code.code_nodot)
            .limit(max(1, min(limit, MAX_LIMIT))))
    if primary_only:
        stmt = stmt.where(Icd10Code.not_primary.is_(False))
    rows = (await session.scalars(stmt)).all()
    return [Icd10Out.model_validate(row) for row in rows]


async def find_icd10(session: AsyncSession, *, code: str, on: date | None = None
                     ) -> Icd10Out | None:
    """The code in the catalogue version valid on `on` (else the newest version), or None."""
    wanted = nodot(code)
    if not wanted:
        return None
    rows = (await session.scalars(
        select(Icd10Code).where(Icd10Code.code_nodot == wanted)
        .order_by(Icd10Code.valid_from.desc()))).all()
    day = on or _today()
    for row in rows:
        if row.valid_from <= day and (row.valid_to is None or row.valid_to >= day):
            return Icd10Out.model_validate(row)
    return Icd10Out.model_validate(rows[0]) if rows else None


async def get_icd10(session: AsyncSession, *, code: str, on: date | None = None) -> Icd10Out:
    found = await find_icd10(session, code=code, on=on)
    if found is None:
        raise NotFound(f"No ICD-10 code {code} in the catalogue.",
                       f"Không có mã ICD-10 {code} trong danh mục.",
                       details={"code": code}, code="unknown_icd10")
    return found


async def check_diagnosis(session: AsyncSession, *, code: str, main: bool, sex: str | None,
                          age_years: int | None, on: date | None = None,
                          age_days: int | None = None) -> list[Problem]:
    """Coding-rule findings for one diagnosis (QĐ 4469 sheets A2, A3.x, A4.x); [] when clean."""
    found = await find_icd10(session, code=code, on=on)
    if found is None:
        return [unknown_code(code)]
    return diagnosis_problems(found, main=main, sex=sex, age_years=age_years,
                              age_days=age_days)


# ICD-9-CM procedures


async def search_icd9(session: AsyncSession, *, q: str, limit: int = 20) -> list[Icd9Out]:
    """Code prefix (`96.5`) or Vietnamese words with or without accents."""
    tokens = query_tokens(q)
    if not tokens:
        return []
    code = q.strip()
    stmt = (select(Icd9Procedure)
            .where(or_(Icd9Procedure.code.like(f"{code}%"),
                       _contains_all(Icd9Procedure.search_key, tokens)))
            .order_by(case((Icd9Procedure.code.like(f"{code}%"), 0), else_=1),
                      Icd9Procedure.code)
            .limit(max(1, min(limit, MAX_LIMIT))))
    return [Icd9Out.model_validate(row) for row in (await session.scalars(stmt)).all()]


async def icd9_for_technique(session: AsyncSession, *, equivalent_code: str
                             ) -> list[CrosswalkOut]:
    """ICD-9-CM codes (MA_PTTT_QT) mapped to an MoH equivalent technique code (MA_DICH_VU)."""
    rows = (await session.scalars(
        select(TechniqueCrosswalk).where(TechniqueCrosswalk.equivalent_code
                                         == equivalent_code.strip())
        .order_by(TechniqueCrosswalk.icd9cm_code))).all()
    return [CrosswalkOut.model_validate(row) for row in rows if row.icd9cm_code]


# Drugs


async def _facility_prices(session: AsyncSession, *, facility_code: str | None,
                           drug_ids: Sequence[int]) -> dict[int, int]:
    if not facility_code or not drug_ids:
        return {}
    facility_id = await registry_service.facility_id_of(session, code=facility_code)
    rows = await session.execute(
        select(DrugFacilityPrice.drug_id, DrugFacilityPrice.price)
        .where(DrugFacilityPrice.facility_id == facility_id,
               DrugFacilityPrice.drug_id.in_(list(drug_ids))))
    return {drug_id: price for drug_id, price in rows.all()}


async def _drugs_out(session: AsyncSession, drugs: Sequence[Drug], facility_code: str | None
                     ) -> list[DrugOut]:
    prices = await _facility_prices(session, facility_code=facility_code,
                                    drug_ids=[d.id for d in drugs])
    out = []
    for drug in drugs:
        item = DrugOut.model_validate(drug)
        out.append(item.model_copy(update={"price": prices.get(drug.id, drug.price)}))
    return out


async def search_drugs(session: AsyncSession, *, q: str, facility_code: str | None = None,
                       limit: int = 20, bhyt_only: bool = False) -> list[DrugOut]:
    """Drugs by code prefix, name or active ingredient (accents optional); facility prices."""
    tokens = query_tokens(q)
    if not tokens:
        return []
    phrase = " ".join(tokens)
    stmt = (select(Drug)
            .where(Drug.active.is_(True),
                   or_(Drug.code.like(f"{q.strip()}%"), _contains_all(Drug.search_key, tokens)))
            .order_by(case((Drug.code == q.strip(), 0), (Drug.ingredient_key == phrase, 1),
                           (Drug.ingredient_key.like(f"{phrase}%"), 2), else_=3),
                      func.length(Drug.ingredient_key), Drug.name, Drug.code)
            .limit(max(1, min(limit, MAX_LIMIT))))
    if bhyt_only:
        stmt = stmt.where(Drug.bhyt_covered.is_(True))
    drugs = (await session.scalars(stmt)).all()
    return await _drugs_out(session, drugs, facility_code)


async def get_drug(session: AsyncSession, *, code: str, facility_code: str | None = None
                   ) -> DrugOut:
    drug = await session.scalar(select(Drug).where(Drug.code == code.strip()))
    if drug is None:
        raise NotFound(f"No drug with code {code}.", f"Không có thuốc mã {code}.",
                       details={"code": code}, code="unknown_drug")
    return (await _drugs_out(session, [drug], facility_code))[0]


# Facility services (the registry owns them; this adds accent-free search)


async def search_services(session: AsyncSession, *, facility_code: str, q: str = "",
                          kinds: Sequence[str] | None = None, limit: int = 50
                          ) -> list[ServiceOut]:
    """A facility's active services of the given kinds matching `q` (code or name, any accents)."""
    services = await registry_catalog.services_of_facility(
        session, facility_code=facility_code, kinds=kinds)
    tokens = query_tokens(q)
    code = q.strip()

    def hit(item: ServiceOut) -> bool:
        key = search_key(item.code, item.name)
        return not tokens or item.code.startswith(code) or all(t in key for t in tokens)

    found = [s for s in services if hit(s)]
    found.sort(key=lambda s: (not (code and s.code.startswith(code)), s.kind, s.name))
    return found[:max(1, min(limit, MAX_LIMIT * 2))]


async def get_service(session: AsyncSession, *, facility_code: str, code: str) -> ServiceOut:
    """One active service of a facility's price list by its exact code."""
    for item in await registry_catalog.services_of_facility(session,
                                                            facility_code=facility_code):
        if item.code == code.strip():
            return item
    raise NotFound(f"No service {code} in the price list of facility {facility_code}.",
                   f"Không có dịch vụ {code} trong bảng giá của cơ sở {facility_code}.",
                   details={"code": code, "facility_code": facility_code},
                   code="unknown_service")
