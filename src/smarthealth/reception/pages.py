"""Reception pages: kiosk, display boards, the phone status page, the desk and the room console."""

from __future__ import annotations

import io
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.errors import InvalidInput
from smarthealth.reception import announce, printing
from smarthealth.web.render import render

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
