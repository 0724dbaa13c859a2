"""Wait estimates follow live service times; boards and the phone page follow the queue."""

import json
from datetime import timedelta

from sqlalchemy import update

from smarthealth.core.db import get_database, utcnow
from smarthealth.reception import api, queues
from smarthealth.reception.config import get_reception_settings
from smarthealth.reception.models import Ticket
from tests.conftest import auth
from tests.reception.conftest import cccd_of, post_checkin, qr

BASE = "/api/reception"


async def _serve(client, doctor, minutes: float) -> None:  # noqa: ANN001
    """Call the next ticket and finish it as if it had taken `minutes`."""
    ticket = (await client.post(f"{BASE}/rooms/01001/PK01/call-next",
                                headers=auth(doctor))).json()
    await client.post(f"{BASE}/tickets/{ticket['id']}/done", headers=auth(doctor))
    async with get_database().session() as s:
        done = utcnow()
        await s.execute(update(Ticket).where(Ticket.id == ticket["id"]).values(
            called_at=done - timedelta(minutes=minutes), done_at=done))


def test_ewma_starts_at_the_prior_and_moves_towards_recent_times():
    assert queues.ewma([], prior=5, alpha=0.3) == 5
    assert queues.ewma([10, 10, 10], prior=5, alpha=0.3) > 8
    assert queues.ewma([1, 1, 1], prior=5, alpha=0.3) < 3


async def test_wait_estimate_moves_with_service_times(client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    tickets = [(await post_checkin(client, desk, qr(cccd_of(i)))).json() for i in range(1, 9)]
    prior = get_reception_settings().prior_service_minutes
    last = tickets[-1]["ticket"]["token"]
    before = (await client.get(f"{BASE}/tickets/by-token/{last}")).json()
    assert before["position"] == 8 and before["estimated_wait_minutes"] == 8 * prior
    for _ in range(3):
        await _serve(client, doctor, minutes=15)
    slow = (await client.get(f"{BASE}/tickets/by-token/{last}")).json()
    assert slow["position"] == 5 and slow["estimated_wait_minutes"] > 5 * prior
    for _ in range(3):
        await _serve(client, doctor, minutes=1)
    fast = (await client.get(f"{BASE}/tickets/by-token/{last}")).json()
    assert fast["position"] == 2
    assert fast["estimated_wait_minutes"] / 2 < slow["estimated_wait_minutes"] / 5


async def test_board_shows_called_and_next_numbers_without_names(
        client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    for i in range(1, 4):
        await post_checkin(client, desk, qr(cccd_of(i)))
    await client.post(f"{BASE}/rooms/01001/PK01/call-next", headers=auth(doctor))
    response = await client.get(f"{BASE}/boards/01001")
    assert response.status_code == 200
    board = response.json()
    room = board["rooms"][0]
    assert room["room_code"] == "PK01" and [c["display"] for c in room["called"]] == ["A-001"]
    assert room["next"] == ["A-002", "A-003"]
    assert board["last_call"]["display"] == "A-001"
    assert "Nguyễn" not in response.text and "person" not in response.text


async def test_board_version_changes_when_the_queue_moves(client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    await post_checkin(client, desk, qr(cccd_of(1)))
    first = (await client.get(f"{BASE}/boards/01001?room=PK01")).json()["version"]
    await client.post(f"{BASE}/rooms/01001/PK01/call-next", headers=auth(doctor))
    assert (await client.get(f"{BASE}/boards/01001?room=PK01")).json()["version"] != first


async def test_phone_page_data_follows_the_queue(client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    tickets = [(await post_checkin(client, desk, qr(cccd_of(i)))).json() for i in range(1, 4)]
    token = tickets[2]["ticket"]["token"]
    assert (await client.get(f"{BASE}/tickets/by-token/{token}")).json()["position"] == 3
    await client.post(f"{BASE}/rooms/01001/PK01/call-next", headers=auth(doctor))
    status = (await client.get(f"{BASE}/tickets/by-token/{token}")).json()
    assert status["position"] == 2 and status["facility_name"]
    assert "full_name" not in status


async def test_unknown_token_is_404(client, clinic):
    response = await client.get(f"{BASE}/tickets/by-token/{'x' * 24}")
    assert response.status_code == 404


class _OnceConnected:
    """A stand-in request that disconnects after the first event."""

    def __init__(self) -> None:
        self.calls = 0

    async def is_disconnected(self) -> bool:
        self.calls += 1
        return self.calls > 1


async def test_board_events_stream_sends_the_board_state(client, clinic, token_for, bhxh):
    desk = await token_for("receptionist", "01001")
    await post_checkin(client, desk, qr(cccd_of(1)))
    response = api._sse(_OnceConnected(), "board",
                        lambda s: queues.board_state(s, facility_code="01001"))
    chunks = [chunk async for chunk in response.body_iterator]
    assert chunks[0].startswith("event: board\ndata: ")
    data = json.loads(chunks[0].split("data: ", 1)[1])
    assert data["rooms"][0]["next"] == ["A-001"]
