"""The columnar extract: the platform's visits and related facts to Parquet, month by month.

Incremental through the outbox: the consumer "analytics.extract" reads the events since its
position, maps each changed aggregate (encounter, entry, admission, visit, ticket) to the
Hanoi month it belongs to, and those months are extracted again from the source (through the
domains' read-only `facts` modules) and swapped in atomically. The first run (or --full)
extracts every month. Snapshots (population, beds) are rewritten on a full run or whenever
events arrived. No personal identifiers leave: the person id becomes an HMAC pseudonym, the
birth date an age in years and an age group. See SCHEMA.md.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.analytics import rollups, schema
from smarthealth.analytics.config import get_analytics_settings
from smarthealth.analytics.files import remove_dir, replace_dir, write_parquet
from smarthealth.analytics.models import ExtractMonth, ExtractRun
from smarthealth.core import outbox
from smarthealth.core.db import Database, utcnow
from smarthealth.emr import facts as emr_facts
from smarthealth.identity import bulk as identity_bulk
from smarthealth.identity import facts as identity_facts
from smarthealth.insurance import facts as insurance_facts
from smarthealth.reception import facts as reception_facts
from smarthealth.registry import facts as registry_facts

CONSUMER = "analytics.extract"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
VALID_DECISIONS = ("valid", "valid_with_warning")
READ_LIMIT = 5000

Row = dict[str, Any]


@dataclass
class ExtractResult:
    mode: str
    events: int
    months: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    position: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / max(self.seconds, 1e-9)


# --- months and keys -------------------------------------------------------------------------

def local_date(at: datetime) -> date:
    return at.astimezone(LOCAL).date()


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date, datetime, datetime]:
    """First and last local day of a month and its [start, end) in UTC."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = datetime.combine(first, dtime(), LOCAL).astimezone(UTC)
    end = datetime.combine(nxt, dtime(), LOCAL).astimezone(UTC)
    return first, nxt - timedelta(days=1), start, end


def months_between(first: date, last: date) -> list[str]:
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(month_of(day))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class Pseudonyms:
    """patient_key = the first hex digits of HMAC-SHA256(secret, person id), cached."""

    def __init__(self, secret: bytes, length: int) -> None:
        self.secret, self.length, self.cache = secret, length, {}

    def __call__(self, person_id: int) -> str:
        key = self.cache.get(person_id)
        if key is None:
            key = hmac.new(self.secret, str(person_id).encode(), hashlib.sha256).hexdigest()
            key = self.cache[person_id] = key[:self.length]
        return key


# --- one month -------------------------------------------------------------------------------

@dataclass
class _Context:
    facility_codes: dict[int, str]
    keys: Pseudonyms
    chunk: int


def _coverage(coverage: dict[str, Any] | None) -> tuple[str | None, bool | None]:
    """(decision, insured) from a recorded coverage decision; (None, None) when none."""
    if not coverage or "decision" not in coverage:
        return None, None
    decision = coverage.get("decision")
    return decision, bool(coverage.get("verified")) and decision in VALID_DECISIONS


def _has_card(periods: list[tuple[date, date]], on: date) -> bool:
    return any(start <= on <= end for start, end in periods)


def _card_on_file(periods: list[tuple[date, date]], on: date) -> bool:
    """History without a recorded decision: a card on file not yet expired that day (the
    platform keeps the current card only, not the renewals before it)."""
    return any(on <= end for _, end in periods)


def _wait(issued: datetime | None, called: datetime | None) -> float | None:
    if issued is None or called is None:
        return None
    return round((called - issued).total_seconds() / 60, 2)


async def _pages(fetch: Callable[[int], Awaitable[list[Any]]],
                 last_id: Callable[[Any], int]) -> AsyncIterator[list[Any]]:
    """Keyset paging: fetch(after_id) from 0 until an empty page; each page in turn."""
    after = 0
    while page := await fetch(after):
        after = last_id(page[-1])
        yield page


def _by_id(row: Row) -> int:
    return int(row["id"])


