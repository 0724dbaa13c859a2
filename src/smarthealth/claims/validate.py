"""XML 130 validation driven by the field table, plus the cross-field rules (FORMAT.md).

Field checks come from `fields.table_spec()` (required / conditional, length, format, code list,
pattern, `;`-lists); cross-field checks: ICD-10 main-diagnosis rules (QĐ 4469, via the
catalogue's in-memory rule set), date order, SO_NGAY_DTRI per MA_LOAI_KCB, MA_LK consistency
and duplicates, per-line money (xml130.md §7, ±1 VND) and XML1 totals (exact to 0.01).
Runs without a database. Warnings (uncertain rules) are returned only with `warnings=True`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from operator import contains, gt, itemgetter
from typing import Any

from smarthealth.catalogue.ruleset import Icd10Ruleset, icd10_ruleset
from smarthealth.claims import fields, money
from smarthealth.claims.episode import CheckIn, Episode, Problem
from smarthealth.claims.xmlfile import read

__all__ = ["FileCheck", "check_file", "validate_checkin", "validate_episode", "validate_file"]

LINE_TOLERANCE = 1.0  # VND, per-line formulas (the platform rounds each line to whole VND)
TOTAL_TOLERANCE = 0.005  # XML1 totals equal the sums of the lines to 0.01
ZERO_DAY_TYPES = frozenset({"01", "07", "09"})
SPAN_DAY_TYPES = frozenset({"02", "03", "04", "06"})
XML5_TYPES = frozenset({"02", "03", "04", "05", "06", "08", "09"})  # xml130.md §2
SUPPLY_GROUPS = frozenset({"10", "11"})  # T_VTYT: supplies in XML3
PERFORMER_GROUPS = frozenset({"1", "2", "3", "8", "18"})
SEX = {"1": "male", "2": "female"}

# code → (Vietnamese, English); keys: table, field, value, expected, limit, name, other
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("{table}.{field} là trường bắt buộc nhưng để trống.",
                 "{table}.{field} is required but empty."),
    "required_if": ("{table}.{field} bắt buộc khi {name}, nhưng để trống.",
                    "{table}.{field} is required when {name}, but it is empty."),
    "max_length": ("{table}.{field} dài {expected} ký tự, tối đa {limit}.",
                   "{table}.{field} is {expected} characters long; the maximum is {limit}."),
    "date_format": ("{table}.{field} = '{value}' sai định dạng {limit}.",
                    "{table}.{field} = '{value}' is not in the {limit} format."),
    "number_format": ("{table}.{field} = '{value}' không phải số hợp lệ ({limit}).",
                      "{table}.{field} = '{value}' is not a valid number ({limit})."),
    "code_list": ("{table}.{field} = '{value}' không có trong danh mục {name}.",
                  "{table}.{field} = '{value}' is not in the {name} code list."),
    "pattern": ("{table}.{field} = '{value}' sai định dạng quy định.",
                "{table}.{field} = '{value}' does not have the required form."),
    "too_many_items": ("{table}.{field} có {expected} mã, tối đa {limit}.",
                       "{table}.{field} holds {expected} codes; the maximum is {limit}."),
    "invalid_character": ("{table}.{field} chứa ký tự điều khiển không hợp lệ trong XML.",
                          "{table}.{field} contains a control character not allowed in XML."),
    "missing_table": ("Thiếu bảng {table} ({name}).", "Table {table} is missing ({name})."),
    "xml1_count": ("Bảng XML1 phải có đúng một bản ghi, có {expected}.",
                   "Table XML1 must hold exactly one record; it holds {expected}."),
    "ma_lk_mismatch": ("{table}: MA_LK '{value}' khác MA_LK của XML1 '{expected}'.",
                       "{table}: MA_LK '{value}' differs from the XML1 MA_LK '{expected}'."),
    "duplicate_ma_lk": ("MA_LK '{value}' trùng với hồ sơ {expected} trong cùng tệp.",
                        "MA_LK '{value}' repeats the one of HOSO {expected} in the same file."),
    "duplicate_stt": ("{table}: STT {value} bị trùng.", "{table}: STT {value} is repeated."),
    "facility_mismatch": ("MA_CSKCB '{value}' khác MACSKCB của tệp '{expected}'.",
                          "MA_CSKCB '{value}' differs from the file's MACSKCB '{expected}'."),
    "date_order": ("{table}.{field} = {value} sớm hơn {name} = {expected}.",
                   "{table}.{field} = {value} is earlier than {name} = {expected}."),
    "outside_episode": ("{table}.{field} = {value} nằm ngoài thời gian đợt điều trị.",
                        "{table}.{field} = {value} lies outside the episode."),
    "treatment_days": ("SO_NGAY_DTRI = {value}, theo MA_LOAI_KCB {name} phải là {expected}.",
                       "SO_NGAY_DTRI = {value}; for MA_LOAI_KCB {name} it must be {expected}."),
    "amount_mismatch": ("{table}.{field} = {value}, theo công thức phải là {expected} ({name}).",
                        "{table}.{field} = {value}; the formula gives {expected} ({name})."),
    "share_mismatch": ("{table}.{field} = {value}, theo cách chia chi phí (mục 7) phải là "
                       "{expected}.",
                       "{table}.{field} = {value}; the cost split (section 7) gives "
                       "{expected}."),
    "sum_mismatch": ("XML1.{field} = {value} nhưng tổng các dòng là {expected} ({name}).",
                     "XML1.{field} = {value} but the lines add up to {expected} ({name})."),
    "emergency_checkin": ("Không gửi XML0 cho ca cấp cứu (MA_DOITUONG_KCB = 2).",
                          "XML0 is not sent for emergencies (MA_DOITUONG_KCB = 2)."),
}
ICD_CODES = {"unknown_code": "unknown_icd10", "not_primary": "not_primary_icd10",
             "sex_mismatch": "sex_specific_code", "age_range": "age_icd10",
             "unspecific_code": "unspecific_icd10"}


def problem(code: str, *, table: str, field: str = "", record: int = 0, ma_lk: str = "",
            value: str = "", severity: str = "error", expected: Any = "", limit: Any = "",
            name: str = "") -> Problem:
    """A Problem with the messages of MESSAGES[code]."""
    vi, en = MESSAGES[code]
    args = {"table": table, "field": field, "value": value, "expected": expected,
            "limit": limit, "name": name}
    return Problem(table=table, field=field, record=record, ma_lk=ma_lk, code=code,
                   message_vi=vi.format(**args), message_en=en.format(**args), value=value,
                   severity=severity)


# Value formats

_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@lru_cache(maxsize=1 << 16)
def _date_ok(text: str, length: int, partial: bool) -> bool:
    if len(text) != length or not (text.isascii() and text.isdigit()):
        return False
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:8])
    if partial and (month == 0 or day == 0):
        if month == 0 and day != 0:
            return False
    elif not 1 <= month <= 12 or not 1 <= day <= _DAYS[month] or (
            month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 or year % 400 == 0))):
        return False
    if year < 1900:
        return False
    return length == 8 or (int(text[8:10]) < 24 and int(text[10:12]) < 60)


def _checker(fmt: str | None, partial: bool) -> tuple[Callable[[str], bool] | None, str]:
    """(check function, problem code) for a format name."""
    if fmt == "datetime12":
        return (lambda v: _date_ok(v, 12, partial)), "date_format"
    if fmt == "date8":
        return (lambda v: _date_ok(v, 8, False)), "date_format"
    if fmt == "date8|datetime12":
        return (lambda v: _date_ok(v, len(v), False) if len(v) in (8, 12) else False,
                "date_format")
    if fmt == "int":
        return (lambda v: v.isascii() and v.isdigit()), "number_format"
    if fmt and fmt.startswith("decimal:"):
        pattern = re.compile(rf"\d{{1,15}}(\.\d{{1,{int(fmt[8:])}}})?")
        return (lambda v: pattern.fullmatch(v) is not None), "number_format"
    return None, ""


_FORMAT_LABEL = {"datetime12": "yyyymmddHHMM", "date8": "yyyymmdd",
                 "date8|datetime12": "yyyymmdd/yyyymmddHHMM", "int": "integer",
                 "decimal:2": "≤ 2 decimals", "decimal:3": "≤ 3 decimals"}


@dataclass(frozen=True)
class _Field:
    name: str
    max_length: int | None
    required: str
    conditions: tuple[fields.Condition, ...]
    check: Callable[[str], bool] | None
    format_code: str
    format_label: str
    codes: frozenset[str] | None
    codes_name: str
    pattern: re.Pattern[str] | None
    sep: str | None
    max_items: int | None

    @property
    def plain(self) -> bool:
        return (self.check is None and self.codes is None and self.pattern is None
                and self.max_items is None)


@dataclass(frozen=True)
class _Table:
    name: str
    plain: tuple[_Field, ...]
    complex: tuple[_Field, ...]
    fast: _Fast


def _getter(names: list[str]) -> Callable[[dict[str, str]], tuple[str, ...]]:
    """itemgetter that always returns a tuple (C speed)."""
    if not names:
        return lambda record: ()
    if len(names) == 1:
        one = itemgetter(names[0])
        return lambda record: (one(record),)
    return itemgetter(*names)


@dataclass(frozen=True)
class _Fast:
    """Whole-record checks at C speed that only tell "clean"; any doubt → field by field."""

    names: frozenset[str]
    required: Callable[[dict[str, str]], tuple[str, ...]]
    lengths: Callable[[dict[str, str]], tuple[str, ...]]
    limits: tuple[int, ...]
    groups: tuple[tuple[Callable[[dict[str, str]], tuple[str, ...]], re.Pattern[str]], ...]
    coded: Callable[[dict[str, str]], tuple[str, ...]]
    code_sets: tuple[frozenset[str], ...]
    stamps: Callable[[dict[str, str]], tuple[str, ...]]  # yyyymmddHHMM fields
    days: Callable[[dict[str, str]], tuple[str, ...]]  # yyyymmdd fields
    conditional: tuple[tuple[str, tuple[tuple[str, frozenset[str], bool], ...]], ...]
    others: tuple[_Field, ...]
    values: Callable[[dict[str, str]], tuple[str, ...]]  # every field, in table order
    size: int
    shape: re.Pattern[str]  # the "\x00"-joined values: formats, lengths, codes, characters

    def spotless(self, record: dict[str, str]) -> bool:
        """True only when `clean` is True and no value holds an invalid character (one regex
        over the whole record, ASCII-only and stricter than `clean`; False means "look")."""
        if len(record) != self.size:
            return False
        try:
            if self.shape.fullmatch("\x00".join(self.values(record))) is None:
                return False
            stamps, days = self.stamps(record), self.days(record)
        except KeyError:
            return False
        if not _GOOD_STAMPS.issuperset(stamps) and not _remember(stamps, 12, _GOOD_STAMPS):
            return False
        if not _GOOD_DAYS.issuperset(days) and not _remember(days, 8, _GOOD_DAYS):
            return False
        return self._rest_clean(record)

    def clean(self, record: dict[str, str]) -> bool:
        try:
            if "" in self.required(record):
                return False
            if any(map(gt, map(len, self.lengths(record)), self.limits)):
                return False
            for getter, pattern in self.groups:
                if pattern.fullmatch("\x00".join(getter(record))) is None:
                    return False
            if not all(map(contains, self.code_sets, self.coded(record))):
                return False
            good = _GOOD_DATES
            for value in self.stamps(record):
                if value and value not in good:
                    if not _date_ok(value, 12, False):
                        return False
                    if len(good) < 200_000:
                        good.add(value)
            for value in self.days(record):
                if value and not _date_ok(value, 8, False):
                    return False
        except KeyError:
            return False
        return self._rest_clean(record)

    def _rest_clean(self, record: dict[str, str]) -> bool:
        """Conditionally required fields present and the other fields' values clean."""
        for name, conditions in self.conditional:
            if not record.get(name):
                for other, values, negate in conditions:
                    if (record.get(other, "") in values) == negate:
                        break  # a condition does not hold: not required
                else:
                    return False
        for f in self.others:
            value = record.get(f.name, "")
            if value and not _value_clean(f, value):
                return False
        return True


