"""Identity HTTP API: roles, scan answers, person index, merges; never a 500."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from smarthealth.core.db import get_database
from smarthealth.core.models import AuditEntry
from tests.conftest import auth

QR = "001090123456|012345678|NGUYEN VAN A|01011990|Nam|Phường Hoàn Kiếm, Hà Nội|15042021"
PERSON = {"full_name": "Nguyễn Văn An", "birth_date": "1990-01-01", "sex": "male",
          "cccd": "001090123456", "phone": "0912345678", "ward_code": 70}


@pytest.fixture
async def desk(token_for, make_facility):
    await make_facility()
    return auth(await token_for("receptionist", "01001"))


async def test_scan_returns_source_and_normalised_person(client, desk):
    r = await client.post("/api/identity/scan", json={"payload": QR}, headers=desk)
    assert r.status_code == 200
    body = r.json()
    assert body["source"] == "cccd_qr" and body["warnings"] == []
    assert {k: body["person"][k] for k in ("cccd", "full_name", "birth_date", "sex", "address",
                                           "card_issue_date", "old_id")} == {
        "cccd": "001090123456", "full_name": "NGUYEN VAN A", "birth_date": "1990-01-01",
        "sex": "male", "address": "Phường Hoàn Kiếm, Hà Nội", "card_issue_date": "2021-04-15",
        "old_id": "012345678"}


async def test_scan_is_open_to_the_kiosk_and_writes_nothing(client, token_for, make_facility):
    await make_facility()
    kiosk = auth(await token_for("kiosk", "01001"))
    r = await client.post("/api/identity/scan", json={"payload": "HS4010120878811"},
                          headers=kiosk)
    assert r.status_code == 200 and r.json()["source"] == "bhyt_card"
    async with get_database().session() as s:
        assert (await s.scalars(select(AuditEntry))).all() == []


async def test_scan_error_is_structured_in_both_languages(client, desk):
    r = await client.post("/api/identity/scan", json={"payload": "001090123456||NGUYEN"},
                          headers=desk)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_scan" and err["details"]["kind"] == "qr_truncated"
    assert err["message_vi"] and err["message_en"]


@pytest.mark.parametrize("role", ["pharmacist", "cashier"])
async def test_scan_refuses_other_roles(client, token_for, make_facility, role):
    await make_facility()
    r = await client.post("/api/identity/scan", json={"payload": QR},
                          headers=auth(await token_for(role, "01001")))
    assert r.status_code == 403


async def test_kiosk_cannot_search_the_index(client, token_for, make_facility):
    await make_facility()
    r = await client.get("/api/identity/persons?cccd=001090123456",
                         headers=auth(await token_for("kiosk", "01001")))
    assert r.status_code == 403


async def test_create_then_search_and_read_are_audited(client, desk):
    r = await client.post("/api/identity/persons", json=PERSON, headers=desk)
    assert r.status_code == 201
    person_id = r.json()["id"]
    r = await client.get("/api/identity/persons", params={"name": "nguyen van an"},
                         headers=desk)
    assert r.status_code == 200 and r.json()["total"] == 1
    assert r.json()["items"][0]["full_name"] == "Nguyễn Văn An"
    r = await client.get(f"/api/identity/persons/{person_id}", headers=desk)
    assert r.status_code == 200 and r.json()["cccd"] == "001090123456"
    async with get_database().session() as s:
        entries = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.action, e.patient_id, e.actor_role) for e in entries] == [
        ("person.create", person_id, "receptionist"), ("person.search", person_id,
                                                         "receptionist"),
        ("person.read", person_id, "receptionist")]


async def test_second_person_with_the_same_cccd_is_a_conflict(client, desk):
    first = await client.post("/api/identity/persons", json=PERSON, headers=desk)
    r = await client.post("/api/identity/persons", json=PERSON, headers=desk)
    assert r.status_code == 409 and r.json()["error"]["details"]["person_id"] == first.json()["id"]


async def test_create_reports_each_mismatch_with_the_cccd(client, desk):
    r = await client.post("/api/identity/persons",
                          json={**PERSON, "sex": "female", "birth_date": "1992-01-01"},
                          headers=desk)
    assert r.status_code == 422
    problems = r.json()["error"]["details"]["problems"]
    assert {p["field"] for p in problems} == {"sex", "birth_year"}


async def test_unknown_person_is_404(client, desk):
    r = await client.get("/api/identity/persons/999999", headers=desk)
    assert r.status_code == 404


async def test_duplicates_merge_and_undo_over_http(client, desk):
    child = {"full_name": "Phạm Minh Khôi", "birth_date": "2019-06-01", "sex": "male",
             "ward_code": 70}
    a = (await client.post("/api/identity/persons", json=child, headers=desk)).json()
    b = (await client.post("/api/identity/persons",
                           json={**child, "full_name": "Pham Minh Khoi", "phone": "0987654321"},
                           headers=desk)).json()
    r = await client.get("/api/identity/duplicates", headers=desk)
    assert r.status_code == 200
    [pair] = r.json()
    assert {pair["first"]["id"], pair["second"]["id"]} == {a["id"], b["id"]}
    r = await client.post("/api/identity/merges", json={"keep_id": a["id"], "merge_id": b["id"],
                                                        "reason": "Nhập trùng"}, headers=desk)
    assert r.status_code == 201
    merge = r.json()
    assert merge["merged_by"].startswith("receptionist")
    r = await client.get("/api/identity/persons", params={"phone": "0987654321"}, headers=desk)
    assert [p["id"] for p in r.json()["items"]] == [a["id"]]
    r = await client.post(f"/api/identity/merges/{merge['id']}/undo", headers=desk)
    assert r.status_code == 200 and r.json()["undone_at"]
    r = await client.get("/api/identity/persons", params={"phone": "0987654321"}, headers=desk)
    assert [p["id"] for p in r.json()["items"]] == [b["id"]]


@pytest.mark.parametrize(("path", "params"), [
    ("/api/identity/persons", {}),
    ("/api/identity/persons", {"birth_date": "1990-02-30"}),
    ("/api/identity/persons", {"phone": "abc"}),
    ("/api/identity/persons", {"limit": 0}),
    ("/api/identity/persons/99999999999999999999999", {}),
    ("/api/identity/duplicates", {"threshold": 2}),
])
async def test_bad_queries_are_structured_4xx(client, desk, path, params):
    r = await client.get(path, params=params, headers=desk)
    assert 400 <= r.status_code < 500 and "error" in r.json()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(
    st.builds(lambda p: {"payload": p}, st.text(max_size=400)),
    st.builds(lambda p: {"payload": p}, json_values),
    json_values,
    st.binary(max_size=100)))
async def test_scan_endpoint_never_answers_500(client, desk, body):
    if isinstance(body, bytes):
        r = await client.post("/api/identity/scan", content=body,
                              headers={**desk, "content-type": "application/json"})
    else:
        r = await client.post("/api/identity/scan", content=json.dumps(body),
                              headers={**desk, "content-type": "application/json"})
    assert r.status_code == 200 or 400 <= r.status_code < 500, r.text
    assert ("source" in r.json()) if r.status_code == 200 else ("error" in r.json())


@pytest.mark.parametrize("payload", [
    "001090123456||NGUY\ud800EN VAN A|01011990|Nam|Hà\udfffNội|15042021",
    "001090123456||NGUYEN VAN A|31\ud800011990|Nam|x|",
    "HS4010120878811\x00\x1b[31m",
    "\u202e001090123456||NGUYEN VAN A|01011990|Nam|x|15042021",
])
async def test_hostile_characters_get_a_structured_answer(client, desk, payload):
    r = await client.post("/api/identity/scan", content=json.dumps({"payload": payload}),
                          headers={**desk, "content-type": "application/json"})
    assert r.status_code in (200, 422) and ("source" in r.json() or "error" in r.json())


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(params=st.dictionaries(
    st.sampled_from(["cccd", "bhyt", "phone", "name", "birth_date", "limit", "offset"]),
    st.one_of(st.text(max_size=30), st.sampled_from(["001090123456", "\x00", "1990-01-01",
                                                     "HS4010120878811", "-1", "%"])),
    min_size=1, max_size=4))
async def test_person_search_never_answers_500(client, desk, params):
    r = await client.get("/api/identity/persons", params=params, headers=desk)
    assert r.status_code == 200 or 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize("reason", ["\x00\x00\x00", "  "])
async def test_merge_reason_must_be_real_text(client, desk, reason):
    r = await client.post("/api/identity/merges", json={"keep_id": 1, "merge_id": 2,
                                                        "reason": reason}, headers=desk)
    assert r.status_code == 422