async def _people(session: AsyncSession, ids: set[int]) -> dict[int, tuple]:
    facts = await identity_facts.person_facts(session, ids=ids)
    merged = {m for (_, _, _, m) in facts.values() if m is not None} - facts.keys()
    if merged:
        facts.update(await identity_facts.person_facts(session, ids=merged))
    return facts


def _person(facts: dict[int, tuple], person_id: int, on: date, ctx: _Context) -> Row:
    """Pseudonymous key, sex, ward, age and age group of a person on a day."""
    fact = facts.get(person_id)
    survivor = fact[3] if fact and fact[3] is not None else person_id
    if survivor != person_id and survivor in facts:
        fact = facts[survivor]
    if fact is None:
        return {"patient_key": ctx.keys(survivor), "sex": None, "ward_code": None,
                "age_years": None, "age_group": None}
    age = age_on(fact[0], on)
    return {"patient_key": ctx.keys(survivor), "sex": fact[1], "ward_code": fact[2],
            "age_years": age, "age_group": schema.age_group(age)}


async def _encounter_rows(session: AsyncSession, ctx: _Context, start: datetime,
                          end: datetime) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {"visits": [], "diagnoses": [], "prescriptions": [],
                                 "admissions": []}
    async for encounters in _pages(lambda after: emr_facts.encounters_between(
            session, start=start, end=end, after_id=after, limit=ctx.chunk), _by_id):
        ids = [e["id"] for e in encounters]
        people = await _people(session, {e["person_id"] for e in encounters})
        cards = await insurance_facts.card_periods(session,
                                                   person_ids={e["person_id"]
                                                               for e in encounters})
        visits = await reception_facts.visits_by_id(
            session, ids={e["visit_id"] for e in encounters if e["visit_id"]})
        admissions = await emr_facts.admissions_of(session, encounter_ids=ids)
        entries = await emr_facts.current_entries(session, encounter_ids=ids)
        by_encounter: dict[int, list] = {}
        for entry in entries:
            by_encounter.setdefault(entry[0], []).append(entry)
        for enc in encounters:
            _encounter(out, enc, people, cards, visits.get(enc["visit_id"]),
                       admissions.get(enc["id"]), by_encounter.get(enc["id"], []), ctx)
    return out


def _encounter(out: dict[str, list[Row]], enc: Row, people: dict, cards: dict,
               visit: Row | None, admission: Row | None, entries: list, ctx: _Context) -> None:
    day = local_date(enc["started_at"])
    who = _person(people, enc["person_id"], day, ctx)
    decision, insured = _coverage(enc["coverage"] or (visit or {}).get("coverage"))
    if insured is None:  # seeded or imported history: a card valid that day
        insured = _card_on_file(cards.get(enc["person_id"], []), day)
    key = f"E{enc['id']}"
    diagnoses = [e for e in entries if e[1] == "diagnosis"]
    main = enc["main_icd"] or next((e[2] for e in diagnoses if e[3].get("main")), None)
    out["visits"].append({
        "visit_key": key, "facility_code": enc["facility_code"], **who,
        "started_at": enc["started_at"], "visit_date": day, "kind": enc["kind"],
        "insured": insured, "main_icd": main, "icd3": main[:3] if main else None,
        "admitted": admission is not None,
        "discharged_at": admission["discharged_at"] if admission else None,
        "checkin_ms": visit["checkin_ms"] if visit else None,
        "wait_minutes": _wait(visit["issued_at"], visit["called_at"]) if visit else None,
        "department_code": enc["department_code"], "status": enc["status"],
        "closed_at": enc["closed_at"], "coverage_decision": decision})
    common = {"visit_key": key, "visit_date": day, "facility_code": enc["facility_code"]}
    for _, _, code, data in diagnoses:
        code = code or data.get("code")
        if code:
            out["diagnoses"].append({**common, "ward_code": who["ward_code"], "sex": who["sex"],
                                     "age_group": who["age_group"], "icd10": code,
                                     "icd3": code[:3], "main": bool(data.get("main"))})
    for _, kind, code, data in entries:
        if kind == "prescription":
            quantity = data.get("quantity")
            out["prescriptions"].append({
                **common, "drug_code": code or data.get("drug_code"),
                "active_ingredient": data.get("active_ingredient"),
                "quantity": float(quantity) if quantity is not None else None,
                "days": data.get("days")})
    if admission:
        admitted = admission["admitted_at"]
        out["admissions"].append({
            "admission_key": f"A{admission['id']}", "visit_key": key,
            "facility_code": admission["facility_code"],
            "department_code": admission["department_code"], "ward_code": who["ward_code"],
            "sex": who["sex"], "age_group": who["age_group"], "admitted_at": admitted,
            "admitted_date": local_date(admitted), "discharged_at": admission["discharged_at"],
            "status": admission["status"], "outcome": admission["outcome"],
            "_day": day})  # partitioned by the month of the visit


