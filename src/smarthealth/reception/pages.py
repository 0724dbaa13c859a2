"""Reception pages: kiosk, display boards, the phone status page, the desk and the room console."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import db_session
from smarthealth.core.errors import InvalidInput, NotFound
from smarthealth.identity import service as identity
from smarthealth.reception import announce, flows, lookup, printing
from smarthealth.reception.models import Ticket, Visit
from smarthealth.web.render import render, request_language

router = APIRouter(include_in_schema=False)

KIOSK_ROLES = (Role.kiosk, Role.receptionist, Role.facility_admin, Role.admin)
DESK_ROLES = (Role.receptionist, Role.facility_admin, Role.admin)
ROOM_ROLES = (Role.doctor, Role.nurse, Role.receptionist, Role.facility_admin, Role.admin)

CODE = r"^[A-Za-z0-9_.-]{1,32}$"
TOKEN = r"^[A-Za-z0-9_-]{8,128}$"
DISPLAY = r"^[A-Za-z0-9-]{1,12}$"
# Room names are letters (any script), digits, spaces and a little punctuation.
ROOM_NAME = re.compile(r"^[\w .,()/-]{0,80}$")
KIOSK_RESET_SECONDS = 20
TICKET_ROLES = (Role.kiosk, Role.receptionist, Role.facility_admin, Role.admin)
TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]


def _absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


@router.get("/kiosk/{facility_code}")
async def kiosk_page(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*KIOSK_ROLES))],
    facility_code: str,
) -> Response:
    """The touch-screen check-in kiosk (scanner types into a kept-focused input)."""
    principal.require_facility(facility_code)
    return render(request, "reception/kiosk.html", {
        "facility_code": facility_code, "reset_seconds": KIOSK_RESET_SECONDS})


@router.get("/boards/{facility_code}")
async def facility_board(request: Request, facility_code: str) -> Response:
    """The waiting-hall board for every room of a facility (public; numbers only)."""
    return render(request, "reception/board.html",
                  {"facility_code": facility_code, "room_code": None})


@router.get("/boards/{facility_code}/call.wav")
async def call_sound(
    facility_code: str,
    display: Annotated[str, Query(pattern=DISPLAY)],
    room: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    """The spoken call ("Mời số A 12 vào Phòng khám Nội 1") or a chime, cached by text."""
    if not ROOM_NAME.match(room):
        raise InvalidInput("The room name is not valid.", "Tên phòng không hợp lệ.")
    audio, kind = await announce.call_audio(announce.call_text(display, room))
    return Response(audio, media_type="audio/wav", headers={
        "Cache-Control": "public, max-age=86400", "X-Call-Audio": kind})


@router.get("/boards/{facility_code}/{room_code}")
async def room_board(request: Request, facility_code: str, room_code: str) -> Response:
    """The board above one clinic room's door (public; numbers only)."""
    return render(request, "reception/board.html",
                  {"facility_code": facility_code, "room_code": room_code})


@router.get("/t/{token}")
async def phone_status(request: Request, token: str) -> Response:
    """The patient's phone: position and estimated wait, live; the token is the only key."""
    return render(request, "reception/phone.html", {"token": token})


@router.get("/t/{token}/qr.png")
async def phone_status_qr(request: Request, token: str) -> Response:
    """A QR code of the status page's absolute address, for the kiosk's ticket screen."""
    if not re.match(TOKEN, token):
        raise InvalidInput("The ticket token is not valid.", "Mã phiếu không hợp lệ.")
    buffer = io.BytesIO()
    printing.qr_image(_absolute(request, f"/t/{token}"), 330).save(buffer, format="PNG")
    return Response(buffer.getvalue(), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/reception/{facility_code}")
async def desk_page(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*DESK_ROLES))],
    facility_code: str,
) -> Response:
    """The reception desk: check-in by keyboard and search for people without a card."""
    principal.require_facility(facility_code)
    return render(request, "reception/desk.html", {"facility_code": facility_code})


@router.get("/reception/{facility_code}/rooms/{room_code}")
async def room_console(
    request: Request,
    principal: Annotated[Principal, Depends(allow(*ROOM_ROLES))],
    facility_code: str,
    room_code: str,
) -> Response:
    """A clinic room's queue console: call next, recall, skip, return, transfer, done."""
    principal.require_facility(facility_code)
    return render(request, "reception/room.html",
                  {"facility_code": facility_code, "room_code": room_code})


async def _ticket_print(request: Request, session: AsyncSession, *, facility_code: str,
                        ticket_id: int) -> printing.TicketPrint:
    """The printable ticket, built from the same answer the check-in API gave."""
    directory = await lookup.directory(session, facility_code=facility_code)
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.facility_id != directory.facility_id:
        raise NotFound("No such ticket at this facility.", "Không tìm thấy phiếu tại cơ sở này.")
    visit = await session.get(Visit, ticket.visit_id)
    person = await identity.get_person(session, person_id=visit.person_id)
    answer = await flows.checkin_answer(session, visit=visit, ticket=ticket, person=person,
                                        directory=directory)
    return printing.ticket_from_checkin(answer, facility_name=directory.name,
                                        base_url=str(request.base_url),
                                        lang=request_language(request))


@router.get("/reception/{facility_code}/tickets/{ticket_id}/ticket.{kind}")
async def ticket_file(
    request: Request, session: Session,
    principal: Annotated[Principal, Depends(allow(*TICKET_ROLES))],
    facility_code: str, ticket_id: TicketId, kind: Literal["png", "pdf"],
) -> Response:
    """The ticket as the thermal printer would print it, as PNG or PDF."""
    principal.require_facility(facility_code)
    ticket = await _ticket_print(request, session, facility_code=facility_code,
                                 ticket_id=ticket_id)
    if kind == "pdf":
        return Response(printing.render_pdf(ticket), media_type="application/pdf")
    return Response(printing.render_png(ticket), media_type="image/png")


@router.post("/kiosk/{facility_code}/tickets/{ticket_id}/print")
async def print_ticket(
    request: Request, session: Session,
    principal: Annotated[Principal, Depends(allow(*TICKET_ROLES))],
    facility_code: str, ticket_id: TicketId,
) -> Response:
    """Send the ticket to the configured ESC/POS printer; {"printed": false} if none or failing."""
    principal.require_facility(facility_code)
    ticket = await _ticket_print(request, session, facility_code=facility_code,
                                 ticket_id=ticket_id)
    printed = await asyncio.to_thread(printing.print_ticket, ticket)
    return JSONResponse({"printed": printed})
