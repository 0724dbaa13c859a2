"""Kiosk to board to phone in headless Chromium, including the BHXH gateway outage path."""

import re
import uuid

import pytest

from tests.e2e.reception_fixtures import (
    ARTIFACTS,
    EXPIRED_CARD,
    EXPIRED_QR,
    FACILITY,
    INSURED_QR,
    OUTAGE_QR,
    reception_stack,  # noqa: F401 - fixture
    signed_in_page,
)

pytestmark = pytest.mark.e2e
KIOSK_SIZE = {"width": 1280, "height": 1024}
BOARD_SIZE = {"width": 1920, "height": 1080}
PHONE_SIZE = {"width": 390, "height": 844}


def _qr(n: int, name: str) -> str:
    """A CCCD chip-card QR for a made-up Hanoi resident born in 1985 (n < 1000)."""
    return f"001085{n:06d}||{name}|02031985|Nữ|Số {n} Phố Huế, Hai Bà Trưng, Hà Nội|01022022"


async def _shot(page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _scan(page, payload: str) -> None:
    """What a keyboard-wedge scanner does: type the payload, then Enter."""
    await page.locator("#scan-input").type(payload, delay=0)
    await page.keyboard.press("Enter")


async def _kiosk_check_in(page, payload: str, shots: str | None = None) -> str:
    """Scan, confirm, choose the first (recommended) service; the ticket number shown."""
    await page.wait_for_selector("#step-scan.active")
    await _scan(page, payload)
    await page.wait_for_selector("#step-confirm.active, #step-service.active, #step-ticket.active")
    if await page.locator("#step-confirm.active").count():
        if shots:
            await _shot(page, f"{shots}-2-confirm")
        await page.click("#btn-yes")
        await page.wait_for_selector("#step-service.active, #step-ticket.active")
    if await page.locator("#step-service.active").count():
        if shots:
            await _shot(page, f"{shots}-3-service")
        await page.locator(".btn-service").first.click()
    await page.wait_for_selector("#step-ticket.active")
    await page.wait_for_function(  # the phone QR has loaded and the print answer is shown
        "() => { const qr = document.getElementById('ticket-qr');"
        " return qr.complete && qr.naturalWidth > 0"
        " && document.getElementById('print-note').textContent.length > 0; }")
    number = await page.locator("#ticket-number").inner_text()
    assert re.fullmatch(r"[A-Z0-9]+-?\d+", number), number
    return number


async def _api_check_in(page, stack, payload: str) -> dict:
    response = await page.request.post(f"{stack.base_url}/api/reception/check-ins", data={
        "scan": payload, "facility_code": FACILITY, "service_code": None,
        "idempotency_key": uuid.uuid4().hex, "priority": None})
    assert response.ok, await response.text()
    return await response.json()


async def test_a_scan_typed_into_the_kiosk_produces_a_ticket(browser, reception_stack):  # noqa: F811
    page = await signed_in_page(browser, reception_stack, "kiosk1", viewport=KIOSK_SIZE)
    await page.goto(f"{reception_stack.base_url}/kiosk/{FACILITY}")
    await page.wait_for_selector("#step-scan.active")
    assert "Vui lòng quét mã QR trên CCCD gắn chip hoặc VNeID" in await page.content()
    await _shot(page, "kiosk-1-scan")
    number = await _kiosk_check_in(page, INSURED_QR, shots="kiosk")
    assert await page.locator("#ticket-room").inner_text()
    assert (await page.locator("#ticket-qr").get_attribute("src")).startswith("/t/")
    await page.wait_for_function(
        "() => document.getElementById('print-note').textContent.includes('đang được in')")
    assert reception_stack.printer_output.read_bytes().startswith(b"\x1b@")
    await _shot(page, "kiosk-4-ticket")
    await page.click("#btn-done")
    await page.wait_for_selector("#step-scan.active")
    assert number


async def test_the_board_shows_the_number_when_the_doctor_calls_it(browser, reception_stack):  # noqa: F811
    kiosk = await signed_in_page(browser, reception_stack, "kiosk1", viewport=KIOSK_SIZE)
    answer = await _api_check_in(kiosk, reception_stack, _qr(101, "Lê Thị Cúc"))
    room = answer["ticket"]["room_code"]
    board = await (await browser.new_context(viewport=BOARD_SIZE)).new_page()
    await board.goto(f"{reception_stack.base_url}/boards/{FACILITY}")
    await board.wait_for_selector(f".room-card[data-room='{room}']")
    doctor = await signed_in_page(browser, reception_stack, "doctor1")
    await doctor.goto(f"{reception_stack.base_url}/reception/{FACILITY}/rooms/{room}")
    await doctor.wait_for_selector("#list-waiting .ticket-item")
    async with board.expect_request(lambda r: "/call.wav?" in r.url) as sound:
        for _ in range(20):  # call until our ticket is the one being served
            await doctor.click("#call-next")
            await doctor.wait_for_timeout(300)
            serving = doctor.locator(
                f"#list-serving [data-display='{answer['ticket']['display']}']")
            if await serving.count():
                break
    assert (await (await sound.value).response()).headers["content-type"] == "audio/wav"
    await _shot(doctor, "room-console")
    await board.wait_for_function(
        "d => document.getElementById('call-number').textContent === d",
        arg=answer["ticket"]["display"], timeout=10_000)
    await _shot(board, "board-called")
    room_board = await (await browser.new_context(viewport=BOARD_SIZE)).new_page()
    await room_board.goto(f"{reception_stack.base_url}/boards/{FACILITY}/{room}?lang=en")
    await room_board.wait_for_selector(".room-current")
    await _shot(room_board, "board-room-english")


async def test_the_phone_page_moves_as_the_queue_moves(browser, reception_stack):  # noqa: F811
    kiosk = await signed_in_page(browser, reception_stack, "kiosk1", viewport=KIOSK_SIZE)
    first = await _api_check_in(kiosk, reception_stack, _qr(201, "Phạm Văn Dũng"))
    second = await _api_check_in(kiosk, reception_stack, _qr(202, "Hoàng Thị Em"))
    assert first["ticket"]["room_code"] == second["ticket"]["room_code"]
    phone = await (await browser.new_context(viewport=PHONE_SIZE, is_mobile=True)).new_page()
    await phone.goto(f"{reception_stack.base_url}{second['ticket']['status_url']}")
    await phone.wait_for_function(
        "() => /\\d/.test(document.getElementById('phone-position').textContent)")
    before = int(await phone.locator("#phone-position").inner_text())
    await _shot(phone, "phone-waiting")
    doctor = await signed_in_page(browser, reception_stack, "doctor1")
    await doctor.request.post(f"{reception_stack.base_url}/api/reception/rooms/{FACILITY}/"
                        f"{first['ticket']['room_code']}/call-next")
    await phone.wait_for_function(
        "b => { const t = document.getElementById('phone-position').textContent;"
        " return document.body.dataset.status !== 'waiting' || Number(t) < b; }",
        arg=before, timeout=10_000)
    await _shot(phone, "phone-moved")


async def test_a_gateway_outage_gives_a_not_yet_verified_ticket(browser, reception_stack):  # noqa: F811
    reception_stack.set_gateway(outage=True)
    try:
        page = await signed_in_page(browser, reception_stack, "kiosk1", viewport=KIOSK_SIZE)
        await page.goto(f"{reception_stack.base_url}/kiosk/{FACILITY}")
        async with page.expect_response(lambda r: r.url.endswith("/check-ins")) as answer:
            await _kiosk_check_in(page, OUTAGE_QR)
        coverage = (await (await answer.value).json())["coverage"]
        assert coverage["verified"] is False and coverage["source"] == "unavailable"
        banner = page.locator("#coverage-banner")
        assert "banner-unverified" in await banner.get_attribute("class")
        assert "Chưa xác minh được thẻ BHYT" in await banner.inner_text()
        await _shot(page, "kiosk-outage-ticket")
    finally:
        reception_stack.set_gateway(outage=False)


async def test_an_unreadable_scan_explains_what_to_do(browser, reception_stack):  # noqa: F811
    page = await signed_in_page(browser, reception_stack, "kiosk1", viewport=KIOSK_SIZE)
    await page.goto(f"{reception_stack.base_url}/kiosk/{FACILITY}")
    await _scan(page, "hello")
    await page.wait_for_selector("#step-error.active")
    assert await page.locator("#error-text").inner_text()
    await _shot(page, "kiosk-error")
    await page.click("#btn-retry")
    await page.wait_for_selector("#step-scan.active")


async def test_the_desk_checks_in_by_keyboard_and_finds_people(browser, reception_stack):  # noqa: F811
    page = await signed_in_page(browser, reception_stack, "reception1")
    await page.goto(f"{reception_stack.base_url}/reception/{FACILITY}")
    await page.fill("#desk-scan", _qr(401, "Bùi Thị Lan"))
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".desk-ticket")
    await page.fill("#search-name", "Nguyễn Văn An")
    await page.click("#search-form button[type=submit]")
    await page.wait_for_selector("#search-results tbody tr")
    await page.click("#search-results tbody tr button")
    await page.click("#checkin-form button[type=submit]")
    await page.wait_for_function(
        "() => document.querySelector('.desk-ticket') &&"
        " document.querySelector('.desk-ticket').textContent.includes('Nguyễn Văn An')")
    await _shot(page, "desk")


