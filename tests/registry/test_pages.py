"""Admin pages: Vietnamese by default, English on request, filters, paging and facility scope."""

import pytest

from tests.conftest import auth

PAGES = ["/admin/facilities", "/admin/facilities/01001", "/admin/departments", "/admin/rooms",
         "/admin/services", "/admin/practitioners", "/admin/users"]


@pytest.mark.parametrize("path", PAGES)
async def test_page_is_vietnamese_by_default(client, admin, two_facilities, path):
    response = await client.get(path, headers=admin)
    assert response.status_code == 200
    assert '<html lang="vi">' in response.text and "Trạng thái" in response.text


@pytest.mark.parametrize("path", PAGES)
async def test_page_switches_to_english(client, admin, two_facilities, path):
    response = await client.get(path, params={"lang": "en"}, headers=admin)
    assert response.status_code == 200
    assert '<html lang="en">' in response.text and "Status" in response.text


async def test_facility_detail_lists_its_rooms_services_and_practitioners(client, admin,
                                                                         two_facilities):
    text = (await client.get("/admin/facilities/01001", headers=admin)).text
    assert "Phường Hoàn Kiếm" in text and "Phòng khám Nội 1" in text
    assert "50.600 ₫" in text and "150.000 ₫" in text and "Nguyễn Văn An 1" in text
    assert "Nguyễn Văn An 2" not in text


async def test_facility_list_filters_by_accent_free_search(client, admin, two_facilities):
    text = (await client.get("/admin/facilities", params={"q": "ba dinh"}, headers=admin)).text
    assert "Trạm Y tế Phường Ba Đình" in text and "Xanh Pôn" not in text


async def test_blank_filter_fields_mean_no_filter(client, admin, two_facilities):
    response = await client.get("/admin/rooms", headers=admin, params={
        "q": "", "facility_code": "", "kind": "", "active": ""})
    assert response.status_code == 200 and response.text.count("Phòng khám Nội 1") == 2


async def test_invalid_filters_are_reported_not_failed(client, admin, two_facilities):
    response = await client.get("/admin/rooms", params={"facility_code": "abc"}, headers=admin)
    assert response.status_code == 200
    assert "Bộ lọc không hợp lệ" in response.text


async def test_pager_links_to_the_next_page_keeping_filters(client, admin, two_facilities):
    text = (await client.get("/admin/facilities", params={"page_size": 1, "tier": ""},
                             headers=admin)).text
    assert "page=2" in text and "page_size=1" in text and "Trang 1/2" in text


async def test_facility_admin_sees_only_own_rooms(client, two_facilities, token_for):
    boss = auth(await token_for("facility_admin", "01001"))
    text = (await client.get("/admin/rooms", headers=boss)).text
    assert text.count("Phòng khám Nội 1") == 1 and "01002" not in text


async def test_facility_admin_sees_other_facility_details_but_not_its_rooms(
        client, two_facilities, token_for):
    boss = auth(await token_for("facility_admin", "01001"))
    text = (await client.get("/admin/facilities/01002", headers=boss)).text
    assert "Trạm Y tế Phường Ba Đình" in text and "Phòng khám Nội 1" not in text


async def test_staff_page_lists_city_wide_and_facility_accounts(client, admin, two_facilities,
                                                                 token_for):
    await token_for("nurse", "01001")
    text = (await client.get("/admin/users", headers=admin)).text
    assert "Toàn thành phố" in text and "Xanh Pôn" in text


async def test_front_line_staff_cannot_open_admin_pages(client, two_facilities, token_for):
    nurse = auth(await token_for("nurse", "01001"))
    assert (await client.get("/admin/facilities", headers=nurse)).status_code == 403


async def test_browser_without_session_is_sent_to_sign_in(client):
    response = await client.get("/admin/rooms", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
