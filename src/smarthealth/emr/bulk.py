"""Fast writes of many past (closed) encounters for seeding: one driver executemany per table
(`insert_rows`: values made as SQLAlchemy binds them, JSON as orjson text), no audit.

Run it while nothing else writes EMR tables (seeding and imports run before the platform serves).
Each row: person_id, facility_code, started_at (aware datetime), optional closed_at, kind,
reason, outcome, doctor_name, and lists `diagnoses` ({code, title_vi, main}), `prescriptions`
({drug_code, name, strength, active_ingredient, ingredient_key, dose, frequency_per_day, days,
quantity, unit, price, bhyt_covered, instructions}), `vitals` (VitalsIn fields), `notes`
({section, text}) and person-level `allergies` / `conditions`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Date, DateTime, Numeric, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.catalogue.text import ingredient_key
from smarthealth.core.db import UtcDateTime
from smarthealth.emr.models import ChargeLine, Encounter, Entry

Row = dict[str, Any]
BATCH = 2000
SQLITE_OR_TERMS = 400  # keys per query of a several-column fetch_in on SQLite
_STRICT = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
           | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _non_finite(value: Any) -> bool:
    """Whether a JSON value holds a float NaN or infinity (orjson writes them as null)."""
    items = value.values() if isinstance(value, dict) else value if isinstance(
        value, list | tuple) else (value,)
    for item in items:
        kind = type(item)
        if kind is str or kind is int or item is None or kind is bool:
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict | list | tuple) and _non_finite(item):
            return True
    return False


def json_text(value: Any) -> str:
    """A JSON column's stored text: orjson (compact, UTF-8); json.dumps, as SQLAlchemy's JSON
    type, where orjson would differ (non-finite floats, ints beyond 64 bits, str subclasses,
    values json.dumps refuses). Reads back as the same value either way; None → 'null'."""
    try:
        out = orjson.dumps(value, option=_STRICT)
    except TypeError:
        return json.dumps(value)
    if b"null" in out and _non_finite(value):
        return json.dumps(value)
    return out.decode()



def json_text_floatless(value: Any) -> str:
    """json_text of a value known to hold no float (nothing non-finite to look for)."""
    try:
        return orjson.dumps(value, option=_STRICT).decode()
    except TypeError:
        return json.dumps(value)

@lru_cache(maxsize=1 << 16)
def sqlite_datetime(value: datetime) -> str:
    """An aware datetime as core.db.UtcDateTime stores it in SQLite (naive UTC, microseconds)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    v = value.astimezone(UTC)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:"
            f"{v.second:02d}.{v.microsecond:06d}")


