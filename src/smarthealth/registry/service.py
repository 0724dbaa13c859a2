"""Registry logic: facilities, departments and clinic rooms, plus the write helpers every
registry entity shares (conflict detection, audit entry and outbox event per change).

Scoping: `scope` is the one facility a facility-bound principal may see (None = city-wide).
Rows of another facility read or changed by id answer 404, so their existence is not revealed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core import audit, outbox
from smarthealth.core.audit import Actor
from smarthealth.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from smarthealth.registry import places
from smarthealth.registry.listing import paginate
from smarthealth.registry.models import ClinicRoom, Department, Facility
from smarthealth.registry.schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    FacilityIn,
    FacilityOut,
    FacilityPatch,
    Page,
    RoomIn,
    RoomOut,
    RoomPatch,
)

S = TypeVar("S", bound=BaseModel)


# Shared helpers


def to_out(schema: type[S], obj: Any, **extra: Any) -> S:
    """Build an output schema from a table row plus extra fields (such as facility_code)."""
    values = {f: getattr(obj, f) for f in schema.model_fields if f not in extra}
    return schema.model_validate({**values, **extra})


def changes_of(patch: BaseModel, *, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH sets; null is refused for fields that must keep a value."""
    changes = patch.model_dump(exclude_unset=True)
    emptied = sorted(k for k, v in changes.items() if v is None and k not in nullable)
    if emptied:
        raise InvalidInput("These fields cannot be emptied: " + ", ".join(emptied) + ".",
                           "Không được để trống các trường: " + ", ".join(emptied) + ".",
                           details={"fields": emptied})
    return changes


async def flush_unique(session: AsyncSession, conflict: Conflict) -> None:
    """Flush, turning a unique-constraint race into the given 409 instead of a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict from exc


async def record_change(session: AsyncSession, *, actor: Actor, entity: str, action: str,
                        out: BaseModel, facility_code: str | None, changes: dict[str, Any]
                        ) -> None:
    """Audit entry and outbox event (e.g. registry.room.created) in the writer's transaction."""
    entity_id = getattr(out, "id", None)
    await audit.record(session, actor=actor, action=f"registry.{entity}.{action}",
                       entity_type=entity, entity_id=entity_id,
                       details={"facility_code": facility_code, "changes": changes})
    await outbox.publish(session, topic=f"registry.{entity}.{action}d", aggregate_type=entity,
                         aggregate_id=str(entity_id), facility_code=facility_code,
                         payload=out.model_dump(mode="json"))


def check_scope(scope: str | None, facility_code: str) -> None:
    """Refuse a facility-bound principal acting on another facility's data (403)."""
    if scope is not None and scope != facility_code:
        raise PermissionDenied("You may only act on your own facility.",
                               "Bạn chỉ được thao tác trên dữ liệu của cơ sở mình.",
                               details={"facility_code": facility_code})


def scoped_facility(scope: str | None, facility_code: str | None) -> str | None:
    """The facility filter to apply: the principal's own when bound, else the requested one."""
    if facility_code is not None:
        check_scope(scope, facility_code)
        return facility_code
    return scope


async def facility_id_of(session: AsyncSession, *, code: str) -> int:
    """Id of the facility a request body names; unknown codes are invalid input."""
    facility_id = await session.scalar(select(Facility.id).where(Facility.code == code))
    if facility_id is None:
        raise InvalidInput(f"No facility with code {code}.", f"Không có cơ sở mã {code}.",
                           details={"field": "facility_code", "facility_code": code},
                           code="unknown_facility")
    return facility_id


def not_found(what_en: str, what_vi: str, ref: object) -> NotFound:
    return NotFound(f"No {what_en} {ref}.", f"Không tìm thấy {what_vi} {ref}.",
                    details={"id": str(ref)})


