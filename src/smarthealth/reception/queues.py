"""The read side of the queues: positions, wait estimates, room queues, boards, phone status."""

from __future__ import annotations

import hashlib
import json
import math
import time
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.errors import NotFound
from smarthealth.reception import lookup
from smarthealth.reception.config import get_reception_settings
from smarthealth.reception.models import Ticket
from smarthealth.reception.service import hanoi_today, waiting_order

BOARD_NEXT = 6
_estimate_cache: dict[tuple[int, date], tuple[float, int, float]] = {}


def forget_estimates() -> None:
    _estimate_cache.clear()


async def position_of(session: AsyncSession, *, ticket: Ticket) -> int | None:
    """1 for the next ticket to be called; None when the ticket is not waiting."""
    if ticket.status != "waiting":
        return None
    ahead = await session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.room_id == ticket.room_id, Ticket.queue_date == ticket.queue_date,
        Ticket.status == "waiting",
        or_(Ticket.priority_rank < ticket.priority_rank,
            and_(Ticket.priority_rank == ticket.priority_rank,
                 or_(Ticket.order_key < ticket.order_key,
                     and_(Ticket.order_key == ticket.order_key, Ticket.id < ticket.id))))))
    return int(ahead or 0) + 1


def ewma(durations_minutes: list[float], *, prior: float, alpha: float) -> float:
    """Exponentially weighted mean of service times, oldest first, starting from the prior."""
    value = prior
    for minutes in durations_minutes:
        value = alpha * minutes + (1 - alpha) * value
    return value


async def room_rate(session: AsyncSession, *, room_id: int, queue_date: date
                    ) -> tuple[float, int]:
    """(average minutes per patient from today's finished tickets, doctors serving now);
    kept for `estimate_cache_seconds` per room so the check-in path rarely pays for it."""
    settings = get_reception_settings()
    key = (room_id, queue_date)
    cached = _estimate_cache.get(key)
    if cached and time.monotonic() - cached[2] < settings.estimate_cache_seconds:
        return cached[0], cached[1]
    rows = (await session.execute(
        select(Ticket.called_at, Ticket.done_at)
        .where(Ticket.room_id == room_id, Ticket.queue_date == queue_date,
               Ticket.status == "done", Ticket.called_at.is_not(None))
        .order_by(Ticket.done_at.desc()).limit(settings.ewma_window))).all()
    durations = [max((d - c).total_seconds(), 0) / 60 for c, d in reversed(rows)]
    average = ewma(durations, prior=settings.prior_service_minutes, alpha=settings.ewma_alpha)
    serving = await session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.room_id == room_id, Ticket.queue_date == queue_date, Ticket.status == "serving"))
    servers = max(int(serving or 0), 1)
    _estimate_cache[key] = (average, servers, time.monotonic())
    return average, servers


async def estimate_wait(session: AsyncSession, *, room_id: int, queue_date: date,
                        position: int | None) -> int | None:
    """Minutes until the ticket is called: position × average service time / doctors serving."""
    if position is None:
        return None
    average, servers = await room_rate(session, room_id=room_id, queue_date=queue_date)
    return math.ceil(position * average / servers)


def ticket_dict(ticket: Ticket, room: lookup.Room) -> dict[str, Any]:
    """The ticket as the API shows it (see the reception contract)."""
    return {
        "id": ticket.id, "number": ticket.number, "display": ticket.display,
        "room_code": room.code, "room_name": room.name, "status": ticket.status,
        "priority_group": ticket.priority_group, "token": ticket.token,
        "status_url": f"/t/{ticket.token}", "issued_at": ticket.issued_at,
        "queue_date": ticket.queue_date, "called_at": ticket.called_at,
        "recalls": ticket.recalls,
    }


