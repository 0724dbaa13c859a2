"""Registry test helpers: signed-in headers and a small facility set created through the API."""

from __future__ import annotations

import pytest

from tests.conftest import auth

HOAN_KIEM = 70  # Phường Hoàn Kiếm, Hà Nội (post-2025 ward code)
BA_DINH = 4  # Phường Ba Đình, Hà Nội


@pytest.fixture
async def admin(token_for) -> dict[str, str]:
    return auth(await token_for("admin"))


def facility_body(code: str = "01001", **extra: object) -> dict:
    body = {"code": code, "name": "Bệnh viện Đa khoa Xanh Pôn", "care_level": "basic",
            "tier": "city", "ward_code": HOAN_KIEM, "address": "12 Chu Văn An",
            "phone": "024 3823 3075"}
    body.update(extra)
    return body


@pytest.fixture
async def two_facilities(client, admin) -> tuple[str, str]:
    """Facilities 01001 and 01002, each with one department, room, service and practitioner."""
    await client.post("/api/registry/facilities", json=facility_body("01001"), headers=admin)
    await client.post("/api/registry/facilities",
                      json=facility_body("01002", name="Trạm Y tế Phường Ba Đình",
                                         care_level="primary", tier="commune",
                                         ward_code=BA_DINH),
                      headers=admin)
    for n, code in enumerate(("01001", "01002"), start=1):
        dept = (await client.post("/api/registry/departments", headers=admin, json={
            "facility_code": code, "code": "KKB", "name": "Khoa Khám bệnh",
            "kind": "outpatient"})).json()
        room = (await client.post("/api/registry/rooms", headers=admin, json={
            "facility_code": code, "code": "P101", "name": "Phòng khám Nội 1", "kind": "exam",
            "department_id": dept["id"]})).json()
        await client.post("/api/registry/services", headers=admin, json={
            "facility_code": code, "code": "02.1896", "name": "Khám Nội", "kind": "exam",
            "price_bhyt": 50600, "price_service": 150000, "room_id": room["id"]})
        await client.post("/api/registry/practitioners", headers=admin, json={
            "facility_code": code, "full_name": f"Nguyễn Văn An {n}", "title": "doctor",
            "specialty": "Nội khoa", "certificate_number": f"00{n}234/HNO-CCHN"})
    return "01001", "01002"
