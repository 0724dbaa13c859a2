"""Queue logic: daily ticket numbers, priority, and the staff actions on a room's queue.

Rules (documented here, tested in tests/reception/):
- Order in a room = priority rank (configured groups first, in their configured order), then
  `order_key` (issue order; a new ticket's key is its number × 1000).
- Skip: a waiting or called ticket moves to the skipped list. Return: it goes back in behind
  the next `return_after_waiting` (default 2) tickets that are waiting at that moment.
- Transfer with return_after: the ticket is "away" while the patient is in the other room
  (a new ticket there); when that room marks them done the original ticket is waiting again
  with its original rank and key, i.e. ahead of everyone who checked in after them.
- Daily reset: numbers restart per room every Hanoi day; tickets of earlier days still open
  are closed by `reset_day` (run at the first check-in of the day in each process).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, cast, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from smarthealth.core import outbox
from smarthealth.core.audit import Actor, record
from smarthealth.core.db import utcnow
from smarthealth.core.errors import Conflict, InvalidInput, NotFound
from smarthealth.core.i18n import LOCAL_TZ
from smarthealth.reception import lookup
from smarthealth.reception.config import get_reception_settings
from smarthealth.reception.models import Ticket, TicketCounter, Visit

OPEN_STATUSES = ("waiting", "serving", "skipped", "away")
KEY_STEP = 1000
_last_reset: dict[str, date] = {}


def hanoi_today(now: datetime | None = None) -> date:
    """The queue date: today in Asia/Ho_Chi_Minh."""
    return (now or utcnow()).astimezone(LOCAL_TZ).date()


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def priority_rank(group: str | None) -> int:
    groups = get_reception_settings().priority_groups
    return groups.index(group) if group in groups else len(groups)


def priority_for(*, birth_date: date | None, explicit: str | None, on: date) -> str | None:
    """The highest-ranked group that applies: the desk's explicit one or one derived from age."""
    settings = get_reception_settings()
    if explicit is not None and explicit not in settings.priority_groups:
        raise InvalidInput(f"Unknown priority group {explicit}.",
                           f"Nhóm ưu tiên {explicit} không hợp lệ.",
                           details={"field": "priority", "allowed": list(settings.priority_groups)})
    candidates = [explicit] if explicit else []
    if birth_date is not None:
        age = age_on(birth_date, on)
        if age < settings.child_age_below:
            candidates.append("child_under_6")
        if age >= settings.elderly_age:
            candidates.append("elderly")
    candidates = [c for c in candidates if c in settings.priority_groups]
    return min(candidates, key=priority_rank) if candidates else None


async def next_number(session: AsyncSession, *, room_id: int, queue_date: date) -> int:
    """Increment the room's counter for the day under its row lock; one statement, no gaps."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(TicketCounter).values(room_id=room_id, queue_date=queue_date, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[TicketCounter.room_id, TicketCounter.queue_date],
        set_={"last": TicketCounter.last + 1},
    ).returning(TicketCounter.last)
    return int((await session.execute(stmt)).scalar_one())


async def issue_ticket(session: AsyncSession, *, visit: Visit, room: lookup.Room,
                       priority_group: str | None) -> Ticket:
    """Give the visit the room's next number (take this last: the counter row stays locked)."""
    if session.bind.dialect.name == "postgresql":
        return await _issue_in_one_statement(session, visit=visit, room=room,
                                             priority_group=priority_group)
    number = await next_number(session, room_id=room.id, queue_date=visit.queue_date)
    ticket = Ticket(**_ticket_values(visit, room, priority_group), number=number,
                    display=f"{room.prefix}-{number:03d}", order_key=number * KEY_STEP)
    session.add(ticket)
    return ticket


def _ticket_values(visit: Visit, room: lookup.Room, priority_group: str | None
                   ) -> dict[str, Any]:
    now = utcnow()
    return {"visit_id": visit.id, "facility_id": visit.facility_id, "room_id": room.id,
            "queue_date": visit.queue_date, "token": secrets.token_urlsafe(18),
            "status": "waiting", "priority_group": priority_group,
            "priority_rank": priority_rank(priority_group), "recalls": 0, "issued_at": now,
            "updated_at": now}