_GOOD_DATES: set[str] = set()
_GOOD_STAMPS: set[str] = {""}  # "" or a valid yyyymmddHHMM (the shape checked the digits)
_GOOD_DAYS: set[str] = {""}


def _remember(values: tuple[str, ...], length: int, good: set[str]) -> bool:
    """All values valid dates (added to `good`, up to 200,000 entries)?"""
    for value in values:
        if value not in good:
            if not _date_ok(value, length, False):
                return False
            if len(good) < 200_000:
                good.add(value)
    return True


def _value_clean(f: _Field, value: str) -> bool:
    items = value.split(f.sep) if f.sep else (value,)
    if f.max_items is not None and len(items) > f.max_items:
        return False
    for item in items:
        if f.check is not None and not f.check(item):
            return False
        if f.codes is not None and item not in f.codes:
            return False
        if f.pattern is not None and not f.pattern.fullmatch(item):
            return False
    return True


_GROUP_PATTERNS = {"int": r"\d+", "decimal:2": r"\d{1,15}(?:\.\d{1,2})?",
                   "decimal:3": r"\d{1,15}(?:\.\d{1,3})?"}
_CHAR = "[^\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"  # allowed in XML 1.0 (not the separator)


def _shape(spec: fields.FieldSpec, f: _Field, kind: str) -> str:
    """One field's part of the record pattern; it accepts a subset of what `clean` accepts
    (ASCII digits only, length bounded by the repetition or a look-ahead)."""
    limit = f.max_length
    if kind == "coded":
        codes = sorted((c for c in f.codes or () if c and re.fullmatch(f"{_CHAR}+", c)
                        and (limit is None or len(c) <= limit)), key=len, reverse=True)
        part = f"(?:{'|'.join(map(re.escape, codes))})" if codes else "(?!)"
    elif kind in ("stamp", "day"):
        size = 12 if kind == "stamp" else 8
        part = f"[0-9]{{{size}}}" if limit is None or limit >= size else "(?!)"
    elif kind == "group" and spec.format == "int":
        part = "[0-9]+" if limit is None else f"[0-9]{{1,{limit}}}"
    elif kind == "group":
        places = int((spec.format or "")[8:])
        part = f"[0-9]{{1,15}}(?:\\.[0-9]{{1,{places}}})?"
        if limit is not None and limit < 16 + places:
            part = f"(?![^\\x00]{{{limit + 1}}}){part}"
    else:
        part = f"{_CHAR}+" if limit is None else f"{_CHAR}{{1,{limit}}}"
    return part if f.required == "yes" else f"(?:{part})?"


