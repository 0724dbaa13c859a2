"""Signed encounter documents: storing, immutability, the PDF and signature endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from smarthealth.core.db import get_database
from smarthealth.core.errors import Conflict, PermissionDenied
from smarthealth.emr import documents, documents_api
from smarthealth.emr.signing_models import ImmutableDocument, SignedDocument
from tests.conftest import auth
from tests.emr.conftest import add_person


async def _user_id(username: str) -> int:
    from smarthealth.registry import users

    async with get_database().session() as s:
        return next(u.id for u, _ in await users.list_users(s) if u.username == username)


async def _encounter(facility_code: str, person_id: int, status: str = "closed") -> int:
    from smarthealth.emr.models import Encounter

    async with get_database().session() as s:
        enc = Encounter(person_id=person_id, facility_code=facility_code, status=status,
                        doctor_name="Test doctor", reason="Sốt cao 3 ngày",
                        closed_at=datetime.now(UTC) if status != "open" else None,
                        outcome="improved")
        s.add(enc)
        await s.flush()
        return enc.id


def _record(encounter_id: int, person_id: int, facility_code: str, status: str = "closed"
            ) -> dict:
    now = datetime.now(UTC)
    entry = {"status": "current"}
    return {
        "encounter": {"id": encounter_id, "person_id": person_id, "facility_code": facility_code,
                      "status": status, "kind": "outpatient", "started_at": now,
                      "closed_at": now, "reason": "Sốt cao 3 ngày", "outcome": "improved",
                      "doctor_name": "Test doctor", "coverage": {"card_number": "DN4010112345678"}},
        "person": {"full_name": "Nguyễn Văn An", "birth_date": "1980-04-02", "sex": "male",
                   "address": "Phường Hoàn Kiếm, Hà Nội"},
        "facility_name": "Bệnh viện 01001",
        "notes": [{**entry, "data": {"section": "history", "text": "Sốt 39°C, đau đầu."}}],
        "vitals": [{**entry, "data": {"pulse": 96, "temperature": 38.6}}],
        "diagnoses": [{**entry, "code": "A91",
                       "data": {"main": True, "title": "Sốt xuất huyết Dengue"}}],
        "prescriptions": [{**entry, "code": "PARA500",
                           "data": {"drug_name": "Paracetamol", "strength": "500mg",
                                    "unit": "viên", "dose": 1, "frequency_per_day": 3,
                                    "days": 5, "quantity": 15}}],
    }


@pytest.fixture
async def signed(make_facility, token_for):
    """A closed encounter of facility 01001 signed by its doctor; returns ids and tokens."""
    await make_facility(code="01001", name="Bệnh viện 01001")
    doctor = await token_for("doctor", "01001")
    person_id = await add_person()
    encounter_id = await _encounter("01001", person_id)
    user_id = await _user_id("doctor1")
    async with get_database().session() as s:
        docs = await documents.sign_encounter_documents(
            s, encounter_id=encounter_id, signer_user_id=user_id,
            record=_record(encounter_id, person_id, "01001"))
    return {"encounter_id": encounter_id, "person_id": person_id, "doctor": doctor,
            "user_id": user_id, "docs": docs}


async def test_signing_stores_the_summary_and_the_prescription(signed):
    kinds = {d.kind: d for d in signed["docs"]}
    assert set(kinds) == {"summary", "prescription"}
    async with get_database().session() as s:
        stored = await documents.get_document(s, encounter_id=signed["encounter_id"],
                                              kind="summary")
        check = await documents.verify_document(stored)
    assert stored.sha256 == kinds["summary"].sha256 and stored.pdf.startswith(b"%PDF")
    assert check.valid and check.signer == "Test doctor" and check.sha256_matches


async def test_signing_again_adds_a_version_and_keeps_the_first(signed):
    async with get_database().session() as s:
        again = await documents.sign_encounter_documents(
            s, encounter_id=signed["encounter_id"], signer_user_id=signed["user_id"],
            record=_record(signed["encounter_id"], signed["person_id"], "01001"))
    assert {d.version for d in again} == {2}
    async with get_database().session() as s:
        docs = await documents.list_documents(s, encounter_id=signed["encounter_id"])
    assert sorted((d.kind, d.version) for d in docs) == [
        ("prescription", 1), ("prescription", 2), ("summary", 1), ("summary", 2)]


async def test_open_encounter_cannot_be_signed(make_facility, token_for):
    await make_facility(code="01001")
    await token_for("doctor", "01001")
    person_id = await add_person()
    encounter_id = await _encounter("01001", person_id, status="open")
    async with get_database().session() as s:
        with pytest.raises(Conflict):
            await documents.sign_encounter_documents(
                s, encounter_id=encounter_id, signer_user_id=await _user_id("doctor1"),
                record=_record(encounter_id, person_id, "01001", status="open"))


async def test_doctor_of_another_facility_cannot_sign(signed, make_facility, token_for):
    await make_facility(code="01002", name="Bệnh viện 01002")
    await token_for("doctor", "01002")
    async with get_database().session() as s:
        with pytest.raises(PermissionDenied):
            await documents.sign_encounter_documents(
                s, encounter_id=signed["encounter_id"], signer_user_id=await _user_id("doctor2"),
                record=_record(signed["encounter_id"], signed["person_id"], "01001"))


async def test_signed_document_row_refuses_an_orm_update(signed):
    async with get_database().session() as s:
        doc = await documents.get_document(s, encounter_id=signed["encounter_id"], kind="summary")
        doc.signer_name = "Someone else"
        with pytest.raises(ImmutableDocument):
            await s.flush()
        await s.rollback()


async def test_signed_document_row_refuses_an_sql_update(signed):
    with pytest.raises(DBAPIError, match="immutable"):
        async with get_database().session() as s:
            await s.execute(text("UPDATE emr_signed_documents SET pdf = :b"), {"b": b"%PDF-x"})


def test_document_api_has_no_update_or_delete_route():
    methods = {m for route in documents_api.router.routes for m in route.methods}
    assert methods <= {"GET", "POST"}


async def test_changed_bytes_are_reported_against_the_stored_hash(signed):
    async with get_database().session() as s:
        doc = await documents.get_document(s, encounter_id=signed["encounter_id"], kind="summary")
    tampered = SignedDocument(id=doc.id, encounter_id=doc.encounter_id, kind=doc.kind,
                              version=doc.version, sha256=doc.sha256,
                              pdf=doc.pdf.replace(b"/Producer", b"/Producex", 1))
    check = await documents.verify_document(tampered)
    assert not check.valid and check.sha256_matches is False


async def test_signature_endpoint_verifies_for_the_facility_doctor(client, signed):
    r = await client.get(f"/api/emr/encounters/{signed['encounter_id']}/signature",
                         headers=auth(signed["doctor"]))
    assert r.status_code == 200, r.text
    checks = {c["kind"]: c for c in r.json()}
    assert set(checks) == {"summary", "prescription"}
    summary = checks["summary"]
    assert summary["valid"] and summary["intact"] and summary["covers_whole_document"]
    assert summary["signer"] == "Test doctor" and summary["signed_at"]


async def test_signature_and_pdf_are_denied_to_another_facility(client, signed, make_facility,
                                                                token_for):
    await make_facility(code="01002", name="Bệnh viện 01002")
    other = await token_for("doctor", "01002")
    base = f"/api/emr/encounters/{signed['encounter_id']}"
    for path in ("/signature", "/summary.pdf", "/documents/summary/signature", "/documents"):
        r = await client.get(base + path, headers=auth(other))
        assert r.status_code == 403, path


async def test_pdf_endpoint_serves_the_signed_bytes(client, signed):
    summary = next(d for d in signed["docs"] if d.kind == "summary")
    r = await client.get(summary.url, headers=auth(signed["doctor"]))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-document-sha256"] == summary.sha256
    assert documents.signing.sha256_hex(r.content) == summary.sha256
    from sqlalchemy import select

    from smarthealth.core.models import AuditEntry

    async with get_database().session() as s:
        reads = (await s.scalars(select(AuditEntry).where(
            AuditEntry.action == "emr.document.read"))).all()
    assert [a.patient_id for a in reads] == [signed["person_id"]]


async def test_receptionist_cannot_read_signed_documents(client, signed, token_for):
    clerk = await token_for("receptionist", "01001")
    r = await client.get(f"/api/emr/encounters/{signed['encounter_id']}/summary.pdf",
                         headers=auth(clerk))
    assert r.status_code == 403


async def test_unsigned_encounter_has_no_pdf(client, make_facility, token_for):
    await make_facility(code="01001")
    doctor = await token_for("doctor", "01001")
    r = await client.get("/api/emr/encounters/999/summary.pdf", headers=auth(doctor))
    assert r.status_code == 404
    assert r.json()["error"]["message_vi"]


async def test_closing_an_encounter_signs_its_documents(world):
    from smarthealth.core.audit import Actor
    from smarthealth.emr import entries, service

    doctor = Actor(name="doctor1", role="doctor", facility_code="01001")
    user_id = await _user_id("doctor1")
    async with get_database().session() as s:
        enc = await service.open_encounter(s, visit_id=world.visit_id, actor=doctor,
                                           scope="01001", reason="Sốt cao 3 ngày")
    for kind, data in (
        ("vitals", {"pulse": 96, "temperature": 38.6, "systolic": 110, "diastolic": 70}),
        ("note", {"section": "history", "text": "Sốt 39°C liên tục, đau đầu, đau mỏi người."}),
        ("diagnosis", {"code": "A90", "main": True}),
        ("diagnosis", {"code": "E11.9", "main": False}),
        ("order", {"service_code": "23.0058"}),
        ("result", {"test": "Định lượng Glucose", "value": "7.8", "unit": "mmol/L",
                    "reference_range": "3.9-6.4"}),
        ("prescription", {"drug_code": "02.001", "dose": 1, "frequency_per_day": 3, "days": 5,
                          "instructions": "Uống khi sốt trên 38,5°C"}),
    ):
        async with get_database().session() as s:
            await entries.add_entry(s, encounter_id=enc.id, kind=kind, data=data, actor=doctor,
                                    scope="01001")
    async with get_database().session() as s:
        await service.close_encounter(s, encounter_id=enc.id, actor=doctor, scope="01001",
                                      signer_user_id=user_id)
    async with get_database().session() as s:
        docs = await documents.list_documents(s, encounter_id=enc.id)
        checks = [await documents.verify_document(d) for d in docs]
    assert sorted(d.kind for d in docs) == ["prescription", "summary"]
    assert all(c.valid and c.signer == "Test doctor" for c in checks)
    artifacts = Path("test-artifacts/emr")  # for a look: pdftoppm -png test-artifacts/emr/*.pdf
    artifacts.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (artifacts / f"{doc.kind}.pdf").write_bytes(doc.pdf)


async def test_only_a_doctor_of_the_facility_can_sign_through_the_api(client, signed, token_for,
                                                                      make_facility):
    url = f"/api/emr/encounters/{signed['encounter_id']}/documents/sign"
    nurse = await token_for("nurse", "01001")
    r = await client.post(url, headers=auth(nurse))
    assert r.status_code == 403, r.text
    await make_facility(code="01002", name="Bệnh viện 01002")
    other = await token_for("doctor", "01002")
    assert (await client.post(url, headers=auth(other))).status_code in (403, 404)


async def test_doctor_signs_a_closed_encounter_again_through_the_api(client, world):
    from smarthealth.core.audit import Actor
    from smarthealth.emr import entries, service

    doctor = Actor(name="doctor1", role="doctor", facility_code="01001")
    async with get_database().session() as s:
        enc = await service.open_encounter(s, visit_id=world.visit_id, actor=doctor,
                                           scope="01001")
        await entries.add_entry(s, encounter_id=enc.id, kind="diagnosis",
                                data={"code": "A90", "main": True}, actor=doctor, scope="01001")
        await service.close_encounter(s, encounter_id=enc.id, actor=doctor, scope="01001")
    r = await client.post(f"/api/emr/encounters/{enc.id}/documents/sign",
                          headers=auth(world.doctor))
    assert r.status_code == 201, r.text
    assert [(d["kind"], d["version"]) for d in r.json()] == [("summary", 1)]
    check = await client.get(r.json()[0]["signature_url"], headers=auth(world.doctor))
    assert check.json()["valid"] is True


async def test_close_through_the_api_leaves_a_verifiable_signature(client, world):
    from smarthealth.core.audit import Actor
    from smarthealth.emr import entries, service

    doctor = Actor(name="doctor1", role="doctor", facility_code="01001")
    async with get_database().session() as s:
        enc = await service.open_encounter(s, visit_id=world.visit_id, actor=doctor,
                                           scope="01001")
        await entries.add_entry(s, encounter_id=enc.id, kind="diagnosis",
                                data={"code": "A90", "main": True}, actor=doctor, scope="01001")
    closed = await client.post(f"/api/emr/encounters/{enc.id}/close", headers=auth(world.doctor))
    assert closed.status_code == 200, closed.text
    r = await client.get(f"/api/emr/encounters/{enc.id}/signature", headers=auth(world.doctor))
    assert r.status_code == 200, r.text
    assert [(c["kind"], c["valid"]) for c in r.json()] == [("summary", True)]
