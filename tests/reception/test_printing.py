"""Tickets: thermal PNG, PDF, ESC/POS output, and the board's spoken call or chime."""

import io
import wave
from datetime import UTC, datetime

import pytest
from PIL import Image

from smarthealth.reception import announce, printing

STATUS_URL = "http://kiosk.example/t/Zq3xY8vB2nK5mW7pL4rT9sD1"


def _ticket(**overrides) -> printing.TicketPrint:
    fields = dict(
        facility_name="Bệnh viện Đa khoa Đống Đa", room_name="Phòng khám Nội 1",
        display="A-012", service_name="Khám nội tổng quát",
        issued_at=datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC),
        coverage_line=printing.coverage_line("valid", 80), estimated_wait_minutes=14,
        status_url=STATUS_URL,
    )
    fields.update(overrides)
    return printing.TicketPrint(**fields)


def test_png_is_576_pixels_wide_and_decodes():
    image = Image.open(io.BytesIO(printing.render_png(_ticket())))
    image.load()
    assert image.format == "PNG"
    assert image.width == printing.TICKET_WIDTH == 576
    assert image.height > 600


def test_png_qr_code_holds_the_status_url():
    image = printing.render_png_image(_ticket()).convert("L")
    try:
        import zxingcpp
    except ImportError:  # no decoder installed: compare the drawn modules with the QR matrix
        matrix = printing.qr_matrix(STATUS_URL)
        qr = printing.qr_image(STATUS_URL, 300)
        box = qr.width // len(matrix)
        assert all((qr.getpixel((x * box, y * box)) == 0) == dark
                   for y, row in enumerate(matrix) for x, dark in enumerate(row))
        return
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [STATUS_URL]


def test_a_long_facility_name_wraps_instead_of_overflowing():
    long_name = "Trung tâm Y tế quận Hai Bà Trưng — Phòng khám Đa khoa khu vực Bạch Mai số 2"
    tall = printing.render_png_image(_ticket(facility_name=long_name))
    assert tall.width == 576
    assert tall.height > printing.render_png_image(_ticket()).height


def test_issued_time_is_shown_in_hanoi_time():
    lines = [text for text, _, _ in printing._lines(_ticket())]
    assert any("08:02 26/11/2026" in text for text in lines)


def test_pdf_starts_with_the_pdf_signature():
    assert printing.render_pdf(_ticket()).startswith(b"%PDF")


@pytest.mark.parametrize("mode", ["image", "text"])
def test_file_printer_receives_escpos_init_and_cut(tmp_path, mode):
    target = tmp_path / "printer.bin"
    settings = printing.PrinterSettings(kind="file", target=str(target), mode=mode)
    assert printing.print_ticket(_ticket(), settings) is True
    data = target.read_bytes()
    assert data.startswith(b"\x1b@")
    assert b"\x1dV" in data  # GS V: paper cut


def test_text_mode_prints_vietnamese_without_diacritics(tmp_path):
    target = tmp_path / "printer.bin"
    printing.print_ticket(_ticket(), printing.PrinterSettings(kind="file", target=str(target),
                                                              mode="text"))
    assert b"Phong kham Noi 1" in target.read_bytes()


def test_printing_switched_off_or_failing_returns_false_without_raising(tmp_path):
    assert printing.print_ticket(_ticket(), printing.PrinterSettings(kind="none")) is False
    broken = printing.PrinterSettings(kind="file", target=str(tmp_path / "missing" / "lp0"))
    assert printing.print_ticket(_ticket(), broken) is False


@pytest.mark.parametrize(("decision", "rate", "expected"), [
    ("valid", 80, "BHYT"), ("unverified", None, "Chưa xác minh"),
    ("retry_later", None, "Chưa xác minh"), ("invalid", None, "dịch vụ"),
])
def test_coverage_line_in_vietnamese(decision, rate, expected):
    assert expected in printing.coverage_line(decision, rate, "vi")


def test_ticket_from_checkin_answer_uses_absolute_status_url():
    answer = {"ticket": {"display": "A-003", "room_name": "Phòng khám Nhi", "status_url": "/t/abc",
                         "issued_at": "2026-11-26T01:02:03Z"},
              "coverage": {"decision": "unverified"}, "service": {"name": "Khám nhi"},
              "estimated_wait_minutes": 5}
    ticket = printing.ticket_from_checkin(answer, facility_name="BV", base_url="http://h:8000/")
    assert ticket.status_url == "http://h:8000/t/abc"
    assert ticket.issued_at == datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC)


def test_call_text_drops_leading_zeros():
    assert announce.call_text("A-012", "Phòng khám Nội 1") == "Mời số A 12 vào Phòng khám Nội 1"


def test_chime_is_a_playable_wav():
    with wave.open(io.BytesIO(announce.chime())) as wav:
        assert wav.getnchannels() == 1 and wav.getnframes() > announce.SAMPLE_RATE


async def test_call_audio_falls_back_to_the_chime_without_espeak(monkeypatch):
    monkeypatch.setattr(announce, "espeak_binary", lambda: None)
    audio, kind = await announce.call_audio("Mời số 99 vào phòng thử nghiệm không espeak")
    assert kind == "chime" and audio.startswith(b"RIFF")


async def test_call_audio_speaks_vietnamese_when_espeak_is_installed():
    if announce.espeak_binary() is None:
        pytest.skip("espeak-ng is not installed")
    audio, kind = await announce.call_audio("Mời số 12 vào phòng khám Nội 1")
    assert kind == "speech" and audio.startswith(b"RIFF")