def _fast(specs: list[fields.FieldSpec], items: list[_Field]) -> _Fast:
    groups: dict[str, list[str]] = {}
    stamps, days, others, coded = [], [], [], []
    shapes = []
    for spec, f in zip(specs, items, strict=True):
        if f.codes is not None and f.pattern is None and f.sep is None and f.max_items is None:
            coded.append(f)  # a code implies the format
            shapes.append(_shape(spec, f, "coded"))
            continue
        simple = f.codes is None and f.pattern is None and f.sep is None
        if f.check is None and f.codes is None and f.pattern is None and f.max_items is None:
            shapes.append(_shape(spec, f, "plain"))
            continue  # only required / length (a list of free codes, e.g. MA_BAC_SI)
        if simple and spec.format in _GROUP_PATTERNS:
            groups.setdefault(spec.format, []).append(f.name)
            shapes.append(_shape(spec, f, "group"))
        elif simple and spec.format == "datetime12" and not spec.partial_date:
            stamps.append(f.name)
            shapes.append(_shape(spec, f, "stamp"))
        elif simple and spec.format == "date8":
            days.append(f.name)
            shapes.append(_shape(spec, f, "day"))
        else:
            others.append(f)
            shapes.append(_shape(spec, f, "plain"))
    compiled = []
    for fmt, names in groups.items():
        one = f"(?:{_GROUP_PATTERNS[fmt]})?"
        compiled.append((_getter(names), re.compile(f"{one}(?:\x00{one})*")))
    sized = [f for f in items if f.max_length is not None]
    return _Fast(
        names=frozenset(f.name for f in items),
        required=_getter([f.name for f in items if f.required == "yes"]),
        lengths=_getter([f.name for f in sized]), limits=tuple(f.max_length for f in sized),
        groups=tuple(compiled), coded=_getter([f.name for f in coded]),
        code_sets=tuple(f.codes | {""} for f in coded if f.codes is not None),
        stamps=_getter(stamps), days=_getter(days),
        conditional=tuple((f.name, tuple((c.field, c.values, c.negate) for c in f.conditions))
                          for f in items if f.required == "cond" and f.conditions),
        others=tuple(others), values=_getter([f.name for f in items]), size=len(items),
        shape=re.compile("\x00".join(shapes)))