async def _issue_in_one_statement(session: AsyncSession, *, visit: Visit, room: lookup.Room,
                                  priority_group: str | None) -> Ticket:
    """PostgreSQL: bump the counter and insert the ticket in one round trip (a data-modifying
    CTE), so the counter row is locked only for that statement and the commit."""
    values = _ticket_values(visit, room, priority_group)
    counter = (pg_insert(TicketCounter)
               .values(room_id=room.id, queue_date=visit.queue_date, last=1)
               .on_conflict_do_update(index_elements=[TicketCounter.room_id,
                                                      TicketCounter.queue_date],
                                      set_={"last": TicketCounter.last + 1})
               .returning(TicketCounter.last).cte("counter"))
    digits = cast(counter.c.last, String)
    display = literal(f"{room.prefix}-") + func.lpad(digits, func.greatest(3, func.length(
        digits)), "0")
    columns = [getattr(Ticket, name) for name in values]
    chosen = select(*[literal(v, type_=c.type) for v, c in zip(values.values(), columns,
                                                              strict=True)],
                    counter.c.last, display, counter.c.last * KEY_STEP).select_from(counter)
    stmt = (insert(Ticket).from_select([*values, "number", "display", "order_key"], chosen)
            .returning(Ticket.id, Ticket.number, Ticket.display, Ticket.order_key))
    row = (await session.execute(stmt)).one()
    ticket = Ticket(**values, id=row.id, number=row.number, display=row.display,
                    order_key=row.order_key, return_to_ticket_id=None, called_at=None,
                    done_at=None)
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket


async def reset_day(session: AsyncSession, *, today: date, facility_id: int | None = None) -> int:
    """Close every still-open ticket from an earlier day; returns how many were closed."""
    stmt = (update(Ticket).where(Ticket.queue_date < today, Ticket.status.in_(OPEN_STATUSES))
            .values(status="closed", updated_at=utcnow()))
    if facility_id is not None:
        stmt = stmt.where(Ticket.facility_id == facility_id)
    result = await session.execute(stmt)
    return int(result.rowcount or 0)


async def reset_if_new_day(session: AsyncSession, *, facility_code: str, facility_id: int,
                           today: date) -> None:
    """Run reset_day once per facility per day in this process (first check-in of the day)."""
    if _last_reset.get(facility_code) != today:
        await reset_day(session, today=today, facility_id=facility_id)
        _last_reset[facility_code] = today


# Staff actions


@dataclass(frozen=True)
class ActionContext:
    facility_code: str
    actor: Actor


async def _ticket(session: AsyncSession, *, ticket_id: int, facility_id: int,
                  lock: bool = True) -> Ticket:
    stmt = select(Ticket).where(Ticket.id == ticket_id, Ticket.facility_id == facility_id)
    if lock and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    ticket = await session.scalar(stmt)
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}.", f"Không tìm thấy số thứ tự {ticket_id}.",
                       details={"ticket_id": ticket_id}, code="unknown_ticket")
    return ticket


def _require(ticket: Ticket, *allowed: str) -> None:
    if ticket.status not in allowed:
        raise Conflict(f"Ticket {ticket.display} is {ticket.status}.",
                       f"Số {ticket.display} đang ở trạng thái {ticket.status}.",
                       details={"status": ticket.status, "allowed": list(allowed)},
                       code="ticket_state")


async def _log(session: AsyncSession, ctx: ActionContext, ticket: Ticket, action: str,
               **details: object) -> None:
    payload = {"ticket_id": ticket.id, "display": ticket.display, "room_id": ticket.room_id,
               "status": ticket.status, **details}
    await outbox.publish(session, topic=f"reception.{action}", aggregate_type="ticket",
                         aggregate_id=ticket.id, payload=payload,
                         facility_code=ctx.facility_code)
    await record(session, actor=ctx.actor, action=f"ticket_{action}", entity_type="ticket",
                 entity_id=ticket.id, details=payload)


def waiting_order() -> tuple:
    return (Ticket.priority_rank, Ticket.order_key, Ticket.id)


async def call_next(session: AsyncSession, *, ctx: ActionContext, facility_id: int,
                    room_code: str) -> Ticket:
    """Call the first waiting ticket of the room (priority first, then issue order)."""
    room = await lookup.room(session, facility_code=ctx.facility_code, room_code=room_code)
    stmt = (select(Ticket).where(Ticket.room_id == room.id, Ticket.status == "waiting",
                                 Ticket.queue_date == hanoi_today())
            .order_by(*waiting_order()).limit(1))
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ticket = await session.scalar(stmt)
    if ticket is None:
        raise NotFound("Nobody is waiting in this room.", "Không còn ai đang chờ ở phòng này.",
                       details={"room_code": room_code}, code="queue_empty")
    ticket.status, ticket.called_at = "serving", utcnow()
    await _log(session, ctx, ticket, "call")
    return ticket


async def recall(session: AsyncSession, *, ctx: ActionContext, facility_id: int,
                 ticket_id: int) -> Ticket:
    """Announce a called ticket again."""
    ticket = await _ticket(session, ticket_id=ticket_id, facility_id=facility_id)
    _require(ticket, "serving")
    ticket.recalls += 1
    ticket.called_at = utcnow()
    await _log(session, ctx, ticket, "recall", recalls=ticket.recalls)
    return ticket


async def skip(session: AsyncSession, *, ctx: ActionContext, facility_id: int,
               ticket_id: int) -> Ticket:
    """Move a called (absent) or waiting ticket to the skipped list."""
    ticket = await _ticket(session, ticket_id=ticket_id, facility_id=facility_id)
    _require(ticket, "serving", "waiting")
    ticket.status = "skipped"
    await _log(session, ctx, ticket, "skip")
    return ticket


