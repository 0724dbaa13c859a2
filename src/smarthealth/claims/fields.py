"""The XML 130 field table as data (QĐ 4750 appendix + vendor checklist + project overrides).

Files in `claims/data/` (provenance in FORMAT.md): `xml130_fields.csv` (official field order,
types and lengths after QĐ 4750), `xml130_checks.csv` (vendor checklist: required flags),
`xml130_overrides.csv` (formats, lists, patterns, code lists, conditions, dated changes),
`xml130_codes.csv` (code lists, dated) and `xml130_roots.csv` (inner XML roots per LOAIHOSO).
An amendment of the standard is an edit of these files, not of the code.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

DATA = Path(__file__).parent / "data"
FIELDS_FILE = DATA / "xml130_fields.csv"
CHECKS_FILE = DATA / "xml130_checks.csv"
OVERRIDES_FILE = DATA / "xml130_overrides.csv"
CODES_FILE = DATA / "xml130_codes.csv"
ROOTS_FILE = DATA / "xml130_roots.csv"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TABLES = tuple(f"XML{i}" for i in range(16))
EPISODE_TABLES = tuple(f"XML{i}" for i in range(1, 16))
_REQUIRED = {"yes": "yes", "conditional": "cond", "unclear": "no", "no": "no"}


@dataclass(frozen=True)
class Condition:
    """`field` value in `values` (negate: not in); `values` ("",) means empty."""

    field: str
    values: frozenset[str]
    negate: bool

    def holds(self, record: dict[str, str]) -> bool:
        return (record.get(self.field, "") in self.values) != self.negate


@dataclass(frozen=True)
class FieldSpec:
    """One field of one table, after QĐ 4750, with the project's checking attributes."""

    name: str
    order: int
    kind: str  # "string" / "number"
    max_length: int | None  # None for "n" (unlimited)
    required: str  # "yes" / "cond" / "no"
    format: str | None  # "datetime12" / "date8" / "date8|datetime12" / "decimal:2" / "decimal:3"
    #                     / "int" / None
    codes: str | None  # code-list name in xml130_codes.csv, "icd10", or None
    table: str = ""
    required_if: tuple[Condition, ...] = ()  # all must hold (for required == "cond")
    pattern: str | None = None  # full-match regex, applied to each list item
    list_sep: str | None = None  # ";" for list fields
    max_items: int | None = None
    partial_date: bool = False  # NGAY_SINH: unknown parts written as 00
    description_vi: str = ""


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def parse_condition(text: str) -> tuple[Condition, ...]:
    """"A!=" (A set), "A=" (A empty), "A=1|2" (A in), "A!=7|17" (A not in); "&" joins."""
    out = []
    for part in text.split("&"):
        negate = "!=" in part
        name, _, values = part.partition("!=" if negate else "=")
        out.append(Condition(field=name.strip(), values=frozenset(values.split("|")),
                             negate=negate))
    return tuple(out)


def _applies(valid_from: str, on: date) -> bool:
    return not valid_from or date.fromisoformat(valid_from) <= on


_DAY: list = [0.0, 0.0, None]  # [this day's first second, the next day's, the day] (epoch)


def _today() -> date:
    """Today in Asia/Ho_Chi_Minh (remembered until the next midnight there)."""
    now = time.time()
    start, end, day = _DAY
    if start <= now < end:
        return day  # type: ignore[no-any-return]
    from datetime import datetime, timedelta
    from datetime import time as clock

    today = datetime.now(TZ).date()
    midnight = datetime.combine(today, clock(), tzinfo=TZ)
    _DAY[:] = [midnight.timestamp(), (midnight + timedelta(days=1)).timestamp(), today]
    return today


def table_spec(*, on: date | None = None) -> dict[str, list[FieldSpec]]:
    """Every table's fields in order, with the overrides in force on `on` (default today)."""
    day = on or _today()
    keys = tuple(r["valid_from"] for r in _overrides() if r["valid_from"]
                 and _applies(r["valid_from"], day))
    return _table_spec(keys)