async def child_row(session: AsyncSession, model: Any, *, row_id: int, scope: str | None,
                    what_en: str, what_vi: str) -> tuple[Any, str]:
    """A facility-owned row and its facility code; NotFound outside the caller's scope."""
    row = (await session.execute(
        select(model, Facility.code).join(Facility, Facility.id == model.facility_id)
        .where(model.id == row_id))).first()
    if row is None or (scope is not None and row[1] != scope):
        raise not_found(what_en, what_vi, row_id)
    return row[0], row[1]


async def check_owned(session: AsyncSession, model: Any, *, row_id: int | None, facility_id: int,
                      field: str, what_en: str, what_vi: str, code: str) -> None:
    """Refuse a reference (room, department) to a row of another facility."""
    if row_id is None:
        return
    owner = await session.scalar(select(model.facility_id).where(model.id == row_id))
    if owner != facility_id:
        raise InvalidInput(f"{what_en.capitalize()} {row_id} is not a {what_en} of this facility.",
                           f"{what_vi.capitalize()} {row_id} không thuộc cơ sở này.",
                           details={"field": field}, code=code)


def scoped_child(stmt: Select, model: Any, *, scope: str | None, facility_code: str | None,
                 active: bool | None) -> Select:
    """Filters shared by every facility-owned entity."""
    wanted = scoped_facility(scope, facility_code)
    if wanted is not None:
        stmt = stmt.where(Facility.code == wanted)
    if active is not None:
        stmt = stmt.where(model.active.is_(active))
    return stmt


# Facilities


def _facility_exists(code: str) -> Conflict:
    return Conflict(f"A facility with code {code} already exists.",
                    f"Đã có cơ sở khám chữa bệnh mã {code}.",
                    details={"field": "code", "code": code}, code="duplicate_facility")


async def list_facilities(
    session: AsyncSession, *, q: str | None = None, care_level: str | None = None,
    tier: str | None = None, ward_code: int | None = None, active: bool | None = None,
    page: int = 1, page_size: int = 50,
) -> Page[FacilityOut]:
    stmt = select(Facility).order_by(Facility.code)
    if care_level:
        stmt = stmt.where(Facility.care_level == care_level)
    if tier:
        stmt = stmt.where(Facility.tier == tier)
    if ward_code is not None:
        stmt = stmt.where(Facility.ward_code == ward_code)
    if active is not None:
        stmt = stmt.where(Facility.active.is_(active))
    return await paginate(session, stmt, id_column=Facility.id,
                          search_columns=(Facility.code, Facility.name, Facility.ward_name),
                          q=q, page=page, page_size=page_size,
                          to_out=lambda row: FacilityOut.model_validate(row[0]))


async def facility_wards(session: AsyncSession) -> list[tuple[int, str]]:
    """The wards that have at least one facility (for filter drop-downs)."""
    rows = await session.execute(select(Facility.ward_code, Facility.ward_name).distinct()
                                 .where(Facility.ward_code.is_not(None)))
    return sorted(((c, n or str(c)) for c, n in rows.all()), key=lambda p: p[1])


async def _facility_row(session: AsyncSession, **where: Any) -> Facility:
    facility = await session.scalar(select(Facility).filter_by(**where))
    if facility is None:
        raise not_found("facility", "cơ sở", next(iter(where.values())))
    return facility


async def get_facility(session: AsyncSession, *, code: str) -> FacilityOut:
    return FacilityOut.model_validate(await _facility_row(session, code=code))


async def get_facility_by_id(session: AsyncSession, *, facility_id: int) -> FacilityOut:
    return FacilityOut.model_validate(await _facility_row(session, id=facility_id))


async def create_facility(session: AsyncSession, *, data: FacilityIn, actor: Actor
                          ) -> FacilityOut:
    province = places.province_of_facility(data.code)
    ward = places.ward_in_province(data.ward_code, province) if data.ward_code else None
    if await session.scalar(select(Facility.id).where(Facility.code == data.code)):
        raise _facility_exists(data.code)
    facility = Facility(**data.model_dump(), province_code=province,
                        ward_name=ward.name if ward else None)
    session.add(facility)
    await flush_unique(session, _facility_exists(data.code))
    out = FacilityOut.model_validate(facility)
    await record_change(session, actor=actor, entity="facility", action="create", out=out,
                        facility_code=out.code, changes=data.model_dump(mode="json"))
    return out


