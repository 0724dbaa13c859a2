"""Catalogue endpoints: staff only, facility-bound price lists, rule checks over HTTP."""

from __future__ import annotations

from smarthealth.catalogue import imports
from smarthealth.core.audit import Actor
from smarthealth.core.db import get_database
from tests.conftest import auth


async def test_icd10_search_needs_a_staff_token(client) -> None:
    assert (await client.get("/api/catalogue/icd10", params={"q": "dengue"})).status_code == 401


async def test_kiosk_may_not_search_the_catalogue(client, make_facility, token_for) -> None:
    await make_facility(code="01001")
    token = await token_for("kiosk", "01001")
    answer = await client.get("/api/catalogue/icd10", params={"q": "dengue"},
                              headers=auth(token))
    assert answer.status_code == 403


async def test_doctor_searches_icd10(client, icd10, make_facility, token_for) -> None:
    await make_facility(code="01001")
    token = await token_for("doctor", "01001")
    answer = await client.get("/api/catalogue/icd10", params={"q": "sot xuat huyet dengue"},
                              headers=auth(token))
    assert answer.status_code == 200
    assert answer.json()[0]["code"] == "A97"


async def test_check_endpoint_reports_a_sex_mismatch(client, icd10, make_facility,
                                                     token_for) -> None:
    await make_facility(code="01001")
    token = await token_for("doctor", "01001")
    answer = await client.get("/api/catalogue/icd10/N40/check",
                              params={"main": "true", "sex": "female", "age_years": 50},
                              headers=auth(token))
    body = answer.json()
    assert body["icd10"]["code"] == "N40"
    assert [p["rule"] for p in body["problems"]] == ["sex_mismatch"]


async def test_unknown_code_answers_404(client, icd10, make_facility, token_for) -> None:
    await make_facility(code="01001")
    token = await token_for("doctor", "01001")
    answer = await client.get("/api/catalogue/icd10/Z99.99", headers=auth(token))
    assert answer.status_code == 404


async def test_drug_search(client, drugs, make_facility, token_for) -> None:
    await make_facility(code="01001")
    token = await token_for("pharmacist", "01001")
    answer = await client.get("/api/catalogue/drugs", params={"q": "paracetamol"},
                              headers=auth(token))
    assert answer.status_code == 200 and answer.json()[0]["active_ingredient"] == "Paracetamol"


async def test_own_price_list_by_default(client, make_facility, token_for) -> None:
    await make_facility(code="01001")
    async with get_database().session() as s:
        await imports.load_services(s, facility_code="01001",
                                    actor=Actor(name="test", role="operator"))
    token = await token_for("doctor", "01001")
    answer = await client.get("/api/catalogue/services",
                              params={"q": "glucose", "kind": "lab"}, headers=auth(token))
    assert answer.status_code == 200
    assert {s["facility_code"] for s in answer.json()} == {"01001"}


async def test_other_facilitys_price_list_is_refused(client, make_facility, token_for) -> None:
    await make_facility(code="01001")
    await make_facility(code="01002", name="Bệnh viện Khác")
    token = await token_for("doctor", "01001")
    answer = await client.get("/api/catalogue/services", params={"facility_code": "01002"},
                              headers=auth(token))
    assert answer.status_code == 403
