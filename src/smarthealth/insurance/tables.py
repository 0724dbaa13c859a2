"""Dated rule tables kept as CSV under insurance/data/, read once per process.

Every table has `valid_from`, `valid_to` (empty = open-ended) and `trust` columns, so a
visit is computed with the rules in force on its date and each row says how sure we are.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _in_force(row: dict[str, str], on: date) -> bool:
    start, end = _date(row["valid_from"]), _date(row["valid_to"])
    return (start is None or start <= on) and (end is None or on <= end)


@cache
def read_table(name: str) -> tuple[dict[str, str], ...]:
    """All rows of data/<name>.csv as dictionaries of strings."""
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8") as fh:
        return tuple(dict(row) for row in csv.DictReader(fh))


def rows_in_force(name: str, on: date) -> list[dict[str, str]]:
    """The rows of a dated table in force on a date."""
    return [row for row in read_table(name) if _in_force(row, on)]


@dataclass(frozen=True)
class BenefitRate:
    benefit_level: int
    rate_percent: int
    high_tech_ceiling: bool
    transport: bool
    trust: str


def benefit_rate(level: int, on: date) -> BenefitRate | None:
    """The basic rate of a benefit level (card character 3) on a date; insurance.md §2."""
    for row in rows_in_force("benefit_rates", on):
        if int(row["benefit_level"]) == level:
            return BenefitRate(level, int(row["rate_percent"]), row["high_tech_ceiling"] == "true",
                               row["transport"] == "true", row["trust"])
    return None


def base_salary(on: date) -> int:
    """Lương cơ sở in VND on a date (insurance.md §3.4; amounts are unverified settings)."""
    rows = rows_in_force("base_salary", on)
    if not rows:
        raise LookupError(f"no base salary configured for {on.isoformat()}")
    return int(rows[-1]["amount_vnd"])


def province_names(code: str, on: date) -> list[str]:
    """Names a 2-digit province code has carried up to a date (old and post-2025 codes)."""
    return [row["name"] for row in read_table("provinces")
            if row["code"] == code and (_date(row["valid_from"]) or on) <= on]


@dataclass(frozen=True)
class RouteRate:
    rate_percent: Decimal
    trust: str
    source: str


_ROUTE_KEYS = ("care_level", "tier", "setting", "referral")


def route_rate(on: date, *, care_level: str, tier: str, setting: str,
               referral: str) -> RouteRate | None:
    """The most specific route-rate row matching the keys ('*' matches anything); §3.1, §3.3."""
    wanted = {"care_level": care_level, "tier": tier, "setting": setting, "referral": referral}
    best: tuple[int, dict[str, str]] | None = None
    for row in rows_in_force("route_rates", on):
        if all(row[k] in ("*", wanted[k]) for k in _ROUTE_KEYS):
            specificity = sum(row[k] != "*" for k in _ROUTE_KEYS)
            if best is None or specificity > best[0]:
                best = (specificity, row)
    if best is None:
        return None
    row = best[1]
    return RouteRate(Decimal(row["route_rate_percent"]), row["trust"], row["source"])


@dataclass(frozen=True)
class ResultCode:
    code: str
    decision: str  # valid / valid_with_warning / invalid / retry_later
    action: str
    message_vi: str
    message_en: str
    trust: str


@cache
def result_codes() -> dict[str, ResultCode]:
    """The gateway's maKetQua table (insurance.md §4.5) with our decision for each code."""
    return {row["code"]: ResultCode(row["code"], row["decision"], row["action"],
                                    row["message_vi"], row["message_en"], row["trust"])
            for row in read_table("result_codes")}


def result_code(code: str) -> ResultCode:
    """The entry for a code; an unknown code is 'retry later' so no patient is blocked on it."""
    known = result_codes().get(code)
    if known is not None:
        return known
    return ResultCode(code, "retry_later", "log_bug",
                      f"Cổng BHXH trả mã kết quả không xác định ({code}).",
                      f"The BHXH gateway returned an unknown result code ({code}).", "project")
