"""Insurance JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.audit import record
from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.insurance import service
from smarthealth.insurance.gateway import get_gateway
from smarthealth.insurance.schemas import Eligibility, EligibilityRequest
from smarthealth.registry import users

router = APIRouter(prefix="/api/insurance", tags=["insurance"])

CHECKERS = (Role.receptionist, Role.kiosk, Role.doctor, Role.nurse, Role.cashier,
            Role.facility_admin, Role.admin)


async def _staff_identity(session: AsyncSession, principal: Principal) -> tuple[str, str]:
    """hoTenCb / cccdCb: the signed-in staff member, else the configured kiosk fallback."""
    settings = get_gateway().settings
    found = await users.staff_identity(session, user_id=principal.user_id)
    if principal.role is Role.kiosk or found is None or not found[1]:
        return settings.staff_name, settings.staff_cccd
    return found[0] or principal.full_name, found[1]


@router.post("/eligibility", response_model=Eligibility)
async def check_eligibility(
    body: EligibilityRequest,
    request: Request,
    principal: Annotated[Principal, Depends(allow(*CHECKERS))],
    session: Annotated[AsyncSession, Depends(db_session, scope="function")],
) -> Eligibility:
    """Check a BHYT card with BHXH (live, cached today, or 'unverified' when unreachable)."""
    principal.require_facility(body.facility_code)
    staff_name, staff_cccd = await _staff_identity(session, principal)
    result = await service.check_eligibility(
        session, card_number=body.card_number, cccd=body.cccd, full_name=body.full_name,
        birth_date=body.birth_date, facility_code=body.facility_code, staff_name=staff_name,
        staff_cccd=staff_cccd)
    await record(session, actor=actor_of(request, principal), action="check_eligibility",
                 entity_type="bhyt_card", entity_id=result.card_number,
                 patient_id=result.person_id,
                 details={"decision": result.decision, "result_code": result.result_code,
                          "source": result.source, "facility_code": body.facility_code})
    return result
