"""Check-in, the workflow across identity → insurance → reception, and the coverage re-check.

Identification and the BHXH call happen before the ticket counter's row lock is taken, so the
locked part of the transaction is a handful of short statements. The BHXH call runs in its own
session under an overall deadline; when the deadline passes the visit is flagged "insurance
not yet verified" and `recheck_unverified` answers it later.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core import outbox
from smarthealth.core.audit import SYSTEM, Actor, record
from smarthealth.core.db import get_database, utcnow
from smarthealth.core.errors import DomainError, ServiceUnavailable
from smarthealth.identity import service as identity
from smarthealth.insurance import service as insurance
from smarthealth.insurance.gateway import get_gateway
from smarthealth.insurance.schemas import Eligibility
from smarthealth.reception import lookup, queues
from smarthealth.reception import service as reception
from smarthealth.reception.config import get_reception_settings
from smarthealth.reception.models import Ticket, Visit

log = logging.getLogger(__name__)
_pending: set[asyncio.Task] = set()  # eligibility calls that outlived their deadline

NOT_VERIFIED_VI = ("Chưa xác minh được thẻ BHYT (cổng BHXH chưa trả lời) — bạn vẫn được khám; "
                   "hệ thống sẽ tự kiểm tra lại.")
NOT_VERIFIED_EN = ("Health insurance not yet verified (the BHXH gateway did not answer in time); "
                   "you can still be seen and the card will be re-checked automatically.")
NO_CARD_VI = "Không có thông tin thẻ BHYT — khám dịch vụ; nếu có thẻ, vui lòng đến quầy tiếp đón."
NO_CARD_EN = "No BHYT card information: fee-paying visit; if you have a card, see the desk."


@dataclass(frozen=True)
class CheckIn:
    scan: str
    facility_code: str
    service_code: str | None
    idempotency_key: str
    priority: str | None = None


def mask_cccd(cccd: str | None) -> str | None:
    """001*******456: the first three and last three digits only."""
    return None if not cccd else cccd[:3] + "*" * (len(cccd) - 6) + cccd[-3:]


def person_dict(person: Any, on: date) -> dict[str, Any]:
    return {"id": person.id, "full_name": person.full_name, "cccd_masked": mask_cccd(person.cccd),
            "birth_date": person.birth_date, "sex": person.sex,
            "age": reception.age_on(person.birth_date, on) if person.birth_date else None}


DESK_HINT_VI = " — vui lòng đến quầy tiếp đón."
DESK_HINT_EN = " Please go to the reception desk."
SCAN_HINT_VI = " Vui lòng quét lại giấy tờ hoặc đến quầy tiếp đón."
SCAN_HINT_EN = " Please scan the card again or go to the reception desk."


def with_scan_hint(exc: DomainError) -> DomainError:
    """The identity domain's error, with what a person at the kiosk should do next."""
    exc.message_vi = exc.message_vi.rstrip() + SCAN_HINT_VI
    exc.message_en = exc.message_en.rstrip() + SCAN_HINT_EN
    return exc


def coverage_from(result: Eligibility, *, verified: bool) -> dict[str, Any]:
    hint = result.decision == "invalid"
    return {"decision": result.decision, "verified": verified, "result_code": result.result_code,
            "message_vi": result.message_vi.rstrip(" .") + DESK_HINT_VI if hint
            else result.message_vi,
            "message_en": result.message_en.rstrip() + DESK_HINT_EN if hint
            else result.message_en,
            "benefit_level": result.benefit_level, "benefit_rate": result.benefit_rate,
            "card_number": result.card_number,
            "valid_to": result.valid_to.isoformat() if result.valid_to else None,
            "source": result.source}


def _unverified_coverage(query: dict[str, Any] | None) -> dict[str, Any]:
    return {"decision": "unverified", "verified": False, "result_code": None,
            "message_vi": NOT_VERIFIED_VI, "message_en": NOT_VERIFIED_EN, "benefit_level": None,
            "benefit_rate": None, "card_number": (query or {}).get("card_number"),
            "valid_to": None, "source": "unavailable"}


def _no_card_coverage() -> dict[str, Any]:
    return {"decision": "invalid", "verified": True, "result_code": None,
            "message_vi": NO_CARD_VI, "message_en": NO_CARD_EN, "benefit_level": None,
            "benefit_rate": None, "card_number": None, "valid_to": None, "source": "local"}


def eligibility_query(person: Any, scan: Any) -> dict[str, Any] | None:
    """What to ask BHXH: the scanned card code, else the person's CCCD; None if neither."""
    card = getattr(scan.person, "bhyt_code", None) if scan is not None else None
    if not card and not person.cccd:
        return None
    return {"card_number": card, "cccd": None if card else person.cccd,
            "full_name": person.full_name, "birth_date": person.birth_date.isoformat()}