def _condition_text(conditions: tuple[fields.Condition, ...]) -> str:
    parts = []
    for c in conditions:
        if c.values == frozenset({""}):
            parts.append(f"{c.field} {'có dữ liệu / is set' if c.negate else 'trống / is empty'}")
        else:
            parts.append(f"{c.field} {'∉' if c.negate else '∈'} {{{', '.join(sorted(c.values))}}}")
    return " & ".join(parts)


@cache
def _compiled(day: date) -> dict[str, _Table]:
    spec = fields.table_spec(on=day)
    lists = fields.code_lists(on=day)
    out = {}
    for table, specs in spec.items():
        items = []
        for s in specs:
            check, code = _checker(s.format, s.partial_date)
            codes = None if s.codes in (None, "icd10") else lists.get(s.codes, frozenset())
            items.append(_Field(
                name=s.name, max_length=s.max_length, required=s.required,
                conditions=s.required_if, check=check, format_code=code,
                format_label=_FORMAT_LABEL.get(s.format or "", s.format or ""), codes=codes,
                codes_name=s.codes or "",
                pattern=fields.compiled_pattern(s.pattern) if s.pattern else None,
                sep=s.list_sep, max_items=s.max_items))
        out[table] = _Table(table, tuple(f for f in items if f.plain),
                            tuple(f for f in items if not f.plain), _fast(specs, items))
    return out


def _missing(f: _Field, table: str, record: dict[str, str], index: int, ma_lk: str,
             out: list[Problem]) -> None:
    """An empty field: a problem when it is required, or required by a condition that holds."""
    if f.required == "yes":
        out.append(problem("required", table=table, field=f.name, record=index, ma_lk=ma_lk))
    elif f.conditions and all(c.holds(record) for c in f.conditions):
        out.append(problem("required_if", table=table, field=f.name, record=index,
                           ma_lk=ma_lk, name=_condition_text(f.conditions)))


def _check_record(table: _Table, record: dict[str, str], index: int, ma_lk: str,
                  out: list[Problem]) -> None:
    if table.fast.spotless(record):
        return
    if table.fast.clean(record):
        if _INVALID.search("".join(record.values())):
            _invalid_characters(table.name, record, index, ma_lk, out)
        return
    name = table.name
    for f in table.plain:
        value = record.get(f.name, "")
        if not value:
            _missing(f, name, record, index, ma_lk, out)
        elif f.max_length is not None and len(value) > f.max_length:
            out.append(problem("max_length", table=name, field=f.name, record=index,
                               ma_lk=ma_lk, value=value, expected=len(value),
                               limit=f.max_length))
    for f in table.complex:
        value = record.get(f.name, "")
        if not value:
            _missing(f, name, record, index, ma_lk, out)
            continue
        badly_formed = f.sep is None and f.check is not None and not f.check(value)
        if f.max_length is not None and len(value) > f.max_length and not badly_formed:
            out.append(problem("max_length", table=name, field=f.name, record=index,
                               ma_lk=ma_lk, value=value, expected=len(value),
                               limit=f.max_length))
        items = value.split(f.sep) if f.sep else (value,)
        if f.max_items is not None and len(items) > f.max_items:
            out.append(problem("too_many_items", table=name, field=f.name, record=index,
                               ma_lk=ma_lk, value=value, expected=len(items),
                               limit=f.max_items))
        for item in items:
            if f.check is not None and not f.check(item):
                out.append(problem(f.format_code, table=name, field=f.name, record=index,
                                   ma_lk=ma_lk, value=item, limit=f.format_label))
            elif f.codes is not None and item not in f.codes:
                out.append(problem("code_list", table=name, field=f.name, record=index,
                                   ma_lk=ma_lk, value=item, name=f.codes_name))
            elif f.pattern is not None and not f.pattern.fullmatch(item):
                out.append(problem("pattern", table=name, field=f.name, record=index,
                                   ma_lk=ma_lk, value=item))
    if _INVALID.search("".join(record.values())):
        _invalid_characters(name, record, index, ma_lk, out)


