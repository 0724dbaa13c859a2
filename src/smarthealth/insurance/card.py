"""The 15-character BHYT card code (QĐ 1351/QĐ-BHXH as amended): parse, validate, benefit rate.

Layout `XX N PP NNNNNNNNNN`: group letters, benefit level 1–5, issuing-province code,
10-digit social-insurance number (insurance.md §1). Only the layout blocks a card; the group
list, the group/level pairs and the province list are vendor or unverified data, so a
mismatch there is a warning ("never block a patient on an unverified rule").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from smarthealth.core.errors import InvalidInput
from smarthealth.insurance import tables
from smarthealth.insurance.benefits import level_for_group

_SEPARATORS = re.compile(r"[\s\-]+")
_LAYOUT = re.compile(r"[A-Z]{2}[0-9]{3}[0-9]{10}")  # checked piece by piece below for precise codes
MAX_INPUT = 64


@dataclass(frozen=True)
class CardCode:
    code: str
    group_code: str
    benefit_level: int
    province_code: str
    social_insurance_number: str


@dataclass(frozen=True)
class CardIssue:
    """One finding: `error` blocks (result codes 051–053), `warning` only informs."""

    kind: str
    severity: str
    message_vi: str
    message_en: str
    result_code: str | None = None


@dataclass(frozen=True)
class CardCheck:
    card: CardCode | None
    result_code: str  # "000" when the layout is right, else 051 / 052 / 053
    issues: list[CardIssue] = field(default_factory=list)
    rate_percent: int | None = None

    @property
    def valid(self) -> bool:
        return self.card is not None


class InvalidCardCode(InvalidInput):
    code = "invalid_bhyt_card"


def normalise(text: str) -> str:
    """Upper-case, with spaces and dashes removed (`hs 4-01-0120878811` → `HS4010120878811`)."""
    return _SEPARATORS.sub("", text).upper()


def _error(kind: str, result_code: str, vi: str, en: str) -> CardIssue:
    return CardIssue(kind, "error", vi, en, result_code)


def _layout_error(code: str) -> CardIssue | None:
    """The first layout fault, named with the gateway's own result code (insurance.md §4.5)."""
    if len(code) != 15:
        return _error("length", "051", f"Mã thẻ BHYT phải có 15 ký tự (nhận được {len(code)}).",
                      f"A BHYT card code has 15 characters (got {len(code)}).")
    if not re.fullmatch(r"[A-Z]{2}", code[:2]):
        return _error("group_letters", "051",
                      "Hai ký tự đầu của mã thẻ phải là chữ cái (mã đối tượng).",
                      "The first two characters must be letters (the beneficiary group).")
    if code[2] not in "12345":
        return _error("benefit_level", "053", "Ký tự thứ 3 (mã quyền lợi) phải từ 1 đến 5.",
                      "Character 3 (the benefit level) must be 1 to 5.")
    if not re.fullmatch(r"[0-9]{2}", code[3:5]):
        return _error("province", "052", "Ký tự thứ 4–5 (mã tỉnh cấp thẻ) phải là 2 chữ số.",
                      "Characters 4–5 (the issuing-province code) must be 2 digits.")
    if not re.fullmatch(r"[0-9]{10}", code[5:]):
        return _error("social_insurance_number", "051",
                      "10 ký tự cuối (mã số BHXH) phải là chữ số.",
                      "The last 10 characters (the social-insurance number) must be digits.")
    return None


def parse_card_code(text: object) -> CardCode:
    """The card's parts; raises InvalidCardCode (with the 051/052/053 result code) otherwise."""
    if not isinstance(text, str) or len(text) > MAX_INPUT:
        raise InvalidCardCode("A BHYT card code has 15 characters.",
                              "Mã thẻ BHYT phải có 15 ký tự.", details={"result_code": "051"})
    code = normalise(text)
    problem = _layout_error(code)
    if problem is not None:
        raise InvalidCardCode(problem.message_en, problem.message_vi,
                              details={"result_code": problem.result_code, "kind": problem.kind})
    assert _LAYOUT.fullmatch(code)
    return CardCode(code, code[:2], int(code[2]), code[3:5], code[5:])


def _data_warnings(card: CardCode, on: date) -> list[CardIssue]:
    """Warnings from vendor/unverified tables: unknown province, unknown group, odd pair."""
    issues: list[CardIssue] = []
    if not tables.province_names(card.province_code, on):
        issues.append(CardIssue(
            "province_unknown", "warning",
            f"Mã tỉnh {card.province_code} không có trong danh mục của hệ thống; cần đối chiếu "
            "với cổng BHXH.",
            f"Province code {card.province_code} is not in our list; "
            "confirm with the BHXH gateway."))
    expected = level_for_group(card.group_code, on)
    if expected is None:
        issues.append(CardIssue(
            "group_unknown", "warning",
            f"Mã đối tượng {card.group_code} không có trong danh mục (bảng của nhà cung cấp, "
            "chưa kiểm chứng).",
            f"Group code {card.group_code} is not in our list (vendor table, unverified)."))
    elif expected != card.benefit_level:
        issues.append(CardIssue(
            "group_level_mismatch", "warning",
            f"Đối tượng {card.group_code} thường có mức quyền lợi {expected}, thẻ ghi "
            f"{card.benefit_level}; cần đối chiếu với cổng BHXH.",
            f"Group {card.group_code} normally carries benefit level {expected}, the card says "
            f"{card.benefit_level}; confirm with the BHXH gateway."))
    return issues


def check_card_code(text: object, *, on: date) -> CardCheck:
    """Validate a typed or scanned code; never raises."""
    try:
        card = parse_card_code(text)
    except InvalidCardCode as exc:
        code = exc.details["result_code"] if isinstance(exc.details, dict) else "051"
        issue = CardIssue(exc.details.get("kind", "length") if isinstance(exc.details, dict)
                          else "length", "error", exc.message_vi, exc.message_en, code)
        return CardCheck(None, code, [issue])
    rate = tables.benefit_rate(card.benefit_level, on)
    return CardCheck(card, "000", _data_warnings(card, on), rate.rate_percent if rate else None)


def benefit_rate_percent(level: int, *, on: date) -> int | None:
    """The basic rate (80/95/100) of a benefit level on a date (insurance.md §2)."""
    rate = tables.benefit_rate(level, on)
    return rate.rate_percent if rate else None
