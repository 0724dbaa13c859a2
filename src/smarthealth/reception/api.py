"""Reception JSON API: check-in, services, room queues, staff actions, boards, phone status."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.audit import record
from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.db import get_database, utcnow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.identity import service as identity
from smarthealth.reception import flows, lookup, queues
from smarthealth.reception import service as reception
from smarthealth.reception.config import get_reception_settings
from smarthealth.reception.schemas import (
    BoardOut,
    CheckInIn,
    CheckInOut,
    QueueTicketOut,
    RoomQueueOut,
    ServiceChoice,
    TicketStatusOut,
    TransferIn,
)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Run the coverage re-check in the background while the app serves."""
    task = asyncio.create_task(flows.recheck_loop()) \
        if get_reception_settings().recheck_enabled else None
    yield
    if task is not None:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


router = APIRouter(prefix="/api/reception", tags=["reception"], lifespan=lifespan)

CHECKIN_ROLES = (Role.kiosk, Role.receptionist, Role.facility_admin, Role.admin)
STAFF_ROLES = (Role.doctor, Role.nurse, Role.receptionist, Role.facility_admin, Role.admin)
SERVICE_LIST_ROLES = (*CHECKIN_ROLES, Role.doctor, Role.nurse)
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
FacilityCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{5}$")]
RoomCode = Annotated[str, Path(min_length=1, max_length=20)]
Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
SSE_POLL_SECONDS = 1.0
SSE_HEARTBEAT_SECONDS = 15.0


@router.post("/check-ins", response_model=CheckInOut, status_code=201)
async def check_in(
    request: Request, body: CheckInIn, session: Session,
    principal: Annotated[Principal, Depends(allow(*CHECKIN_ROLES))],
) -> Any:
    """Scan → person → BHYT → visit → ticket; 200 with the same ticket on an idempotent retry."""
    received_at = utcnow()
    principal.require_facility(body.facility_code)
    answer, created = await flows.check_in(
        session, request=flows.CheckIn(**body.model_dump()),
        actor=actor_of(request, principal), received_at=received_at)
    return JSONResponse(jsonable_encoder(CheckInOut.model_validate(answer)),
                        status_code=201 if created else 200)


@router.get("/facilities/{facility_code}/services", response_model=list[ServiceChoice])
async def services(
    facility_code: FacilityCode, session: Session,
    principal: Annotated[Principal, Depends(allow(*SERVICE_LIST_ROLES))],
    kind: Annotated[str | None, Query(max_length=20)] = "exam",
) -> list[ServiceChoice]:
    """The services a kiosk offers, each with its room; `default` marks the default exam."""
    principal.require_facility(facility_code)
    directory = await lookup.directory(session, facility_code=facility_code)
    out = []
    for entry in sorted(directory.services.values(), key=lambda s: s.code):
        room = directory.rooms_by_id.get(entry.room_id) if entry.room_id else None
        if room is None or (kind and entry.kind != kind):
            continue
        out.append(ServiceChoice(code=entry.code, name=entry.name, room_code=room.code,
                                 room_name=room.name, price_bhyt=entry.price_bhyt,
                                 price_service=entry.price_service,
                                 default=entry.code == directory.default_service_code))
    return out


@router.get("/rooms/{facility_code}/{room_code}/queue", response_model=RoomQueueOut)
async def room_queue(
    request: Request, facility_code: FacilityCode, room_code: RoomCode, session: Session,
    principal: Annotated[Principal, Depends(allow(*STAFF_ROLES))],
) -> dict[str, Any]:
    """Serving, waiting, skipped and away tickets with patient names (audited)."""
    principal.require_facility(facility_code)
    queue = await queues.room_queue(session, facility_code=facility_code, room_code=room_code)
    for group in ("serving", "waiting", "skipped", "away"):
        for item in queue[group]:
            visit = await reception.visit_of(session, visit_id=item["visit_id"])
            person = await identity.get_person(session, person_id=visit.person_id)
            item["person_name"] = person.full_name
    await record(session, actor=actor_of(request, principal), action="read_queue",
                 entity_type="clinic_room", entity_id=room_code,
                 details={"facility_code": facility_code})
    return queue


async def _act(request: Request, session: AsyncSession, principal: Principal, ticket_id: int,
               action: Callable[..., Awaitable[Any]], **kwargs: Any) -> dict[str, Any]:
    facility_id = await reception.ticket_facility(session, ticket_id=ticket_id)
    directory = await lookup.directory_for_id(session, facility_id=facility_id)
    principal.require_facility(directory.code)
    ctx = reception.ActionContext(directory.code, actor_of(request, principal))
    ticket = await action(session, ctx=ctx, facility_id=facility_id, ticket_id=ticket_id,
                          **kwargs)
    return await _queue_ticket(session, ticket, directory)


async def _queue_ticket(session: AsyncSession, ticket: Any, directory: lookup.Directory
                        ) -> dict[str, Any]:
    await session.flush()
    item = queues.ticket_dict(ticket, directory.rooms_by_id[ticket.room_id])
    item["visit_id"] = ticket.visit_id
    item["position"] = await queues.position_of(session, ticket=ticket)
    return item