async def _ask_bhxh(query: dict[str, Any], facility_code: str) -> Eligibility:
    """One eligibility check in its own session (so a deadline never cuts a shared one)."""
    bhxh = get_gateway().settings
    async with get_database().session() as session:
        return await insurance.check_eligibility(
            session, card_number=query["card_number"], cccd=query["cccd"],
            full_name=query["full_name"], birth_date=date.fromisoformat(query["birth_date"]),
            facility_code=facility_code, staff_name=bhxh.staff_name or "Kiosk",
            staff_cccd=bhxh.staff_cccd)


async def drain_late_checks() -> None:
    """Wait for the eligibility calls that outlived their deadline (before wiping or stopping)."""
    while running := [task for task in _pending if not task.done()]:
        await asyncio.gather(*running, return_exceptions=True)


def _forget(task: asyncio.Task) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.info("late eligibility check failed: %s", type(task.exception()).__name__)


async def coverage_within_deadline(query: dict[str, Any] | None, facility_code: str
                                   ) -> dict[str, Any]:
    """The coverage decision, or "unverified" when BHXH has not answered by the deadline."""
    if query is None:
        return _no_card_coverage()
    task = asyncio.create_task(_ask_bhxh(query, facility_code))
    deadline = get_reception_settings().eligibility_deadline_ms / 1000
    done, _ = await asyncio.wait({task}, timeout=deadline)
    if not done:  # let it finish in the background: its answer fills today's cache
        _pending.add(task)
        task.add_done_callback(_forget)
        return _unverified_coverage(query)
    try:
        result = task.result()
    except DomainError as exc:  # the card data itself was refused: a fee-paying visit
        if isinstance(exc, ServiceUnavailable):
            return _unverified_coverage(query)
        return {**_no_card_coverage(), "message_vi": exc.message_vi,
                "message_en": exc.message_en}
    except Exception as exc:  # noqa: BLE001 - any failure of the check must not block check-in
        log.warning("eligibility check failed: %s", type(exc).__name__)
        return _unverified_coverage(query)
    return coverage_from(result, verified=result.source != "unavailable")


async def _replay(session: AsyncSession, *, facility_id: int, key: str) -> Visit | None:
    return await session.scalar(select(Visit).where(Visit.facility_id == facility_id,
                                                    Visit.idempotency_key == key))


async def checkin_answer(session: AsyncSession, *, visit: Visit, ticket: Ticket,
                         person: Any, directory: lookup.Directory) -> dict[str, Any]:
    """The check-in response (see the reception contract), for a new or a replayed check-in."""
    room = directory.rooms_by_id[ticket.room_id]
    service = next((s for s in directory.services.values() if s.id == visit.service_id), None)
    position = await queues.position_of(session, ticket=ticket)
    wait = await queues.estimate_wait(session, room_id=room.id, queue_date=ticket.queue_date,
                                      position=position)
    return {"visit_id": visit.id, "ticket": queues.ticket_dict(ticket, room),
            "person": person_dict(person, visit.queue_date), "coverage": visit.coverage,
            "service": {"code": service.code, "name": service.name} if service else None,
            "position": position, "estimated_wait_minutes": wait}


async def _answer_replay(session: AsyncSession, visit: Visit, directory: lookup.Directory
                         ) -> dict[str, Any]:
    ticket = await session.scalar(select(Ticket).where(Ticket.visit_id == visit.id)
                                  .order_by(Ticket.id).limit(1))
    person = await identity.get_person(session, person_id=visit.person_id)
    return await checkin_answer(session, visit=visit, ticket=ticket, person=person,
                                directory=directory)


async def _record_checkin(session: AsyncSession, *, visit: Visit, actor: Actor,
                          facility_code: str) -> None:
    """The outbox event and the audit entry of a check-in (the ticket hangs off the visit)."""
    payload = {"visit_id": visit.id, "room_id": visit.room_id, "service_id": visit.service_id,
               "person_id": visit.person_id, "queue_date": visit.queue_date.isoformat(),
               "coverage_decision": visit.coverage_decision,
               "insurance_verified": visit.insurance_verified, "checkin_ms": visit.checkin_ms}
    await outbox.publish(session, topic="reception.checkin", aggregate_type="visit",
                         aggregate_id=visit.id, payload=payload, facility_code=facility_code)
    await session.flush()  # outside the audit chain's lock, which is held until the commit
    await record(session, actor=actor, action="check_in", entity_type="visit",
                 entity_id=visit.id, patient_id=visit.person_id,
                 details={"room_id": visit.room_id, "service_id": visit.service_id})