def _invalid_characters(table: str, record: dict[str, str], index: int, ma_lk: str,
                        out: list[Problem]) -> None:
    for key, value in record.items():
        if _INVALID.search(value):
            out.append(problem("invalid_character", table=table, field=key, record=index,
                               ma_lk=ma_lk, value=value))


# Cross-field rules


def _num(text: str) -> float | None:
    try:
        return float(text) if text else 0.0
    except ValueError:
        return None


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@lru_cache(maxsize=1 << 14)
def _ordinal(text: str) -> int | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])).toordinal()
    except ValueError:
        return None


def _valid_dt(text: str) -> bool:
    if text in _GOOD_STAMPS:
        return text != ""
    return _date_ok(text, 12, False)


def _order(out: list[Problem], table: str, record: dict[str, str], index: int, ma_lk: str,
           early: str, late: str) -> None:
    """`late` must not be earlier than `early` (both valid yyyymmddHHMM)."""
    a, b = record.get(early, ""), record.get(late, "")
    if b < a and _valid_dt(a) and _valid_dt(b):
        out.append(problem("date_order", table=table, field=late, record=index, ma_lk=ma_lk,
                           value=b, name=early, expected=a))


def _age(birth: str, visit: str) -> tuple[int | None, int | None]:
    """(completed years, days) at the visit; days None when the birth date is partial."""
    if len(birth) < 8 or len(visit) < 8 or not birth[:8].isdigit() or not visit[:8].isdigit():
        return None, None
    by, bm, bd = int(birth[:4]), int(birth[4:6]), int(birth[6:8])
    vy, vm, vd = int(visit[:4]), int(visit[4:6]), int(visit[6:8])
    if bm == 0:
        return vy - by, None
    if bd == 0:
        return vy - by - ((vm, 1) < (bm, 1)), None
    years = vy - by - ((vm, vd) < (bm, bd))
    b_ord, v_ord = _ordinal(birth[:8]), _ordinal(visit[:8])
    days = v_ord - b_ord if b_ord is not None and v_ord is not None else None
    return years, days


def _icd(out: list[Problem], rules: Icd10Ruleset, *, table: str, field: str, index: int,
         ma_lk: str, codes: Iterable[str], main: bool, sex: str | None,
         age: Callable[[], tuple[int | None, int | None]]) -> None:
    plain = rules.plain
    for code in codes:
        if code in plain:
            continue
        years, days = age() if rules.needs_age(code) else (None, None)
        for found in rules.check(code, main=main, sex=sex, age_years=years, age_days=days):
            out.append(Problem(table=table, field=field, record=index, ma_lk=ma_lk,
                               code=ICD_CODES.get(found.rule, found.rule),
                               message_vi=found.message_vi, message_en=found.message_en,
                               value=code, severity=found.severity))


def _diagnoses(out: list[Problem], episode: Episode, summary: dict[str, str],
               ma_lk: str) -> None:
    rules = icd10_ruleset()
    sex = SEX.get(summary.get("GIOI_TINH", ""))
    cached: list[tuple[int | None, int | None]] = []

    def age() -> tuple[int | None, int | None]:
        if not cached:
            cached.append(_age(summary.get("NGAY_SINH", ""), summary.get("NGAY_VAO", "")))
        return cached[0]

    main = summary.get("MA_BENH_CHINH", "")
    if main:
        _icd(out, rules, table="XML1", field="MA_BENH_CHINH", index=1, ma_lk=ma_lk,
             codes=(main,), main=True, sex=sex, age=age)
    extra = summary.get("MA_BENH_KT", "")
    if extra:
        _icd(out, rules, table="XML1", field="MA_BENH_KT", index=1, ma_lk=ma_lk,
             codes=[c for c in extra.split(";") if c], main=False, sex=sex, age=age)
    for index, line in enumerate(episode.tables.get("XML3", ()), start=1):
        codes = line.get("MA_BENH", "")
        if codes:
            _icd(out, rules, table="XML3", field="MA_BENH", index=index, ma_lk=ma_lk,
                 codes=[c for c in codes.split(";") if c], main=False, sex=sex, age=age)


def _dates(out: list[Problem], episode: Episode, summary: dict[str, str], ma_lk: str) -> None:
    _order(out, "XML1", summary, 1, ma_lk, "NGAY_VAO", "NGAY_VAO_NOI_TRU")
    _order(out, "XML1", summary, 1, ma_lk, "NGAY_VAO_NOI_TRU", "NGAY_RA")
    _order(out, "XML1", summary, 1, ma_lk, "NGAY_VAO", "NGAY_RA")
    birth, start = summary.get("NGAY_SINH", ""), summary.get("NGAY_VAO", "")
    if _date_ok(birth, 12, True) and _valid_dt(start) and birth[:8] > start[:8]:
        out.append(problem("date_order", table="XML1", field="NGAY_VAO", record=1,
                           ma_lk=ma_lk, value=start, name="NGAY_SINH", expected=birth))
    starts, ends = summary.get("GT_THE_TU", ""), summary.get("GT_THE_DEN", "")
    for a, b in zip(starts.split(";"), ends.split(";"), strict=False):
        if _date_ok(a, 8, False) and _date_ok(b, 8, False) and b < a:
            out.append(problem("date_order", table="XML1", field="GT_THE_DEN", record=1,
                               ma_lk=ma_lk, value=b, name="GT_THE_TU", expected=a))
    end = summary.get("NGAY_RA", "")
    window = _valid_dt(start) and _valid_dt(end)
    first, last = start[:8], end[:8]
    for table, stamp in (("XML2", "NGAY_YL"), ("XML3", "NGAY_YL"), ("XML5", "THOI_DIEM_DBLS")):
        for index, line in enumerate(episode.tables.get(table, ()), start=1):
            if table != "XML5":
                _order(out, table, line, index, ma_lk, "NGAY_YL", "NGAY_TH_YL")
            if table == "XML3":
                _order(out, table, line, index, ma_lk, "NGAY_YL", "NGAY_KQ")
            value = line.get(stamp, "")
            if window and not first <= value[:8] <= last and _valid_dt(value):
                out.append(problem("outside_episode", table=table, field=stamp,
                                   record=index, ma_lk=ma_lk, value=value,
                                   severity="warning"))


