"""Identity JSON API: scan recognition, the patient index, duplicates and merges."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core import audit
from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.identity import merging, service
from smarthealth.identity.scan import recognise
from smarthealth.identity.schemas import (
    DuplicateOut,
    MergeIn,
    MergeOut,
    PersonIn,
    PersonOut,
    PersonPage,
    ScanOut,
    ScanRequest,
)

router = APIRouter(prefix="/api/identity", tags=["identity"])

SCANNERS = (Role.receptionist, Role.kiosk, Role.doctor, Role.nurse, Role.facility_admin,
            Role.admin)
INDEX_USERS = (Role.receptionist, Role.doctor, Role.nurse, Role.facility_admin, Role.admin)
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
IndexUser = Annotated[Principal, Depends(allow(*INDEX_USERS))]
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/scan", response_model=ScanOut)
async def scan(body: ScanRequest,
               principal: Annotated[Principal, Depends(allow(*SCANNERS))]) -> dict:
    """Recognise a scanner payload; writes nothing and never logs the payload."""
    return recognise(body.payload).to_dict()


@router.get("/persons", response_model=PersonPage)
async def search_persons(
    request: Request, principal: IndexUser, session: Session,
    cccd: Annotated[str | None, Query(max_length=12)] = None,
    bhyt: Annotated[str | None, Query(max_length=20)] = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    name: Annotated[str | None, Query(max_length=120)] = None,
    birth_date: date | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PersonPage:
    items, total = await service.search_persons(
        session, cccd=cccd, bhyt=bhyt, phone=phone, name=name, birth_date=birth_date,
        limit=limit, offset=offset)
    actor = actor_of(request, principal)
    for person in items:
        await audit.record(session, actor=actor, action="person.search", entity_type="person",
                           entity_id=person.id, patient_id=person.id)
    return PersonPage(items=[PersonOut.model_validate(p) for p in items], total=total,
                      limit=limit, offset=offset)


@router.get("/persons/{person_id}", response_model=PersonOut)
async def get_person(person_id: RowId, request: Request, principal: IndexUser,
                     session: Session) -> PersonOut:
    person = await service.get_person(session, person_id=person_id)
    await audit.record(session, actor=actor_of(request, principal), action="person.read",
                       entity_type="person", entity_id=person.id, patient_id=person.id)
    return PersonOut.model_validate(person)


@router.post("/persons", response_model=PersonOut, status_code=201)
async def create_person(body: PersonIn, request: Request, principal: IndexUser,
                        session: Session) -> PersonOut:
    fields = service.validate_fields(**body.model_dump())
    person = await service.create_person(session, fields=fields)
    await audit.record(session, actor=actor_of(request, principal), action="person.create",
                       entity_type="person", entity_id=person.id, patient_id=person.id)
    return PersonOut.model_validate(person)


@router.get("/duplicates", response_model=list[DuplicateOut])
async def duplicates(request: Request, principal: IndexUser, session: Session,
                     threshold: Annotated[float | None, Query(ge=0, le=1)] = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[DuplicateOut]:
    pairs = await merging.find_duplicates(session, threshold=threshold, limit=limit)
    await audit.record(session, actor=actor_of(request, principal), action="person.duplicates",
                       entity_type="person", details={"pairs": len(pairs)})
    return [DuplicateOut(first=PersonOut.model_validate(p.first),
                         second=PersonOut.model_validate(p.second), score=p.score,
                         parts=p.parts) for p in pairs]


@router.post("/merges", response_model=MergeOut, status_code=201)
async def merge(body: MergeIn, request: Request, principal: IndexUser,
                session: Session) -> MergeOut:
    row = await merging.merge_persons(session, actor=actor_of(request, principal),
                                      keep_id=body.keep_id, merge_id=body.merge_id,
                                      reason=body.reason)
    return MergeOut.model_validate(row)


@router.post("/merges/{merge_id}/undo", response_model=MergeOut)
async def undo_merge(merge_id: RowId, request: Request, principal: IndexUser,
                     session: Session) -> MergeOut:
    row = await merging.undo_merge(session, actor=actor_of(request, principal),
                                   merge_row_id=merge_id)
    return MergeOut.model_validate(row)