async def _checkin_rows(session: AsyncSession, ctx: _Context, first: date,
                        last: date) -> list[Row]:
    rows: list[Row] = []
    async for visits in _pages(lambda after: reception_facts.visits_between(
            session, first_day=first, last_day=last, after_id=after, limit=ctx.chunk), _by_id):
        people = await _people(session, {v["person_id"] for v in visits})
        encounters = await emr_facts.encounters_of_visits(session,
                                                          visit_ids=[v["id"] for v in visits])
        for v in visits:
            who = _person(people, v["person_id"], v["queue_date"], ctx)
            decision, insured = _coverage(v["coverage"])
            enc = encounters.get(v["id"])
            rows.append({
                "checkin_key": f"V{v['id']}", "visit_key": f"E{enc[0]}" if enc else None,
                "facility_code": ctx.facility_codes.get(v["facility_id"]),
                "ward_code": who["ward_code"], "patient_key": who["patient_key"],
                "sex": who["sex"], "age_group": who["age_group"],
                "checked_in_at": v["scan_received_at"], "visit_date": v["queue_date"],
                "scan_source": v["scan_source"], "priority_group": v["priority_group"],
                "coverage_decision": v["coverage_decision"] or decision,
                "insured": bool(v["insurance_verified"]) and (
                    v["coverage_decision"] in VALID_DECISIONS),
                "checkin_ms": v["checkin_ms"], "called_at": v["called_at"],
                "wait_minutes": _wait(v["issued_at"], v["called_at"])})
    return rows


async def _coverage_rows(session: AsyncSession, ctx: _Context, first: date,
                         last: date) -> list[Row]:
    rows: list[Row] = []
    async for checks in _pages(lambda after: insurance_facts.checks_between(
            session, first_day=first, last_day=last, after_id=after, limit=ctx.chunk), _by_id):
        rows.extend({k: c[k] for k in schema.COVERAGE.names} for c in checks)
    return rows


def _table(rows: list[Row], table_schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=table_schema)


def spans(months: list[str], size: int = 6) -> list[list[str]]:
    """Consecutive months grouped into spans of at most `size` (one read per span)."""
    out: list[list[str]] = []
    for month in sorted(set(months)):
        if out and len(out[-1]) < size and months_between(
                month_bounds(out[-1][-1])[0], month_bounds(month)[0]) == [out[-1][-1], month]:
            out[-1].append(month)
        else:
            out.append([month])
    return out


def _by_month(rows: list[Row], day_column: str) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {}
    for row in rows:
        found.setdefault(month_of(row.get("_day") or row[day_column]), []).append(row)
    return found