def _treatment_days(out: list[Problem], episode: Episode, summary: dict[str, str],
                    ma_lk: str) -> None:
    kind, value = summary.get("MA_LOAI_KCB", ""), summary.get("SO_NGAY_DTRI", "")
    if not value.isdigit():
        return
    days = int(value)
    if kind in ZERO_DAY_TYPES:
        if days != 0:
            out.append(problem("treatment_days", table="XML1", field="SO_NGAY_DTRI", record=1,
                               ma_lk=ma_lk, value=value, name=kind, expected="0"))
        return
    end = summary.get("NGAY_RA", "")
    if kind in SPAN_DAY_TYPES and _valid_dt(end):
        allowed = []
        for start_field in ("NGAY_VAO", "NGAY_VAO_NOI_TRU"):
            start = summary.get(start_field, "")
            if _valid_dt(start):
                allowed.append(_ordinal(end[:8]) - _ordinal(start[:8]) + 1)  # type: ignore[operator]
        if allowed and days not in allowed:
            out.append(problem("treatment_days", table="XML1", field="SO_NGAY_DTRI", record=1,
                               ma_lk=ma_lk, value=value, name=kind, expected=allowed[0]))
    elif kind == "08":
        used = {line.get("NGAY_TH_YL", "")[:8] or line.get("NGAY_YL", "")[:8]
                for line in episode.tables.get("XML3", ())} - {""}
        if used and days != len(used):
            out.append(problem("treatment_days", table="XML1", field="SO_NGAY_DTRI", record=1,
                               ma_lk=ma_lk, value=value, name=kind, expected=len(used),
                               severity="warning"))


_NK_PARTS = ("T_NGUONKHAC_NSNN", "T_NGUONKHAC_VTNN", "T_NGUONKHAC_VTTN", "T_NGUONKHAC_CL")
_LINE_FIELDS = ("SO_LUONG", "THANH_TIEN_BV", "THANH_TIEN_BH", "T_NGUONKHAC", "MUC_HUONG",
                "T_BHTT", "T_BNCCT", "T_BNTT", "TYLE_TT_BH", *_NK_PARTS)


_XML2_NAMES = (*_LINE_FIELDS, "DON_GIA")
_XML3_NAMES = (*_LINE_FIELDS, "DON_GIA_BV", "DON_GIA_BH", "TYLE_TT_DV")
_LINE_GET = {"XML2": itemgetter(*_XML2_NAMES), "XML3": itemgetter(*_XML3_NAMES)}


def _line_numbers(table: str, line: dict[str, str]) -> tuple[float, ...] | None:
    names = _XML2_NAMES if table == "XML2" else _XML3_NAMES
    try:
        return tuple(map(float, _LINE_GET[table](line)))
    except (ValueError, KeyError):
        pass
    out = []
    for name in names:
        number = _num(line.get(name, ""))
        if number is None:
            return None
        out.append(number)
    return tuple(out)


_CLEAN_LINES: dict[str, tuple[float, ...]] = {}  # table + line strings → amounts, no problem


def _line_money(out: list[Problem], table: str, line: dict[str, str], index: int,
                ma_lk: str) -> tuple[float, ...] | None:
    """Per-line formulas (±1 VND); the parsed amounts (_LINE_FIELDS order), or None when a
    number is unreadable. Lines whose strings were already found right are looked up."""
    try:
        key = "\x00".join((table, *_LINE_GET[table](line)))
    except (KeyError, TypeError):
        return _line_check(out, table, line, index, ma_lk)
    known = _CLEAN_LINES.get(key)
    if known is not None:
        return known
    size = len(out)
    v = _line_check(out, table, line, index, ma_lk)
    if v is not None and len(out) == size and len(_CLEAN_LINES) < 50_000:
        _CLEAN_LINES[key] = v
    return v


