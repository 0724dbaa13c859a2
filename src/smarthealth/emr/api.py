"""EMR API: encounters, versioned entries, person header, close, charges, inpatient."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.emr import charges, entries, inpatient, service
from smarthealth.emr.schemas import (
    AdmissionIn,
    AdmissionOut,
    AmendIn,
    BedBoard,
    BedIn,
    ChargesOut,
    DischargeIn,
    EncounterIn,
    EncounterOut,
    EncounterPage,
    EncounterPatch,
    EncounterRecord,
    EntryOut,
    ErrorIn,
    PersonHeader,
    TransferIn,
)

router = APIRouter(prefix="/api/emr", tags=["emr"])
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
Writer = Annotated[Principal, Depends(allow(Role.doctor, Role.nurse))]
Reader = Annotated[Principal, Depends(allow(Role.doctor, Role.nurse, Role.facility_admin,
                                            Role.admin))]
BedAdmin = Annotated[Principal, Depends(allow(Role.facility_admin, Role.admin))]
Id = Annotated[int, Path(ge=1, le=2**62)]
FacilityCode = Annotated[str, Path(pattern=r"^\d{5}$")]
DeptCode = Annotated[str, Path(min_length=1, max_length=20)]
# URL segment → entry kind
KINDS = {"vitals": "vitals", "notes": "note", "diagnoses": "diagnosis", "orders": "order",
         "results": "result", "prescriptions": "prescription", "allergies": "allergy",
         "conditions": "condition"}
KindSegment = Literal["vitals", "notes", "diagnoses", "orders", "results", "prescriptions",
                      "allergies", "conditions"]


@router.post("/encounters", status_code=201)
async def open_encounter(request: Request, data: EncounterIn, session: Session,
                         principal: Writer) -> EncounterOut:
    return await service.open_encounter(
        session, visit_id=data.visit_id, actor=actor_of(request, principal),
        scope=principal.facility_scope(), doctor_user_id=principal.user_id, kind=data.kind,
        reason=data.reason, doctor_name=principal.full_name or None)


@router.post("/encounters/from-ticket/{ticket_id}", status_code=201)
async def open_from_ticket(request: Request, ticket_id: Id, session: Session,
                           principal: Writer) -> EncounterOut:
    return await service.open_encounter_from_ticket(
        session, ticket_id=ticket_id, actor=actor_of(request, principal),
        scope=principal.facility_scope(), doctor_user_id=principal.user_id,
        doctor_name=principal.full_name or None)


@router.get("/encounters")
async def list_encounters(
    request: Request, session: Session, principal: Reader,
    status: Annotated[Literal["open", "closed", "signed"] | None, Query()] = None,
    person_id: Annotated[int | None, Query(ge=1)] = None,
    facility_code: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> EncounterPage:
    return await service.list_encounters(
        session, scope=principal.facility_scope(), actor=actor_of(request, principal),
        status=status, facility_code=facility_code, person_id=person_id, page=page,
        page_size=page_size)


@router.get("/encounters/{encounter_id}")
async def get_record(request: Request, encounter_id: Id, session: Session,
                     principal: Reader) -> EncounterRecord:
    return await service.get_encounter_record(
        session, encounter_id=encounter_id, actor=actor_of(request, principal),
        scope=principal.facility_scope())


@router.patch("/encounters/{encounter_id}")
async def update_encounter(request: Request, encounter_id: Id, patch: EncounterPatch,
                           session: Session, principal: Writer) -> EncounterOut:
    return await service.update_encounter(
        session, encounter_id=encounter_id, patch=patch, actor=actor_of(request, principal),
        scope=principal.facility_scope())


@router.post("/encounters/{encounter_id}/close")
async def close_encounter(request: Request, encounter_id: Id, session: Session,
                          principal: Annotated[Principal, Depends(allow(Role.doctor))]
                          ) -> EncounterOut:
    return await service.close_encounter(
        session, encounter_id=encounter_id, actor=actor_of(request, principal),
        scope=principal.facility_scope(), signer_user_id=principal.user_id)


@router.get("/encounters/{encounter_id}/charges")
async def get_charges(request: Request, encounter_id: Id, session: Session,
                      principal: Reader) -> ChargesOut:
    return await charges.get_charges(session, encounter_id=encounter_id,
                                     actor=actor_of(request, principal),
                                     scope=principal.facility_scope())


@router.post("/encounters/{encounter_id}/{kind}", status_code=201)
async def add_entry(request: Request, encounter_id: Id, kind: KindSegment,
                    data: Annotated[dict[str, Any], Body()], session: Session,
                    principal: Writer) -> EntryOut:
    return await entries.add_entry(session, encounter_id=encounter_id, kind=KINDS[kind],
                                   data=data, actor=actor_of(request, principal),
                                   scope=principal.facility_scope())


@router.put("/entries/{entry_id}")
async def amend_entry(request: Request, entry_id: Id, body: AmendIn, session: Session,
                      principal: Writer) -> EntryOut:
    return await entries.amend_entry(session, entry_id=entry_id, data=body.data,
                                     reason=body.reason, actor=actor_of(request, principal),
                                     scope=principal.facility_scope())


@router.post("/entries/{entry_id}/entered-in-error")
async def entered_in_error(request: Request, entry_id: Id, body: ErrorIn, session: Session,
                           principal: Writer) -> EntryOut:
    return await entries.mark_entered_in_error(
        session, entry_id=entry_id, reason=body.reason, actor=actor_of(request, principal),
        scope=principal.facility_scope())


@router.get("/entries/{entry_id}/versions")
async def entry_versions(request: Request, entry_id: Id, session: Session,
                         principal: Reader) -> list[EntryOut]:
    return await entries.entry_versions(session, entry_id=entry_id,
                                        actor=actor_of(request, principal),
                                        scope=principal.facility_scope())


@router.get("/persons/{person_id}/header")
async def person_header(request: Request, person_id: Id, session: Session,
                        principal: Reader,
                        limit: Annotated[int, Query(ge=1, le=500)] = 50) -> PersonHeader:
    return await service.person_header(session, person_id=person_id,
                                       actor=actor_of(request, principal),
                                       scope=principal.facility_scope(), limit=limit)


@router.post("/beds", status_code=201)
async def add_bed(request: Request, data: BedIn, session: Session, principal: BedAdmin
                  ) -> dict[str, Any]:
    principal.require_facility(data.facility_code)
    bed = await inpatient.add_bed(session, data=data, actor=actor_of(request, principal))
    return {"id": bed.id, "code": bed.code, "department_code": bed.department_code}


@router.post("/admissions", status_code=201)
async def admit(request: Request, data: AdmissionIn, session: Session, principal: Writer
                ) -> AdmissionOut:
    return await inpatient.admit(session, encounter_id=data.encounter_id,
                                 department_code=data.department_code, bed_code=data.bed_code,
                                 reason=data.reason, actor=actor_of(request, principal),
                                 scope=principal.facility_scope())


@router.post("/admissions/{admission_id}/transfer")
async def transfer(request: Request, admission_id: Id, data: TransferIn, session: Session,
                   principal: Writer) -> AdmissionOut:
    return await inpatient.transfer(session, admission_id=admission_id,
                                    department_code=data.department_code,
                                    bed_code=data.bed_code, actor=actor_of(request, principal),
                                    scope=principal.facility_scope())


@router.post("/admissions/{admission_id}/discharge")
async def discharge(request: Request, admission_id: Id, data: DischargeIn, session: Session,
                    principal: Writer) -> AdmissionOut:
    return await inpatient.discharge(session, admission_id=admission_id, outcome=data.outcome,
                                     actor=actor_of(request, principal),
                                     scope=principal.facility_scope())


@router.get("/departments/{facility_code}/{department_code}/beds")
async def bed_board(request: Request, facility_code: FacilityCode, department_code: DeptCode,
                    session: Session, principal: Reader) -> BedBoard:
    principal.require_facility(facility_code)
    return await inpatient.bed_board(session, facility_code=facility_code,
                                     department_code=department_code,
                                     actor=actor_of(request, principal))
