"""Departments, rooms, services and practitioners: CRUD, filters, duplicates and facility scope."""

from tests.conftest import auth

API = "/api/registry"


async def test_lists_show_every_facility_to_the_admin(client, admin, two_facilities):
    for kind in ("departments", "rooms", "services", "practitioners"):
        page = (await client.get(f"{API}/{kind}", headers=admin)).json()
        assert page["total"] == 2, kind
        assert {row["facility_code"] for row in page["items"]} == {"01001", "01002"}


async def test_lists_filter_by_facility_code(client, admin, two_facilities):
    for kind in ("departments", "rooms", "services", "practitioners"):
        page = (await client.get(f"{API}/{kind}", params={"facility_code": "01002"},
                                 headers=admin)).json()
        assert [row["facility_code"] for row in page["items"]] == ["01002"], kind


async def test_facility_bound_staff_see_only_their_facility(client, two_facilities, token_for):
    doctor = auth(await token_for("doctor", "01001"))
    for kind in ("departments", "rooms", "services", "practitioners"):
        page = (await client.get(f"{API}/{kind}", headers=doctor)).json()
        assert [row["facility_code"] for row in page["items"]] == ["01001"], kind


async def test_asking_for_another_facility_by_code_is_forbidden(client, two_facilities,
                                                                token_for):
    boss = auth(await token_for("facility_admin", "01001"))
    response = await client.get(f"{API}/rooms", params={"facility_code": "01002"}, headers=boss)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


async def test_another_facilitys_room_is_not_found_by_id(client, admin, two_facilities,
                                                        token_for):
    rooms = (await client.get(f"{API}/rooms", params={"facility_code": "01002"},
                              headers=admin)).json()["items"]
    boss = auth(await token_for("facility_admin", "01001"))
    read = await client.get(f"{API}/rooms/{rooms[0]['id']}", headers=boss)
    update = await client.patch(f"{API}/rooms/{rooms[0]['id']}", json={"name": "X"},
                                headers=boss)
    assert read.status_code == 404 and update.status_code == 404


async def test_facility_admin_cannot_create_rows_in_another_facility(client, two_facilities,
                                                                    token_for):
    boss = auth(await token_for("facility_admin", "01001"))
    response = await client.post(f"{API}/rooms", headers=boss, json={
        "facility_code": "01002", "code": "P202", "name": "Phòng 202", "kind": "exam"})
    assert response.status_code == 403


async def test_facility_admin_manages_own_rooms(client, two_facilities, token_for):
    boss = auth(await token_for("facility_admin", "01001"))
    created = await client.post(f"{API}/rooms", headers=boss, json={
        "facility_code": "01001", "code": "P202", "name": "Phòng 202", "kind": "imaging"})
    assert created.status_code == 201
    updated = await client.patch(f"{API}/rooms/{created.json()['id']}", headers=boss,
                                 json={"name": "Phòng X-quang", "active": False})
    assert updated.json()["name"] == "Phòng X-quang" and updated.json()["active"] is False