def _line_check(out: list[Problem], table: str, line: dict[str, str], index: int,
                ma_lk: str) -> tuple[float, ...] | None:
    v = _line_numbers(table, line)
    if v is None:
        return None
    qty, bv, bh, nk, muc_huong, bhtt, bncct, bntt, tyle_bh, p1, p2, p3, p4 = v[:13]
    ratio_bh = tyle_bh / 100
    if table == "XML2":
        want_bv = qty * v[13]
        want_bh: tuple[float, ...] = (want_bv * ratio_bh,)
        bv_text = "SO_LUONG × DON_GIA"
    else:
        price_bv, price_bh, tyle_dv = v[13:16]
        ratio_dv = (tyle_dv if line.get("TYLE_TT_DV") else 100) / 100
        want_bv = qty * price_bv * ratio_dv
        want_bh = (qty * price_bh * ratio_bh * ratio_dv, qty * price_bh * ratio_bh)
        bv_text = "SO_LUONG × DON_GIA_BV × TYLE_TT_DV / 100"
    if nk:
        want_bh = (*want_bh, (bv - nk) * ratio_bh)  # case b: support deducted first
    if abs(bv - want_bv) > LINE_TOLERANCE:
        out.append(problem("amount_mismatch", table=table, field="THANH_TIEN_BV", record=index,
                           ma_lk=ma_lk, value=line["THANH_TIEN_BV"], expected=_fmt(want_bv),
                           name=bv_text))
    if all(abs(bh - w) > LINE_TOLERANCE for w in want_bh):
        out.append(problem("amount_mismatch", table=table, field="THANH_TIEN_BH", record=index,
                           ma_lk=ma_lk, value=line["THANH_TIEN_BH"], expected=_fmt(want_bh[0]),
                           name="SO_LUONG × DON_GIA_BH × TYLE_TT_BH / 100"))
    parts = p1 + p2 + p3 + p4
    if abs(nk - parts) > LINE_TOLERANCE:
        out.append(problem("amount_mismatch", table=table, field="T_NGUONKHAC", record=index,
                           ma_lk=ma_lk, value=line["T_NGUONKHAC"], expected=_fmt(parts),
                           name="NSNN + VTNN + VTTN + CL"))
    given = (nk, bhtt, bncct, bntt)
    first = None
    for case in money.CASES if nk else ("a",):
        want = money.split(thanh_tien_bv=bv, thanh_tien_bh=bh, muc_huong=muc_huong,
                           t_nguonkhac=nk, case=case)
        w_nk, w_bhtt, w_bncct, w_bntt = want
        if (abs(bhtt - w_bhtt) <= LINE_TOLERANCE and abs(bncct - w_bncct) <= LINE_TOLERANCE
                and abs(bntt - w_bntt) <= LINE_TOLERANCE and abs(nk - w_nk) <= LINE_TOLERANCE):
            return v
        first = first or want
    assert first is not None
    for name, g, w in zip(("T_BHTT", "T_BNCCT", "T_BNTT"), given[1:], first[1:], strict=True):
        if abs(g - w) > LINE_TOLERANCE:
            out.append(problem("share_mismatch", table=table, field=name, record=index,
                               ma_lk=ma_lk, value=line[name], expected=_fmt(w)))
    return v


_TOTALS = (("T_THUOC", "Σ XML2.THANH_TIEN_BV"), ("T_VTYT", "Σ XML3.THANH_TIEN_BV (MA_NHOM 10, 11)"),
           ("T_TONGCHI_BV", "Σ THANH_TIEN_BV"), ("T_TONGCHI_BH", "Σ THANH_TIEN_BH"),
           ("T_BNTT", "Σ T_BNTT"), ("T_BNCCT", "Σ T_BNCCT"),
           ("T_BHTT", "T_TONGCHI_BH − T_BNCCT"), ("T_NGUONKHAC", "Σ T_NGUONKHAC"),
           ("T_BHTT_GDV", "Σ T_BHTT (MA_PTTT = 1)"))


def _money(out: list[Problem], episode: Episode, summary: dict[str, str], ma_lk: str) -> None:
    sums = dict.fromkeys(("T_THUOC", "T_VTYT", "T_TONGCHI_BV", "T_TONGCHI_BH", "T_BNTT",
                          "T_BNCCT", "T_NGUONKHAC", "T_BHTT_GDV"), 0.0)
    readable = True
    supply_codes = 0.0  # T_VTYT read as "lines with a supply code" (accepted too)
    for table in ("XML2", "XML3"):
        for index, line in enumerate(episode.tables.get(table, ()), start=1):
            v = _line_money(out, table, line, index, ma_lk)
            if v is None:
                readable = False
                continue
            _, bv, bh, nk, _, bhtt, bncct, bntt = v[:8]
            sums["T_TONGCHI_BV"] += bv
            sums["T_TONGCHI_BH"] += bh
            sums["T_BNTT"] += bntt
            sums["T_BNCCT"] += bncct
            sums["T_NGUONKHAC"] += nk
            if line.get("MA_PTTT") == "1":
                sums["T_BHTT_GDV"] += bhtt
            if table == "XML2":
                sums["T_THUOC"] += bv
            else:
                if line.get("MA_NHOM") in SUPPLY_GROUPS:
                    sums["T_VTYT"] += bv
                if line.get("MA_VAT_TU"):
                    supply_codes += bv
    totals = {name: _num(summary.get(name, "")) for name, _ in _TOTALS}
    if not readable:
        return
    if totals["T_TONGCHI_BH"] is not None and totals["T_BNCCT"] is not None:
        sums["T_BHTT"] = totals["T_TONGCHI_BH"] - totals["T_BNCCT"]
    for name, text in _TOTALS:
        given = totals[name]
        if given is None or name not in sums or not summary.get(name):
            continue
        if name == "T_VTYT" and abs(given - supply_codes) < TOTAL_TOLERANCE:
            continue
        if abs(given - sums[name]) >= TOTAL_TOLERANCE:
            out.append(problem("sum_mismatch", table="XML1", field=name, record=1, ma_lk=ma_lk,
                               value=summary[name], expected=_fmt(sums[name]), name=text))