def _place_behind(rows: list, ahead: int) -> tuple[int, int]:
    """(rank, key) just behind the `ahead`-th waiting ticket (or the last one, if fewer)."""
    if ahead <= 0:
        return rows[0][0], rows[0][1] - 1
    rank, key = rows[min(ahead, len(rows)) - 1]
    following = rows[ahead] if len(rows) > ahead else None
    if following is not None and following[0] == rank and following[1] - key > 1:
        return rank, (key + following[1]) // 2
    return rank, key + 1


async def return_skipped(session: AsyncSession, *, ctx: ActionContext, facility_id: int,
                         ticket_id: int) -> Ticket:
    """Put a skipped ticket back in behind the next `return_after_waiting` waiting tickets."""
    ticket = await _ticket(session, ticket_id=ticket_id, facility_id=facility_id)
    _require(ticket, "skipped")
    ahead = get_reception_settings().return_after_waiting
    rows = (await session.execute(
        select(Ticket.priority_rank, Ticket.order_key)
        .where(Ticket.room_id == ticket.room_id, Ticket.queue_date == ticket.queue_date,
               Ticket.status == "waiting").order_by(*waiting_order()).limit(ahead + 1))).all()
    if rows:
        ticket.priority_rank, ticket.order_key = _place_behind(rows, ahead)
    ticket.status = "waiting"
    await _log(session, ctx, ticket, "return")
    return ticket


async def done(session: AsyncSession, *, ctx: ActionContext, facility_id: int,
               ticket_id: int) -> Ticket:
    """Finish a called ticket; a patient sent here "and back" is waiting again in their room."""
    ticket = await _ticket(session, ticket_id=ticket_id, facility_id=facility_id)
    _require(ticket, "serving")
    ticket.status, ticket.done_at = "done", utcnow()
    if ticket.return_to_ticket_id is not None:
        origin = await _ticket(session, ticket_id=ticket.return_to_ticket_id,
                               facility_id=facility_id)
        if origin.status == "away":
            origin.status = "waiting"
            await _log(session, ctx, origin, "back")
    await _log(session, ctx, ticket, "done")
    return ticket


async def transfer(session: AsyncSession, *, ctx: ActionContext, facility_id: int,
                   ticket_id: int, to_room_code: str, return_after: bool) -> Ticket:
    """Send the patient to another room; with return_after their place here is kept."""
    ticket = await _ticket(session, ticket_id=ticket_id, facility_id=facility_id)
    _require(ticket, "serving", "waiting")
    target = await lookup.room(session, facility_code=ctx.facility_code, room_code=to_room_code)
    if target.id == ticket.room_id:
        raise InvalidInput("The ticket is already in that room.", "Bệnh nhân đang ở phòng này.",
                           details={"to_room_code": to_room_code}, code="same_room")
    visit = await session.get(Visit, ticket.visit_id)
    ticket.status = "away" if return_after else "transferred"
    if ticket.status == "transferred":
        ticket.done_at = utcnow()
    new = await issue_ticket(session, visit=visit, room=target,
                             priority_group=ticket.priority_group)
    new.return_to_ticket_id = ticket.id if return_after else None
    await session.flush()
    await _log(session, ctx, ticket, "transfer", to_room=to_room_code, new_ticket_id=new.id,
               return_after=return_after)
    return new


async def count_open(session: AsyncSession, *, room_id: int, queue_date: date) -> int:
    return int(await session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.room_id == room_id, Ticket.queue_date == queue_date,
        Ticket.status.in_(OPEN_STATUSES))) or 0)


async def ticket_facility(session: AsyncSession, *, ticket_id: int) -> int:
    """The facility row id a ticket belongs to (NotFound if there is no such ticket)."""
    facility_id = await session.scalar(select(Ticket.facility_id).where(Ticket.id == ticket_id))
    if facility_id is None:
        raise NotFound(f"No ticket {ticket_id}.", f"Không tìm thấy số thứ tự {ticket_id}.",
                       details={"ticket_id": ticket_id}, code="unknown_ticket")
    return facility_id


async def visit_id_of_ticket(session: AsyncSession, *, ticket_id: int) -> int:
    """The visit behind a queue ticket (the clinic opens its encounter from a called ticket)."""
    visit_id = await session.scalar(select(Ticket.visit_id).where(Ticket.id == ticket_id))
    if visit_id is None:
        raise NotFound(f"No ticket {ticket_id}.", f"Không tìm thấy số thứ tự {ticket_id}.",
                       details={"ticket_id": ticket_id}, code="unknown_ticket")
    return visit_id


async def visit_of(session: AsyncSession, *, visit_id: int) -> Visit:
    visit = await session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(details={"visit_id": visit_id}, code="unknown_visit")
    return visit
