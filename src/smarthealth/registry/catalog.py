"""Registry logic for billable services (with BHYT and on-demand prices) and practitioners."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.audit import Actor, record
from smarthealth.core.errors import Conflict, InvalidInput
from smarthealth.registry.listing import paginate
from smarthealth.registry.models import ClinicRoom, Facility, Practitioner, Service, StaffUser
from smarthealth.registry.schemas import (
    Page,
    PractitionerIn,
    PractitionerOut,
    PractitionerPatch,
    ServiceIn,
    ServiceOut,
    ServicePatch,
)
from smarthealth.registry.service import (
    changes_of,
    check_owned,
    check_scope,
    child_row,
    facility_id_of,
    flush_unique,
    record_change,
    scoped_child,
    to_out,
)

# Services


def _service_exists(facility_code: str, code: str) -> Conflict:
    return Conflict(f"Facility {facility_code} already has a service {code}.",
                    f"Cơ sở {facility_code} đã có dịch vụ mã {code}.",
                    details={"field": "code", "code": code}, code="duplicate_service")


async def _check_room(session: AsyncSession, *, room_id: int | None, facility_id: int) -> None:
    await check_owned(session, ClinicRoom, row_id=room_id, facility_id=facility_id,
                      field="room_id", what_en="room", what_vi="phòng", code="unknown_room")


async def list_services(
    session: AsyncSession, *, scope: str | None, facility_code: str | None = None,
    kind: str | None = None, room_id: int | None = None, q: str | None = None,
    active: bool | None = None, page: int = 1, page_size: int = 50,
) -> Page[ServiceOut]:
    stmt = (select(Service, Facility.code).join(Facility, Facility.id == Service.facility_id)
            .order_by(Facility.code, Service.code))
    stmt = scoped_child(stmt, Service, scope=scope, facility_code=facility_code, active=active)
    if kind:
        stmt = stmt.where(Service.kind == kind)
    if room_id is not None:
        stmt = stmt.where(Service.room_id == room_id)
    return await paginate(session, stmt, id_column=Service.id,
                          search_columns=(Service.code, Service.name), q=q, page=page,
                          page_size=page_size,
                          to_out=lambda row: to_out(ServiceOut, row[0], facility_code=row[1]))


async def _service_row(session: AsyncSession, *, service_id: int, scope: str | None
                       ) -> tuple[Service, str]:
    return await child_row(session, Service, row_id=service_id, scope=scope,
                           what_en="service", what_vi="dịch vụ")


async def get_service(session: AsyncSession, *, service_id: int, scope: str | None
                      ) -> ServiceOut:
    service, code = await _service_row(session, service_id=service_id, scope=scope)
    return to_out(ServiceOut, service, facility_code=code)


async def create_service(session: AsyncSession, *, data: ServiceIn, scope: str | None,
                         actor: Actor) -> ServiceOut:
    check_scope(scope, data.facility_code)
    facility_id = await facility_id_of(session, code=data.facility_code)
    await _check_room(session, room_id=data.room_id, facility_id=facility_id)
    conflict = _service_exists(data.facility_code, data.code)
    if await session.scalar(select(Service.id).where(Service.facility_id == facility_id,
                                                     Service.code == data.code)):
        raise conflict
    service = Service(facility_id=facility_id, **data.model_dump(exclude={"facility_code"}))
    session.add(service)
    await flush_unique(session, conflict)
    out = to_out(ServiceOut, service, facility_code=data.facility_code)
    await record_change(session, actor=actor, entity="service", action="create", out=out,
                        facility_code=data.facility_code, changes=data.model_dump(mode="json"))
    return out


async def update_service(session: AsyncSession, *, service_id: int, patch: ServicePatch,
                         scope: str | None, actor: Actor) -> ServiceOut:
    service, code = await _service_row(session, service_id=service_id, scope=scope)
    changes = changes_of(patch, nullable=frozenset({"room_id"}))
    if changes.get("room_id") is not None:
        await _check_room(session, room_id=changes["room_id"], facility_id=service.facility_id)
    for field, value in changes.items():
        setattr(service, field, value)
    await session.flush()
    out = to_out(ServiceOut, service, facility_code=code)
    await record_change(session, actor=actor, entity="service", action="update", out=out,
                        facility_code=code, changes=patch.model_dump(mode="json",
                                                                     exclude_unset=True))
    return out


# Practitioners


def _certificate_taken(number: str) -> Conflict:
    return Conflict(f"The practising certificate {number} is already registered.",
                    f"Chứng chỉ hành nghề số {number} đã được đăng ký.",
                    details={"field": "certificate_number", "certificate_number": number},
                    code="duplicate_certificate")


async def _check_staff_user(session: AsyncSession, *, user_id: int | None, facility_id: int
                            ) -> None:
    if user_id is None:
        return
    owner = await session.execute(select(StaffUser.facility_id).where(StaffUser.id == user_id))
    found = owner.first()
    if found is None or found[0] != facility_id:
        raise InvalidInput(f"Staff user {user_id} does not work at this facility.",
                           f"Tài khoản {user_id} không thuộc cơ sở này.",
                           details={"field": "staff_user_id"}, code="unknown_staff_user")


async def list_practitioners(
    session: AsyncSession, *, scope: str | None, facility_code: str | None = None,
    kind: str | None = None, q: str | None = None, active: bool | None = None,
    page: int = 1, page_size: int = 50,
) -> Page[PractitionerOut]:
    """`kind` filters by title (doctor, nurse, ...); `q` searches name, certificate, specialty."""
    stmt = (select(Practitioner, Facility.code)
            .join(Facility, Facility.id == Practitioner.facility_id)
            .order_by(Facility.code, Practitioner.full_name, Practitioner.id))
    stmt = scoped_child(stmt, Practitioner, scope=scope, facility_code=facility_code,
                        active=active)
    if kind:
        stmt = stmt.where(Practitioner.title == kind)
    return await paginate(session, stmt, id_column=Practitioner.id,
                          search_columns=(Practitioner.full_name, Practitioner.certificate_number,
                                          Practitioner.specialty),
                          q=q, page=page, page_size=page_size,
                          to_out=lambda row: to_out(PractitionerOut, row[0], facility_code=row[1]))


async def _practitioner_row(session: AsyncSession, *, practitioner_id: int, scope: str | None
                            ) -> tuple[Practitioner, str]:
    return await child_row(session, Practitioner, row_id=practitioner_id, scope=scope,
                           what_en="practitioner", what_vi="người hành nghề")


async def get_practitioner(session: AsyncSession, *, practitioner_id: int, scope: str | None
                           ) -> PractitionerOut:
    practitioner, code = await _practitioner_row(session, practitioner_id=practitioner_id,
                                                 scope=scope)
    return to_out(PractitionerOut, practitioner, facility_code=code)


async def create_practitioner(session: AsyncSession, *, data: PractitionerIn, scope: str | None,
                              actor: Actor) -> PractitionerOut:
    check_scope(scope, data.facility_code)
    facility_id = await facility_id_of(session, code=data.facility_code)
    await _check_staff_user(session, user_id=data.staff_user_id, facility_id=facility_id)
    conflict = _certificate_taken(data.certificate_number)
    if await session.scalar(select(Practitioner.id).where(
            Practitioner.certificate_number == data.certificate_number)):
        raise conflict
    practitioner = Practitioner(facility_id=facility_id,
                                **data.model_dump(exclude={"facility_code"}))
    session.add(practitioner)
    await flush_unique(session, conflict)
    out = to_out(PractitionerOut, practitioner, facility_code=data.facility_code)
    await record_change(session, actor=actor, entity="practitioner", action="create", out=out,
                        facility_code=data.facility_code, changes=data.model_dump(mode="json"))
    return out


async def update_practitioner(session: AsyncSession, *, practitioner_id: int,
                              patch: PractitionerPatch, scope: str | None, actor: Actor
                              ) -> PractitionerOut:
    practitioner, code = await _practitioner_row(session, practitioner_id=practitioner_id,
                                                 scope=scope)
    changes = changes_of(patch, nullable=frozenset({"specialty", "health_id", "cccd",
                                                    "staff_user_id"}))
    if changes.get("staff_user_id") is not None:
        await _check_staff_user(session, user_id=changes["staff_user_id"],
                                facility_id=practitioner.facility_id)
    for field, value in changes.items():
        setattr(practitioner, field, value)
    await session.flush()
    out = to_out(PractitionerOut, practitioner, facility_code=code)
    await record_change(session, actor=actor, entity="practitioner", action="update", out=out,
                        facility_code=code, changes=patch.model_dump(mode="json",
                                                                     exclude_unset=True))
    return out


# Price-list imports and catalogue look-ups (used by the catalogue domain)


async def services_of_facility(session: AsyncSession, *, facility_code: str,
                               kinds: Sequence[str] | None = None, active: bool | None = True
                               ) -> list[ServiceOut]:
    """Every service of one facility (optionally of some kinds), ordered by code."""
    stmt = (select(Service, Facility.code).join(Facility, Facility.id == Service.facility_id)
            .where(Facility.code == facility_code).order_by(Service.code))
    if kinds:
        stmt = stmt.where(Service.kind.in_(list(kinds)))
    if active is not None:
        stmt = stmt.where(Service.active.is_(active))
    rows = (await session.execute(stmt)).all()
    return [to_out(ServiceOut, row[0], facility_code=row[1]) for row in rows]


async def upsert_services(session: AsyncSession, *, facility_code: str, rows: Sequence[ServiceIn],
                          actor: Actor) -> tuple[int, int]:
    """Create or update a facility's services by code (price-list import); (created, updated).

    `room_id` of an existing service is kept; one audit entry records the whole import.
    """
    facility_id = await facility_id_of(session, code=facility_code)
    existing = {s.code: s for s in (await session.scalars(
        select(Service).where(Service.facility_id == facility_id))).all()}
    created = updated = 0
    for data in rows:
        check_scope(facility_code, data.facility_code)
        await _check_room(session, room_id=data.room_id, facility_id=facility_id)
        fields = data.model_dump(exclude={"facility_code", "room_id"})
        service = existing.get(data.code)
        if service is None:
            service = Service(facility_id=facility_id, room_id=data.room_id, **fields)
            session.add(service)
            existing[data.code] = service
            created += 1
        elif any(getattr(service, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(service, key, value)
            updated += 1
    await session.flush()
    await record(session, actor=actor, action="import", entity_type="service_price_list",
                 entity_id=facility_code,
                 details={"facility_code": facility_code, "created": created,
                          "updated": updated, "rows": len(rows)})
    return created, updated