def _links(out: list[Problem], episode: Episode, ma_lk: str) -> None:
    for table, records in episode.tables.items():
        seen: set[str] = set()
        for index, record in enumerate(records, start=1):
            if table != "XML1" and record.get("MA_LK", "") != ma_lk:
                out.append(problem("ma_lk_mismatch", table=table, field="MA_LK", record=index,
                                   ma_lk=ma_lk, value=record.get("MA_LK", ""),
                                   expected=ma_lk))
            stt = record.get("STT", "")
            if stt and stt in seen:
                out.append(problem("duplicate_stt", table=table, field="STT", record=index,
                                   ma_lk=ma_lk, value=stt))
            seen.add(stt)


def validate_episode(episode: Episode, *, warnings: bool = False,
                     on: date | None = None) -> list[Problem]:
    """Every problem of one episode (fields, ICD-10, dates, days, links, money)."""
    compiled = _compiled(on or fields._today())
    out: list[Problem] = []
    summaries = episode.tables.get("XML1") or []
    summary = summaries[0] if summaries else {}
    ma_lk = summary.get("MA_LK", "")
    if not summaries:
        out.append(problem("missing_table", table="XML1", ma_lk=ma_lk, name="always"))
    elif len(summaries) > 1:
        out.append(problem("xml1_count", table="XML1", record=2, ma_lk=ma_lk,
                           expected=len(summaries)))
    for table, records in episode.tables.items():
        spec = compiled.get(table)
        if spec is None:
            continue
        for index, record in enumerate(records, start=1):
            _check_record(spec, record, index, ma_lk, out)
    if summary:
        _links(out, episode, ma_lk)
        facility = summary.get("MA_CSKCB", "")
        if episode.facility_code and facility and facility != episode.facility_code:
            out.append(problem("facility_mismatch", table="XML1", field="MA_CSKCB", record=1,
                               ma_lk=ma_lk, value=facility, expected=episode.facility_code))
        if summary.get("MA_LOAI_KCB") in XML5_TYPES and not episode.tables.get("XML5"):
            out.append(problem("missing_table", table="XML5", ma_lk=ma_lk,
                               name=f"MA_LOAI_KCB {summary['MA_LOAI_KCB']}"))
        _diagnoses(out, episode, summary, ma_lk)
        _dates(out, episode, summary, ma_lk)
        _treatment_days(out, episode, summary, ma_lk)
        _money(out, episode, summary, ma_lk)
    return out if warnings else [p for p in out if p.severity == "error"]


def validate_checkin(checkin: CheckIn, *, warnings: bool = False,
                     on: date | None = None) -> list[Problem]:
    """Every problem of an XML0 check-in file's records."""
    spec = _compiled(on or fields._today())["XML0"]
    out: list[Problem] = []
    seen: set[str] = set()
    for index, record in enumerate(checkin.records, start=1):
        ma_lk = record.get("MA_LK", "")
        _check_record(spec, record, index, ma_lk, out)
        _order(out, "XML0", record, index, ma_lk, "NGAY_VAO", "NGAY_VAO_NOI_TRU")
        _order(out, "XML0", record, index, ma_lk, "NGAY_VAO", "NGAY_YL")
        if record.get("MA_DOITUONG_KCB") == "2":
            out.append(problem("emergency_checkin", table="XML0", field="MA_DOITUONG_KCB",
                               record=index, ma_lk=ma_lk, value="2", severity="warning"))
        stt = record.get("STT", "")
        if stt and stt in seen:
            out.append(problem("duplicate_stt", table="XML0", field="STT", record=index,
                               ma_lk=ma_lk, value=stt))
        seen.add(stt)
    return out if warnings else [p for p in out if p.severity == "error"]


@dataclass
class FileCheck:
    """Problems of one file with the number of episodes and check-in records read."""

    problems: list[Problem] = field(default_factory=list)
    episodes: int = 0
    checkins: int = 0
    ma_lks: list[str] = field(default_factory=list)


def check_file(data: bytes, *, warnings: bool = False, on: date | None = None) -> FileCheck:
    """Read and validate one file: reading problems, then each episode's and check-in's."""
    result = read(data)
    out = [p for p in result.problems if warnings or p.severity == "error"]
    first: dict[str, int] = {}
    for hoso, episode in enumerate(result.episodes, start=1):
        found = validate_episode(episode, warnings=warnings, on=on)
        ma_lk = episode.ma_lk
        if ma_lk and ma_lk in first:
            found.insert(0, problem("duplicate_ma_lk", table="XML1", field="MA_LK", record=1,
                                    ma_lk=ma_lk, value=ma_lk, expected=first[ma_lk]))
        first.setdefault(ma_lk, hoso)
        for p in found:
            p.hoso = hoso
        out.extend(found)
    for checkin in result.checkins:
        out.extend(validate_checkin(checkin, warnings=warnings, on=on))
    return FileCheck(problems=out, episodes=len(result.episodes),
                     checkins=sum(len(c.records) for c in result.checkins),
                     ma_lks=[e.ma_lk for e in result.episodes])


def validate_file(data: bytes, *, warnings: bool = False) -> list[Problem]:
    """Every problem of one XML 130 file (envelope or XML0), without a database."""
    return check_file(data, warnings=warnings).problems
