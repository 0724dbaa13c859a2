"""Facilities: create, read by code and id, update, list with filters; BHYT code and ward rules."""

from sqlalchemy import select

from smarthealth.core.db import get_database
from smarthealth.core.models import AuditEntry, OutboxEvent
from tests.conftest import auth
from tests.registry.conftest import BA_DINH, HOAN_KIEM, facility_body

URL = "/api/registry/facilities"


async def test_admin_creates_a_facility_and_its_ward_name_is_filled_in(client, admin):
    response = await client.post(URL, json=facility_body(), headers=admin)
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "01001" and body["province_code"] == "01"
    assert body["ward_code"] == HOAN_KIEM and body["ward_name"] == "Phường Hoàn Kiếm"


async def test_facility_is_read_by_code_and_by_id(client, admin):
    created = (await client.post(URL, json=facility_body(), headers=admin)).json()
    by_code = await client.get(f"{URL}/01001", headers=admin)
    by_id = await client.get(f"{URL}/by-id/{created['id']}", headers=admin)
    assert by_code.json() == created and by_id.json() == created


async def test_unknown_facility_code_is_404(client, admin):
    response = await client.get(f"{URL}/01999", headers=admin)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_creating_a_facility_writes_an_audit_entry_and_an_outbox_event(client, admin):
    await client.post(URL, json=facility_body(), headers=admin)
    async with get_database().session() as s:
        actions = (await s.scalars(select(AuditEntry.action))).all()
        topics = (await s.scalars(select(OutboxEvent.topic))).all()
    assert "registry.facility.create" in actions
    assert topics == ["registry.facility.created"]


async def test_duplicate_facility_code_is_a_409_in_both_languages(client, admin):
    await client.post(URL, json=facility_body(), headers=admin)
    response = await client.post(URL, json=facility_body(name="Khác"), headers=admin)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_facility"
    assert "01001" in error["message_vi"] and "01001" in error["message_en"]


async def test_facility_code_must_be_five_digits(client, admin):
    for code in ("0100", "010011", "01A01", "", " 0100"):
        response = await client.post(URL, json=facility_body(code), headers=admin)
        assert response.status_code == 422, code
        assert response.json()["error"]["code"] == "invalid_input"


async def test_facility_code_must_start_with_a_current_province_code(client, admin):
    response = await client.post(URL, json=facility_body("99001", ward_code=None),
                                 headers=admin)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_province"


async def test_other_provinces_are_accepted(client, admin):
    # Thành phố Hồ Chí Minh is province 79; Phường Sài Gòn is ward 26740.
    response = await client.post(URL, json=facility_body("79001", ward_code=26740), headers=admin)
    assert response.status_code == 201
    assert response.json()["ward_name"] == "Phường Sài Gòn"


async def test_ward_must_belong_to_the_facility_province(client, admin):
    response = await client.post(URL, json=facility_body("79001", ward_code=HOAN_KIEM),
                                 headers=admin)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_ward"


async def test_care_level_and_tier_are_checked(client, admin):
    bad_level = await client.post(URL, json=facility_body(care_level="top"), headers=admin)
    bad_tier = await client.post(URL, json=facility_body(tier="province"), headers=admin)
    assert bad_level.status_code == bad_tier.status_code == 422


async def test_update_changes_fields_and_refreshes_the_ward_name(client, admin):
    await client.post(URL, json=facility_body(), headers=admin)
    response = await client.patch(f"{URL}/01001", json={"ward_code": BA_DINH, "phone": None},
                                  headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert body["ward_name"] == "Phường Ba Đình" and body["phone"] is None


async def test_update_cannot_empty_a_required_field(client, admin):
    await client.post(URL, json=facility_body(), headers=admin)
    response = await client.patch(f"{URL}/01001", json={"name": None}, headers=admin)
    assert response.status_code == 422


async def test_unknown_fields_are_refused(client, admin):
    response = await client.post(URL, json=facility_body(colour="red"), headers=admin)
    assert response.status_code == 422


async def test_list_is_paginated(client, admin):
    for n in range(1, 6):
        await client.post(URL, json=facility_body(f"0100{n}"), headers=admin)
    page = (await client.get(URL, params={"page": 2, "page_size": 2}, headers=admin)).json()
    assert page["total"] == 5 and page["page"] == 2 and page["page_size"] == 2
    assert [f["code"] for f in page["items"]] == ["01003", "01004"]


async def test_page_size_is_capped_at_200(client, admin):
    response = await client.get(URL, params={"page_size": 201}, headers=admin)
    assert response.status_code == 422


async def test_search_ignores_vietnamese_accents_and_case(client, admin):
    await client.post(URL, json=facility_body("01001", name="Bệnh viện Đống Đa"), headers=admin)
    await client.post(URL, json=facility_body("01002", name="Trạm Y tế Láng"), headers=admin)
    page = (await client.get(URL, params={"q": "dong da"}, headers=admin)).json()
    assert [f["code"] for f in page["items"]] == ["01001"] and page["total"] == 1
    by_code = (await client.get(URL, params={"q": "01002"}, headers=admin)).json()
    assert [f["code"] for f in by_code["items"]] == ["01002"]


async def test_list_filters_by_care_level_tier_and_ward(client, admin):
    await client.post(URL, json=facility_body("01001"), headers=admin)
    await client.post(URL, json=facility_body("01002", care_level="primary", tier="commune",
                                              ward_code=BA_DINH), headers=admin)
    for params in ({"care_level": "primary"}, {"tier": "commune"}, {"ward_code": BA_DINH}):
        page = (await client.get(URL, params=params, headers=admin)).json()
        assert [f["code"] for f in page["items"]] == ["01002"], params


async def test_facility_bound_staff_see_every_facility(client, admin, token_for):
    await client.post(URL, json=facility_body("01001"), headers=admin)
    await client.post(URL, json=facility_body("01002"), headers=admin)
    nurse = auth(await token_for("nurse", "01001"))
    page = (await client.get(URL, headers=nurse)).json()
    assert page["total"] == 2


async def test_facility_admin_cannot_create_facilities(client, admin, token_for):
    await client.post(URL, json=facility_body("01001"), headers=admin)
    boss = auth(await token_for("facility_admin", "01001"))
    response = await client.post(URL, json=facility_body("01002"), headers=boss)
    assert response.status_code == 403


async def test_facility_admin_edits_only_contact_details_of_own_facility(client, admin,
                                                                        token_for):
    await client.post(URL, json=facility_body("01001"), headers=admin)
    await client.post(URL, json=facility_body("01002"), headers=admin)
    boss = auth(await token_for("facility_admin", "01001"))
    own = await client.patch(f"{URL}/01001", json={"phone": "024 1111"}, headers=boss)
    level = await client.patch(f"{URL}/01001", json={"tier": "central"}, headers=boss)
    other = await client.patch(f"{URL}/01002", json={"phone": "024 1111"}, headers=boss)
    assert own.status_code == 200
    assert level.status_code == 403 and other.status_code == 403
