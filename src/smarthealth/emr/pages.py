"""The clinician's workspace: the room's queue with call-next, and the encounter screen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.emr import inpatient, service
from smarthealth.registry import service as registry
from smarthealth.web.render import render

router = APIRouter(include_in_schema=False)

CLINICIANS = (Role.doctor, Role.nurse, Role.facility_admin, Role.admin)
Clinician = Annotated[Principal, Depends(allow(*CLINICIANS))]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]


@router.get("/clinic")
async def clinic_home(principal: Clinician) -> Response:
    """The signed-in clinician's own facility (city admins choose one in the registry)."""
    target = f"/clinic/{principal.facility_code}" if principal.facility_code \
        else "/admin/facilities"
    return RedirectResponse(target, status_code=303)


@router.get("/clinic/{facility_code}")
async def clinic_page(request: Request, facility_code: str, principal: Clinician,
                      session: Session, room: str | None = None) -> Response:
    """The room's queue: call the next patient and open their encounter."""
    principal.require_facility(facility_code)
    facility = await registry.get_facility(session, code=facility_code)
    rooms = (await registry.list_rooms(session, scope=None, facility_code=facility_code,
                                       kind="exam", active=True, page_size=200)).items
    current = next((r for r in rooms if r.code == room), rooms[0] if rooms else None)
    return render(request, "emr/clinic.html", {
        "facility": facility, "rooms": rooms, "room": current})


@router.get("/clinic/{facility_code}/encounters/{encounter_id}")
async def encounter_page(request: Request, facility_code: str, encounter_id: int,
                         principal: Clinician, session: Session) -> Response:
    """The encounter screen (its data loads through the EMR API, which audits the read)."""
    principal.require_facility(facility_code)
    encounter = await service.get_encounter(session, encounter_id=encounter_id,
                                            actor=actor_of(request, principal),
                                            scope=principal.facility_scope())
    return render(request, "emr/encounter.html", {
        "facility_code": facility_code, "encounter": encounter,
        "can_close": principal.role is Role.doctor})


@router.get("/clinic/{facility_code}/beds")
async def bed_board_page(request: Request, facility_code: str, principal: Clinician,
                         session: Session, department: str | None = None) -> Response:
    """Occupied and free beds of one inpatient department."""
    principal.require_facility(facility_code)
    departments = (await registry.list_departments(
        session, scope=None, facility_code=facility_code, active=True, page_size=200)).items
    current = next((d for d in departments if d.code == department),
                   departments[0] if departments else None)
    board = await inpatient.bed_board(session, facility_code=facility_code,
                                      department_code=current.code,
                                      actor=actor_of(request, principal)) if current else None
    return render(request, "emr/beds.html", {"facility_code": facility_code,
                                             "departments": departments,
                                             "department": current, "board": board})
