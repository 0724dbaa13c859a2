"""A newcomer signs in and browses facilities and rooms in Vietnamese, then in English."""

from __future__ import annotations

import pytest

from smarthealth.core.audit import SYSTEM
from smarthealth.core.db import get_database
from smarthealth.registry import service, users
from smarthealth.registry.schemas import DepartmentIn, FacilityIn, RoomIn

pytestmark = pytest.mark.e2e


async def _seed() -> None:
    """Two facilities with rooms and an admin account, committed so the server sees them."""
    async with get_database().session() as s:
        await service.create_facility(s, actor=SYSTEM, data=FacilityIn(
            code="01001", name="Bệnh viện Đa khoa Xanh Pôn", care_level="basic", tier="city",
            ward_code=70, address="12 Chu Văn An"))
        await service.create_facility(s, actor=SYSTEM, data=FacilityIn(
            code="01002", name="Trạm Y tế Phường Ba Đình", care_level="primary",
            tier="commune", ward_code=4))
        dept = await service.create_department(s, scope=None, actor=SYSTEM, data=DepartmentIn(
            facility_code="01001", code="KKB", name="Khoa Khám bệnh", kind="outpatient"))
        for code, name in (("P101", "Phòng khám Nội 1"), ("P102", "Phòng khám Nhi")):
            await service.create_room(s, scope=None, actor=SYSTEM, data=RoomIn(
                facility_code="01001", code=code, name=name, kind="exam",
                department_id=dept.id))
        await users.add_user(s, username="e2e.admin", role="admin", password="e2e-password-1",
                             full_name="Nguyễn Quản Trị")


async def test_admin_signs_in_and_browses_in_vietnamese_then_english(live_server, page,
                                                                     artifacts):
    await _seed()
    await page.goto(f"{live_server}/admin/facilities")
    assert "/login" in page.url
    await page.fill("input[name=username]", "e2e.admin")
    await page.fill("input[name=password]", "e2e-password-1")
    await page.click("button[type=submit]")
    await page.wait_for_url("**/admin/facilities")

    assert await page.inner_text("h1") == "Cơ sở khám bệnh, chữa bệnh"
    assert await page.locator("table.data tbody tr").count() == 2
    await page.screenshot(path=artifacts / "admin-facilities-vi.png", full_page=True)

    await page.fill("input[name=q]", "xanh pon")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**q=xanh+pon**")
    assert await page.locator("table.data tbody tr").count() == 1
    await page.click("text=Bệnh viện Đa khoa Xanh Pôn")
    await page.wait_for_url("**/admin/facilities/01001")
    assert "Phòng khám Nhi" in await page.inner_text("main")
    await page.screenshot(path=artifacts / "admin-facility-vi.png", full_page=True)

    await page.click(".sidenav >> text=Phòng khám")
    await page.wait_for_url("**/admin/rooms")
    assert await page.locator("table.data tbody tr").count() == 2
    await page.screenshot(path=artifacts / "admin-rooms-vi.png", full_page=True)

    await page.click("text=English")
    await page.wait_for_url("**/admin/rooms?lang=en")
    assert await page.inner_text("h1") == "Clinic rooms"
    await page.screenshot(path=artifacts / "admin-rooms-en.png", full_page=True)

    await page.click(".sidenav >> text=Facilities")
    await page.wait_for_url("**/admin/facilities")
    assert await page.inner_text("h1") == "Health facilities"
    assert "Basic care" in await page.inner_text("table.data")
    await page.screenshot(path=artifacts / "admin-facilities-en.png", full_page=True)
