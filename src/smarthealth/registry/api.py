"""Registry JSON API: list (paged, filtered), read, create and update master data.

Who may do what:
- Every staff role reads facilities (public master data: all facilities, whatever the role).
- Departments, rooms, services and practitioners are read by every staff role; facility-bound
  roles see only their own facility's rows (another facility's rows answer 403 when asked for
  by facility_code, 404 when asked for by id). Kiosk devices are not admitted.
- Staff accounts are read by admin, facility_admin (own facility) and department_analyst.
- Writes: admin on anything; facility_admin on their own facility's rows and accounts, and on
  their own facility's name, ward, address and phone (not its code, level, tier or status).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.core.errors import PermissionDenied
from smarthealth.registry import catalog, service, staff
from smarthealth.registry.schemas import (
    MAX_ID,
    ChildQuery,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    FacilityIn,
    FacilityOut,
    FacilityPatch,
    FacilityQuery,
    Page,
    PractitionerIn,
    PractitionerOut,
    PractitionerPatch,
    RoomIn,
    RoomOut,
    RoomPatch,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    UserIn,
    UserOut,
    UserPatch,
)

router = APIRouter(prefix="/api/registry", tags=["registry"])

READERS = (Role.admin, Role.facility_admin, Role.department_analyst, Role.receptionist,
           Role.doctor, Role.nurse, Role.pharmacist, Role.cashier)
ACCOUNT_READERS = (Role.admin, Role.facility_admin, Role.department_analyst)
WRITERS = (Role.admin, Role.facility_admin)

Reader = Annotated[Principal, Depends(allow(*READERS))]
AccountReader = Annotated[Principal, Depends(allow(*ACCOUNT_READERS))]
Writer = Annotated[Principal, Depends(allow(*WRITERS))]
Admin = Annotated[Principal, Depends(allow(Role.admin))]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
Code = Annotated[str, Path(pattern=r"^[0-9]{5}$", description="BHYT facility code")]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Children = Annotated[ChildQuery, Query()]
FACILITY_ADMIN_FIELDS = frozenset({"name", "ward_code", "address", "phone"})


def _list_args(query: ChildQuery) -> dict:
    return query.model_dump()


# Facilities


@router.get("/facilities", response_model=Page[FacilityOut])
async def list_facilities(_: Reader, session: Session,
                          query: Annotated[FacilityQuery, Query()]) -> Page[FacilityOut]:
    return await service.list_facilities(session, **query.model_dump())


@router.post("/facilities", response_model=FacilityOut, status_code=201)
async def create_facility(request: Request, principal: Admin, session: Session,
                          data: FacilityIn) -> FacilityOut:
    return await service.create_facility(session, data=data, actor=actor_of(request, principal))


@router.get("/facilities/by-id/{facility_id}", response_model=FacilityOut)
async def get_facility_by_id(_: Reader, session: Session, facility_id: Id) -> FacilityOut:
    return await service.get_facility_by_id(session, facility_id=facility_id)


@router.get("/facilities/{code}", response_model=FacilityOut)
async def get_facility(_: Reader, session: Session, code: Code) -> FacilityOut:
    return await service.get_facility(session, code=code)


@router.patch("/facilities/{code}", response_model=FacilityOut)
async def update_facility(request: Request, principal: Writer, session: Session, code: Code,
                          patch: FacilityPatch) -> FacilityOut:
    if not principal.city_wide:
        principal.require_facility(code)
        refused = sorted(patch.model_fields_set - FACILITY_ADMIN_FIELDS)
        if refused:
            raise PermissionDenied(
                "Only a city administrator may change: " + ", ".join(refused) + ".",
                "Chỉ quản trị viên thành phố mới được sửa: " + ", ".join(refused) + ".",
                details={"fields": refused})
    return await service.update_facility(session, code=code, patch=patch,
                                         actor=actor_of(request, principal))


# Departments


@router.get("/departments", response_model=Page[DepartmentOut])
async def list_departments(principal: Reader, session: Session, query: Children
                           ) -> Page[DepartmentOut]:
    return await service.list_departments(session, scope=principal.facility_scope(),
                                          **_list_args(query))


@router.post("/departments", response_model=DepartmentOut, status_code=201)
async def create_department(request: Request, principal: Writer, session: Session,
                            data: DepartmentIn) -> DepartmentOut:
    return await service.create_department(session, data=data, scope=principal.facility_scope(),
                                           actor=actor_of(request, principal))


@router.get("/departments/{department_id}", response_model=DepartmentOut)
async def get_department(principal: Reader, session: Session, department_id: Id
                         ) -> DepartmentOut:
    return await service.get_department(session, department_id=department_id,
                                        scope=principal.facility_scope())


@router.patch("/departments/{department_id}", response_model=DepartmentOut)
async def update_department(request: Request, principal: Writer, session: Session,
                            department_id: Id, patch: DepartmentPatch) -> DepartmentOut:
    return await service.update_department(session, department_id=department_id, patch=patch,
                                           scope=principal.facility_scope(),
                                           actor=actor_of(request, principal))


# Clinic rooms


@router.get("/rooms", response_model=Page[RoomOut])
async def list_rooms(principal: Reader, session: Session, query: Children) -> Page[RoomOut]:
    return await service.list_rooms(session, scope=principal.facility_scope(),
                                    **_list_args(query))


@router.post("/rooms", response_model=RoomOut, status_code=201)
async def create_room(request: Request, principal: Writer, session: Session, data: RoomIn
                      ) -> RoomOut:
    return await service.create_room(session, data=data, scope=principal.facility_scope(),
                                     actor=actor_of(request, principal))


@router.get("/rooms/{room_id}", response_model=RoomOut)
async def get_room(principal: Reader, session: Session, room_id: Id) -> RoomOut:
    return await service.get_room(session, room_id=room_id, scope=principal.facility_scope())


@router.patch("/rooms/{room_id}", response_model=RoomOut)
async def update_room(request: Request, principal: Writer, session: Session, room_id: Id,
                      patch: RoomPatch) -> RoomOut:
    return await service.update_room(session, room_id=room_id, patch=patch,
                                     scope=principal.facility_scope(),
                                     actor=actor_of(request, principal))


# Services


@router.get("/services", response_model=Page[ServiceOut])
async def list_services(principal: Reader, session: Session, query: Children
                        ) -> Page[ServiceOut]:
    return await catalog.list_services(session, scope=principal.facility_scope(),
                                       **_list_args(query))


@router.post("/services", response_model=ServiceOut, status_code=201)
async def create_service(request: Request, principal: Writer, session: Session, data: ServiceIn
                         ) -> ServiceOut:
    return await catalog.create_service(session, data=data, scope=principal.facility_scope(),
                                        actor=actor_of(request, principal))


@router.get("/services/{service_id}", response_model=ServiceOut)
async def get_service(principal: Reader, session: Session, service_id: Id) -> ServiceOut:
    return await catalog.get_service(session, service_id=service_id,
                                     scope=principal.facility_scope())


@router.patch("/services/{service_id}", response_model=ServiceOut)
async def update_service(request: Request, principal: Writer, session: Session,
                         service_id: Id, patch: ServicePatch) -> ServiceOut:
    return await catalog.update_service(session, service_id=service_id, patch=patch,
                                        scope=principal.facility_scope(),
                                        actor=actor_of(request, principal))


# Practitioners


@router.get("/practitioners", response_model=Page[PractitionerOut])
async def list_practitioners(principal: Reader, session: Session, query: Children
                             ) -> Page[PractitionerOut]:
    return await catalog.list_practitioners(session, scope=principal.facility_scope(),
                                            **_list_args(query))


@router.post("/practitioners", response_model=PractitionerOut, status_code=201)
async def create_practitioner(request: Request, principal: Writer, session: Session,
                              data: PractitionerIn) -> PractitionerOut:
    return await catalog.create_practitioner(session, data=data,
                                             scope=principal.facility_scope(),
                                             actor=actor_of(request, principal))


@router.get("/practitioners/{practitioner_id}", response_model=PractitionerOut)
async def get_practitioner(principal: Reader, session: Session, practitioner_id: Id
                           ) -> PractitionerOut:
    return await catalog.get_practitioner(session, practitioner_id=practitioner_id,
                                          scope=principal.facility_scope())


@router.patch("/practitioners/{practitioner_id}", response_model=PractitionerOut)
async def update_practitioner(request: Request, principal: Writer, session: Session,
                              practitioner_id: Id, patch: PractitionerPatch) -> PractitionerOut:
    return await catalog.update_practitioner(session, practitioner_id=practitioner_id,
                                             patch=patch, scope=principal.facility_scope(),
                                             actor=actor_of(request, principal))


# Staff users


@router.get("/users", response_model=Page[UserOut])
async def list_users(principal: AccountReader, session: Session, query: Children
                     ) -> Page[UserOut]:
    return await staff.list_users(session, scope=principal.facility_scope(), **_list_args(query))


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(request: Request, principal: Writer, session: Session, data: UserIn
                      ) -> UserOut:
    return await staff.create_user(session, data=data, scope=principal.facility_scope(),
                                   actor=actor_of(request, principal))


@router.get("/users/{user_id}", response_model=UserOut)
async def get_user(principal: AccountReader, session: Session, user_id: Id) -> UserOut:
    return await staff.get_user(session, user_id=user_id, scope=principal.facility_scope())


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(request: Request, principal: Writer, session: Session, user_id: Id,
                      patch: UserPatch) -> UserOut:
    return await staff.update_user(session, user_id=user_id, patch=patch,
                                   scope=principal.facility_scope(),
                                   actor=actor_of(request, principal),
                                   acting_user_id=principal.user_id)