async def extract_months(session: AsyncSession, *, months: list[str], root: Path,
                         ctx: _Context) -> dict[str, dict[str, int]]:
    """Read consecutive months from the source in one pass and swap each month's partitions
    in; rows written per month and table."""
    first, _, start, _ = month_bounds(months[0])
    _, last, _, end = month_bounds(months[-1])
    tables = await _encounter_rows(session, ctx, start, end)
    tables["checkins"] = await _checkin_rows(session, ctx, first, last)
    tables["coverage"] = await _coverage_rows(session, ctx, first, last)
    day_columns = {"visits": "visit_date", "diagnoses": "visit_date",
                   "prescriptions": "visit_date", "admissions": "_day",
                   "checkins": "visit_date", "coverage": "check_date"}
    grouped = {name: _by_month(rows, day_columns[name]) for name, rows in tables.items()}
    staging_root = root / "_staging" / uuid.uuid4().hex
    written: dict[str, dict[str, int]] = {}
    try:
        for month in months:
            counts = written[month] = {}
            for name in tables:
                rows = grouped[name].get(month, [])
                target = root / name / f"month={month}"
                counts[name] = len(rows)
                if not rows:
                    remove_dir(target, staging_root)
                    continue
                staging = staging_root / f"{name}-{month}"
                write_parquet(_table(rows, schema.MONTHLY[name]), staging / "part-0.parquet")
                replace_dir(staging, target)
    finally:
        _clean(staging_root)
    return written


