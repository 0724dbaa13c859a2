"""Staff accounts: creation, sign-in check, disabling; used by the auth routes and the CLI."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.auth import Role, hash_password, verify_password
from smarthealth.core.errors import Conflict, InvalidInput, NotFound
from smarthealth.registry.models import Facility, StaffUser

_DUMMY_HASH = hash_password("not-a-real-password")


async def add_user(
    session: AsyncSession,
    *,
    username: str,
    role: str,
    password: str,
    facility_code: str | None = None,
    full_name: str = "",
    cccd: str | None = None,
) -> StaffUser:
    """Create a staff account; facility-bound roles must name their facility."""
    try:
        role_ = Role(role)
    except ValueError as exc:
        raise InvalidInput(f"Unknown role {role!r}.", f"Vai trò {role!r} không tồn tại.",
                           details={"roles": [r.value for r in Role]}) from exc
    if len(password) < 8:
        raise InvalidInput("The password needs at least 8 characters.",
                           "Mật khẩu cần ít nhất 8 ký tự.")
    username = username.strip()
    if not username or len(username) > 60:
        raise InvalidInput("The username must have 1 to 60 characters.",
                           "Tên đăng nhập phải có từ 1 đến 60 ký tự.")
    facility_id = None
    if role_ in (Role.admin, Role.department_analyst):
        facility_code = None
    elif not facility_code:
        raise InvalidInput(f"The role {role_.value} needs a facility (--facility CODE).",
                           f"Vai trò {role_.value} cần chỉ định cơ sở (--facility MÃ).")
    if facility_code:
        facility_id = await session.scalar(
            select(Facility.id).where(Facility.code == facility_code))
        if facility_id is None:
            raise NotFound(f"No facility with code {facility_code}.",
                           f"Không có cơ sở mã {facility_code}.")
    if await session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict(f"The username {username} is taken.",
                       f"Tên đăng nhập {username} đã tồn tại.")
    user = StaffUser(username=username, role=role_.value, password_hash=hash_password(password),
                     facility_id=facility_id, full_name=full_name, cccd=cccd)
    session.add(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, *, username: str, password: str
                       ) -> tuple[StaffUser, str | None] | None:
    """The active user and their facility code if the password matches, else None."""
    row = (await session.execute(
        select(StaffUser, Facility.code).outerjoin(Facility, Facility.id == StaffUser.facility_id)
        .where(StaffUser.username == username)
    )).first()
    if row is None:
        verify_password(_DUMMY_HASH, password)  # same work whether or not the user exists
        return None
    user, facility_code = row
    if not user.active or not verify_password(user.password_hash, password):
        return None
    return user, facility_code


async def list_users(session: AsyncSession, *, facility_code: str | None = None
                     ) -> list[tuple[StaffUser, str | None]]:
    stmt = (select(StaffUser, Facility.code)
            .outerjoin(Facility, Facility.id == StaffUser.facility_id).order_by(StaffUser.username))
    if facility_code:
        stmt = stmt.where(Facility.code == facility_code)
    return [(u, c) for u, c in (await session.execute(stmt)).all()]


async def set_active(session: AsyncSession, *, username: str, active: bool) -> StaffUser:
    user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise NotFound(f"No user {username}.", f"Không có người dùng {username}.")
    user.active = active
    _active_cache.pop(user.id, None)
    await session.flush()
    return user


async def staff_identity(session: AsyncSession, *, user_id: int) -> tuple[str, str | None] | None:
    """Full name and CCCD of a staff member (BHXH lookups carry them as hoTenCb / cccdCb)."""
    row = (await session.execute(select(StaffUser.full_name, StaffUser.cccd)
                                 .where(StaffUser.id == user_id))).first()
    return None if row is None else (row.full_name, row.cccd)


_active_cache: dict[int, tuple[float, tuple[bool, str, str | None] | None]] = {}
_ACTIVE_TTL = 15.0


async def account_state(session: AsyncSession, *, user_id: int
                        ) -> tuple[bool, str, str | None] | None:
    """(active, role, facility code) of an account; cached for a few seconds per process."""
    hit = _active_cache.get(user_id)
    now = time.monotonic()
    if hit and now - hit[0] < _ACTIVE_TTL:
        return hit[1]
    row = (await session.execute(
        select(StaffUser.active, StaffUser.role, Facility.code)
        .outerjoin(Facility, Facility.id == StaffUser.facility_id).where(StaffUser.id == user_id)
    )).first()
    state = None if row is None else (bool(row[0]), row[1], row[2])
    _active_cache[user_id] = (now, state)
    return state


async def is_active(session: AsyncSession, *, user_id: int) -> bool:
    """Whether the account may still act."""
    state = await account_state(session, user_id=user_id)
    return bool(state and state[0])


def forget_cached_activity(user_id: int | None = None) -> None:
    if user_id is None:
        _active_cache.clear()
    else:
        _active_cache.pop(user_id, None)
