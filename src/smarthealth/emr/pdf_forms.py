"""PDF forms in the layout of the Ministry of Health's paper forms (reportlab, Unicode TTF font).

Input is a plain dict (see `emr.documents.document_data` for how an encounter becomes one):
  encounter_id, facility {code, name}, department, kind, started_at, closed_at,
  patient {full_name, birth_date, age_years, sex, address, bhyt_card_number, bhyt_valid_to},
  reason, history, examination, vitals {pulse, systolic, diastolic, temperature,
  respiratory_rate, spo2, weight, height, bmi}, diagnoses [{code, title, main}],
  results [{name, value, unit, reference_range, abnormal}], prescriptions [{drug_name,
  strength, unit, route, dose, frequency_per_day, days, quantity, instructions}],
  treatment, outcome, follow_up_date, referral {facility_name, reason}, advice,
  doctor {full_name}, signature {name, at} (printed in the signature block when present).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from smarthealth.core.errors import DomainError

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# Times-like fonts first (the Ministry's forms are set in Times New Roman), then Debian's others.
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSerif-Italic.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
     "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf",
     "/usr/share/fonts/truetype/noto/NotoSerif-Italic.ttf"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf"),
)
VIETNAMESE_SAMPLE = "ẮẦẨẪẬỞỆộườợẫđĐ"
SEX_VI = {"male": "Nam", "female": "Nữ", "M": "Nam", "F": "Nữ", "other": "Khác"}


class FontMissing(DomainError):
    status_code = 503
    code = "pdf_font_missing"
    message_en = "No Unicode font for Vietnamese is installed (apt-get install fonts-noto-core)."
    message_vi = "Máy chủ thiếu phông chữ tiếng Việt (cài fonts-noto-core)."


def _covers_vietnamese(path: Path) -> bool:
    """Old fonts (Liberation 1.x) lack the precomposed Vietnamese letters."""
    cmap = TTFontFile(str(path)).charToGlyph
    return all(ord(ch) in cmap for ch in VIETNAMESE_SAMPLE)


@lru_cache
def font_paths() -> tuple[Path, Path, Path]:
    """The first installed (regular, bold, italic) font family that covers Vietnamese."""
    for family in FONT_CANDIDATES:
        paths = tuple(Path(p) for p in family)
        if all(p.exists() for p in paths) and _covers_vietnamese(paths[0]):
            return paths  # type: ignore[return-value]
    raise FontMissing()


@lru_cache
def _register_fonts() -> None:
    regular, bold, italic = font_paths()
    pdfmetrics.registerFont(TTFont("VN", str(regular)))
    pdfmetrics.registerFont(TTFont("VN-Bold", str(bold)))
    pdfmetrics.registerFont(TTFont("VN-Italic", str(italic)))
    pdfmetrics.registerFontFamily("VN", normal="VN", bold="VN-Bold", italic="VN-Italic",
                                  boldItalic="VN-Bold")


def _style(name: str, size: float = 11, *, align: int = TA_LEFT, font: str = "VN",
           leading: float | None = None, space_after: float = 0) -> ParagraphStyle:
    _register_fonts()
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.3,
                          alignment=align, spaceAfter=space_after)


class SignatureStamp(Flowable):
    """The box in the signature block saying who signed digitally and when (or empty)."""

    def __init__(self, width: float, height: float, signature: dict[str, Any] | None) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.signature = signature

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        if not self.signature:
            return
        canvas = self.canv
        canvas.setStrokeColor(colors.HexColor("#1f4e9c"))
        canvas.setFillColor(colors.HexColor("#1f4e9c"))
        canvas.setLineWidth(0.8)
        canvas.roundRect(0, 0, self.width, self.height, 3)
        at = self.signature.get("at")
        when = at.astimezone(HANOI).strftime("%d/%m/%Y %H:%M:%S") if at else ""
        lines = [("VN-Bold", 9, "ĐÃ KÝ SỐ"), ("VN", 8.5, f"Ký bởi: {self.signature['name']}"),
                 ("VN", 8.5, f"Thời gian ký: {when}")]
        y = self.height - 13
        for font, size, text in lines:
            canvas.setFont(font, size)
            canvas.drawCentredString(self.width / 2, y, text[:60])
            y -= size + 4


def esc(value: Any) -> str:
    return escape("" if value is None else str(value))


def fmt_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return "…………"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(HANOI)
        return f"{value:%H} giờ {value:%M} phút, ngày {value:%d/%m/%Y}"
    return f"{value:%d/%m/%Y}"


def _sign_date(value: datetime | None) -> str:
    when = (value or datetime.now(HANOI)).astimezone(HANOI)
    return f"Hà Nội, ngày {when.day:02d} tháng {when.month:02d} năm {when.year}"


def _header(doc: dict[str, Any], width: float, size: float = 10) -> Table:
    facility = doc.get("facility") or {}
    left = [Paragraph("SỞ Y TẾ HÀ NỘI", _style("l1", size, align=TA_CENTER)),
            Paragraph(f"<b>{esc(facility.get('name', '')).upper()}</b>",
                      _style("l2", size, align=TA_CENTER)),
            HRFlowable(width="35%", thickness=0.6, color=colors.black, spaceBefore=1),
            Paragraph(f"Mã cơ sở: {esc(facility.get('code', ''))}",
                      _style("l3", 9, align=TA_CENTER))]
    right = [Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>",
                       _style("r1", size, align=TA_CENTER)),
             Paragraph("<b>Độc lập - Tự do - Hạnh phúc</b>",
                       _style("r2", size + 0.5, align=TA_CENTER)),
             HRFlowable(width="45%", thickness=0.6, color=colors.black, spaceBefore=1),
             Paragraph(f"Số hồ sơ: {esc(doc.get('encounter_id', ''))}",
                       _style("r3", 9, align=TA_CENTER))]
    table = Table([[left, right]], colWidths=[width * 0.42, width * 0.58])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _line(label: str, value: Any, size: float = 11) -> Paragraph:
    return Paragraph(f"{esc(label)}: <b>{esc(value) or '…………'}</b>", _style("f", size))


def _patient_block(doc: dict[str, Any], size: float = 11) -> list[Flowable]:
    p = doc.get("patient") or {}
    age = p.get("age_years")
    sex = SEX_VI.get(str(p.get("sex", "")), esc(p.get("sex", "")))
    card = p.get("bhyt_card_number") or "Không có"
    valid = f" — giá trị đến {fmt_date(p.get('bhyt_valid_to'))}" if p.get("bhyt_valid_to") else ""
    return [
        Paragraph(f"Họ và tên người bệnh: <b>{esc(p.get('full_name', '')).upper()}</b>",
                  _style("p0", size)),
        Paragraph(f"Ngày sinh: {fmt_date(p.get('birth_date'))}"
                  f"&nbsp;&nbsp;&nbsp; Tuổi: <b>{esc(age)}</b>"
                  f"&nbsp;&nbsp;&nbsp; Giới tính: <b>{sex}</b>"
                  + (f"&nbsp;&nbsp;&nbsp; Số CCCD: {esc(p['cccd'])}" if p.get("cccd") else ""),
                  _style("p1", size)),
        _line("Địa chỉ", p.get("address"), size),
        Paragraph(f"Số thẻ bảo hiểm y tế: <b>{esc(card)}</b>{esc(valid)}", _style("p3", size)),
    ]


def _diagnosis_lines(doc: dict[str, Any], size: float = 11) -> list[Flowable]:
    diagnoses = doc.get("diagnoses") or []
    main = [d for d in diagnoses if d.get("main")]
    other = [d for d in diagnoses if not d.get("main")]
    text = "; ".join(f"{esc(d.get('title'))} (<b>{esc(d.get('code'))}</b>)" for d in main)
    lines = [Paragraph(f"Chẩn đoán — bệnh chính: {text or '…………'}", _style("d1", size))]
    if other:
        text = "; ".join(f"{esc(d.get('title'))} (<b>{esc(d.get('code'))}</b>)" for d in other)
        lines.append(Paragraph(f"Bệnh kèm theo: {text}", _style("d2", size)))
    return lines


def _signature_block(doc: dict[str, Any], width: float, title: str) -> Table:
    doctor = (doc.get("doctor") or {}).get("full_name", "")
    slot = SignatureStamp(62 * mm, 17 * mm, doc.get("signature"))
    center = _style("s", 11, align=TA_CENTER)
    cell = [Paragraph(f"<i>{_sign_date(doc.get('closed_at'))}</i>", center),
            Paragraph(f"<b>{title}</b>", center),
            Paragraph("<i>(Ký, ghi rõ họ tên)</i>", _style("s2", 9.5, align=TA_CENTER)),
            slot, Paragraph(f"<b>{esc(doctor)}</b>", center)]
    table = Table([["", cell]], colWidths=[width - 75 * mm, 75 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("ALIGN", (1, 0), (1, 0), "CENTER")]))
    return table


def _build(story: list[Flowable], *, pagesize: tuple[float, float], margin: float,
           title: str) -> bytes:
    _register_fonts()
    buffer = BytesIO()
    template = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=margin,
                                 rightMargin=margin, topMargin=margin * 0.8,
                                 bottomMargin=margin * 0.8, title=title,
                                 author="SmartHealth Hà Nội", creator="SmartHealth Hà Nội")
    template.build(story, onFirstPage=_page_footer, onLaterPages=_page_footer)
    return buffer.getvalue()


def _page_footer(canvas: Any, template: SimpleDocTemplate) -> None:
    """"Trang N" at the foot of every page (long records run over several pages)."""
    canvas.saveState()
    canvas.setFont("VN-Italic", 8)
    canvas.drawCentredString(template.pagesize[0] / 2, template.bottomMargin / 2,
                             f"Trang {canvas.getPageNumber()}")
    canvas.restoreState()


def page_width(pagesize: tuple[float, float], margin: float) -> float:
    return pagesize[0] - 2 * margin


def _title(text: str, size: float = 16) -> list[Flowable]:
    return [Spacer(1, 5 * mm), Paragraph(f"<b>{text}</b>", _style("t", size, align=TA_CENTER)),
            Spacer(1, 4 * mm)]


def _vitals_text(v: dict[str, Any]) -> str:
    parts = [("Mạch", v.get("pulse"), "lần/phút"), ("Nhiệt độ", v.get("temperature"), "°C"),
             ("Huyết áp", f"{v['systolic']}/{v['diastolic']}"
              if v.get("systolic") and v.get("diastolic") else None, "mmHg"),
             ("Nhịp thở", v.get("respiratory_rate"), "lần/phút"), ("SpO₂", v.get("spo2"), "%"),
             ("Cân nặng", v.get("weight"), "kg"), ("Chiều cao", v.get("height"), "cm"),
             ("BMI", v.get("bmi"), "")]
    return "; ".join(f"{k}: {esc(val)} {u}".rstrip() for k, val, u in parts if val not in
                     (None, ""))


def _results_table(results: list[dict[str, Any]], width: float) -> Table:
    rows: list[list[Any]] = [["Xét nghiệm / chỉ định", "Kết quả", "Đơn vị", "Trị số bình thường"]]
    cell = _style("c", 10)
    for r in results:
        value = f"<b>{esc(r.get('value'))}</b>" + (" (*)" if r.get("abnormal") else "")
        rows.append([Paragraph(esc(r.get("name")), cell), Paragraph(value, cell),
                     Paragraph(esc(r.get("unit")), cell),
                     Paragraph(esc(r.get("reference_range")), cell)])
    table = Table(rows, colWidths=[width * 0.46, width * 0.18, width * 0.14, width * 0.22])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), "VN-Bold", 10),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _drug_line(i: int, rx: dict[str, Any]) -> list[Flowable]:
    name = " ".join(str(x) for x in (rx.get("drug_name"), rx.get("strength")) if x)
    qty = f"{esc(rx.get('quantity'))} {esc(rx.get('unit') or '')}".strip()
    how = rx.get("instructions") or (
        f"{esc(rx.get('route') or 'Uống')} ngày {esc(rx.get('frequency_per_day'))} lần, "
        f"mỗi lần {esc(rx.get('dose'))} {esc(rx.get('unit') or '')}, "
        f"dùng {esc(rx.get('days'))} ngày")
    table = Table([[Paragraph(f"{i}. <b>{esc(name)}</b>", _style("dn", 11)),
                    Paragraph(f"SL: <b>{qty}</b>", _style("dq", 11))]],
                  colWidths=[None, 32 * mm])
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return [table, Paragraph(f"<i>Cách dùng: {esc(how)}</i>",
                             ParagraphStyle("dh", parent=_style("dh", 10), leftIndent=5 * mm))]


def _section(label: str, text: Any) -> Paragraph:
    return Paragraph(f"<b>{esc(label)}:</b> {esc(text) or '…………'}", _style("sec", 11,
                                                                           space_after=1.5))


def render_summary(doc: dict[str, Any]) -> bytes:
    """TÓM TẮT HỒ SƠ BỆNH ÁN (outpatient) or GIẤY RA VIỆN (inpatient) of a closed encounter."""
    margin = 18 * mm
    width = page_width(A4, margin)
    inpatient = doc.get("kind") == "inpatient"
    title = "GIẤY RA VIỆN" if inpatient else "TÓM TẮT HỒ SƠ BỆNH ÁN"
    story: list[Flowable] = [_header(doc, width), *_title(title), *_patient_block(doc)]
    start = "Vào viện lúc" if inpatient else "Đến khám lúc"
    end = "Ra viện lúc" if inpatient else "Kết thúc khám lúc"
    story += [Paragraph(f"{start}: {fmt_date(doc.get('started_at'))}"
                        + (f" — Khoa: {esc(doc['department'])}" if doc.get("department") else ""),
                        _style("in", 11)),
              Paragraph(f"{end}: {fmt_date(doc.get('closed_at'))}", _style("out", 11)),
              Spacer(1, 2 * mm)]
    story += [_section("Lý do đến khám", doc.get("reason")),
              _section("Tóm tắt bệnh sử", doc.get("history")),
              _section("Khám lâm sàng", doc.get("examination")),
              _section("Dấu hiệu sinh tồn", _vitals_text(doc.get("vitals") or {}))]
    story += _diagnosis_lines(doc)
    if doc.get("results"):
        story += [Spacer(1, 1.5 * mm), Paragraph("<b>Kết quả cận lâm sàng:</b>", _style("k", 11)),
                  Spacer(1, 1 * mm), _results_table(doc["results"], width),
                  Paragraph("<i>(*) Ngoài trị số bình thường</i>", _style("k2", 9)),
                  Spacer(1, 1.5 * mm)]
    treatment = doc.get("treatment") or "; ".join(
        " ".join(str(x) for x in (rx.get("drug_name"), rx.get("strength")) if x)
        for rx in doc.get("prescriptions") or [])
    story += [_section("Phương pháp điều trị", treatment),
              _section("Kết quả điều trị / tình trạng khi kết thúc", doc.get("outcome"))]
    if doc.get("referral"):
        ref = doc["referral"]
        story.append(_section("Chuyển tuyến đến", f"{ref.get('facility_name') or ''} — "
                              f"lý do: {ref.get('reason') or ''}"))
    story.append(_section("Hẹn tái khám", fmt_date(doc["follow_up_date"])
                          if doc.get("follow_up_date") else "Khi có dấu hiệu bất thường"))
    if doc.get("advice"):
        story.append(_section("Lời dặn của bác sĩ", doc["advice"]))
    block = _signature_block(doc, width, "BÁC SĨ KHÁM BỆNH" if not inpatient
                                   else "TRƯỞNG KHOA / BÁC SĨ ĐIỀU TRỊ")
    story += [Spacer(1, 4 * mm), KeepTogether(block)]
    return _build(story, pagesize=A4, margin=margin, title=title)


def render_prescription(doc: dict[str, Any]) -> bytes:
    """ĐƠN THUỐC (A5 portrait, as printed at Vietnamese outpatient clinics)."""
    margin = 10 * mm
    width = page_width(A5, margin)
    story: list[Flowable] = [_header(doc, width, 8.5), *_title("ĐƠN THUỐC", 15),
                             *_patient_block(doc, 10.5), *_diagnosis_lines(doc, 10.5),
                             Spacer(1, 2 * mm)]
    items = doc.get("prescriptions") or []
    story.append(Paragraph("<b>Thuốc điều trị:</b>", _style("h", 11)))
    for i, rx in enumerate(items, start=1):
        story += _drug_line(i, rx)
    story.append(Paragraph(f"Cộng khoản: <b>{len(items)}</b> loại thuốc", _style("n", 10)))
    if doc.get("advice"):
        story.append(_section("Lời dặn", doc["advice"]))
    follow = fmt_date(doc["follow_up_date"]) if doc.get("follow_up_date") else "…………"
    story.append(Paragraph(f"Hẹn tái khám: {follow}", _style("fu", 10.5)))
    block = _signature_block(doc, width, "BÁC SĨ KHÁM BỆNH")
    story += [KeepTogether(block),
              Paragraph("<i>Khám lại xin mang theo đơn này.</i>", _style("ft", 9))]
    return _build(story, pagesize=A5, margin=margin, title="Đơn thuốc")
