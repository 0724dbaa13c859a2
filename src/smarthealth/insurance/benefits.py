"""BHYT beneficiary groups and their benefit level, as dated data (data/benefit_groups.csv)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "benefit_groups.csv"


@dataclass(frozen=True)
class GroupLevel:
    group_code: str
    benefit_level: int
    valid_from: date
    valid_to: date | None
    trust: str


@cache
def group_levels() -> tuple[GroupLevel, ...]:
    with DATA.open(encoding="utf-8") as fh:
        return tuple(
            GroupLevel(
                group_code=row["group_code"],
                benefit_level=int(row["benefit_level"]),
                valid_from=date.fromisoformat(row["valid_from"]),
                valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                trust=row["trust"],
            )
            for row in csv.DictReader(fh)
        )


def level_for_group(group_code: str, on: date) -> int | None:
    """The benefit level a group carries on a date, or None for an unknown group."""
    for row in group_levels():
        if row.group_code == group_code and row.valid_from <= on and (
            row.valid_to is None or on <= row.valid_to
        ):
            return row.benefit_level
    return None


def groups_on(on: date) -> dict[str, int]:
    """Every group code known on a date, with its level."""
    return {
        row.group_code: row.benefit_level
        for row in group_levels()
        if row.valid_from <= on and (row.valid_to is None or on <= row.valid_to)
    }