async def test_duplicate_room_code_in_a_facility_is_409(client, admin, two_facilities):
    response = await client.post(f"{API}/rooms", headers=admin, json={
        "facility_code": "01001", "code": "P101", "name": "Trùng", "kind": "exam"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_room"


async def test_duplicate_department_and_service_codes_are_409(client, admin, two_facilities):
    dept = await client.post(f"{API}/departments", headers=admin, json={
        "facility_code": "01001", "code": "KKB", "name": "Trùng", "kind": "outpatient"})
    svc = await client.post(f"{API}/services", headers=admin, json={
        "facility_code": "01001", "code": "02.1896", "name": "Trùng", "kind": "exam",
        "price_bhyt": 1, "price_service": 1})
    assert dept.status_code == svc.status_code == 409


async def test_certificate_number_is_unique_across_the_city(client, admin, two_facilities):
    response = await client.post(f"{API}/practitioners", headers=admin, json={
        "facility_code": "01002", "full_name": "Trần Thị Bình", "title": "nurse",
        "certificate_number": "001234/HNO-CCHN"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_certificate"


async def test_certificate_number_is_required(client, admin, two_facilities):
    response = await client.post(f"{API}/practitioners", headers=admin, json={
        "facility_code": "01001", "full_name": "Trần Thị Bình", "title": "nurse"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"][-1] == "certificate_number"


async def test_prices_are_non_negative_whole_vnd(client, admin, two_facilities):
    base = {"facility_code": "01001", "code": "X1", "name": "X", "kind": "lab",
            "price_service": 1000}
    for price in (-1, 1.5, "1000", 10**12):
        response = await client.post(f"{API}/services", headers=admin,
                                     json={**base, "price_bhyt": price})
        assert response.status_code == 422, price


async def test_service_room_must_belong_to_the_same_facility(client, admin, two_facilities):
    other_room = (await client.get(f"{API}/rooms", params={"facility_code": "01002"},
                                   headers=admin)).json()["items"][0]
    response = await client.post(f"{API}/services", headers=admin, json={
        "facility_code": "01001", "code": "X1", "name": "X", "kind": "lab", "price_bhyt": 0,
        "price_service": 0, "room_id": other_room["id"]})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_room"


async def test_unknown_facility_in_a_body_is_invalid_input(client, admin, two_facilities):
    response = await client.post(f"{API}/departments", headers=admin, json={
        "facility_code": "01999", "code": "K", "name": "K", "kind": "lab"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_facility"


async def test_service_prices_are_updated(client, admin, two_facilities):
    svc = (await client.get(f"{API}/services", headers=admin)).json()["items"][0]
    response = await client.patch(f"{API}/services/{svc['id']}", headers=admin,
                                  json={"price_bhyt": 52000})
    assert response.status_code == 200 and response.json()["price_bhyt"] == 52000
    assert (await client.get(f"{API}/services/{svc['id']}", headers=admin)).json()[
        "price_bhyt"] == 52000


async def test_lists_filter_by_kind_active_and_text(client, admin, two_facilities):
    await client.post(f"{API}/rooms", headers=admin, json={
        "facility_code": "01001", "code": "XQ", "name": "Phòng Chụp X-quang", "kind": "imaging",
        "active": False})
    imaging = (await client.get(f"{API}/rooms", params={"kind": "imaging"}, headers=admin)).json()
    inactive = (await client.get(f"{API}/rooms", params={"active": "false"},
                                 headers=admin)).json()
    text = (await client.get(f"{API}/rooms", params={"q": "chup x"}, headers=admin)).json()
    assert [r["code"] for r in imaging["items"]] == ["XQ"]
    assert [r["code"] for r in inactive["items"]] == ["XQ"]
    assert [r["code"] for r in text["items"]] == ["XQ"]


async def test_practitioners_filter_by_title_and_name(client, admin, two_facilities):
    doctors = (await client.get(f"{API}/practitioners", params={"kind": "doctor", "q": "an 2"},
                                headers=admin)).json()
    assert [p["full_name"] for p in doctors["items"]] == ["Nguyễn Văn An 2"]


async def test_kiosk_devices_cannot_read_the_registry(client, two_facilities, token_for):
    kiosk = auth(await token_for("kiosk", "01001"))
    assert (await client.get(f"{API}/rooms", headers=kiosk)).status_code == 403


async def test_practitioner_links_only_to_an_account_of_the_same_facility(client, admin,
                                                                         two_facilities):
    other = (await client.post(f"{API}/users", headers=admin, json={
        "username": "bs.khac", "password": "long-enough-1", "role": "doctor",
        "facility_code": "01002"})).json()
    own = (await client.post(f"{API}/users", headers=admin, json={
        "username": "bs.nha", "password": "long-enough-1", "role": "doctor",
        "facility_code": "01001"})).json()
    body = {"facility_code": "01001", "full_name": "Đỗ Hải", "title": "doctor",
            "certificate_number": "009999/HNO-CCHN"}
    refused = await client.post(f"{API}/practitioners", headers=admin,
                                json={**body, "staff_user_id": other["id"]})
    linked = await client.post(f"{API}/practitioners", headers=admin,
                               json={**body, "staff_user_id": own["id"]})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_staff_user"
    assert linked.status_code == 201 and linked.json()["staff_user_id"] == own["id"]


async def test_updates_publish_an_updated_event(client, admin, two_facilities):
    from sqlalchemy import select

    from smarthealth.core.db import get_database
    from smarthealth.core.models import OutboxEvent

    room = (await client.get(f"{API}/rooms", headers=admin)).json()["items"][0]
    await client.patch(f"{API}/rooms/{room['id']}", headers=admin, json={"name": "Phòng mới"})
    async with get_database().session() as s:
        event = (await s.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == "registry.room.updated"))).one()
    assert event.payload["name"] == "Phòng mới" and event.facility_code == room["facility_code"]
