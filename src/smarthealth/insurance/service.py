"""Insurance services: eligibility checks with BHXH, and card lookups for other domains."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.errors import InvalidInput
from smarthealth.core.settings import get_settings
from smarthealth.insurance import card as card_rules
from smarthealth.insurance.gateway import (
    BhxhGateway,
    CardAnswer,
    CardQuery,
    GatewayUnavailable,
    get_gateway,
)
from smarthealth.insurance.models import BhytCard, EligibilityCheck
from smarthealth.insurance.schemas import Eligibility, Warning_

DECISIONS = {"valid": "valid", "valid_with_warning": "valid_with_warning",
             "invalid": "invalid", "retry_later": "unverified"}


def today() -> date:
    """The current day in the platform's time zone (Asia/Ho_Chi_Minh)."""
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


async def card_for_person(session: AsyncSession, *, person_id: int,
                          on: date | None = None) -> BhytCard | None:
    """The person's card in force on a date, else their most recent card."""
    cards = (await session.scalars(select(BhytCard).where(BhytCard.person_id == person_id)
                                   .order_by(BhytCard.valid_from.desc()))).all()
    day = on or today()
    current = [c for c in cards if c.valid_from <= day <= c.valid_to and c.status == "active"]
    return (current or list(cards) or [None])[0]


async def person_id_for_card(session: AsyncSession, *, code: str) -> int | None:
    """The person holding a card code (15 characters) or BHXH number (10 digits)."""
    key = card_rules.normalise(code)[:20]
    return await session.scalar(select(BhytCard.person_id).where(
        or_(BhytCard.code == key, BhytCard.social_insurance_number == key)).limit(1))


async def _person_id_for_cccd(session: AsyncSession, cccd: str) -> int | None:
    from smarthealth.identity.service import person_id_for_cccd

    return await person_id_for_cccd(session, cccd=cccd)


def _warnings(issues: list[card_rules.CardIssue]) -> list[Warning_]:
    return [Warning_(kind=i.kind, message_vi=i.message_vi, message_en=i.message_en)
            for i in issues]


def _local(decision: str, code: str | None, action: str, vi: str, en: str,
           **extra: Any) -> Eligibility:
    return Eligibility(decision=decision, result_code=code, action=action, message_vi=vi,
                       message_en=en, source="local", **extra)


async def _resolve_card_code(session: AsyncSession, *, card_number: str | None,
                             cccd: str | None, on: date, cccd_as_card_code: bool
                             ) -> tuple[str | None, Eligibility | None, list[Warning_]]:
    """The code to send as maThe, or a local answer when there is nothing to send."""
    if card_number:
        check = card_rules.check_card_code(card_number, on=on)
        if check.card is None:
            issue = check.issues[0]
            return None, _local("invalid", check.result_code, "re_enter", issue.message_vi,
                                issue.message_en), []
        return check.card.code, None, _warnings(check.issues)
    digits = "".join(ch for ch in cccd or "" if not ch.isspace())
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise InvalidInput("A CCCD number has 12 digits.", "Số CCCD gồm 12 chữ số.")
    person_id = await _person_id_for_cccd(session, digits)
    on_file = await card_for_person(session, person_id=person_id, on=on) if person_id else None
    if on_file is not None:
        return on_file.code, None, []
    if cccd_as_card_code:  # insurance.md §4.3 Uncertain: maThe = CCCD
        return digits, None, []
    return None, _local(
        "unverified", None, "enter_card",
        "Chưa có thẻ BHYT nào gắn với số CCCD này; hãy nhập mã thẻ hoặc tra trên VssID/VNeID.",
        "No BHYT card is on file for this CCCD; enter the card code or look it up in "
        "VssID/VNeID.", person_id=person_id), []


def _answer_fields(answer: CardAnswer, on: date) -> dict[str, Any]:
    """Card facts from the gateway's answer; after 003 the new card's facts are the ones in use."""
    new = answer.result_code == "003" and answer.field("maTheMoi")
    code = answer.field("maTheMoi") if new else answer.field("maThe")
    level = card_rules.check_card_code(code, on=on).card if code else None
    return {
        "card_number": code, "new_card_number": answer.field("maTheMoi"),
        "benefit_level": level.benefit_level if level else None,
        "benefit_rate": card_rules.benefit_rate_percent(level.benefit_level, on=on)
        if level else None,
        "valid_from": answer.date_field("gtTheTuMoi" if new else "gtTheTu"),
        "valid_to": answer.date_field("gtTheDenMoi" if new else "gtTheDen"),
        "registered_facility_code": answer.field("maDKBDMoi" if new else "maDKBD"),
        "five_years_date": answer.date_field("ngayDu5Nam"), "area_code": answer.field("maKV"),
    }