async def test_a_portrait_kiosk_works_in_english(browser, reception_stack):  # noqa: F811
    page = await signed_in_page(browser, reception_stack, "kiosk1",
                                viewport={"width": 1080, "height": 1920})
    await page.goto(f"{reception_stack.base_url}/kiosk/{FACILITY}?lang=en")
    await page.wait_for_selector("#step-scan.active")
    assert "Please scan the QR code" in await page.content()
    await _shot(page, "kiosk-portrait-english-scan")
    await _kiosk_check_in(page, _qr(501, "Ngô Văn Hải"))
    assert "Your number" in await page.content()
    await _shot(page, "kiosk-portrait-english-ticket")


async def test_an_expired_card_still_gets_a_fee_paying_ticket(browser, reception_stack):  # noqa: F811
    reception_stack.force_result(EXPIRED_CARD, "010")
    try:
        page = await signed_in_page(browser, reception_stack, "kiosk1", viewport=KIOSK_SIZE)
        await page.goto(f"{reception_stack.base_url}/kiosk/{FACILITY}")
        await _kiosk_check_in(page, EXPIRED_QR)
        banner = page.locator("#coverage-banner")
        assert "banner-invalid" in await banner.get_attribute("class")
        text = await banner.inner_text()
        assert "hết giá trị sử dụng" in text and "vẫn có thể khám dịch vụ" in text
        await _shot(page, "kiosk-expired-card")
    finally:
        reception_stack.force_result(EXPIRED_CARD, None)
