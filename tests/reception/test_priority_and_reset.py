"""Priority groups order the queue; numbering restarts every Hanoi day."""

from datetime import date, timedelta

from sqlalchemy import select, update

from smarthealth.core.db import get_database
from smarthealth.reception import service as reception
from smarthealth.reception.models import Ticket, TicketCounter
from tests.conftest import auth
from tests.reception.conftest import post_checkin, qr


async def test_priority_groups_are_called_before_others_then_by_issue_order(
        client, clinic, token_for, bhxh):
    desk = await token_for("receptionist", "01001")
    await post_checkin(client, desk, qr("001090000001"))  # adult          A-001
    await post_checkin(client, desk, qr("001040000002", name="Lê Văn Cụ",
                                        birth=date(1940, 1, 1)))  # elderly A-002
    await post_checkin(client, desk, qr("001222000003", name="Phạm Minh Bé",
                                        birth=date(2023, 2, 1)))  # child under 6 A-003
    await post_checkin(client, desk, qr("001190000004", name="Đỗ Thị Hoa", sex="Nữ"),
                       priority="pregnant")
    await post_checkin(client, desk, qr("001090000005", name="Vũ Văn Năm"))  # adult A-005
    queue = (await client.get("/api/reception/rooms/01001/PK01/queue",
                              headers=auth(desk))).json()
    assert [(t["display"], t["priority_group"]) for t in queue["waiting"]] == [
        ("A-003", "child_under_6"), ("A-004", "pregnant"), ("A-002", "elderly"),
        ("A-001", None), ("A-005", None)]


async def test_unknown_priority_group_is_refused(client, clinic, token_for, bhxh):
    desk = await token_for("receptionist", "01001")
    response = await post_checkin(client, desk, qr("001090000001"), priority="vip")
    assert response.status_code == 422


def test_priority_is_derived_from_age_with_the_configured_threshold():
    today = date(2026, 11, 26)
    assert reception.priority_for(birth_date=date(2021, 1, 1), explicit=None, on=today) == \
        "child_under_6"
    assert reception.priority_for(birth_date=date(1946, 11, 26), explicit=None, on=today) == \
        "elderly"
    assert reception.priority_for(birth_date=date(1946, 11, 27), explicit=None, on=today) is None
    assert reception.priority_for(birth_date=date(1946, 1, 1), explicit="emergency",
                                  on=today) == "emergency"


async def _age_everything_by_one_day() -> None:
    yesterday = reception.hanoi_today() - timedelta(days=1)
    async with get_database().session() as s:
        await s.execute(update(Ticket).values(queue_date=yesterday))
        await s.execute(update(TicketCounter).values(queue_date=yesterday))


async def test_numbers_restart_on_a_new_day_and_old_tickets_are_closed(
        client, clinic, token_for, bhxh):
    desk = await token_for("receptionist", "01001")
    await post_checkin(client, desk, qr("001090000001"))
    await post_checkin(client, desk, qr("001090000002", name="Vũ Văn Hai"))
    await _age_everything_by_one_day()
    reception._last_reset.clear()  # a new day for this process too
    response = await post_checkin(client, desk, qr("001090000003", name="Vũ Văn Ba"))
    assert response.json()["ticket"]["number"] == 1
    assert response.json()["position"] == 1
    async with get_database().session() as s:
        old = (await s.scalars(select(Ticket.status).where(
            Ticket.queue_date < reception.hanoi_today()))).all()
    assert old == ["closed", "closed"]


async def test_reset_day_closes_only_earlier_open_tickets(client, clinic, token_for, bhxh):
    desk = await token_for("receptionist", "01001")
    await post_checkin(client, desk, qr("001090000001"))
    async with get_database().session() as s:
        assert await reception.reset_day(s, today=reception.hanoi_today()) == 0
    await _age_everything_by_one_day()
    async with get_database().session() as s:
        assert await reception.reset_day(s, today=reception.hanoi_today()) == 1
