"""EMR over HTTP: roles, facility isolation, audited reads, pagination of closed encounters."""

from __future__ import annotations

from sqlalchemy import func, select

from smarthealth.core.db import get_database
from smarthealth.core.models import AuditEntry
from smarthealth.emr import bulk
from tests.conftest import auth
from tests.emr.conftest import add_clinic


async def _open(client, world) -> int:  # noqa: ANN001
    r = await client.post(f"/api/emr/encounters/from-ticket/{world.ticket_id}",
                          headers=auth(world.doctor))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _audits(action: str) -> int:
    async with get_database().session() as s:
        return int(await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action)) or 0)


async def test_visit_recorded_over_http(client, world) -> None:  # noqa: ANN001
    enc = await _open(client, world)
    h = auth(world.doctor)
    for kind, body in [("vitals", {"pulse": 88, "temperature": 38.5}),
                       ("notes", {"section": "history", "text": "Sốt cao 3 ngày"}),
                       ("diagnoses", {"code": "A90", "main": True}),
                       ("prescriptions", {"drug_code": "02.001", "dose": 1,
                                          "frequency_per_day": 3, "days": 3})]:
        r = await client.post(f"/api/emr/encounters/{enc}/{kind}", json=body, headers=h)
        assert r.status_code == 201, r.text
    bad = await client.post(f"/api/emr/encounters/{enc}/diagnoses",
                            json={"code": "B95.3", "main": False, "x": 1}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_entry"
    record = (await client.get(f"/api/emr/encounters/{enc}", headers=h)).json()
    assert record["diagnoses"][0]["code"] == "A90" and len(record["prescriptions"]) == 1
    r = await client.post(f"/api/emr/encounters/{enc}/close", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "signed"  # closed, and its summary signed by the doctor
    listed = (await client.get("/api/emr/encounters?status=closed", headers=h)).json()
    assert [e["id"] for e in listed["items"]] == [enc]
    charges = (await client.get(f"/api/emr/encounters/{enc}/charges", headers=h)).json()
    assert charges["bhyt_pays"] + charges["patient_pays"] == charges["total_cost"]


async def test_every_staff_read_is_audited(client, world) -> None:  # noqa: ANN001
    enc = await _open(client, world)
    h = auth(world.doctor)
    await client.get(f"/api/emr/encounters/{enc}", headers=h)
    await client.get(f"/api/emr/encounters/{enc}", headers=h)
    await client.get(f"/api/emr/persons/{world.person_id}/header", headers=h)
    assert await _audits("emr.record.read") == 2
    assert await _audits("emr.header.read") == 1


async def test_other_facilities_staff_cannot_see_the_record(client, world, make_facility,
                                                             token_for) -> None:  # noqa: ANN001
    enc = await _open(client, world)
    await add_clinic(make_facility, code="01002")
    stranger = auth(await token_for("doctor", "01002"))
    assert (await client.get(f"/api/emr/encounters/{enc}", headers=stranger)).status_code == 404
    header = await client.get(f"/api/emr/persons/{world.person_id}/header", headers=stranger)
    assert header.status_code == 404
    note = await client.post(f"/api/emr/encounters/{enc}/notes", json={"text": "x"},
                             headers=stranger)
    assert note.status_code == 404
    listing = await client.get("/api/emr/encounters", headers=stranger)
    assert listing.json()["total"] == 0
    cashier = auth(await token_for("cashier", "01001"))
    assert (await client.get(f"/api/emr/encounters/{enc}", headers=cashier)).status_code == 403


async def test_closed_encounters_are_paginated(client, world) -> None:  # noqa: ANN001
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    rows = [{"person_id": world.person_id, "facility_code": "01001",
             "started_at": start + timedelta(days=i),
             "diagnoses": [{"code": "I10", "title_vi": "Tăng huyết áp", "main": True}]}
            for i in range(25)]
    async with get_database().session() as s:
        await bulk.add_past_encounters(s, rows=rows)
    await _open(client, world)  # one open encounter, not listed
    h = auth(world.doctor)
    first = (await client.get("/api/emr/encounters?status=closed&page=1&page_size=10",
                              headers=h)).json()
    last = (await client.get("/api/emr/encounters?status=closed&page=3&page_size=10",
                             headers=h)).json()
    assert first["total"] == 25 and len(first["items"]) == 10 and len(last["items"]) == 5
    assert first["items"][0]["started_at"].startswith("2026-01-25")
    ids = set()
    for page in (1, 2, 3):
        body = (await client.get(f"/api/emr/encounters?status=closed&page={page}&page_size=10",
                                 headers=h)).json()
        ids |= {item["id"] for item in body["items"]}
    assert len(ids) == 25
    header = (await client.get(f"/api/emr/persons/{world.person_id}/header",
                               headers=h)).json()
    assert header["past_encounter_count"] == 26 and header["bhyt"]["code"] == world.card_code


async def test_amend_and_entered_in_error_over_http(client, world) -> None:  # noqa: ANN001
    enc = await _open(client, world)
    h = auth(world.doctor)
    entry = (await client.post(f"/api/emr/encounters/{enc}/allergies",
                               json={"substance": "Penicilin"}, headers=h)).json()
    r = await client.put(f"/api/emr/entries/{entry['entry_id']}",
                         json={"data": {"substance": "Amoxicilin"}, "reason": "Nhầm tên"},
                         headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2
    r = await client.post(f"/api/emr/entries/{entry['entry_id']}/entered-in-error",
                          json={"reason": "Không dị ứng"}, headers=h)
    assert r.json()["status"] == "entered_in_error"
    versions = (await client.get(f"/api/emr/entries/{entry['entry_id']}/versions",
                                 headers=h)).json()
    assert [v["status"] for v in versions] == ["superseded", "entered_in_error"]


async def test_header_lists_newest_past_encounters_from_every_facility(client, world,
                                                                       make_facility) -> None:  # noqa: ANN001
    from datetime import UTC, datetime, timedelta

    await add_clinic(make_facility, code="01002")
    start = datetime(2020, 1, 1, 8, tzinfo=UTC)
    rows = [{"person_id": world.person_id, "facility_code": "01002" if i % 2 else "01001",
             "started_at": start + timedelta(days=3 * i),
             "diagnoses": [{"code": "I10", "title_vi": "Tăng huyết áp", "main": True}],
             "allergies": [{"substance": "Aspirin"}] if i == 0 else []}
            for i in range(500)]
    async with get_database().session() as s:
        await bulk.add_past_encounters(s, rows=rows)
    await _open(client, world)
    header = (await client.get(f"/api/emr/persons/{world.person_id}/header?limit=20",
                               headers=auth(world.doctor))).json()
    assert header["past_encounter_count"] == 501 and len(header["past_encounters"]) == 20
    assert {p["facility_name"] for p in header["past_encounters"]} == {
        "Bệnh viện 01001", "Bệnh viện 01002"}
    assert [a["data"]["substance"] for a in header["allergies"]] == ["Aspirin"]
    assert header["age_years"] >= 46 and header["sex"] == "male"


async def test_outcome_follow_up_and_referral_are_recorded(client, world, make_facility
                                                           ) -> None:  # noqa: ANN001
    await add_clinic(make_facility, code="01002")
    enc = await _open(client, world)
    h = auth(world.doctor)
    r = await client.patch(f"/api/emr/encounters/{enc}", headers=h, json={
        "outcome": "transferred", "follow_up_date": "2026-12-10",
        "referral_facility_code": "01002", "referral_reason": "Cần chụp cộng hưởng từ"})
    assert r.status_code == 200, r.text
    assert r.json()["referral_facility_code"] == "01002"
    unknown = await client.patch(f"/api/emr/encounters/{enc}", headers=h,
                                 json={"referral_facility_code": "09999"})
    assert unknown.status_code == 404