async def update_facility(session: AsyncSession, *, code: str, patch: FacilityPatch,
                          actor: Actor) -> FacilityOut:
    facility = await _facility_row(session, code=code)
    changes = changes_of(patch, nullable=frozenset({"ward_code", "address", "phone"}))
    if "ward_code" in changes:
        ward = (places.ward_in_province(changes["ward_code"], facility.province_code)
                if changes["ward_code"] else None)
        facility.ward_name = ward.name if ward else None
    for field, value in changes.items():
        setattr(facility, field, value)
    await session.flush()
    out = FacilityOut.model_validate(facility)
    await record_change(session, actor=actor, entity="facility", action="update", out=out,
                        facility_code=code, changes=patch.model_dump(mode="json",
                                                                     exclude_unset=True))
    return out


# Departments


def _department_exists(facility_code: str, code: str) -> Conflict:
    return Conflict(f"Facility {facility_code} already has a department {code}.",
                    f"Cơ sở {facility_code} đã có khoa mã {code}.",
                    details={"field": "code", "code": code}, code="duplicate_department")


async def list_departments(
    session: AsyncSession, *, scope: str | None, facility_code: str | None = None,
    kind: str | None = None, q: str | None = None, active: bool | None = None,
    page: int = 1, page_size: int = 50,
) -> Page[DepartmentOut]:
    stmt = (select(Department, Facility.code).join(Facility, Facility.id == Department.facility_id)
            .order_by(Facility.code, Department.code))
    stmt = scoped_child(stmt, Department, scope=scope, facility_code=facility_code, active=active)
    if kind:
        stmt = stmt.where(Department.kind == kind)
    return await paginate(session, stmt, id_column=Department.id,
                          search_columns=(Department.code, Department.name), q=q, page=page,
                          page_size=page_size,
                          to_out=lambda row: to_out(DepartmentOut, row[0], facility_code=row[1]))


async def _department_row(session: AsyncSession, *, department_id: int, scope: str | None
                          ) -> tuple[Department, str]:
    return await child_row(session, Department, row_id=department_id, scope=scope,
                           what_en="department", what_vi="khoa")


async def get_department(session: AsyncSession, *, department_id: int, scope: str | None
                         ) -> DepartmentOut:
    department, code = await _department_row(session, department_id=department_id, scope=scope)
    return to_out(DepartmentOut, department, facility_code=code)


async def create_department(session: AsyncSession, *, data: DepartmentIn, scope: str | None,
                            actor: Actor) -> DepartmentOut:
    check_scope(scope, data.facility_code)
    facility_id = await facility_id_of(session, code=data.facility_code)
    conflict = _department_exists(data.facility_code, data.code)
    if await session.scalar(select(Department.id).where(Department.facility_id == facility_id,
                                                        Department.code == data.code)):
        raise conflict
    department = Department(facility_id=facility_id,
                            **data.model_dump(exclude={"facility_code"}))
    session.add(department)
    await flush_unique(session, conflict)
    out = to_out(DepartmentOut, department, facility_code=data.facility_code)
    await record_change(session, actor=actor, entity="department", action="create", out=out,
                        facility_code=data.facility_code, changes=data.model_dump(mode="json"))
    return out


async def update_department(session: AsyncSession, *, department_id: int,
                            patch: DepartmentPatch, scope: str | None, actor: Actor
                            ) -> DepartmentOut:
    department, code = await _department_row(session, department_id=department_id, scope=scope)
    changes = changes_of(patch)
    for field, value in changes.items():
        setattr(department, field, value)
    await session.flush()
    out = to_out(DepartmentOut, department, facility_code=code)
    await record_change(session, actor=actor, entity="department", action="update", out=out,
                        facility_code=code, changes=patch.model_dump(mode="json",
                                                                     exclude_unset=True))
    return out


