"""Registry admin pages: browse facilities and their departments, rooms, services,
practitioners and staff accounts, with filters and paging, in Vietnamese or English.

Admins and health-department analysts see the whole city; a facility_admin browses every
facility's public details but only their own facility's rooms, services, staff and so on.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import db_session
from smarthealth.core.errors import DomainError
from smarthealth.registry import catalog, lookups, service, staff
from smarthealth.registry.schemas import (
    CARE_LEVELS,
    DEPARTMENT_KINDS,
    PRACTITIONER_TITLES,
    ROOM_KINDS,
    SERVICE_KINDS,
    TIERS,
    ChildQuery,
    FacilityQuery,
    Page,
)
from smarthealth.web.render import render, request_language

router = APIRouter(prefix="/admin", include_in_schema=False)

Viewer = Annotated[Principal, Depends(allow(Role.admin, Role.facility_admin,
                                            Role.department_analyst))]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
Q = TypeVar("Q", bound=BaseModel)

# English labels of stored values; the Vietnamese ones are in registry.po.
LABELS = {
    "primary": "Primary care", "basic": "Basic care", "specialised": "Specialised care",
    "central": "Central", "city": "City", "district": "District", "commune": "Commune",
    "outpatient": "Outpatient", "inpatient": "Inpatient", "emergency": "Emergency",
    "lab": "Laboratory", "imaging": "Imaging", "pharmacy": "Pharmacy", "surgery": "Surgery",
    "rehabilitation": "Rehabilitation", "traditional": "Traditional medicine",
    "administration": "Administration office", "other": "Other", "exam": "Examination",
    "procedure": "Procedure", "reception": "Reception", "cashier": "Cashier desk",
    "vaccination": "Vaccination", "bed": "Hospital bed", "supply": "Medical supply",
    "doctor": "Doctor", "physician_assistant": "Physician assistant", "nurse": "Nurse",
    "midwife": "Midwife", "pharmacist": "Pharmacist", "technician": "Technician",
}
SECTIONS = [("facilities", "Facilities"), ("departments", "Departments"),
            ("rooms", "Clinic rooms"), ("services", "Services and prices"),
            ("practitioners", "Practitioners"), ("users", "Staff accounts")]


def _parse(request: Request, model: type[Q]) -> tuple[Q, str | None]:
    """The page's filters; invalid ones are dropped and reported instead of failing the page."""
    try:
        return model.model_validate(dict(request.query_params)), None
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        vi = request_language(request) == "vi"
        prefix = "Bộ lọc không hợp lệ đã bị bỏ qua: " if vi else "Invalid filters were ignored: "
        return model(), prefix + ", ".join(fields)


def _page(request: Request, section: str, template: str, ctx: dict[str, Any]) -> HTMLResponse:
    def page_url(number: int) -> str:
        url = request.url.include_query_params(page=number)
        return f"{url.path}?{url.query}"

    return render(request, f"registry/{template}", {
        "section": section, "sections": SECTIONS, "labels": LABELS, "page_url": page_url,
        **ctx})


async def _list_page(request: Request, principal: Principal, session: AsyncSession,
                     section: str, lister: Any, kinds: tuple[str, ...]) -> HTMLResponse:
    query, error = _parse(request, ChildQuery)
    try:
        page: Page = await lister(session, scope=principal.facility_scope(),
                                  **query.model_dump())
    except DomainError as exc:
        error = exc.message_vi if request_language(request) == "vi" else exc.message_en
        page = Page(items=[], total=0, page=1, page_size=query.page_size)
    names = await lookups.facility_names(session, codes=(r.facility_code for r in page.items))
    return _page(request, section, f"{section}.html", {
        "page": page, "query": query, "error": error, "kinds": kinds, "facility_names": names,
        "departments": await lookups.department_names(
            session, ids=(getattr(r, "department_id", None) for r in page.items)),
        "rooms": await lookups.room_names(
            session, ids=(getattr(r, "room_id", None) for r in page.items)),
    })


@router.get("/facilities")
async def facilities(request: Request, principal: Viewer, session: Session) -> HTMLResponse:
    query, error = _parse(request, FacilityQuery)
    page = await service.list_facilities(session, **query.model_dump())
    return _page(request, "facilities", "facilities.html", {
        "page": page, "query": query, "error": error, "care_levels": CARE_LEVELS,
        "tiers": TIERS, "wards": await service.facility_wards(session)})


@router.get("/facilities/{code}")
async def facility(request: Request, principal: Viewer, session: Session,
                   code: Annotated[str, Path(pattern=r"^[0-9]{5}$")]) -> HTMLResponse:
    found = await service.get_facility(session, code=code)
    ctx: dict[str, Any] = {"facility": found, "own": principal.facility_scope() in (None, code)}
    if ctx["own"]:
        args = {"scope": principal.facility_scope(), "facility_code": code, "page_size": 200}
        ctx["departments"] = await service.list_departments(session, **args)
        ctx["rooms"] = await service.list_rooms(session, **args)
        ctx["services"] = await catalog.list_services(session, **args)
        ctx["practitioners"] = await catalog.list_practitioners(session, **args)
        ctx["department_names"] = {d.id: d.name for d in ctx["departments"].items}
    return _page(request, "facilities", "facility.html", ctx)


@router.get("/departments")
async def departments(request: Request, principal: Viewer, session: Session) -> HTMLResponse:
    return await _list_page(request, principal, session, "departments",
                            service.list_departments, DEPARTMENT_KINDS)


@router.get("/rooms")
async def rooms(request: Request, principal: Viewer, session: Session) -> HTMLResponse:
    return await _list_page(request, principal, session, "rooms", service.list_rooms, ROOM_KINDS)


@router.get("/services")
async def services(request: Request, principal: Viewer, session: Session) -> HTMLResponse:
    return await _list_page(request, principal, session, "services", catalog.list_services,
                            SERVICE_KINDS)


@router.get("/practitioners")
async def practitioners(request: Request, principal: Viewer, session: Session) -> HTMLResponse:
    return await _list_page(request, principal, session, "practitioners",
                            catalog.list_practitioners, PRACTITIONER_TITLES)


@router.get("/users")
async def users(request: Request, principal: Viewer, session: Session) -> HTMLResponse:
    return await _list_page(request, principal, session, "users", staff.list_users,
                            tuple(r.value for r in Role))
