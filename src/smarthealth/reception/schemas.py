"""Reception request and response bodies (the contract between the API and the screens)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CheckInIn(_In):
    scan: str = Field(min_length=1, max_length=4096)
    facility_code: str = Field(pattern=r"^[0-9A-Za-z]{5}$")
    service_code: str | None = Field(default=None, max_length=50)
    idempotency_key: str = Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")
    priority: str | None = Field(default=None, max_length=30)


class TransferIn(_In):
    to_room_code: str = Field(min_length=1, max_length=20)
    return_after: bool = True


class TicketOut(BaseModel):
    id: int
    number: int
    display: str
    room_code: str
    room_name: str
    status: str
    priority_group: str | None
    token: str
    status_url: str
    issued_at: datetime
    queue_date: date
    called_at: datetime | None = None
    recalls: int = 0


class QueueTicketOut(TicketOut):
    visit_id: int
    position: int | None = None
    person_name: str | None = None


class PersonOut(BaseModel):
    id: int
    full_name: str
    cccd_masked: str | None
    birth_date: date | None
    sex: str | None
    age: int | None


class CoverageOut(BaseModel):
    decision: str
    verified: bool
    result_code: str | None
    message_vi: str
    message_en: str
    benefit_level: int | None
    benefit_rate: int | None
    card_number: str | None
    valid_to: date | None
    source: str


class ServiceRef(BaseModel):
    code: str
    name: str


class CheckInOut(BaseModel):
    visit_id: int
    ticket: TicketOut
    person: PersonOut
    coverage: CoverageOut
    service: ServiceRef | None
    position: int | None
    estimated_wait_minutes: int | None


class ServiceChoice(BaseModel):
    code: str
    name: str
    room_code: str
    room_name: str
    price_bhyt: int
    price_service: int
    default: bool


class RoomRef(BaseModel):
    code: str
    name: str
    kind: str


class RoomQueueOut(BaseModel):
    room: RoomRef
    serving: list[QueueTicketOut]
    waiting: list[QueueTicketOut]
    skipped: list[QueueTicketOut]
    away: list[QueueTicketOut]


class CalledOut(BaseModel):
    display: str
    called_at: datetime | None
    recalls: int


class BoardRoomOut(BaseModel):
    room_code: str
    room_name: str
    called: list[CalledOut]
    next: list[str]


class FacilityRef(BaseModel):
    code: str
    name: str


class LastCallOut(BaseModel):
    display: str
    room_name: str
    called_at: datetime | None


class BoardOut(BaseModel):
    facility: FacilityRef
    rooms: list[BoardRoomOut]
    version: str
    last_call: LastCallOut | None


class TicketStatusOut(BaseModel):
    display: str
    room_name: str
    status: str
    position: int | None
    estimated_wait_minutes: int | None
    called_at: datetime | None
    facility_name: str
    version: str
