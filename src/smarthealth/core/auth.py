"""Staff sign-in: Argon2 password hashes, signed bearer tokens (also carried in a cookie), roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request

from smarthealth.core.db import utcnow
from smarthealth.core.errors import NotAuthenticated, PermissionDenied
from smarthealth.core.settings import get_settings

COOKIE_NAME = "sh_session"
_hasher = PasswordHasher()


class Role(StrEnum):
    admin = "admin"
    facility_admin = "facility_admin"
    receptionist = "receptionist"
    doctor = "doctor"
    nurse = "nurse"
    pharmacist = "pharmacist"
    cashier = "cashier"
    department_analyst = "department_analyst"
    kiosk = "kiosk"


CITY_WIDE_ROLES = frozenset({Role.admin, Role.department_analyst})
FACILITY_ROLES = frozenset(set(Role) - CITY_WIDE_ROLES)
ALL_ROLES = frozenset(Role)
STAFF_ROLES = ALL_ROLES - {Role.kiosk}

# Routes anyone may reach. The route-permission test fails on any other route without a role.
PUBLIC_PATHS = frozenset({
    "/", "/health", "/metrics", "/login", "/logout", "/api/auth/token", "/language/{lang}",
    "/static", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
    # Reception: waiting-hall boards (numbers only) and the phone page behind an unguessable token.
    "/boards/{facility_code}", "/boards/{facility_code}/{room_code}",
    "/boards/{facility_code}/call.wav", "/t/{token}", "/t/{token}/qr.png",
    "/api/reception/boards/{facility_code}", "/api/reception/boards/{facility_code}/events",
    "/api/reception/tickets/by-token/{token}", "/api/reception/tickets/by-token/{token}/events",
})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Principal:
    """The signed-in staff user or kiosk device behind a request."""

    user_id: int
    username: str
    role: Role
    facility_code: str | None
    full_name: str = ""

    @property
    def city_wide(self) -> bool:
        return self.role in CITY_WIDE_ROLES

    def facility_scope(self) -> str | None:
        """None for city-wide roles, else the one facility this principal may see."""
        return None if self.city_wide else self.facility_code

    def require_facility(self, facility_code: str) -> None:
        """Raise unless this principal may act on the given facility."""
        if not self.city_wide and self.facility_code != facility_code:
            raise PermissionDenied(
                "You may only act on your own facility.",
                "Bạn chỉ được thao tác trên dữ liệu của cơ sở mình.",
                details={"facility_code": facility_code},
            )


def issue_token(*, user_id: int, username: str, role: str, facility_code: str | None,
                full_name: str = "", minutes: int | None = None) -> str:
    settings = get_settings()
    now = utcnow()
    claims = {
        "sub": str(user_id), "usr": username, "role": role, "fac": facility_code,
        "name": full_name, "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes or settings.token_minutes)).timestamp()),
    }
    return jwt.encode(claims, settings.resolved_secret_key(), algorithm="HS256")


def decode_token(token: str) -> dict[str, Any]:
    try:
        return jwt.decode(token, get_settings().resolved_secret_key(), algorithms=["HS256"])
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("Your session has expired; sign in again.",
                               "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("The access token is not valid.",
                               "Mã truy cập không hợp lệ.") from exc


def token_from_request(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE_NAME)


# Checks that the account behind a token is still active and still has the token's role and
# facility; create_app() installs the registry's check.
ActiveCheck = Callable[[Principal], Awaitable[bool]]
_active_check: ActiveCheck | None = None


def set_active_check(check: ActiveCheck | None) -> None:
    global _active_check
    _active_check = check


async def current_principal(request: Request) -> Principal:
    token = token_from_request(request)
    if not token:
        raise NotAuthenticated()
    claims = decode_token(token)
    try:
        principal = Principal(
            user_id=int(claims["sub"]), username=str(claims["usr"]), role=Role(claims["role"]),
            facility_code=claims.get("fac"), full_name=str(claims.get("name") or ""),
        )
    except (KeyError, ValueError) as exc:
        raise NotAuthenticated("The access token is not valid.", "Mã truy cập không hợp lệ.") \
            from exc
    if _active_check is not None and not await _active_check(principal):
        raise NotAuthenticated("This account is disabled or its role changed; sign in again.",
                               "Tài khoản đã bị khóa hoặc đổi vai trò, vui lòng đăng nhập lại.")
    request.state.principal = principal
    return principal


def allow(*roles: Role | str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that admits only the given roles; every non-public route must use one."""
    allowed = frozenset(Role(r) for r in roles)

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if principal.role not in allowed:
            raise PermissionDenied(details={"role": principal.role.value,
                                            "allowed": sorted(r.value for r in allowed)})
        return principal

    dependency.allowed_roles = allowed  # type: ignore[attr-defined]
    return dependency
