"""Catalogue JSON API: as-you-type ICD-10/ICD-9-CM/drug/service search and diagnosis checks."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.catalogue import service
from smarthealth.catalogue.schemas import (
    CrosswalkOut,
    DiagnosisCheckOut,
    DrugOut,
    Icd9Out,
    Icd10Out,
)
from smarthealth.core.auth import STAFF_ROLES, Principal, allow
from smarthealth.core.deps import db_session
from smarthealth.registry.schemas import ServiceOut

router = APIRouter(prefix="/api/catalogue", tags=["catalogue"])

Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
Staff = Annotated[Principal, Depends(allow(*STAFF_ROLES))]
SearchText = Annotated[str, Query(min_length=1, max_length=100)]
Limit = Annotated[int, Query(ge=1, le=100)]
Code = Annotated[str, Path(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9.]+$")]
FacilityCode = Annotated[str | None, Query(pattern=r"^[0-9A-Za-z]{5}$")]
ServiceKind = Literal["exam", "lab", "imaging", "procedure", "bed", "supply"]


def _facility(principal: Principal, facility_code: str | None) -> str | None:
    """The facility asked for (own facility by default); other facilities only for city roles."""
    wanted = facility_code or principal.facility_code
    if wanted:
        principal.require_facility(wanted)
    return wanted


@router.get("/icd10", response_model=list[Icd10Out])
async def search_icd10(session: Session, _principal: Staff, q: SearchText, limit: Limit = 20,
                       primary_only: bool = False) -> list[Icd10Out]:
    return await service.search_icd10(session, q=q, limit=limit, primary_only=primary_only)


@router.get("/icd10/{code}", response_model=Icd10Out)
async def get_icd10(session: Session, _principal: Staff, code: Code) -> Icd10Out:
    return await service.get_icd10(session, code=code)


@router.get("/icd10/{code}/check", response_model=DiagnosisCheckOut)
async def check_icd10(
    session: Session, _principal: Staff, code: Code, main: bool = False,
    sex: Literal["male", "female"] | None = None,
    age_years: Annotated[int | None, Query(ge=0, le=150)] = None,
    age_days: Annotated[int | None, Query(ge=0, le=60000)] = None, on: date | None = None,
) -> DiagnosisCheckOut:
    """Rule findings for a diagnosis (errors block closing an encounter, warnings inform)."""
    problems = await service.check_diagnosis(session, code=code, main=main, sex=sex,
                                             age_years=age_years, age_days=age_days, on=on)
    found = await service.find_icd10(session, code=code, on=on)
    return DiagnosisCheckOut(code=code, icd10=found, problems=problems)


@router.get("/icd9", response_model=list[Icd9Out])
async def search_icd9(session: Session, _principal: Staff, q: SearchText, limit: Limit = 20
                      ) -> list[Icd9Out]:
    return await service.search_icd9(session, q=q, limit=limit)


@router.get("/icd9/techniques/{equivalent_code}", response_model=list[CrosswalkOut])
async def icd9_for_technique(
    session: Session, _principal: Staff,
    equivalent_code: Annotated[str, Path(max_length=20, pattern=r"^[0-9.]+$")],
) -> list[CrosswalkOut]:
    return await service.icd9_for_technique(session, equivalent_code=equivalent_code)


@router.get("/drugs", response_model=list[DrugOut])
async def search_drugs(session: Session, principal: Staff, q: SearchText, limit: Limit = 20,
                       facility_code: FacilityCode = None, bhyt_only: bool = False
                       ) -> list[DrugOut]:
    return await service.search_drugs(session, q=q, limit=limit, bhyt_only=bhyt_only,
                                      facility_code=_facility(principal, facility_code))


@router.get("/drugs/{code}", response_model=DrugOut)
async def get_drug(session: Session, principal: Staff,
                   code: Annotated[str, Path(max_length=30)], facility_code: FacilityCode = None
                   ) -> DrugOut:
    return await service.get_drug(session, code=code,
                                  facility_code=_facility(principal, facility_code))


@router.get("/services", response_model=list[ServiceOut])
async def search_services(
    session: Session, principal: Staff, facility_code: FacilityCode = None,
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[list[ServiceKind] | None, Query()] = None, limit: Limit = 50,
) -> list[ServiceOut]:
    """A facility's price list (own facility by default), filtered by kinds and text."""
    wanted = _facility(principal, facility_code)
    if wanted is None:
        return []
    return await service.search_services(session, facility_code=wanted, q=q, kinds=kind,
                                         limit=limit)
