"""Concurrent check-ins never share or skip a number; a BHXH outage never blocks check-in."""

import asyncio

from sqlalchemy import select

from smarthealth.core.db import get_database
from smarthealth.core.models import OutboxEvent
from smarthealth.reception import flows
from smarthealth.reception.config import get_reception_settings
from smarthealth.reception.models import Ticket, Visit
from tests.reception.conftest import add_person, cccd_of, key, post_checkin, qr


def _concurrency() -> int:
    # SQLite serialises writers, so a smaller crowd proves the same property there.
    return 100 if get_database().kind == "postgresql" else 25


async def test_concurrent_check_ins_get_numbers_one_to_n_without_gaps(
        client, clinic, token_for, bhxh):
    kiosk = await token_for("kiosk", "01001")
    n = _concurrency()
    responses = await asyncio.gather(*[post_checkin(client, kiosk, qr(cccd_of(i)))
                                       for i in range(1, n + 1)])
    assert [r.status_code for r in responses] == [201] * n
    numbers = sorted(r.json()["ticket"]["number"] for r in responses)
    assert numbers == list(range(1, n + 1))


async def test_concurrent_retries_with_one_key_make_one_ticket(client, clinic, token_for, bhxh):
    kiosk = await token_for("kiosk", "01001")
    same = key()
    responses = await asyncio.gather(*[
        post_checkin(client, kiosk, qr(cccd_of(1)), idempotency_key=same) for _ in range(5)])
    assert sorted(r.status_code for r in responses)[0] in (200, 201)
    assert {r.json()["ticket"]["id"] for r in responses} == {responses[0].json()["ticket"]["id"]}
    async with get_database().session() as s:
        assert len((await s.scalars(select(Ticket))).all()) == 1


async def _drain_late_checks() -> None:
    await flows.drain_late_checks()


async def test_gateway_outage_issues_an_unverified_ticket_then_recheck_verifies_it(
        client, clinic, token_for, bhxh, sim):
    await add_person()
    kiosk = await token_for("kiosk", "01001")
    sim.simulator.config.outage = True
    response = await post_checkin(client, kiosk, qr("001090000123"))
    assert response.status_code == 201
    coverage = response.json()["coverage"]
    assert coverage["decision"] == "unverified" and coverage["verified"] is False
    assert coverage["message_vi"]
    sim.simulator.config.outage = False
    async with get_database().session() as s:
        assert await flows.recheck_unverified(s) == 1
    async with get_database().session() as s:
        visit = await s.get(Visit, response.json()["visit_id"])
        assert visit.insurance_verified is True and visit.coverage_decision == "valid"
        assert visit.coverage["benefit_rate"] == 80
        topics = (await s.scalars(select(OutboxEvent.topic))).all()
        assert "reception.coverage_verified" in topics


async def test_slow_gateway_is_cut_at_the_deadline(client, clinic, token_for, bhxh, sim):
    await add_person()
    kiosk = await token_for("kiosk", "01001")
    settings = get_reception_settings()
    saved, settings.eligibility_deadline_ms = settings.eligibility_deadline_ms, 100
    sim.simulator.config.latency_ms = 1500
    try:
        response = await post_checkin(client, kiosk, qr("001090000123"))
    finally:
        settings.eligibility_deadline_ms = saved
        sim.simulator.config.latency_ms = 0
    assert response.status_code == 201
    assert response.json()["coverage"]["decision"] == "unverified"
    assert response.json()["ticket"]["number"] == 1
    await _drain_late_checks()


async def test_unanswered_recheck_backs_off(client, clinic, token_for, bhxh, sim):
    await add_person()
    kiosk = await token_for("kiosk", "01001")
    sim.simulator.config.outage = True
    response = await post_checkin(client, kiosk, qr("001090000123"))
    async with get_database().session() as s:
        assert await flows.recheck_unverified(s) == 0
    async with get_database().session() as s:
        visit = await s.get(Visit, response.json()["visit_id"])
        assert visit.recheck_attempts == 1 and visit.insurance_verified is False
    sim.simulator.stats.clear()
    async with get_database().session() as s:  # not due yet: BHXH is not asked again
        assert await flows.recheck_unverified(s) == 0
    assert sum(sim.simulator.stats.values()) == 0


async def test_recheck_answers_several_flagged_visits_in_one_round(
        client, clinic, token_for, bhxh, sim):
    await add_person()
    await add_person(full_name="Trần Thị Bình", cccd="001190000222", sex="female",
                     cards=[{"code": "DN4010120878822"}])
    kiosk = await token_for("kiosk", "01001")
    sim.simulator.config.outage = True
    await post_checkin(client, kiosk, qr("001090000123"))
    await post_checkin(client, kiosk, qr("001190000222", name="Trần Thị Bình", sex="Nữ"))
    sim.simulator.config.outage = False
    async with get_database().session() as s:
        assert await flows.recheck_unverified(s) == 2
    async with get_database().session() as s:
        flags = (await s.scalars(select(Visit.insurance_verified))).all()
    assert flags == [True, True]