def _clean(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    parent = path.parent
    if parent.exists() and not any(parent.iterdir()):
        parent.rmdir()


# --- snapshots -------------------------------------------------------------------------------

async def _population(session: AsyncSession, ctx: _Context, on: date) -> list[Row]:
    counts: Counter = Counter()
    insured: Counter = Counter()
    async for people in _pages(lambda after: identity_bulk.person_rows(
            session, after_id=after, limit=ctx.chunk), lambda row: int(row[0])):
        cards = await insurance_facts.card_periods(session, person_ids=[p[0] for p in people])
        for person_id, born, sex, ward in people:
            key = (ward, sex, schema.age_group(age_on(born, on)))
            counts[key] += 1
            if _has_card(cards.get(person_id, []), on):
                insured[key] += 1
    return [{"ward_code": w, "sex": s, "age_group": g, "persons": n,
             "insured_persons": insured[(w, s, g)]}
            for (w, s, g), n in sorted(counts.items(), key=lambda kv: (
                kv[0][0] or 0, kv[0][1] or "", kv[0][2] or ""))]


async def write_snapshots(session: AsyncSession, *, root: Path, ctx: _Context) -> dict[str, int]:
    """Population per ward, sex and age group (with BHYT cards valid today); beds."""
    today = local_date(utcnow())
    tables = {
        "population": await _population(session, ctx, today),
        "beds": [{"facility_code": f, "department_code": d, "beds": n}
                 for f, d, n in await emr_facts.beds_per_department(session)],
    }
    staging_root = root / "_staging" / uuid.uuid4().hex
    try:
        for name, rows in tables.items():
            staging = staging_root / name
            write_parquet(_table(rows, schema.SNAPSHOTS[name]), staging / "part-0.parquet")
            replace_dir(staging, root / name)
    finally:
        _clean(staging_root)
    return {name: len(rows) for name, rows in tables.items()}


# --- events to months ------------------------------------------------------------------------

async def months_of_events(session: AsyncSession, events: list[outbox.Event]) -> set[str]:
    """The months whose partitions the events' aggregates belong to."""
    encounters: set[int] = set()
    visits: set[int] = set()
    tickets: set[int] = set()
    for event in events:
        payload = event.payload or {}
        if event.aggregate_type in ("emr_encounter", "emr_entry", "emr_admission"):
            if payload.get("encounter_id") is not None:
                encounters.add(int(payload["encounter_id"]))
        elif event.aggregate_type == "visit" and payload.get("visit_id") is not None:
            visits.add(int(payload["visit_id"]))
        elif event.aggregate_type == "ticket" and payload.get("ticket_id") is not None:
            tickets.add(int(payload["ticket_id"]))
    if tickets:
        visits |= set((await reception_facts.ticket_visits(session, ticket_ids=tickets)).values())
    months = {month_of(local_date(at)) for at in
              (await emr_facts.encounter_starts(session, ids=encounters)).values()}
    if visits:
        months |= {month_of(day) for day in
                   (await reception_facts.visit_days(session, ids=visits)).values()}
        months |= {month_of(local_date(at)) for _, at in
                   (await emr_facts.encounters_of_visits(session, visit_ids=visits)).values()}
    return months


async def all_months(session: AsyncSession) -> list[str]:
    """Every month that holds an encounter, a visit or an eligibility check."""
    months: set[str] = set()
    span = await emr_facts.encounter_span(session)
    if span:
        months |= set(months_between(local_date(span[0]), local_date(span[1])))
    for days in (await reception_facts.visit_day_span(session),
                 await insurance_facts.check_day_span(session)):
        if days:
            months |= set(months_between(*days))
    return sorted(months)


def _months_on_disk(root: Path) -> set[str]:
    return {p.name.removeprefix("month=") for name in schema.MONTHLY
            for p in (root / name).glob("month=*") if p.is_dir()}


# --- a run -----------------------------------------------------------------------------------

async def _drain(session: AsyncSession) -> tuple[list[outbox.Event], int]:
    """Every readable event after the consumer's position, and the id to acknowledge."""
    settings_grace = timedelta(seconds=_grace())
    events: list[outbox.Event] = []
    last = await outbox.position(session, consumer=CONSUMER)
    while True:
        batch = await outbox.read(session, consumer=CONSUMER, limit=READ_LIMIT,
                                  grace=settings_grace)
        if batch.last_id <= last:
            return events, last
        events.extend(batch.events)
        last = batch.last_id
        await outbox.acknowledge(session, consumer=CONSUMER, up_to=last)  # in this transaction


def _grace() -> float:
    from smarthealth.core.settings import get_settings

    return get_settings().outbox_gap_grace_seconds


async def run_extract(database: Database, *, root: Path | None = None, full: bool = False,
                      progress: bool = False) -> ExtractResult:
    """Extract what changed since the last run (everything on the first run or with full)."""
    began = time.perf_counter()
    settings = get_analytics_settings()
    root = root or settings.root()
    root.mkdir(parents=True, exist_ok=True)
    async with database.session() as session:
        previous = await session.scalar(select(ExtractRun.id).where(
            ExtractRun.finished_at.is_not(None)).limit(1))
        mode = "full" if full or previous is None else "incremental"
        events, position = await _drain(session)
        # the drained position is only committed with the run record at the end
        await session.rollback()
        ctx = _Context(facility_codes=await registry_facts.facility_codes(session),
                       keys=Pseudonyms(settings.secret(), settings.patient_key_length),
                       chunk=settings.chunk)
        if mode == "full":
            months = await all_months(session)
            stale = _months_on_disk(root) - set(months)
        else:
            months = sorted(await months_of_events(session, events))
            stale = set()
        rows: Counter = Counter()
        written: dict[str, dict[str, int]] = {}
        for span in spans(months + sorted(stale)):
            done = await extract_months(session, months=span, root=root, ctx=ctx)
            for month, counts in done.items():
                written[month] = counts
                rows.update(counts)
                if progress:
                    print(f"  {month}: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                          flush=True)
        if mode == "full" or written:  # the dashboard's pre-aggregates of those months
            rollups.build(root, months=None if mode == "full" else sorted(written))
        if mode == "full" or events:
            rows.update(await write_snapshots(session, root=root, ctx=ctx))
        result = ExtractResult(mode=mode, events=len(events), months=months, rows=dict(rows),
                               seconds=time.perf_counter() - began, position=position)
        run = ExtractRun(mode=mode, started_at=utcnow() - timedelta(seconds=result.seconds),
                         finished_at=utcnow(), events=len(events), position=position,
                         months=months, rows=result.total_rows, seconds=result.seconds)
        session.add(run)
        await session.flush()
        for month, counts in written.items():
            row = await session.get(ExtractMonth, month)
            if row is None:
                session.add(ExtractMonth(month=month, run_id=run.id, extracted_at=utcnow(),
                                         rows=counts))
            else:
                row.run_id, row.extracted_at, row.rows = run.id, utcnow(), counts
        await outbox.acknowledge(session, consumer=CONSUMER, up_to=position)
        await session.commit()
    return result