@router.post("/rooms/{facility_code}/{room_code}/call-next", response_model=QueueTicketOut)
async def call_next(
    request: Request, facility_code: FacilityCode, room_code: RoomCode, session: Session,
    principal: Annotated[Principal, Depends(allow(*STAFF_ROLES))],
) -> dict[str, Any]:
    """Call the next ticket of the room (priority groups first)."""
    principal.require_facility(facility_code)
    directory = await lookup.directory(session, facility_code=facility_code)
    ctx = reception.ActionContext(facility_code, actor_of(request, principal))
    ticket = await reception.call_next(session, ctx=ctx, facility_id=directory.facility_id,
                                       room_code=room_code)
    return await _queue_ticket(session, ticket, directory)


TicketId = Annotated[int, Path(ge=1, le=2**62)]
Staff = Annotated[Principal, Depends(allow(*STAFF_ROLES))]


@router.post("/tickets/{ticket_id}/recall", response_model=QueueTicketOut)
async def recall(request: Request, ticket_id: TicketId, session: Session, principal: Staff
                 ) -> dict[str, Any]:
    """Announce a called ticket again."""
    return await _act(request, session, principal, ticket_id, reception.recall)


@router.post("/tickets/{ticket_id}/skip", response_model=QueueTicketOut)
async def skip(request: Request, ticket_id: TicketId, session: Session, principal: Staff
               ) -> dict[str, Any]:
    """Move an absent patient's ticket to the skipped list."""
    return await _act(request, session, principal, ticket_id, reception.skip)


@router.post("/tickets/{ticket_id}/return", response_model=QueueTicketOut)
async def return_skipped(request: Request, ticket_id: TicketId, session: Session,
                         principal: Staff) -> dict[str, Any]:
    """Put a skipped ticket back in the queue (behind the next two waiting)."""
    return await _act(request, session, principal, ticket_id, reception.return_skipped)


@router.post("/tickets/{ticket_id}/transfer", response_model=QueueTicketOut)
async def transfer(request: Request, ticket_id: TicketId, body: TransferIn, session: Session,
                   principal: Staff) -> dict[str, Any]:
    """Send the patient to another room; the answer is their ticket there."""
    return await _act(request, session, principal, ticket_id, reception.transfer,
                      to_room_code=body.to_room_code, return_after=body.return_after)


@router.post("/tickets/{ticket_id}/done", response_model=QueueTicketOut)
async def done(request: Request, ticket_id: TicketId, session: Session, principal: Staff
               ) -> dict[str, Any]:
    """Finish the ticket (a patient sent here and back is waiting again in their room)."""
    return await _act(request, session, principal, ticket_id, reception.done)


# Public: numbers only, or one ticket by its unguessable token.


async def _read(fetch: Callable[[AsyncSession], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    async with get_database().session() as session:
        return await fetch(session)


@router.get("/boards/{facility_code}", response_model=BoardOut)
async def board(facility_code: FacilityCode, session: Session,
                room: Annotated[str | None, Query(max_length=20)] = None) -> dict[str, Any]:
    """What the waiting-hall board shows (no names)."""
    return await queues.board_state(session, facility_code=facility_code, room_code=room)


def _sse(request: Request, event: str,
         fetch: Callable[[AsyncSession], Awaitable[dict[str, Any]]]) -> StreamingResponse:
    """Poll the database about once a second and send the state whenever its version changes."""
    async def stream() -> AsyncIterator[str]:
        version, quiet = None, 0.0
        while not await request.is_disconnected():
            state = jsonable_encoder(await _read(fetch))
            if state["version"] != version:
                version, quiet = state["version"], 0.0
                yield f"event: {event}\ndata: {json.dumps(state, ensure_ascii=False)}\n\n"
            elif quiet >= SSE_HEARTBEAT_SECONDS:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(SSE_POLL_SECONDS)
            quiet += SSE_POLL_SECONDS

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/boards/{facility_code}/events")
async def board_events(request: Request, facility_code: FacilityCode, session: Session,
                       room: Annotated[str | None, Query(max_length=20)] = None
                       ) -> StreamingResponse:
    """Server-sent events: `board` with the board state on every change."""
    await queues.board_state(session, facility_code=facility_code, room_code=room)  # 404 early
    return _sse(request, "board", lambda s: queues.board_state(
        s, facility_code=facility_code, room_code=room))


@router.get("/tickets/by-token/{token}", response_model=TicketStatusOut)
async def ticket_by_token(token: Token, session: Session) -> dict[str, Any]:
    """The phone page's data: position and estimated wait."""
    return await queues.ticket_status(session, token=token)


@router.get("/tickets/by-token/{token}/events")
async def ticket_events(request: Request, token: Token, session: Session
                        ) -> StreamingResponse:
    """Server-sent events: `ticket` with the ticket's status on every change."""
    await queues.ticket_status(session, token=token)  # 404 early
    return _sse(request, "ticket", lambda s: queues.ticket_status(s, token=token))
