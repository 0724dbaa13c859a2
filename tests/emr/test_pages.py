"""The clinician's workspace pages: own facility only, Vietnamese and English."""

from tests.conftest import auth


async def test_clinic_sends_a_doctor_to_their_own_facility(client, make_facility, token_for):
    await make_facility(code="01001")
    response = await client.get("/clinic", headers=auth(await token_for("doctor", "01001")))
    assert response.status_code == 303 and response.headers["location"] == "/clinic/01001"


async def test_the_queue_page_renders_in_vietnamese_and_english(client, make_facility, token_for):
    await make_facility(code="01001")
    headers = auth(await token_for("doctor", "01001"))
    vi = await client.get("/clinic/01001", headers=headers)
    en = await client.get("/clinic/01001?lang=en", headers=headers)
    assert vi.status_code == en.status_code == 200
    assert "Phòng khám" in vi.text and "Clinic" in en.text


async def test_another_facilitys_clinic_is_refused(client, make_facility, token_for):
    await make_facility(code="01001")
    await make_facility(code="01002", name="Bệnh viện khác")
    response = await client.get("/clinic/01002", headers=auth(await token_for("doctor", "01001")))
    assert response.status_code == 403


async def test_the_bed_board_shows_occupied_and_free_beds(client, make_facility, token_for):
    from smarthealth.core.db import get_database
    from smarthealth.registry.models import Department

    facility = await make_facility(code="01001")
    async with get_database().session() as s:
        s.add(Department(facility_id=facility.id, code="NOI", name="Khoa Nội", kind="inpatient"))
    page = await client.get("/clinic/01001/beds",
                            headers=auth(await token_for("nurse", "01001")))
    assert page.status_code == 200
    assert "Sơ đồ giường bệnh" in page.text and "Khoa Nội" in page.text
