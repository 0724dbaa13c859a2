"""Queue tickets as a thermal-ticket PNG, a one-page PDF, and ESC/POS for the kiosk printer."""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont
from pydantic_settings import BaseSettings, SettingsConfigDict

from smarthealth.core.i18n import LOCAL_TZ, gettext

log = logging.getLogger(__name__)

# 80 mm thermal paper at 203 dpi: 72 mm printable = 576 dots per line.
TICKET_WIDTH = 576
MARGIN = 20
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))
FONT_FILES = {False: ("DejaVuSans.ttf", "NotoSans-Regular.ttf"),
              True: ("DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf")}


@dataclass(frozen=True)
class TicketPrint:
    """Everything printed on a ticket, independent of the database models."""

    facility_name: str
    room_name: str
    display: str
    service_name: str
    issued_at: datetime  # UTC
    coverage_line: str
    estimated_wait_minutes: int | None
    status_url: str  # absolute URL of the phone status page
    language: str = "vi"


def coverage_line(decision: str | None, benefit_rate: int | None, lang: str = "vi") -> str:
    """The one-line coverage summary: "BHYT 80%", "Chưa xác minh BHYT" or "Khám dịch vụ"."""
    if decision in ("valid", "valid_with_warning") and benefit_rate is not None:
        return gettext("Health insurance (BHYT): {rate}%", lang).format(rate=benefit_rate)
    if decision in ("unverified", "retry_later"):
        return gettext("Health insurance not yet verified", lang)
    return gettext("Fee-paying visit", lang)


