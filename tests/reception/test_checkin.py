"""Check-in through the API: identify, check BHYT, open the visit, issue a ticket."""

from sqlalchemy import func, select

from smarthealth.core.db import get_database
from smarthealth.core.models import AuditEntry, OutboxEvent
from smarthealth.reception.models import Ticket, Visit
from tests.conftest import auth
from tests.reception.conftest import add_person, key, make_clinic, post_checkin, qr


async def test_kiosk_scan_issues_ticket_with_verified_coverage(client, clinic, token_for, bhxh):
    await add_person()
    kiosk = await token_for("kiosk", "01001")
    response = await post_checkin(client, kiosk, qr("001090000123"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ticket"]["display"] == "A-001"
    assert body["ticket"]["room_code"] == "PK01" and body["ticket"]["status"] == "waiting"
    assert body["ticket"]["status_url"] == f"/t/{body['ticket']['token']}"
    assert len(body["ticket"]["token"]) >= 22
    assert body["person"]["cccd_masked"] == "001******123"
    assert body["person"]["full_name"] == "Nguyễn Văn An"
    assert body["coverage"]["decision"] == "valid" and body["coverage"]["verified"] is True
    assert body["coverage"]["card_number"] == "DN4010120878811"
    assert body["service"] == {"code": "KB01", "name": "Khám Nội"}
    assert body["position"] == 1 and body["estimated_wait_minutes"] >= 1


async def test_check_in_writes_visit_timing_outbox_event_and_audit_entry(
        client, clinic, token_for, bhxh):
    await add_person()
    kiosk = await token_for("kiosk", "01001")
    body = (await post_checkin(client, kiosk, qr("001090000123"))).json()
    async with get_database().session() as s:
        visit = await s.get(Visit, body["visit_id"])
        assert visit.checkin_ms is not None and visit.checkin_ms >= 0
        assert visit.insurance_verified is True
        topics = (await s.scalars(select(OutboxEvent.topic))).all()
        assert "reception.checkin" in topics
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "check_in"))
        assert entry.actor == "kiosk1" and entry.patient_id == body["person"]["id"]


async def test_requested_service_routes_to_its_room(client, clinic, token_for, bhxh):
    kiosk = await token_for("kiosk", "01001")
    response = await post_checkin(client, kiosk, qr("001090000124"), service_code="KB02")
    assert response.json()["ticket"]["room_code"] == "PK02"
    assert response.json()["ticket"]["display"] == "B-001"


async def test_person_without_a_card_gets_a_fee_paying_ticket(client, clinic, token_for, bhxh):
    kiosk = await token_for("kiosk", "01001")
    response = await post_checkin(client, kiosk, qr("001090000125", name="Trần Văn Bình"))
    assert response.status_code == 201
    assert response.json()["coverage"]["verified"] is True
    assert response.json()["coverage"]["decision"] in ("unverified", "invalid")


async def test_expired_card_does_not_block_check_in(client, clinic, token_for, bhxh):
    from datetime import date, timedelta

    await add_person(cards=[{"valid_from": date.today() - timedelta(days=400),
                             "valid_to": date.today() - timedelta(days=35)}])
    kiosk = await token_for("kiosk", "01001")
    response = await post_checkin(client, kiosk, qr("001090000123"))
    assert response.status_code == 201
    assert response.json()["coverage"]["decision"] == "invalid"
    assert response.json()["coverage"]["message_vi"].endswith("vui lòng đến quầy tiếp đón.")


async def test_unreadable_scan_is_a_structured_422(client, clinic, token_for, bhxh):
    kiosk = await token_for("kiosk", "01001")
    response = await post_checkin(client, kiosk, "hello world")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] and error["message_en"]
    assert "quầy tiếp đón" in error["message_vi"]


async def test_unknown_service_is_a_structured_422(client, clinic, token_for, bhxh):
    kiosk = await token_for("kiosk", "01001")
    response = await post_checkin(client, kiosk, qr("001090000123"), service_code="NOPE")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_service"


async def test_retry_with_the_same_key_returns_the_same_ticket(client, clinic, token_for, bhxh):
    kiosk = await token_for("kiosk", "01001")
    same = key()
    first = await post_checkin(client, kiosk, qr("001090000123"), idempotency_key=same)
    again = await post_checkin(client, kiosk, qr("001090000123"), idempotency_key=same)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["ticket"] == first.json()["ticket"]
    async with get_database().session() as s:
        assert await s.scalar(select(func.count()).select_from(Ticket)) == 1


async def test_kiosk_of_one_facility_cannot_check_in_at_another(
        client, clinic, make_facility, token_for, bhxh):
    await make_clinic(make_facility, code="01002")
    kiosk = await token_for("kiosk", "01001")
    response = await post_checkin(client, kiosk, qr("001090000123"), facility_code="01002")
    assert response.status_code == 403


async def test_doctor_cannot_check_in(client, clinic, token_for, bhxh):
    doctor = await token_for("doctor", "01001")
    response = await post_checkin(client, doctor, qr("001090000123"))
    assert response.status_code == 403


async def test_kiosk_lists_exam_services_with_the_default_marked(client, clinic, token_for):
    kiosk = await token_for("kiosk", "01001")
    response = await client.get("/api/reception/facilities/01001/services",
                                headers=auth(kiosk))
    assert response.status_code == 200
    listed = {s["code"]: s for s in response.json()}
    assert listed["KB01"]["default"] is True and listed["KB01"]["room_code"] == "PK01"
    assert listed["KB02"]["default"] is False