async def room_queue(session: AsyncSession, *, facility_code: str, room_code: str,
                     names: dict[int, str] | None = None) -> dict[str, Any]:
    """Serving, waiting (in call order), skipped and away tickets of a room today."""
    room = await lookup.room(session, facility_code=facility_code, room_code=room_code)
    tickets = (await session.scalars(
        select(Ticket).where(Ticket.room_id == room.id, Ticket.queue_date == hanoi_today(),
                             Ticket.status.in_(("waiting", "serving", "skipped", "away")))
        .order_by(*waiting_order()))).all()
    out: dict[str, Any] = {"room": {"code": room.code, "name": room.name, "kind": room.kind},
                           "serving": [], "waiting": [], "skipped": [], "away": []}
    for ticket in tickets:
        item = ticket_dict(ticket, room)
        item["visit_id"] = ticket.visit_id
        if ticket.status == "waiting":
            item["position"] = len(out["waiting"]) + 1
        out[ticket.status].append(item)
    return out


def _version(content: dict[str, Any]) -> str:
    blob = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.sha1(blob).hexdigest()[:16]  # noqa: S324 - a change marker, not security


async def board_state(session: AsyncSession, *, facility_code: str, room_code: str | None = None
                      ) -> dict[str, Any]:
    """Numbers only (no names): who is called in each room and who is next."""
    directory = await lookup.directory(session, facility_code=facility_code)
    stmt = (select(Ticket).where(Ticket.facility_id == directory.facility_id,
                                 Ticket.queue_date == hanoi_today(),
                                 Ticket.status.in_(("waiting", "serving")))
            .order_by(*waiting_order()))
    only = None
    if room_code is not None:
        only = await lookup.room(session, facility_code=facility_code, room_code=room_code)
        stmt = stmt.where(Ticket.room_id == only.id)
    rooms: dict[int, dict[str, Any]] = {}
    if only is not None:
        rooms[only.id] = {"room_code": only.code, "room_name": only.name, "called": [], "next": []}
    last_call: dict[str, Any] | None = None
    for ticket in (await session.scalars(stmt)).all():
        room = directory.rooms_by_id.get(ticket.room_id)
        if room is None:
            continue
        entry = rooms.setdefault(room.id, {"room_code": room.code, "room_name": room.name,
                                           "called": [], "next": []})
        if ticket.status == "serving":
            entry["called"].append({"display": ticket.display, "called_at": ticket.called_at,
                                    "recalls": ticket.recalls})
            if last_call is None or ticket.called_at > last_call["called_at"]:
                last_call = {"display": ticket.display, "room_name": room.name,
                             "called_at": ticket.called_at}
        elif len(entry["next"]) < BOARD_NEXT:
            entry["next"].append(ticket.display)
    for entry in rooms.values():
        entry["called"].sort(key=lambda c: c["called_at"], reverse=True)
    content = {"facility": {"code": directory.code, "name": directory.name},
               "rooms": sorted(rooms.values(), key=lambda r: r["room_code"]),
               "last_call": last_call}
    return {**content, "version": _version(content)}


async def ticket_status(session: AsyncSession, *, token: str) -> dict[str, Any]:
    """What the phone page shows for an unguessable ticket token."""
    ticket = await session.scalar(select(Ticket).where(Ticket.token == token))
    if ticket is None:
        raise NotFound("No such ticket.", "Không tìm thấy số thứ tự này.", code="unknown_ticket")
    directory = await lookup.directory_for_id(session, facility_id=ticket.facility_id)
    room = await lookup.room_by_id(session, facility_code=directory.code, room_id=ticket.room_id)
    position = await position_of(session, ticket=ticket)
    wait = await estimate_wait(session, room_id=ticket.room_id, queue_date=ticket.queue_date,
                               position=position)
    content = {"display": ticket.display, "room_name": room.name, "status": ticket.status,
               "position": position, "estimated_wait_minutes": wait,
               "called_at": ticket.called_at, "facility_name": directory.name}
    return {**content, "version": _version(content)}