@lru_cache(maxsize=1 << 16)
def sqlite_date(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _none_safe(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else func(value)


def converter(column: Any, dialect: str) -> Callable[[Any], Any] | None:
    """The driver value of a Python value for `column`, as SQLAlchemy binds it (None: as is)."""
    kind = column.type
    sqlite = dialect == "sqlite"
    if isinstance(kind, UtcDateTime):
        return _none_safe(sqlite_datetime if sqlite else _utc)
    if isinstance(kind, JSON):
        return json_text
    if isinstance(kind, DateTime):
        raise TypeError(f"{column}: only UtcDateTime columns are supported")
    if isinstance(kind, Date):
        return _none_safe(sqlite_date) if sqlite else None
    if isinstance(kind, Numeric) and sqlite:
        return _none_safe(float)
    if isinstance(kind, Boolean):
        return _none_safe(bool)
    return None


def insert_sql(table: Table, columns: Sequence[str], dialect: str, suffix: str = "") -> str:
    """INSERT of `columns` with the driver's placeholders (? for SQLite, $n for asyncpg)."""
    marks = ("?" for _ in columns) if dialect == "sqlite" else (
        f"${n}" for n in range(1, len(columns) + 1))
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
            f"{suffix}")


def dialect_of(session: AsyncSession) -> str:
    return "postgresql" if session.bind.dialect.name == "postgresql" else "sqlite"


async def executemany(session: AsyncSession, sql: str, values: list[tuple[Any, ...]]) -> None:
    """One statement for many rows of driver values (no SQLAlchemy per-row processing), in
    the session's transaction."""
    if not values:
        return
    conn = await session.connection()
    for start in range(0, len(values), 5 * BATCH):
        await conn.exec_driver_sql(sql, values[start:start + 5 * BATCH])


async def fetch_in(session: AsyncSession, sql: str, columns: Sequence[str],
                   keys: Sequence[Any], *, chunk: int = 900) -> list[Any]:
    """Rows (driver values, no type processing) of `sql` + `<columns> IN <keys>`, in chunks;
    a key is one value, or a tuple of values for several columns."""
    if not keys:
        return []
    sqlite = dialect_of(session) == "sqlite"
    conn = await session.connection()
    width = len(columns)
    if sqlite and width > 1:  # an OR chain (below): SQLite's expression depth is 1000 at most
        chunk = min(chunk, SQLITE_OR_TERMS)
    out: list[Any] = []
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        if width == 1:
            params: tuple[Any, ...] = tuple(part)
            marks = [f"${n}" for n in range(1, len(part) + 1)] if not sqlite else ["?"] * len(
                part)
            where = f"{columns[0]} IN ({', '.join(marks)})"
        elif sqlite:
            # SQLite scans the whole table for a row value IN (VALUES ...); for an OR of
            # equalities it searches an index per key (MULTI-INDEX OR)
            params = tuple(v for key in part for v in key)
            term = "(" + " AND ".join(f"{c} = ?" for c in columns) + ")"
            where = f"({' OR '.join([term] * len(part))})"
        else:
            params = tuple(v for key in part for v in key)
            flat = [f"${n}" for n in range(1, len(params) + 1)]
            rows = [f"({', '.join(flat[i:i + width])})" for i in range(0, len(flat), width)]
            where = f"({', '.join(columns)}) IN ({', '.join(rows)})"
        out += (await conn.exec_driver_sql(f"{sql} {where}", params)).all()
    return out


async def insert_rows(session: AsyncSession, table: Table, rows: list[Row],
                      suffix: str = "") -> None:
    """Core-like executemany of dict rows: the first row's keys are the columns, columns not
    given take their Python default (as SQLAlchemy's insert), values converted per column type."""
    if not rows:
        return
    dialect = dialect_of(session)
    given = list(rows[0])
    defaults = [(c.name, c.default) for c in table.columns
                if c.name not in rows[0] and c.default is not None and (
                    c.default.is_scalar or c.default.is_callable)]
    names = given + [name for name, _ in defaults]
    convert = [(n, f) for n, f in enumerate(converter(table.c[name], dialect) for name in names)
               if f is not None]
    values = []
    for row in rows:
        items = [row[name] for name in given]
        items += [d.arg if d.is_scalar else d.arg(None) for _, d in defaults]
        for n, f in convert:
            items[n] = f(items[n])
        values.append(tuple(items))
    await executemany(session, insert_sql(table, names, dialect, suffix), values)
ENTRY_LISTS = {"diagnoses": "diagnosis", "prescriptions": "prescription", "notes": "note",
               "allergies": "allergy", "conditions": "condition"}


async def _next_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    first = int(await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1
    return list(range(first, first + count))


async def move_sequence(session: AsyncSession, table: Table, last: int) -> None:
    """PostgreSQL: the id sequence moved past ids allocated here (nothing on SQLite)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                   "'id'), :last)"), {"last": last})


async def _insert(session: AsyncSession, table: Table, rows: list[Row]) -> None:
    await insert_rows(session, table, rows)
    if rows:
        await move_sequence(session, table, max(r["id"] for r in rows))


def _encounter(row: Row, id_: int) -> Row:
    mains = [d for d in row.get("diagnoses", []) if d.get("main")]
    started = row["started_at"]
    closed = row.get("closed_at") or started + timedelta(minutes=15)
    return {"id": id_, "visit_id": None, "person_id": row["person_id"],
            "facility_code": row["facility_code"], "department_code": row.get("department_code"),
            "practitioner_id": row.get("practitioner_id"), "doctor_user_id": None,
            "doctor_name": row.get("doctor_name", ""), "kind": row.get("kind", "outpatient"),
            "status": row.get("status", "closed"), "started_at": started, "closed_at": closed,
            "reason": row.get("reason", ""), "outcome": row.get("outcome"),
            "follow_up_date": row.get("follow_up_date"), "referral_facility_code": None,
            "referral_reason": None, "coverage": row.get("coverage"),
            "main_icd": mains[0]["code"] if mains else None,
            "main_icd_title": mains[0].get("title_vi") if mains else None,
            "closed_by": row.get("doctor_name", ""), "charge_summary": row.get("charge_summary"),
            "created_at": started, "updated_at": closed}


def _entries(row: Row, encounter_id: int) -> list[Row]:
    at = row["started_at"]
    out = []
    items = [("vitals", row["vitals"])] if row.get("vitals") else []
    for key, kind in ENTRY_LISTS.items():
        items += [(kind, item) for item in row.get(key, [])]
    for kind, data in items:
        if kind == "allergy" and "substance_key" not in data:
            data = {**data, "substance_key": ingredient_key(data["substance"])}
        code = data.get("code") if kind in ("diagnosis", "condition") else data.get("drug_code")
        out.append({"version": 1, "kind": kind, "person_id": row["person_id"],
                    "encounter_id": encounter_id, "facility_code": row["facility_code"],
                    "status": "current", "code": code, "data": data,
                    "author": row.get("doctor_name", "seed"), "author_role": "doctor",
                    "recorded_at": at, "reason": None})
    return out


async def add_past_encounters(session: AsyncSession, *, rows: list[Row]) -> list[int]:
    """Insert closed encounters with their entries and charge lines; returns the encounter ids
    in row order. A row's `lines` (optional) are ChargeLine columns without ids, `source` the
    index of the prescription (in `prescriptions`) the line charges, or None."""
    enc_table: Table = Encounter.__table__  # type: ignore[assignment]
    entry_table: Table = Entry.__table__  # type: ignore[assignment]
    line_table: Table = ChargeLine.__table__  # type: ignore[assignment]
    ids = await _next_ids(session, enc_table, len(rows))
    await _insert(session, enc_table, [_encounter(r, i) for r, i in zip(rows, ids, strict=True)])
    per_row = [_entries(r, i) for r, i in zip(rows, ids, strict=True)]
    entry_rows = [e for entries in per_row for e in entries]
    entry_ids = await _next_ids(session, entry_table, len(entry_rows))
    for entry, id_ in zip(entry_rows, entry_ids, strict=True):
        entry["id"] = entry["entry_id"] = id_
    await _insert(session, entry_table, entry_rows)
    lines = []
    for row, enc_id, entries in zip(rows, ids, per_row, strict=True):
        prescriptions = [e["id"] for e in entries if e["kind"] == "prescription"]
        for line in row.get("lines", []):
            source = line.get("source")
            lines.append({**{k: v for k, v in line.items() if k != "source"},
                          "encounter_id": enc_id,
                          "source_entry_id": None if source is None else prescriptions[source]})
    line_ids = await _next_ids(session, line_table, len(lines))
    await _insert(session, line_table, [{**line, "id": i}
                                        for line, i in zip(lines, line_ids, strict=True)])
    return ids