async def check_in(session: AsyncSession, *, request: CheckIn, actor: Actor,
                   received_at: datetime) -> tuple[dict[str, Any], bool]:
    """Identify, check BHYT, open the visit and issue a ticket; (answer, created).

    A retry with the same idempotency key is recognised by the visit's unique key (no lookup
    on the hot path); `checkin_ms` is taken as the ticket is issued."""
    directory = await lookup.directory(session, facility_code=request.facility_code)
    service, room = await lookup.service_for_checkin(
        session, facility_code=request.facility_code, service_code=request.service_code)
    try:
        person, scan = await identity.identify(session, payload=request.scan)
    except DomainError as exc:
        raise with_scan_hint(exc) from None
    today = reception.hanoi_today(received_at)
    group = reception.priority_for(birth_date=person.birth_date, explicit=request.priority,
                                   on=today)
    query = eligibility_query(person, scan)
    # End the first transaction (a new person is committed) so that no connection or SQLite
    # write lock is held while BHXH is asked, in a session of its own.
    await session.commit()
    coverage = await coverage_within_deadline(query, request.facility_code)
    await reception.reset_if_new_day(session, facility_code=directory.code,
                                     facility_id=directory.facility_id, today=today)
    visit = Visit(
        facility_id=directory.facility_id, person_id=person.id, service_id=service.id,
        room_id=room.id, queue_date=today, idempotency_key=request.idempotency_key,
        status="open", priority_group=group, scan_source=getattr(scan, "source", None),
        coverage_decision=coverage["decision"], insurance_verified=coverage["verified"],
        card_number=coverage.get("card_number"), coverage=coverage, eligibility_query=query,
        recheck_attempts=0, next_recheck_at=None if coverage["verified"] else utcnow(),
        scan_received_at=received_at, checked_in_by=actor.name,
        checkin_ms=int((utcnow() - received_at).total_seconds() * 1000))
    session.add(visit)
    try:
        await session.flush()
    except IntegrityError:  # a retry (or a racing twin) of a check-in: answer with its ticket
        await session.rollback()
        existing = await _replay(session, facility_id=directory.facility_id,
                                 key=request.idempotency_key)
        if existing is None:
            raise
        return await _answer_replay(session, existing, directory), False
    # Everything after the audit chain's lock is taken costs a round trip under that lock, so
    # the ticket (counter and insert in one statement on PostgreSQL) comes last, then commit.
    await _record_checkin(session, visit=visit, actor=actor, facility_code=directory.code)
    ticket = await reception.issue_ticket(session, visit=visit, room=room, priority_group=group)
    await session.commit()
    return await checkin_answer(session, visit=visit, ticket=ticket, person=person,
                                directory=directory), True


def _backoff(attempts: int) -> timedelta:
    settings = get_reception_settings()
    seconds = settings.recheck_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.recheck_backoff_max_seconds))


async def _ask_again(visit: Visit, facility_code: str) -> Eligibility | None:
    """BHXH's answer for a flagged visit, or None when it still cannot answer."""
    try:
        result = await _ask_bhxh(visit.eligibility_query, facility_code)
    except Exception as exc:  # noqa: BLE001 - try again later whatever went wrong
        log.info("re-check of visit %s failed: %s", visit.id, type(exc).__name__)
        return None
    return None if result.source == "unavailable" else result


async def _apply_recheck(session: AsyncSession, visit: Visit, facility_code: str,
                         result: Eligibility | None) -> bool:
    if result is None:
        visit.recheck_attempts += 1
        visit.next_recheck_at = utcnow() + _backoff(visit.recheck_attempts)
        return False
    visit.coverage = coverage_from(result, verified=True)
    visit.coverage_decision, visit.insurance_verified = result.decision, True
    visit.card_number, visit.next_recheck_at = result.card_number, None
    await outbox.publish(session, topic="reception.coverage_verified", aggregate_type="visit",
                         aggregate_id=visit.id, facility_code=facility_code,
                         payload={"visit_id": visit.id, "decision": result.decision,
                                  "result_code": result.result_code,
                                  "attempts": visit.recheck_attempts + 1})
    await record(session, actor=SYSTEM, action="coverage_recheck", entity_type="visit",
                 entity_id=visit.id, patient_id=visit.person_id,
                 details={"decision": result.decision})
    return True


async def recheck_unverified(session: AsyncSession, *, limit: int = 50,
                             now: datetime | None = None) -> int:
    """Ask BHXH again for visits flagged "not yet verified" that are due; returns how many
    were answered. Unanswered ones back off exponentially (recheck_backoff_seconds, doubling).
    Every question is asked before this session writes anything (SQLite has one writer)."""
    stmt = (select(Visit).where(Visit.insurance_verified.is_(False),
                                Visit.eligibility_query.is_not(None),
                                Visit.next_recheck_at <= (now or utcnow()))
            .order_by(Visit.next_recheck_at).limit(limit))
    if session.bind.dialect.name == "postgresql":  # several workers: each takes other visits
        stmt = stmt.with_for_update(skip_locked=True)
    due = (await session.scalars(stmt)).all()
    asked = []
    for visit in due:
        directory = await lookup.directory_for_id(session, facility_id=visit.facility_id)
        asked.append((visit, directory.code, await _ask_again(visit, directory.code)))
    answered = 0
    for visit, facility_code, result in asked:
        answered += await _apply_recheck(session, visit, facility_code, result)
    await session.flush()
    return answered


async def recheck_loop() -> None:
    """The background task started with the app: re-check due visits every few seconds."""
    settings = get_reception_settings()
    while True:
        await asyncio.sleep(settings.recheck_poll_seconds)
        try:
            async with get_database().session() as session:
                await recheck_unverified(session)
        except Exception:  # noqa: BLE001 - keep the loop alive; the next poll retries
            log.exception("coverage re-check round failed")