def _on_file_fields(card: BhytCard | None, on: date) -> dict[str, Any]:
    if card is None:
        return {}
    return {"card_number": card.code, "benefit_level": card.benefit_level,
            "benefit_rate": card_rules.benefit_rate_percent(card.benefit_level, on=on),
            "valid_from": card.valid_from, "valid_to": card.valid_to,
            "registered_facility_code": card.registered_facility_code,
            "five_years_date": card.five_years_date, "area_code": card.area_code}


async def _logged_today(session: AsyncSession, query: CardQuery, on: date) -> CardAnswer | None:
    """A definitive live answer logged today by any process (the cross-process cache)."""
    key = query.cache_key(on)
    row = await session.scalar(select(EligibilityCheck).where(
        EligibilityCheck.card_code == key[0], EligibilityCheck.check_date == on,
        EligibilityCheck.name_key == key[1], EligibilityCheck.birth_date == key[2],
        EligibilityCheck.source == "live", EligibilityCheck.decision != "unverified",
    ).order_by(EligibilityCheck.id.desc()).limit(1))
    if row is None or not row.answer:
        return None
    return CardAnswer.from_response(row.answer)


async def _ask(session: AsyncSession, gateway: BhxhGateway, query: CardQuery,
               on: date) -> CardAnswer:
    """Memory cache, then today's log, then the live gateway (may raise GatewayUnavailable)."""
    hit = gateway.cached(query, on=on)
    if hit is not None:
        return hit
    if gateway.settings.cache_enabled:
        logged = await _logged_today(session, query, on)
        if logged is not None:
            gateway.cache.put(query.cache_key(on), logged)
            return replace(logged, source="cache")
    return await gateway.check_card(query, on=on)


async def check_eligibility(
    session: AsyncSession, *, card_number: str | None = None, cccd: str | None = None,
    full_name: str, birth_date: date | str, facility_code: str, staff_name: str,
    staff_cccd: str, on: date | None = None, gateway: BhxhGateway | None = None,
) -> Eligibility:
    """Check a card with BHXH; when the gateway cannot answer, 'unverified' (never a block)."""
    on = on or today()
    gateway = gateway or get_gateway()
    code, local, warnings = await _resolve_card_code(
        session, card_number=card_number, cccd=cccd, on=on,
        cccd_as_card_code=gateway.settings.cccd_as_card_code)
    if local is not None:
        return local
    assert code is not None
    query = CardQuery(code, full_name.strip(), birth_date, staff_name, staff_cccd)
    person_id = await person_id_for_card(session, code=code) if len(code) != 12 else \
        await _person_id_for_cccd(session, code)
    try:
        answer = await _ask(session, gateway, query, on)
    except GatewayUnavailable as exc:
        on_file = await card_for_person(session, person_id=person_id, on=on) if person_id \
            else None
        result = Eligibility(
            decision="unverified", result_code=None, action="recheck_later",
            message_vi=exc.message_vi, message_en=exc.message_en, source="unavailable",
            person_id=person_id, warnings=warnings, **_on_file_fields(on_file, on))
    else:
        facts = _answer_fields(answer, on)
        if answer.decision == "retry_later" and not facts["card_number"] and person_id:
            facts = _on_file_fields(await card_for_person(session, person_id=person_id, on=on),
                                    on) or facts  # unverified: show what the platform knows
        result = Eligibility(
            decision=DECISIONS[answer.decision], result_code=answer.result_code,
            action=answer.action, message_vi=answer.message_vi, message_en=answer.message_en,
            source=answer.source, person_id=person_id, warnings=warnings, **facts)
    await _log(session, query=query, on=on, facility_code=facility_code, result=result,
               answer=None if result.source == "unavailable" else answer.raw)
    return result


async def _log(session: AsyncSession, *, query: CardQuery, on: date, facility_code: str,
               result: Eligibility, answer: dict[str, Any] | None) -> None:
    key = query.cache_key(on)
    session.add(EligibilityCheck(
        check_date=on, card_code=key[0][:20], person_id=result.person_id, name_key=key[1][:120],
        birth_date=key[2][:10], facility_code=facility_code, staff_cccd=query.staff_cccd[:12],
        result_code=result.result_code[:3] if result.result_code else None,
        decision=result.decision, source=result.source,
        answer=_trim(answer) if result.source == "live" else None))
    await session.flush()


def _trim(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    """The answer without the visit-history lists (kept small; history is fetched separately)."""
    if answer is None:
        return None
    return {k: v for k, v in answer.items() if not k.startswith("ds")}
