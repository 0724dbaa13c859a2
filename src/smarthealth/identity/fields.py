"""The person fields a scan carries, and the reader that validates them into a ScannedPerson."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from smarthealth.identity import cccd as cccd_rules
from smarthealth.identity.names import clean_text, looks_like_name, parse_sex, repair_mojibake

FIELD_VI = {
    "cccd": "số CCCD", "old_id": "số CMND cũ", "full_name": "họ tên", "birth_date": "ngày sinh",
    "sex": "giới tính", "address": "nơi thường trú", "card_issue_date": "ngày cấp",
    "card_expiry_date": "ngày hết hạn", "nationality": "quốc tịch", "ethnicity": "dân tộc",
    "place_of_origin": "quê quán", "birth_year": "năm sinh",
}
# identity.md §2: `ddmmyyyy` or `dd/mm/yyyy`; §3 Uncertain (chip reader) adds other separators
# and ISO dates. `00` as day or month means unknown.
_DMY = re.compile(r"(\d{2})(\d{2})(\d{4})|(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
MAX_NAME = 120  # the patient index's column width
_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass
class ScannedPerson:
    """Normalised person fields from a scan; None where the scan does not carry them."""

    cccd: str | None = None
    full_name: str | None = None
    birth_date: date | None = None
    birth_date_precision: str = "day"  # day / month / year (`00` day or month on the card)
    sex: str | None = None  # male / female
    address: str | None = None
    card_issue_date: date | None = None
    card_expiry_date: date | None = None
    old_id: str | None = None
    passport: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    place_of_origin: str | None = None
    bhyt_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out


@dataclass(frozen=True)
class ScanWarning:
    """Something the desk should look at; the scan was still recognised."""

    code: str
    field: str | None
    message_vi: str
    message_en: str
    expected: str | None = None
    found: str | None = None


def looks_like_date(text: str) -> bool:
    return bool(_DMY.fullmatch(text) or _YMD.fullmatch(text))


def parse_date(text: str) -> tuple[date, str]:
    """(date, precision) with unknown day/month set to 1; ValueError if not a date."""
    m = _DMY.fullmatch(text)
    if m:
        g = [x for x in m.groups() if x is not None]
        day, month, year = int(g[0]), int(g[1]), int(g[2])
    elif (m := _YMD.fullmatch(text)) is not None:
        year, month, day = (int(x) for x in m.groups())
    else:
        raise ValueError("not a date")
    if month == 0:
        return date(year, 1, 1), "year"
    if day == 0:
        return date(year, month, 1), "month"
    return date(year, month, day), "day"


class FieldReader:
    """Collects field errors (the scan is refused) and warnings (the scan is kept)."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[ScanWarning] = []
        self._codes: set[str] = set()

    def error(self, field: str, kind: str, vi: str, en: str) -> None:
        self.errors.append({"field": field, "kind": kind, "message_vi": vi, "message_en": en})

    def warn(self, code: str, field: str | None, vi: str, en: str, *,
             expected: str | None = None, found: str | None = None) -> None:
        self.warnings.append(ScanWarning(code, field, vi, en, expected, found))
        self._codes.add(code)

    def text(self, value: str | None, field: str) -> str | None:
        """Cleaned text; repairs Latin-1 mojibake and flags text whose diacritics were lost."""
        if value is None:
            return None
        value, repaired = repair_mojibake(value)
        if repaired and "encoding_repaired" not in self._codes:
            self.warn("encoding_repaired", field, "Dữ liệu bị sai bảng mã (Latin-1), đã sửa.",
                      "The text arrived in the wrong encoding (Latin-1) and was repaired.")
        value = clean_text(value)
        if "\ufffd" in value and "encoding_damaged" not in self._codes:
            self.warn("encoding_damaged", field, "Một số ký tự bị hỏng do sai bảng mã; cần "
                      "kiểm tra lại với giấy tờ.", "Some characters were lost to a wrong "
                      "encoding; check them against the card.")
        return value or None

    def cccd(self, value: str | None) -> str | None:
        number = re.sub(r"\s+", "", value or "")
        try:
            cccd_rules.parse(number)
        except cccd_rules.InvalidCccd as exc:
            self.error("cccd", exc.details["kind"], exc.message_vi, exc.message_en)
            return None
        return number

    def date(self, value: str | None, field: str, *, required: bool) -> tuple[date | None, str]:
        text = self.text(value, field)
        if text is None:
            if required:
                self.error(field, "missing", f"Thiếu {FIELD_VI[field]}.", f"{field} is missing.")
            return None, "day"
        try:
            parsed, precision = parse_date(text)
            if parsed.year < 1900 or parsed > date.today():
                raise ValueError("out of range")
        except ValueError:
            vi = f"{FIELD_VI[field].capitalize()} không hợp lệ: {text[:20]!r}."
            en = f"{field} is not a valid date: {text[:20]!r}."
            if required:
                self.error(field, "date", vi, en)
            else:
                self.warn("invalid_date", field, vi + " Bỏ qua.", en + " Ignored.")
            return None, "day"
        return parsed, precision

    def _name(self, value: str | None) -> str | None:
        name = self.text(value, "full_name")
        if name is None:
            self.error("full_name", "missing", "Thiếu họ tên.", "The full name is missing.")
        elif len(name) > MAX_NAME:
            self.error("full_name", "too_long", f"Họ tên quá dài (tối đa {MAX_NAME} ký tự).",
                       f"The full name is too long (at most {MAX_NAME} characters).")
            return None
        elif not looks_like_name(name):
            self.warn("name_unusual", "full_name", "Họ tên chứa ký tự không phải chữ cái.",
                      "The full name contains characters that are not letters.")
        return name

    def _sex(self, value: str | None) -> str | None:
        text = self.text(value, "sex")
        sex = parse_sex(text) if text else None
        if sex is None:
            self.error("sex", "sex", f"Giới tính không hợp lệ: {(text or '')[:10]!r} "
                       "(cần Nam hoặc Nữ).", f"Sex is not valid: {(text or '')[:10]!r} "
                       "(expected Nam or Nữ).")
        return sex

    def _old_id(self, value: str | None) -> str | None:
        text = self.text(value, "old_id")
        if text and cccd_rules.identifier_kind(text) not in ("cmnd", "cccd"):
            self.warn("old_id_unusual", "old_id", "Số CMND cũ không đúng dạng 9 chữ số; bỏ qua.",
                      "The old ID number is not 9 digits; ignored.")
            return None
        return text

    def read_card_fields(self, values: dict[str, str]) -> ScannedPerson:
        """Validate the fields of a card scan (QR or chip) into a ScannedPerson."""
        birth_date, precision = self.date(values.get("birth_date"), "birth_date", required=True)
        person = ScannedPerson(
            cccd=self.cccd(values.get("cccd")), full_name=self._name(values.get("full_name")),
            birth_date=birth_date, birth_date_precision=precision,
            sex=self._sex(values.get("sex")), address=self.text(values.get("address"), "address"),
            card_issue_date=self.date(values.get("card_issue_date"), "card_issue_date",
                                      required=False)[0],
            old_id=self._old_id(values.get("old_id")),
            nationality=self.text(values.get("nationality"), "nationality"),
            ethnicity=self.text(values.get("ethnicity"), "ethnicity"),
            place_of_origin=self.text(values.get("place_of_origin"), "place_of_origin"),
        )
        expiry = self.text(values.get("card_expiry_date"), "card_expiry_date")
        if expiry:
            try:
                person.card_expiry_date = parse_date(expiry)[0]
            except ValueError:
                self.warn("invalid_date", "card_expiry_date", "Ngày hết hạn không hợp lệ; bỏ qua.",
                          "The expiry date is not valid; ignored.")
        return person

    def cross_check(self, person: ScannedPerson) -> None:
        """Warn where digit 4–6 of the number disagree with the birth date or sex (§1, §2)."""
        if person.cccd and person.birth_date and person.sex:
            for m in cccd_rules.check_against(person.cccd, birth_year=person.birth_date.year,
                                              sex=person.sex):
                self.warn("cccd_mismatch", m.field, m.message_vi, m.message_en,
                          expected=m.expected, found=m.found)
        if person.card_expiry_date and person.card_expiry_date < date.today():
            self.warn("card_expired", "card_expiry_date", "Thẻ căn cước đã hết hạn.",
                      "The identity card has expired.")