# Clinic rooms


def _room_exists(facility_code: str, code: str) -> Conflict:
    return Conflict(f"Facility {facility_code} already has a room {code}.",
                    f"Cơ sở {facility_code} đã có phòng mã {code}.",
                    details={"field": "code", "code": code}, code="duplicate_room")


async def _check_department(session: AsyncSession, *, department_id: int | None,
                            facility_id: int) -> None:
    await check_owned(session, Department, row_id=department_id, facility_id=facility_id,
                      field="department_id", what_en="department", what_vi="khoa",
                      code="unknown_department")


async def list_rooms(
    session: AsyncSession, *, scope: str | None, facility_code: str | None = None,
    kind: str | None = None, department_id: int | None = None, q: str | None = None,
    active: bool | None = None, page: int = 1, page_size: int = 50,
) -> Page[RoomOut]:
    stmt = (select(ClinicRoom, Facility.code).join(Facility, Facility.id == ClinicRoom.facility_id)
            .order_by(Facility.code, ClinicRoom.code))
    stmt = scoped_child(stmt, ClinicRoom, scope=scope, facility_code=facility_code, active=active)
    if kind:
        stmt = stmt.where(ClinicRoom.kind == kind)
    if department_id is not None:
        stmt = stmt.where(ClinicRoom.department_id == department_id)
    return await paginate(session, stmt, id_column=ClinicRoom.id,
                          search_columns=(ClinicRoom.code, ClinicRoom.name), q=q, page=page,
                          page_size=page_size,
                          to_out=lambda row: to_out(RoomOut, row[0], facility_code=row[1]))


async def _room_row(session: AsyncSession, *, room_id: int, scope: str | None
                    ) -> tuple[ClinicRoom, str]:
    return await child_row(session, ClinicRoom, row_id=room_id, scope=scope,
                           what_en="clinic room", what_vi="phòng khám")


async def get_room(session: AsyncSession, *, room_id: int, scope: str | None) -> RoomOut:
    room, code = await _room_row(session, room_id=room_id, scope=scope)
    return to_out(RoomOut, room, facility_code=code)


async def create_room(session: AsyncSession, *, data: RoomIn, scope: str | None, actor: Actor
                      ) -> RoomOut:
    check_scope(scope, data.facility_code)
    facility_id = await facility_id_of(session, code=data.facility_code)
    await _check_department(session, department_id=data.department_id, facility_id=facility_id)
    conflict = _room_exists(data.facility_code, data.code)
    if await session.scalar(select(ClinicRoom.id).where(ClinicRoom.facility_id == facility_id,
                                                        ClinicRoom.code == data.code)):
        raise conflict
    room = ClinicRoom(facility_id=facility_id, **data.model_dump(exclude={"facility_code"}))
    session.add(room)
    await flush_unique(session, conflict)
    out = to_out(RoomOut, room, facility_code=data.facility_code)
    await record_change(session, actor=actor, entity="room", action="create", out=out,
                        facility_code=data.facility_code, changes=data.model_dump(mode="json"))
    return out


async def update_room(session: AsyncSession, *, room_id: int, patch: RoomPatch,
                      scope: str | None, actor: Actor) -> RoomOut:
    room, code = await _room_row(session, room_id=room_id, scope=scope)
    changes = changes_of(patch, nullable=frozenset({"department_id"}))
    if changes.get("department_id") is not None:
        await _check_department(session, department_id=changes["department_id"],
                                facility_id=room.facility_id)
    for field, value in changes.items():
        setattr(room, field, value)
    await session.flush()
    out = to_out(RoomOut, room, facility_code=code)
    await record_change(session, actor=actor, entity="room", action="update", out=out,
                        facility_code=code, changes=patch.model_dump(mode="json",
                                                                     exclude_unset=True))
    return out
