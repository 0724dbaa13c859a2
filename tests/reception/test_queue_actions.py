"""Staff actions on a room's queue: call next, recall, skip, return, transfer and back, done."""

from tests.conftest import auth
from tests.reception.conftest import cccd_of, post_checkin, qr

BASE = "/api/reception"


async def _fill(client, token, n, **kwargs):  # noqa: ANN001, ANN202
    return [(await post_checkin(client, token, qr(cccd_of(i)), **kwargs)).json()
            for i in range(1, n + 1)]


async def _queue(client, token, room="PK01"):  # noqa: ANN001, ANN202
    response = await client.get(f"{BASE}/rooms/01001/{room}/queue", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def _waiting(queue):  # noqa: ANN001, ANN202
    return [t["display"] for t in queue["waiting"]]


async def _call(client, token, room="PK01"):  # noqa: ANN001, ANN202
    return await client.post(f"{BASE}/rooms/01001/{room}/call-next", headers=auth(token))


async def test_call_next_takes_the_first_waiting_ticket(client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    await _fill(client, desk, 3)
    called = await _call(client, doctor)
    assert called.status_code == 200 and called.json()["display"] == "A-001"
    queue = await _queue(client, doctor)
    assert [t["display"] for t in queue["serving"]] == ["A-001"]
    assert _waiting(queue) == ["A-002", "A-003"]
    assert queue["waiting"][0]["person_name"]


async def test_call_next_on_an_empty_room_is_404(client, clinic, token_for):
    doctor = await token_for("doctor", "01001")
    response = await _call(client, doctor)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "queue_empty"


async def test_recall_counts_and_keeps_the_ticket_called(client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    await _fill(client, desk, 1)
    ticket = (await _call(client, doctor)).json()
    again = await client.post(f"{BASE}/tickets/{ticket['id']}/recall", headers=auth(doctor))
    assert again.json()["recalls"] == 1 and again.json()["status"] == "serving"


async def test_done_closes_the_ticket(client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    await _fill(client, desk, 1)
    ticket = (await _call(client, doctor)).json()
    done = await client.post(f"{BASE}/tickets/{ticket['id']}/done", headers=auth(doctor))
    assert done.json()["status"] == "done"
    assert (await _queue(client, doctor))["serving"] == []


async def test_actions_in_the_wrong_state_are_409(client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    tickets = await _fill(client, desk, 1)
    response = await client.post(f"{BASE}/tickets/{tickets[0]['ticket']['id']}/done",
                                 headers=auth(doctor))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ticket_state"


async def test_skipped_ticket_returns_behind_the_next_two_waiting(
        client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    await _fill(client, desk, 5)
    first = (await _call(client, doctor)).json()
    await client.post(f"{BASE}/tickets/{first['id']}/skip", headers=auth(doctor))
    queue = await _queue(client, doctor)
    assert [t["display"] for t in queue["skipped"]] == ["A-001"]
    back = await client.post(f"{BASE}/tickets/{first['id']}/return", headers=auth(doctor))
    assert back.json()["status"] == "waiting" and back.json()["position"] == 3
    assert _waiting(await _queue(client, doctor)) == ["A-002", "A-003", "A-001", "A-004",
                                                      "A-005"]


async def test_skipped_ticket_returns_last_when_fewer_are_waiting(
        client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    await _fill(client, desk, 2)
    first = (await _call(client, doctor)).json()
    await client.post(f"{BASE}/tickets/{first['id']}/skip", headers=auth(doctor))
    await client.post(f"{BASE}/tickets/{first['id']}/return", headers=auth(doctor))
    assert _waiting(await _queue(client, doctor)) == ["A-002", "A-001"]


async def test_transfer_to_the_lab_and_back_keeps_the_original_place(
        client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    await _fill(client, desk, 2)
    first = (await _call(client, doctor)).json()
    sent = await client.post(f"{BASE}/tickets/{first['id']}/transfer", headers=auth(doctor),
                             json={"to_room_code": "XN01", "return_after": True})
    assert sent.status_code == 200 and sent.json()["room_code"] == "XN01"
    await _fill(client, desk, 1)  # A-003 checks in while A-001 is at the lab
    queue = await _queue(client, doctor)
    assert [t["display"] for t in queue["away"]] == ["A-001"]
    assert _waiting(queue) == ["A-002", "A-003"]
    lab = (await _call(client, doctor, room="XN01")).json()
    await client.post(f"{BASE}/tickets/{lab['id']}/done", headers=auth(doctor))
    assert _waiting(await _queue(client, doctor)) == ["A-001", "A-002", "A-003"]


async def test_transfer_without_return_ends_the_ticket_here(client, clinic, token_for, bhxh):
    desk, doctor = await token_for("receptionist", "01001"), await token_for("doctor", "01001")
    await _fill(client, desk, 1)
    first = (await _call(client, doctor)).json()
    sent = await client.post(f"{BASE}/tickets/{first['id']}/transfer", headers=auth(doctor),
                             json={"to_room_code": "PK02", "return_after": False})
    assert sent.json()["room_code"] == "PK02" and sent.json()["position"] == 1
    queue = await _queue(client, doctor)
    assert queue["serving"] == [] and queue["away"] == []


async def test_staff_of_another_facility_cannot_act_on_a_ticket(
        client, clinic, make_facility, token_for, bhxh):
    await make_facility(code="01002")
    desk = await token_for("receptionist", "01001")
    tickets = await _fill(client, desk, 1)
    other = await token_for("doctor", "01002")
    response = await client.post(f"{BASE}/tickets/{tickets[0]['ticket']['id']}/skip",
                                 headers=auth(other))
    assert response.status_code == 403
    response = await client.get(f"{BASE}/rooms/01001/PK01/queue", headers=auth(other))
    assert response.status_code == 403


async def test_kiosk_cannot_call_patients(client, clinic, token_for):
    kiosk = await token_for("kiosk", "01001")
    assert (await _call(client, kiosk)).status_code == 403