@cache
def _overrides() -> tuple[dict[str, str], ...]:
    return tuple(_read(OVERRIDES_FILE))


@cache
def _table_spec(dated: tuple[str, ...]) -> dict[str, list[FieldSpec]]:
    checks = {(r["table"], r["field"]): r for r in _read(CHECKS_FILE)}
    overrides: dict[tuple[str, str], dict[str, str]] = {}
    for row in _overrides():
        if row["valid_from"] and row["valid_from"] not in dated:
            continue
        overrides.setdefault((row["table"], row["field"]), {})[row["attribute"]] = row["value"]
    spec: dict[str, list[FieldSpec]] = {}
    for row in _read(FIELDS_FILE):
        table, name = row["table"], row["field"]
        kind = row["type_after_4750"] or row["type"]
        length = row["max_length_after_4750"] or row["max_length"]
        check = checks.get((table, name), {})
        item = FieldSpec(
            name=name, order=int(row["order"]), kind=kind,
            max_length=None if length == "n" else int(length),
            required=_REQUIRED.get(check.get("required", "no"), "no"),
            format="int" if kind == "number" else None, codes=None, table=table,
            description_vi=row["description_vi"])
        attrs = {**overrides.get(("*", name), {}), **overrides.get((table, name), {})}
        item = _apply(item, attrs)
        spec.setdefault(table, []).append(item)
    for fields in spec.values():
        fields.sort(key=lambda f: f.order)
    return spec


def _apply(item: FieldSpec, attrs: dict[str, str]) -> FieldSpec:
    changes: dict[str, object] = {}
    for key, value in attrs.items():
        if key == "format":
            changes["format"] = value or None
        elif key == "codes":
            changes["codes"] = value or None
        elif key == "pattern":
            changes["pattern"] = value or None
        elif key == "list":
            changes["list_sep"] = value or None
        elif key == "max_items":
            changes["max_items"] = int(value)
        elif key == "max_length":
            changes["max_length"] = None if value == "n" else int(value)
        elif key == "required":
            changes["required"] = value
        elif key == "required_if":
            changes["required_if"] = parse_condition(value)
            changes.setdefault("required", "cond")
        elif key == "partial_date":
            changes["partial_date"] = value == "1"
        else:
            raise ValueError(f"Unknown override attribute {key!r} for {item.table}.{item.name}")
    if changes.get("required_if") and item.required == "yes" and "required" not in attrs:
        changes["required"] = "cond"
    return replace(item, **changes)


def field_names(table: str) -> tuple[str, ...]:
    """The field names of one table, in order."""
    return _names(table)


@cache
def _names(table: str) -> tuple[str, ...]:
    return tuple(f.name for f in _table_spec(())[table])


def empty_record(table: str) -> dict[str, str]:
    """A record of `table` with every field set to ""."""
    return dict.fromkeys(_names(table), "")


def code_lists(*, on: date | None = None) -> dict[str, frozenset[str]]:
    """Code lists by name, the codes valid on `on` (default today)."""
    return _code_lists(on or _today())


@cache
def _code_lists(day: date) -> dict[str, frozenset[str]]:
    lists: dict[str, set[str]] = {}
    for row in _read(CODES_FILE):
        if row["valid_from"] and date.fromisoformat(row["valid_from"]) > day:
            continue
        if row["valid_to"] and date.fromisoformat(row["valid_to"]) < day:
            continue
        lists.setdefault(row["list"], set()).add(row["code"])
    return {name: frozenset(codes) for name, codes in lists.items()}


@dataclass(frozen=True)
class TableRoot:
    loaihoso: str
    root: str
    list: str  # "" for XML1 (single record, no wrapper)
    record: str


@cache
def roots() -> dict[str, TableRoot]:
    """Inner XML root, list wrapper and record element per LOAIHOSO (xml130.md §2)."""
    return {r["loaihoso"]: TableRoot(r["loaihoso"], r["root"], r["list"], r["record"])
            for r in _read(ROOTS_FILE)}


@cache
def compiled_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
