"""Staff accounts through the API: who may create or change which account.

A facility_admin manages only accounts of their own facility and never city-wide roles
(admin, department_analyst); an admin manages every account. Passwords are never returned.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.audit import Actor
from smarthealth.core.auth import CITY_WIDE_ROLES, Role, hash_password
from smarthealth.core.errors import Conflict, InvalidInput, PermissionDenied
from smarthealth.registry import users
from smarthealth.registry.listing import paginate
from smarthealth.registry.models import Facility, StaffUser
from smarthealth.registry.schemas import Page, UserIn, UserOut, UserPatch
from smarthealth.registry.service import (
    changes_of,
    check_scope,
    facility_id_of,
    not_found,
    record_change,
    scoped_facility,
    to_out,
)


def _username_taken(username: str) -> Conflict:
    return Conflict(f"The username {username} is taken.", f"Tên đăng nhập {username} đã tồn tại.",
                    details={"field": "username"}, code="duplicate_username")


def _check_role_allowed(scope: str | None, role: Role) -> None:
    """Facility administrators cannot hand out city-wide roles."""
    if scope is not None and role in CITY_WIDE_ROLES:
        raise PermissionDenied(f"Only a city administrator may grant the role {role.value}.",
                               f"Chỉ quản trị viên thành phố mới được cấp vai trò {role.value}.",
                               details={"role": role.value})


def _user_stmt():  # noqa: ANN202
    return (select(StaffUser, Facility.code)
            .outerjoin(Facility, Facility.id == StaffUser.facility_id))


async def list_users(
    session: AsyncSession, *, scope: str | None, facility_code: str | None = None,
    kind: str | None = None, q: str | None = None, active: bool | None = None,
    page: int = 1, page_size: int = 50,
) -> Page[UserOut]:
    """`kind` filters by role; `q` searches username and full name."""
    stmt = _user_stmt().order_by(StaffUser.username)
    wanted = scoped_facility(scope, facility_code)
    if wanted is not None:
        stmt = stmt.where(Facility.code == wanted)
    if kind:
        stmt = stmt.where(StaffUser.role == kind)
    if active is not None:
        stmt = stmt.where(StaffUser.active.is_(active))
    return await paginate(session, stmt, id_column=StaffUser.id,
                          search_columns=(StaffUser.username, StaffUser.full_name), q=q,
                          page=page, page_size=page_size,
                          to_out=lambda row: to_out(UserOut, row[0], facility_code=row[1]))


async def _user_row(session: AsyncSession, *, user_id: int, scope: str | None
                    ) -> tuple[StaffUser, str | None]:
    row = (await session.execute(_user_stmt().where(StaffUser.id == user_id))).first()
    if row is None or (scope is not None and row[1] != scope):
        raise not_found("staff user", "tài khoản", user_id)
    return row[0], row[1]


async def get_user(session: AsyncSession, *, user_id: int, scope: str | None) -> UserOut:
    user, code = await _user_row(session, user_id=user_id, scope=scope)
    return to_out(UserOut, user, facility_code=code)


async def create_user(session: AsyncSession, *, data: UserIn, scope: str | None, actor: Actor
                      ) -> UserOut:
    _check_role_allowed(scope, data.role)
    facility_code = data.facility_code
    if scope is not None:
        facility_code = facility_code or scope
        check_scope(scope, facility_code)
    if facility_code and data.role not in CITY_WIDE_ROLES:
        await facility_id_of(session, code=facility_code)
    if await session.scalar(select(StaffUser.id).where(StaffUser.username == data.username)):
        raise _username_taken(data.username)
    try:
        user = await users.add_user(session, username=data.username, role=data.role.value,
                                    password=data.password, facility_code=facility_code,
                                    full_name=data.full_name, cccd=data.cccd)
    except IntegrityError as exc:
        raise _username_taken(data.username) from exc
    out = await get_user(session, user_id=user.id, scope=None)
    await record_change(session, actor=actor, entity="user", action="create", out=out,
                        facility_code=out.facility_code,
                        changes=data.model_dump(mode="json", exclude={"password"}))
    return out


async def _apply_role_and_facility(session: AsyncSession, user: StaffUser, *, changes: dict,
                                   scope: str | None) -> None:
    role = Role(changes.get("role") or user.role)
    _check_role_allowed(scope, role)
    if "facility_code" in changes:
        if scope is not None and changes["facility_code"] not in (None, scope):
            check_scope(scope, changes["facility_code"])
        user.facility_id = (await facility_id_of(session, code=changes["facility_code"])
                            if changes["facility_code"] else None)
    if role in CITY_WIDE_ROLES:
        user.facility_id = None
    elif user.facility_id is None:
        raise InvalidInput(f"The role {role.value} needs a facility.",
                           f"Vai trò {role.value} cần chỉ định cơ sở.",
                           details={"field": "facility_code"})
    user.role = role.value


async def update_user(session: AsyncSession, *, user_id: int, patch: UserPatch,
                      scope: str | None, actor: Actor, acting_user_id: int) -> UserOut:
    """Change an account; nobody can disable their own account (no lock-out by mistake)."""
    user, _ = await _user_row(session, user_id=user_id, scope=scope)
    changes = changes_of(patch, nullable=frozenset({"facility_code", "cccd"}))
    if changes.get("active") is False and user.id == acting_user_id:
        raise InvalidInput("You cannot disable your own account.",
                           "Bạn không thể tự khóa tài khoản của mình.",
                           details={"field": "active"})
    await _apply_role_and_facility(session, user, changes=changes, scope=scope)
    if "password" in changes:
        user.password_hash = hash_password(changes["password"])
    for field in ("full_name", "cccd"):
        if field in changes:
            setattr(user, field, changes[field])
    if "active" in changes:
        await users.set_active(session, username=user.username, active=changes["active"])
    await session.flush()
    users.forget_cached_activity(user.id)  # a new role or facility voids older tokens
    out = await get_user(session, user_id=user.id, scope=None)
    audit_changes = patch.model_dump(mode="json", exclude_unset=True, exclude={"password"})
    if "password" in changes:
        audit_changes["password"] = "changed"
    await record_change(session, actor=actor, entity="user", action="update", out=out,
                        facility_code=out.facility_code, changes=audit_changes)
    return out