def ticket_from_checkin(checkin: Mapping[str, Any], *, facility_name: str, base_url: str,
                        lang: str = "vi") -> TicketPrint:
    """Build a TicketPrint from the check-in API's JSON answer (see the reception contract)."""
    ticket = checkin["ticket"]
    coverage = checkin.get("coverage") or {}
    service = checkin.get("service") or {}
    issued = ticket.get("issued_at")
    issued_at = (datetime.fromisoformat(issued.replace("Z", "+00:00")) if isinstance(issued, str)
                 else issued or datetime.now(UTC))
    return TicketPrint(
        facility_name=facility_name, room_name=ticket.get("room_name") or "",
        display=str(ticket["display"]), service_name=service.get("name") or "",
        issued_at=issued_at,
        coverage_line=coverage_line(coverage.get("decision"), coverage.get("benefit_rate"), lang),
        estimated_wait_minutes=checkin.get("estimated_wait_minutes"),
        status_url=base_url.rstrip("/") + ticket["status_url"], language=lang,
    )


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A TrueType font with Vietnamese diacritics (DejaVu or Noto); Pillow's default otherwise."""
    for folder in FONT_DIRS:
        for name in FONT_FILES[bold]:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    log.warning("no DejaVu/Noto font found; tickets use Pillow's default font")
    return ImageFont.load_default(size)


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR code's modules (with the quiet zone) for a status URL."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def qr_image(data: str, size: int) -> Image.Image:
    """The QR code as a black-on-white image about `size` pixels square (whole-pixel modules)."""
    matrix = qr_matrix(data)
    box = max(1, size // len(matrix))
    image = Image.new("1", (len(matrix) * box,) * 2, 1)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((x * box, y * box, x * box + box - 1, y * box + box - 1), fill=0)
    return image


def _wrap(draw: ImageDraw.ImageDraw, text: str, size: int, bold: bool, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font(size, bold)) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines


def _fitting_size(draw: ImageDraw.ImageDraw, text: str, start: int, width: int) -> int:
    size = start
    while size > 24 and draw.textlength(text, font=font(size, True)) > width:
        size -= 4
    return size


def _lines(ticket: TicketPrint) -> list[tuple[str, int, bool]]:
    """(text, font size, bold) from top to bottom, in the ticket's language."""
    lang = ticket.language
    issued = ticket.issued_at.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")
    wait = ("" if ticket.estimated_wait_minutes is None else
            gettext("Estimated wait: about {minutes} min", lang).format(
                minutes=ticket.estimated_wait_minutes))
    return [
        (ticket.facility_name, 30, True), ("-", 0, False),
        (gettext("QUEUE NUMBER", lang), 26, False), (ticket.display, 150, True),
        (ticket.room_name, 36, True), (ticket.service_name, 26, False),
        (ticket.coverage_line, 28, True), (wait, 26, False),
        (gettext("Issued at {time}", lang).format(time=issued), 24, False),
    ]


def render_png_image(ticket: TicketPrint) -> Image.Image:
    """The ticket as a 576-px-wide black-and-white image, ready for a thermal printer."""
    width = TICKET_WIDTH - 2 * MARGIN
    scratch = ImageDraw.Draw(Image.new("1", (1, 1)))
    blocks: list[tuple[str, int, bool]] = []
    for text, size, bold in _lines(ticket):
        if size == 0:
            blocks.append((text, 0, False))
        elif text and size >= 100:
            blocks.append((text, _fitting_size(scratch, text, size, width), bold))
        elif text:
            blocks.extend((line, size, bold) for line in _wrap(scratch, text, size, bold, width))
    qr = qr_image(ticket.status_url, 300)
    hint = gettext("Scan to follow your turn on your phone", ticket.language)
    blocks_height = sum(int(size * 1.3) if size else 16 for _, size, _ in blocks)
    height = MARGIN + blocks_height + 12 + qr.height + 60 + MARGIN
    image = Image.new("1", (TICKET_WIDTH, height), 1)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for text, size, bold in blocks:
        if size == 0:
            draw.line((MARGIN, y + 8, TICKET_WIDTH - MARGIN, y + 8), fill=0, width=2)
            y += 16
            continue
        draw.text((TICKET_WIDTH // 2, y), text, font=font(size, bold), fill=0, anchor="ma")
        y += int(size * 1.3)
    y += 12
    image.paste(qr, ((TICKET_WIDTH - qr.width) // 2, y))
    y += qr.height + 8
    draw.text((TICKET_WIDTH // 2, y), hint, font=font(22), fill=0, anchor="ma")
    return image


def render_png(ticket: TicketPrint) -> bytes:
    buffer = io.BytesIO()
    render_png_image(ticket).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def render_pdf(ticket: TicketPrint) -> bytes:
    """A one-page PDF holding the ticket image at 203 dpi (80 mm wide)."""
    buffer = io.BytesIO()
    render_png_image(ticket).convert("L").save(buffer, format="PDF", resolution=203.0)
    return buffer.getvalue()


def ascii_text(text: str) -> str:
    """Vietnamese without diacritics, for printers that lack a Vietnamese code page."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


class PrinterSettings(BaseSettings):
    """SMARTHEALTH_PRINTER_KIND = none|network|usb|file, SMARTHEALTH_PRINTER_TARGET =
    "host[:port]" | "vid:pid" (hex) | a device or file path; MODE = image|text."""

    model_config = SettingsConfigDict(env_prefix="SMARTHEALTH_PRINTER_", env_file=".env",
                                      extra="ignore")

    kind: Literal["none", "network", "usb", "file"] = "none"
    target: str = ""
    mode: Literal["image", "text"] = "image"


def open_printer(settings: PrinterSettings) -> Any | None:
    """The configured python-escpos printer, or None when printing is switched off."""
    from escpos import printer

    if settings.kind == "network":
        host, _, port = settings.target.partition(":")
        return printer.Network(host, port=int(port or 9100), timeout=5)
    if settings.kind == "usb":
        vid, _, pid = settings.target.partition(":")
        return printer.Usb(int(vid, 16), int(pid, 16))
    if settings.kind == "file":
        return printer.File(settings.target)
    return None


def send_escpos(device: Any, ticket: TicketPrint, mode: str = "image") -> None:
    """Print one ticket: as an image (Vietnamese intact) or as plain ASCII text, then QR, cut."""
    device.hw("INIT")
    if mode == "image":
        device.set(align="center")
        device.image(render_png_image(ticket), center=False)
    else:
        device.set(align="center", bold=True)
        device.textln(ascii_text(ticket.facility_name))
        device.set(align="center", double_height=True, double_width=True, bold=True)
        device.textln(ticket.display)
        device.set(align="center", normal_textsize=True)
        for text, size, _ in _lines(ticket)[4:]:
            if text and size:
                device.textln(ascii_text(text))
        device.qr(ticket.status_url, size=6)
    device.cut()


def print_ticket(ticket: TicketPrint, settings: PrinterSettings | None = None) -> bool:
    """Print on the configured printer; False (never an exception) if off or failing."""
    settings = settings or PrinterSettings()
    try:
        device = open_printer(settings)
        if device is None:
            return False
        try:
            send_escpos(device, ticket, settings.mode)
        finally:
            device.close()
    except Exception:  # a jammed or unplugged printer must not break check-in
        log.exception("ticket printing failed (%s %s)", settings.kind, settings.target)
        return False
    return True
