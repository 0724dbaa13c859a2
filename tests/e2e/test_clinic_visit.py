"""A doctor takes a checked-in patient through a full visit in headless Chromium and signs it."""

import asyncio
import subprocess
import sys
import uuid

import pytest

from tests.e2e.reception_fixtures import (
    ARTIFACTS,
    FACILITY,
    ROOT,
    reception_stack,  # noqa: F401 - fixture
    signed_in_page,
)

pytestmark = pytest.mark.e2e
PATIENT_QR = "001075000555||Trịnh Văn Khoa|09091975|Nam|Số 5 Lý Thường Kiệt, Hà Nội|01022022"
LAB = "22.0120.1370"


async def _clinic_extras() -> None:
    """The shipped catalogues and a lab service in the e2e facility's price list."""
    from sqlalchemy import select

    from smarthealth.catalogue.loaders import load_defaults
    from smarthealth.core.db import get_database
    from smarthealth.registry.models import ClinicRoom, Facility, Service

    async with get_database().session() as s:
        await load_defaults(s)
        facility = await s.scalar(select(Facility).where(Facility.code == FACILITY))
        lab = await s.scalar(select(ClinicRoom).where(ClinicRoom.code == "XN01"))
        s.add(Service(facility_id=facility.id, code=LAB, kind="lab", room_id=lab.id,
                      name="Tổng phân tích tế bào máu ngoại vi", price_bhyt=46200,
                      price_service=70000))
    await get_database().dispose()


@pytest.fixture(scope="module")
def clinic_stack(reception_stack):  # noqa: F811
    subprocess.run([sys.executable, "-m", "tests.e2e.test_clinic_visit", "extras"],
                   env=reception_stack.env, cwd=ROOT, check=True, timeout=300)
    return reception_stack


async def _shot(page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"clinic-{name}.png"), full_page=True)


async def _saved(page, list_id: str, count: int) -> None:
    await page.wait_for_function(
        f"() => document.querySelectorAll('#{list_id} li').length >= {count}")


async def test_a_doctor_records_a_full_visit_closes_it_and_the_signed_pdf_verifies(
        browser, clinic_stack):
    kiosk = await signed_in_page(browser, clinic_stack, "kiosk1")
    checked_in = await kiosk.request.post(f"{clinic_stack.base_url}/api/reception/check-ins", data={
        "scan": PATIENT_QR, "facility_code": FACILITY, "idempotency_key": uuid.uuid4().hex})
    assert checked_in.ok, await checked_in.text()

    page = await signed_in_page(browser, clinic_stack, "doctor1",
                                viewport={"width": 1400, "height": 1000})
    await page.goto(f"{clinic_stack.base_url}/clinic/{FACILITY}?room=PK01")
    await page.wait_for_selector("#waiting li strong")
    await _shot(page, "1-queue")
    await page.click("#call-next")
    await page.wait_for_url("**/encounters/*")
    await page.wait_for_function("() => document.getElementById('ph-name').textContent !== '…'")
    assert "Trịnh Văn Khoa" in await page.inner_text("#ph-name")

    vitals = page.locator("#f-vitals")
    for name, value in (("pulse", "92"), ("systolic", "118"), ("diastolic", "76"),
                        ("temperature", "38.6"), ("weight", "64"), ("height", "168")):
        await vitals.locator(f"[name={name}]").fill(value)
    await vitals.locator("button").click()
    await _saved(page, "l-vitals", 1)

    for code, main in (("A90", True), ("J06.9", False)):
        form = page.locator("#f-diagnoses")
        await form.locator("[name=q]").fill(code)
        if main:
            await form.locator("[name=main]").check()
        await form.locator("button").click()
        await page.wait_for_function(
            f"() => document.getElementById('l-diagnoses').textContent.includes('{code}')")

    await page.wait_for_function("() => document.querySelectorAll('#order-services option')"
                                 ".length > 0")
    await page.locator("#f-orders button").click()
    await _saved(page, "l-orders", 1)
    await page.wait_for_function("() => document.querySelectorAll('#result-orders option')"
                                 ".length > 0")
    results = page.locator("#f-results")
    for name, value in (("test", "Tiểu cầu"), ("value", "95"), ("unit", "G/L"),
                        ("reference_range", "150-400")):
        await results.locator(f"[name={name}]").fill(value)
    await results.locator("button").click()
    await _saved(page, "l-results", 1)

    drug = page.locator("#f-prescriptions [name=q]")
    await drug.fill("Paracetamol")
    await page.wait_for_function("() => document.querySelectorAll('#drug-options option')"
                                 ".length > 0")
    first = await page.eval_on_selector("#drug-options option", "o => o.value")
    await drug.fill(first)
    await page.locator("#f-prescriptions button").click()
    await _saved(page, "l-prescriptions", 1)
    notes = page.locator("#f-notes")
    await notes.locator("[name=text]").fill("Sốt cao 3 ngày, đau đầu")
    await notes.locator("button").click()
    await _saved(page, "l-notes", 1)
    answers = ["Sốt cao 3 ngày, đau đầu, đau mỏi người", "Bổ sung triệu chứng"]
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept(answers.pop(0))))
    await page.locator("#l-notes li button", has_text="Sửa").click()
    await page.wait_for_function(
        "() => document.getElementById('l-notes').textContent.includes('(v2)')")
    await _shot(page, "2-recorded")

    await page.click("#close-sign")
    await page.wait_for_selector("#documents:not([hidden])", timeout=30000)
    await page.wait_for_function(
        "() => document.getElementById('doc-signature').textContent.length > 0")
    assert "ok-text" in (await page.get_attribute("#doc-signature", "class"))
    await _shot(page, "3-signed")

    encounter_id = page.url.rstrip("/").split("/")[-1]
    check = await page.request.get(
        f"{clinic_stack.base_url}/api/emr/encounters/{encounter_id}/signature")
    assert check.ok and all(doc["valid"] for doc in await check.json())
    pdf = await page.request.get(
        f"{clinic_stack.base_url}/api/emr/encounters/{encounter_id}/summary.pdf")
    assert (await pdf.body()).startswith(b"%PDF")


if __name__ == "__main__" and sys.argv[1:] == ["extras"]:
    asyncio.run(_clinic_extras())
