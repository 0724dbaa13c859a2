"""Reception pages: public boards and phone page, signed-in kiosk, desk and room console."""

import io

import pytest
from PIL import Image

from tests.conftest import auth

HTML = {"accept": "text/html"}


async def test_kiosk_page_redirects_an_anonymous_browser_to_sign_in(client):
    response = await client.get("/kiosk/01001", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/kiosk/01001"


async def test_kiosk_page_renders_in_vietnamese_by_default_for_a_kiosk_device(
        client, make_facility, token_for):
    await make_facility(code="01001")
    response = await client.get("/kiosk/01001", headers=auth(await token_for("kiosk", "01001")))
    assert response.status_code == 200
    assert "Vui lòng quét mã QR trên CCCD gắn chip hoặc VNeID" in response.text
    assert 'id="scan-input"' in response.text


async def test_kiosk_page_switches_to_english(client, make_facility, token_for):
    await make_facility(code="01001")
    response = await client.get("/kiosk/01001?lang=en",
                                headers=auth(await token_for("kiosk", "01001")))
    assert "Please scan the QR code on your chip ID card" in response.text
    assert response.cookies.get("sh_lang") == "en"


async def test_kiosk_of_another_facility_is_refused(client, make_facility, token_for):
    await make_facility(code="01001")
    await make_facility(code="01002")
    response = await client.get("/kiosk/01002", headers=auth(await token_for("kiosk", "01001")))
    assert response.status_code == 403


async def test_kiosk_page_refuses_a_doctor(client, make_facility, token_for):
    await make_facility(code="01001")
    response = await client.get("/kiosk/01001", headers=auth(await token_for("doctor", "01001")))
    assert response.status_code == 403


@pytest.mark.parametrize(("lang", "text"), [("vi", "Bảng gọi số"), ("en", "Queue board")])
async def test_facility_board_is_public_in_both_languages(client, lang, text):
    response = await client.get(f"/boards/01001?lang={lang}")
    assert response.status_code == 200
    assert text in response.text


async def test_room_board_is_public_and_knows_its_room(client):
    response = await client.get("/boards/01001/PK01")
    assert response.status_code == 200
    assert 'data-room="PK01"' in response.text


@pytest.mark.parametrize(("lang", "text"), [("vi", "Số người trước bạn"),
                                            ("en", "People ahead of you")])
async def test_phone_page_is_public_in_both_languages(client, lang, text):
    response = await client.get(f"/t/Zq3xY8vB2nK5mW7pL4rT9sD1?lang={lang}")
    assert response.status_code == 200
    assert text in response.text


async def test_phone_qr_code_is_a_png(client):
    response = await client.get("/t/Zq3xY8vB2nK5mW7pL4rT9sD1/qr.png")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).format == "PNG"


async def test_call_sound_is_public_wav_audio(client):
    response = await client.get("/boards/01001/call.wav",
                                params={"display": "A-012", "room": "Phòng khám Nội 1"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.content.startswith(b"RIFF")
    assert response.headers["x-call-audio"] in {"speech", "chime"}


async def test_call_sound_refuses_odd_text(client):
    response = await client.get("/boards/01001/call.wav",
                                params={"display": "A-012", "room": "<script>"})
    assert response.status_code == 422


@pytest.mark.parametrize(("lang", "text"), [("vi", "Tìm người không mang thẻ"),
                                            ("en", "Find a person without a card")])
async def test_desk_page_renders_for_a_receptionist(client, make_facility, token_for, lang, text):
    await make_facility(code="01001")
    response = await client.get(f"/reception/01001?lang={lang}",
                                headers=auth(await token_for("receptionist", "01001")))
    assert response.status_code == 200
    assert text in response.text


async def test_desk_page_refuses_a_kiosk_device(client, make_facility, token_for):
    await make_facility(code="01001")
    response = await client.get("/reception/01001", headers=auth(await token_for("kiosk", "01001")))
    assert response.status_code == 403


async def test_room_console_renders_for_a_doctor(client, make_facility, token_for):
    await make_facility(code="01001")
    response = await client.get("/reception/01001/rooms/PK01",
                                headers=auth(await token_for("doctor", "01001")))
    assert response.status_code == 200
    assert "Gọi số tiếp theo" in response.text


async def _issued_ticket(client, token_for) -> tuple[str, dict]:
    from tests.reception.conftest import cccd_of, post_checkin, qr

    kiosk = await token_for("kiosk", "01001")
    answer = await post_checkin(client, kiosk, qr(cccd_of(7)))
    assert answer.status_code == 201, answer.text
    return kiosk, answer.json()


@pytest.mark.parametrize(("kind", "magic"), [("png", b"\x89PNG"), ("pdf", b"%PDF")])
async def test_ticket_renders_as_png_and_pdf_for_the_kiosk(client, clinic, token_for, bhxh,
                                                           kind, magic):
    kiosk, answer = await _issued_ticket(client, token_for)
    response = await client.get(f"/reception/01001/tickets/{answer['ticket']['id']}/ticket.{kind}",
                                headers=auth(kiosk))
    assert response.status_code == 200
    assert response.content.startswith(magic)


async def test_ticket_of_another_facility_is_refused(client, clinic, make_facility, token_for,
                                                      bhxh):
    _, answer = await _issued_ticket(client, token_for)
    await make_facility(code="01009")
    other = await token_for("kiosk", "01009")
    response = await client.get(f"/reception/01001/tickets/{answer['ticket']['id']}/ticket.png",
                                headers=auth(other))
    assert response.status_code == 403


async def test_print_without_a_printer_answers_not_printed(client, clinic, token_for, bhxh):
    kiosk, answer = await _issued_ticket(client, token_for)
    response = await client.post(f"/kiosk/01001/tickets/{answer['ticket']['id']}/print",
                                 headers=auth(kiosk))
    assert response.status_code == 200
    assert response.json() == {"printed": False}


async def test_print_to_a_file_printer_writes_escpos(client, clinic, token_for, bhxh,
                                                     monkeypatch, tmp_path):
    target = tmp_path / "lp0"
    monkeypatch.setenv("SMARTHEALTH_PRINTER_KIND", "file")
    monkeypatch.setenv("SMARTHEALTH_PRINTER_TARGET", str(target))
    kiosk, answer = await _issued_ticket(client, token_for)
    response = await client.post(f"/kiosk/01001/tickets/{answer['ticket']['id']}/print",
                                 headers=auth(kiosk))
    assert response.json() == {"printed": True}
    assert target.read_bytes().startswith(b"\x1b@")


async def test_missing_ticket_is_404(client, clinic, token_for):
    kiosk = await token_for("kiosk", "01001")
    response = await client.get("/reception/01001/tickets/999/ticket.png", headers=auth(kiosk))
    assert response.status_code == 404
