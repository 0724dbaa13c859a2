"""A short-lived in-process copy of each facility's rooms and services, read through the registry.

Check-in is the hot path; rooms and services change rarely, so they are read once per facility
and kept for `directory_cache_seconds`. A code that is not in the copy triggers one re-read.
"""

from __future__ import annotations

import string
import time
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.errors import InvalidInput, NotFound
from smarthealth.reception.config import get_reception_settings
from smarthealth.registry import catalog
from smarthealth.registry import service as registry

_PAGE = 500


@dataclass(frozen=True)
class Room:
    id: int
    code: str
    name: str
    kind: str
    prefix: str  # the letter in front of this room's ticket numbers


@dataclass(frozen=True)
class ServiceEntry:
    id: int
    code: str
    name: str
    kind: str
    room_id: int | None
    price_bhyt: int
    price_service: int


@dataclass
class Directory:
    facility_id: int
    code: str
    name: str
    rooms: dict[str, Room] = field(default_factory=dict)
    rooms_by_id: dict[int, Room] = field(default_factory=dict)
    services: dict[str, ServiceEntry] = field(default_factory=dict)
    default_service_code: str | None = None
    loaded_at: float = 0.0


_cache: dict[str, Directory] = {}
_code_by_id: dict[int, str] = {}


def forget() -> None:
    """Drop every cached directory (tests, after registry edits)."""
    _cache.clear()
    _code_by_id.clear()


def _prefix(index: int) -> str:
    letters = string.ascii_uppercase
    return letters[index % 26] + ("" if index < 26 else str(index // 26))


def _default_service(services: list[ServiceEntry]) -> str | None:
    """The configured default exam code, else the exam service with the lowest code that has
    a room (the rule the synthetic catalogue follows)."""
    wanted = get_reception_settings().default_exam_code
    exams = [s for s in services if s.kind == "exam" and s.room_id is not None]
    for entry in exams:
        if entry.code == wanted:
            return entry.code
    return min(exams, key=lambda s: s.code).code if exams else None


async def _load(session: AsyncSession, code: str) -> Directory:
    facility = await registry.get_facility(session, code=code)
    rooms = (await registry.list_rooms(session, scope=None, facility_code=code, active=True,
                                       page_size=_PAGE)).items
    services = (await catalog.list_services(session, scope=None, facility_code=code,
                                            active=True, page_size=_PAGE)).items
    directory = Directory(facility.id, facility.code, facility.name, loaded_at=time.monotonic())
    for index, row in enumerate(sorted(rooms, key=lambda r: r.code)):
        room = Room(row.id, row.code, row.name, row.kind, _prefix(index))
        directory.rooms[room.code] = room
        directory.rooms_by_id[room.id] = room
    entries = [ServiceEntry(s.id, s.code, s.name, s.kind, s.room_id, s.price_bhyt,
                            s.price_service) for s in services]
    directory.services = {s.code: s for s in entries}
    directory.default_service_code = _default_service(entries)
    _cache[code] = directory
    _code_by_id[facility.id] = code
    return directory


async def directory(session: AsyncSession, *, facility_code: str, fresh: bool = False
                    ) -> Directory:
    """The facility's rooms and services (cached); NotFound for an unknown facility."""
    found = _cache.get(facility_code)
    ttl = get_reception_settings().directory_cache_seconds
    if fresh or found is None or time.monotonic() - found.loaded_at > ttl:
        found = await _load(session, facility_code)
    return found


async def directory_for_id(session: AsyncSession, *, facility_id: int) -> Directory:
    """The directory of the facility with this row id."""
    code = _code_by_id.get(facility_id)
    if code is None:
        code = (await registry.get_facility_by_id(session, facility_id=facility_id)).code
    return await directory(session, facility_code=code)


async def room(session: AsyncSession, *, facility_code: str, room_code: str) -> Room:
    found = await directory(session, facility_code=facility_code)
    if room_code not in found.rooms:
        found = await directory(session, facility_code=facility_code, fresh=True)
    if room_code not in found.rooms:
        raise NotFound(f"No clinic room {room_code} at facility {facility_code}.",
                       f"Không có phòng {room_code} tại cơ sở {facility_code}.",
                       details={"room_code": room_code}, code="unknown_room")
    return found.rooms[room_code]


async def room_by_id(session: AsyncSession, *, facility_code: str, room_id: int) -> Room:
    found = await directory(session, facility_code=facility_code)
    if room_id not in found.rooms_by_id:
        found = await directory(session, facility_code=facility_code, fresh=True)
    if room_id not in found.rooms_by_id:
        raise NotFound(details={"room_id": room_id}, code="unknown_room")
    return found.rooms_by_id[room_id]


async def service_for_checkin(session: AsyncSession, *, facility_code: str,
                              service_code: str | None) -> tuple[ServiceEntry, Room]:
    """The requested service (or the facility's default exam) and the room that performs it."""
    found = await directory(session, facility_code=facility_code)
    code = service_code or found.default_service_code
    if code is None or code not in found.services:
        found = await directory(session, facility_code=facility_code, fresh=True)
        code = service_code or found.default_service_code
    entry = found.services.get(code) if code else None
    if entry is None:
        raise InvalidInput(
            f"Facility {facility_code} has no service {service_code or '(default exam)'}.",
            "Không có dịch vụ khám này — vui lòng đến quầy tiếp đón.",
            details={"field": "service_code", "service_code": service_code},
            code="unknown_service")
    if entry.room_id is None or entry.room_id not in found.rooms_by_id:
        raise InvalidInput(f"Service {entry.code} has no clinic room.",
                           "Dịch vụ này chưa được gán phòng khám — vui lòng đến quầy tiếp đón.",
                           details={"service_code": entry.code}, code="service_without_room")
    return entry, found.rooms_by_id[entry.room_id]
