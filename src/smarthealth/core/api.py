"""Platform routes: health, metrics, staff sign-in (token and page), language switch, home."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core import audit, migrate
from smarthealth.core.audit import Actor
from smarthealth.core.auth import COOKIE_NAME, Principal, current_principal, issue_token
from smarthealth.core.db import get_database
from smarthealth.core.deps import db_session
from smarthealth.core.errors import NotAuthenticated
from smarthealth.core.i18n import LANGUAGES
from smarthealth.core.metrics import metrics_response
from smarthealth.core.settings import get_settings
from smarthealth.registry import users
from smarthealth.web.render import LANG_COOKIE, render, request_language

router = APIRouter()


class HealthOut(BaseModel):
    status: str
    database: str
    migration: str | None
    migration_head: str | None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str
    facility_code: str | None


@router.get("/health", response_model=HealthOut, tags=["platform"])
async def health() -> HealthOut:
    """Liveness and readiness: database reachable and at the latest migration."""
    database = get_database()
    revision = await migrate.current_revision(database.engine)
    head = migrate.head_revision()
    return HealthOut(status="ok" if revision == head else "migration_pending",
                     database=database.kind, migration=revision, migration_head=head)


@router.get("/metrics", tags=["platform"], include_in_schema=False)
async def metrics(request: Request) -> Response:
    return metrics_response(request)


async def _sign_in(session: AsyncSession, request: Request, username: str, password: str
                   ) -> TokenOut:
    found = await users.authenticate(session, username=username, password=password)
    source_ip = request.client.host if request.client else None
    if found is None:
        await audit.record(session, actor=Actor(name=username[:100], source_ip=source_ip),
                           action="sign_in_failed", entity_type="staff_user")
        raise NotAuthenticated("Wrong username or password.", "Sai tên đăng nhập hoặc mật khẩu.")
    user, facility_code = found
    await audit.record(session, actor=Actor(name=user.username, role=user.role,
                                            facility_code=facility_code, source_ip=source_ip),
                       action="sign_in", entity_type="staff_user", entity_id=user.id)
    token = issue_token(user_id=user.id, username=user.username, role=user.role,
                        facility_code=facility_code, full_name=user.full_name)
    return TokenOut(access_token=token, role=user.role, facility_code=facility_code)


@router.post("/api/auth/token", response_model=TokenOut, tags=["auth"])
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: Annotated[AsyncSession, Depends(db_session, scope="function")],
) -> TokenOut:
    """OAuth2 password flow: a signed bearer token for a staff user or kiosk device."""
    return await _sign_in(session, request, form.username, form.password)


def _safe_next(url: str | None) -> str:
    if not url:
        return "/"
    parsed = urlparse(url)
    if parsed.scheme or parsed.netloc or not url.startswith("/") or url.startswith("//"):
        return "/"
    return url


@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str = "/") -> Response:  # noqa: A002
    return render(request, "login.html", {"next_url": _safe_next(next)})


@router.post("/login", include_in_schema=False)
async def login_submit(
    request: Request,
    session: Annotated[AsyncSession, Depends(db_session, scope="function")],
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",  # noqa: A002
) -> Response:
    try:
        out = await _sign_in(session, request, username, password)
    except NotAuthenticated as exc:
        lang = request_language(request)
        message = exc.message_vi if lang == "vi" else exc.message_en
        await session.commit()  # keep the audit entry of the failed attempt
        return render(request, "login.html", {"error": message, "username": username,
                                              "next_url": _safe_next(next)}, status_code=401)
    target = _safe_next(next)
    if "{facility}" in target:  # a facility area chosen before signing in (see AREAS)
        target = target.replace("{facility}", out.facility_code) if out.facility_code else "/"
    response = RedirectResponse(target, status_code=303)
    settings = get_settings()
    response.set_cookie(COOKIE_NAME, out.access_token, httponly=True, samesite="strict",
                        secure=settings.cookie_secure, max_age=settings.token_minutes * 60)
    return response


@router.post("/logout", include_in_schema=False)
async def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME)
    return response


@router.get("/language/{lang}", include_in_schema=False)
async def switch_language(lang: str, request: Request) -> Response:
    referer = request.headers.get("referer")
    target = _safe_next(urlparse(referer).path if referer else "/")
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


# Each area of the platform; `{facility}` is the signed-in user's facility (else sign in first).
AREAS = [
    {"icon": "admin", "title": "Administration", "href": "/admin/facilities", "ready": True,
     "text": "Facilities, departments, clinic rooms, services and prices, practitioners, staff."},
    {"icon": "kiosk", "title": "Kiosk check-in", "href": "/kiosk/{facility}", "ready": True,
     "text": "Scan the chip ID card or VNeID, check health insurance, get a queue ticket."},
    {"icon": "desk", "title": "Reception desk", "href": "/reception/{facility}", "ready": True,
     "text": "Check in by keyboard, find people without a card, run the room queues."},
    {"icon": "board", "title": "Display boards", "href": "/boards/{facility}", "ready": True,
     "text": "Called numbers and the next ones, live, for the waiting hall."},
    {"icon": "clinic", "title": "Clinic", "href": "/clinic/{facility}", "ready": True,
     "text": "Queues, electronic medical records, prescriptions and signing."},
    {"icon": "claims", "title": "Insurance claims", "href": "/claims", "ready": True,
     "text": "Check XML 130 claim files, sign and send them to BHXH, follow each submission."},
    {"icon": "portal", "title": "Citizen portal", "href": "/portal", "ready": False,
     "text": "Your own record from every facility, reminders and surveys."},
    {"icon": "dashboard", "title": "Health department dashboard", "href": "/dashboard",
     "ready": True,
     "text": "City-wide visits, waiting times, insurance coverage and outbreak alarms."},
]


def _areas_for(principal: Principal | None) -> list[dict]:
    """Areas with links resolved for this visitor (facility pages need a facility account)."""
    facility = principal.facility_code if principal else None
    areas = []
    for area in AREAS:
        href = area["href"]
        if "{facility}" in href:
            href = href.replace("{facility}", facility) if facility else f"/login?next={href}"
            if not facility and principal is not None:
                href = "/admin/facilities"
        areas.append({**area, "href": href})
    return areas


async def _optional_principal(request: Request) -> Principal | None:
    try:
        return await current_principal(request)
    except NotAuthenticated:
        return None


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    """What SmartHealth is, with a link to each area that is built."""
    principal = await _optional_principal(request)
    return render(request, "home.html", {"areas": _areas_for(principal)})
