"""The 12-digit personal identification number (số định danh cá nhân, the CCCD number).

NĐ 137/2015/NĐ-CP and TT 07/2016/TT-BCA; structure per identity.md §1: digits 1–3 the province
(or country) where the birth was registered, digit 4 sex and century, digits 5–6 the birth
year's last two digits, 7–12 random. There is no check digit.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from smarthealth.core.errors import InvalidInput
from smarthealth.identity.config import get_identity_settings
from smarthealth.identity.names import looks_like_name, parse_sex

PREFIX_FILE = Path(__file__).resolve().parent / "data" / "cccd_prefixes.csv"
_PERSONAL_ID = re.compile(r"[0-9]{12}")
# QĐ 4750/QĐ-BYT appendix, XML1 field 5 (SO_CCCD) also takes the old CMND and a passport number.
_CMND = re.compile(r"[0-9]{9}")
_PASSPORT = re.compile(r"[A-Z][0-9]{7}")
SEX_VI = {"male": "Nam", "female": "Nữ"}


class InvalidCccd(InvalidInput):
    code = "invalid_cccd"
    message_vi = "Số định danh cá nhân (CCCD) không hợp lệ."
    message_en = "The personal identification (CCCD) number is not valid."


@dataclass(frozen=True)
class CccdInfo:
    """What the number itself says about its holder."""

    number: str
    birth_place_code: str
    birth_place: str | None  # province name; None when born abroad
    born_abroad: bool
    sex: str  # male / female
    birth_year: int


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between the number and a field given alongside it."""

    field: str
    expected: str | None
    found: str | None
    message_vi: str
    message_en: str

    def to_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "expected": self.expected, "found": self.found,
                "message_vi": self.message_vi, "message_en": self.message_en}


@lru_cache
def _prefix_table(swap_019_020: bool) -> dict[str, str]:
    with PREFIX_FILE.open(encoding="utf-8") as fh:
        table = {row["code"]: row["province"] for row in csv.DictReader(fh)}
    if swap_019_020:  # identity.md §1 Uncertain: the minority reading
        table["019"], table["020"] = table["020"], table["019"]
    return table


def province_prefixes() -> dict[str, str]:
    """Birth-registration prefix → province (63 pre-2025 provinces), per the configured reading."""
    return _prefix_table(get_identity_settings().swap_prefix_019_020)


def sex_and_century(digit: int) -> tuple[str, int]:
    """Digit 4 → (sex, first year of its century): even male, odd female; 0/1 → 1900."""
    return ("female" if digit % 2 else "male"), (digit // 2 + 19) * 100  # identity.md §1


def _fail(kind: str, en: str, vi: str) -> InvalidCccd:
    return InvalidCccd(en, vi, details={"field": "cccd", "kind": kind})


def parse(number: object, *, today: date | None = None) -> CccdInfo:
    """Validate and decode a number; raises InvalidCccd naming the first fault."""
    if not isinstance(number, str) or not _PERSONAL_ID.fullmatch(number):
        shown = len(number) if isinstance(number, str) else 0
        raise _fail("format", f"A CCCD number has exactly 12 digits (got {shown} characters).",
                    f"Số CCCD phải gồm đúng 12 chữ số (nhận được {shown} ký tự).")
    prefix = number[:3]
    born_abroad = prefix[0] != "0"  # codes for births registered abroad start non-zero
    place = None if born_abroad else province_prefixes().get(prefix)
    if place is None and not born_abroad and get_identity_settings().reject_unknown_prefix:
        raise _fail("prefix", f"The first three digits ({prefix}) are not a province code.",
                    f"Ba chữ số đầu ({prefix}) không phải mã tỉnh nơi đăng ký khai sinh.")
    sex, century = sex_and_century(int(number[3]))
    year = century + int(number[4:6])
    if year > (today or date.today()).year:
        raise _fail("birth_year", f"Digits 4–6 give a birth year in the future ({year}).",
                    f"Chữ số thứ 4–6 cho năm sinh trong tương lai ({year}).")
    return CccdInfo(number, prefix, place, born_abroad, sex, year)


def is_valid(number: object) -> bool:
    try:
        parse(number)
    except InvalidCccd:
        return False
    return True


def identifier_kind(text: str) -> str | None:
    """"cccd", "cmnd" (old 9-digit ID) or "passport" for a document number, else None."""
    if _PERSONAL_ID.fullmatch(text):
        return "cccd"
    if _CMND.fullmatch(text):
        return "cmnd"
    if _PASSPORT.fullmatch(text):
        return "passport"
    return None


def _sex_mismatch(info: CccdInfo, sex: str) -> Mismatch | None:
    found = parse_sex(sex)
    if found == info.sex:
        return None
    return Mismatch("sex", info.sex, sex,
                    f"Chữ số thứ 4 của số CCCD cho giới tính {SEX_VI[info.sex]}, "
                    f"nhưng giấy tờ ghi {SEX_VI.get(found or '', sex)}.",
                    f"Digit 4 of the CCCD number says {info.sex}, but {sex!s} was given.")


def _year_mismatch(info: CccdInfo, year: int) -> Mismatch | None:
    if year == info.birth_year:
        return None
    return Mismatch("birth_year", str(info.birth_year), str(year),
                    f"Số CCCD cho năm sinh {info.birth_year}, nhưng ngày sinh ghi năm {year}.",
                    f"The CCCD number gives birth year {info.birth_year}, but {year} was given.")


def _name_mismatch(full_name: str) -> Mismatch | None:
    if looks_like_name(full_name.strip()):
        return None
    return Mismatch("full_name", None, full_name,
                    "Họ tên trống hoặc chứa ký tự không phải chữ cái.",
                    "The full name is empty or contains characters that are not letters.")


def check_against(number: str, *, full_name: str | None = None, birth_date: date | None = None,
                  birth_year: int | None = None, sex: str | None = None,
                  today: date | None = None) -> list[Mismatch]:
    """Every disagreement between the number and the fields given (raises if it is invalid)."""
    info = parse(number, today=today)
    found = [
        _sex_mismatch(info, sex) if sex is not None else None,
        _year_mismatch(info, birth_date.year if birth_date else birth_year)
        if (birth_date or birth_year) else None,
        _name_mismatch(full_name) if full_name is not None else None,
    ]
    return [m for m in found if m is not None]
