"""XML 130 import: any vendor's files → persons, cards, encounters, entries and charge lines.

A file is read and validated first; one with any error is rejected whole and nothing of it is
written. Valid files are written in chunks, each in one transaction (a chunk that fails is
retried file by file, so one file never half-lands). Idempotent by (facility, MA_LK): an
episode already known changes nothing. Whatever the platform does not model is kept in
claims_episodes.extras, found by rebuilding the episode from what was written and keeping
every field that differs (TRANSFER.md), so exporting it again gives the same file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.claims import export, fields, xmlfile
from smarthealth.claims.episode import Episode, Problem
from smarthealth.claims.models import ClaimEpisode
from smarthealth.core import outbox
from smarthealth.core.audit import Actor, record
from smarthealth.core.db import Database, utcnow
from smarthealth.emr import claim_bulk
from smarthealth.identity import bulk as identity_bulk
from smarthealth.identity import claim_facts as identity_facts
from smarthealth.insurance import bulk as insurance_bulk
from smarthealth.insurance import claim_facts as insurance_facts
from smarthealth.registry import claim_facts as registry_facts

log = logging.getLogger(__name__)
SYSTEM = Actor(name="xml130-import", role="system", facility_code=None)
KIND_OF_GROUP = {"13": "exam", "1": "lab", "2": "imaging", "3": "functional", "8": "procedure",
                 "10": "supply", "11": "supply", "12": "transport", "14": "bed", "15": "bed",
                 "7": "blood"}
OUTCOME_OF = {"1": "cured", "2": "improved", "3": "unchanged", "4": "worse", "5": "died"}
STAY_KINDS = frozenset({"02", "03", "04", "06", "09"})
SEX_OF = {"1": "male", "2": "female"}
Row = dict[str, Any]


@dataclass
class FileOutcome:
    """What became of one file: imported / unchanged / rejected / checkin."""

    name: str
    status: str
    episodes: int = 0
    ma_lk: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ImportResult:
    files: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def episodes_imported(self) -> int:
        return sum(f.episodes for f in self.files if f.status == "imported")

    def summary(self) -> dict[str, int]:
        return {"files": len(self.files), "imported": self.count("imported"),
                "episodes_imported": self.episodes_imported,
                "unchanged": self.count("unchanged"), "rejected": self.count("rejected"),
                "checkin_only": self.count("checkin")}


# --- parsing values of a file ----------------------------------------------------------------


def parse_dt12(text: str) -> datetime | None:
    """yyyymmddHHMM (Asia/Ho_Chi_Minh) → aware UTC datetime; None if empty or malformed."""
    if len(text) < 12 or not text[:12].isdigit():
        return None
    try:
        local = datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]),
                         int(text[10:12]), tzinfo=export.TZ)
    except ValueError:
        return None
    return local.astimezone(export.UTC)


def parse_date8(text: str) -> date | None:
    """yyyymmdd → date; None if empty or malformed."""
    if len(text) < 8 or not text[:8].isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def parse_birth(text: str) -> tuple[date, str] | None:
    """NGAY_SINH with 00 parts → (date, precision day/month/year)."""
    try:
        year, month, day = int(text[:4]), int(text[4:6]), int(text[6:8])
        precision = "day" if day else "month" if month else "year"
        return date(year, month or 1, day or 1), precision
    except (ValueError, TypeError):
        return None


def dec(text: str) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)


def whole(text: str) -> int:
    """A money or price string rounded half-up to whole VND."""
    if text.isdigit():
        return int(text)
    return export.vnd(dec(text))


def first(text: str) -> str:
    return (text or "").split(";")[0].strip()


# --- one episode → rows ------------------------------------------------------------------------


def _kind(xml1: dict[str, str]) -> str:
    if xml1["MA_DOITUONG_KCB"] == "2":
        return "emergency"
    return "inpatient" if xml1["MA_LOAI_KCB"] in STAY_KINDS else "outpatient"


def _outcome(xml1: dict[str, str]) -> str | None:
    if xml1["MA_LOAI_RV"] == "2":
        return "transferred"
    if xml1["MA_LOAI_RV"] == "4":
        return "discharged_against_advice"
    return OUTCOME_OF.get(xml1["KET_QUA_DTRI"])


def _diagnosis_entries(xml1: dict[str, str], at: datetime) -> list[Row]:
    codes = [xml1["MA_BENH_CHINH"]] if xml1["MA_BENH_CHINH"] else []
    codes += [c.strip() for c in xml1["MA_BENH_KT"].split(";") if c.strip()]
    titles = [t.strip() for t in xml1["CHAN_DOAN_RV"].split(";")]
    if len(titles) != len(codes):
        titles = [xml1["CHAN_DOAN_RV"]] + [""] * (len(codes) - 1)
    return [{"kind": "diagnosis", "code": code, "recorded_at": at,
             "data": {"code": code, "title_vi": title, "main": n == 0 and bool(
                 xml1["MA_BENH_CHINH"])}}
            for n, (code, title) in enumerate(zip(codes, titles, strict=True))]


def _drug_rows(rec: dict[str, str], at: datetime) -> tuple[Row, Row]:
    in_list = rec["PHAM_VI"] == "1" and rec["TYLE_TT_BH"] not in ("0", "")
    price = whole(rec["DON_GIA"])
    entry = {"kind": "prescription", "code": rec["MA_THUOC"][:50],
             "recorded_at": parse_dt12(rec["NGAY_YL"]) or at, "data": {
                 "drug_code": rec["MA_THUOC"], "name": rec["TEN_THUOC"],
                 "strength": rec["HAM_LUONG"], "unit": rec["DON_VI_TINH"],
                 "route_code": rec["DUONG_DUNG"], "dosage_form": rec["DANG_BAO_CHE"],
                 "dosage_text": rec["LIEU_DUNG"], "instructions": rec["CACH_DUNG"],
                 "registration": rec["SO_DANG_KY"], "tender": rec["TT_THAU"],
                 "quantity": rec["SO_LUONG"], "price": price, "bhyt_covered": in_list,
                 "active_ingredient": "", "ingredient_key": ""}}
    line = _line("drug", rec["MA_THUOC"], f"{rec['TEN_THUOC']} {rec['HAM_LUONG']}".strip(),
                 rec, price, price, in_list)
    return entry, line


def _line(kind: str, code: str, name: str, rec: dict[str, str], bhyt_price: int,
          hospital_price: int, in_list: bool) -> Row:
    return {"kind": kind, "code": code[:50], "name": name[:300],
            "unit": rec["DON_VI_TINH"][:30], "quantity": dec(rec["SO_LUONG"]),
            "bhyt_unit_price": bhyt_price, "hospital_unit_price": hospital_price,
            "in_bhyt_list": in_list, "amount": whole(rec["THANH_TIEN_BV"]),
            "bhyt_pays": whole(rec["T_BHTT"]),
            "patient_pays": whole(rec["T_BNTT"]) + whole(rec["T_BNCCT"])}


def _service_rows(rec: dict[str, str], at: datetime) -> tuple[Row | None, Row]:
    kind = KIND_OF_GROUP.get(rec["MA_NHOM"], "service")
    code = rec["MA_DICH_VU"] or rec["MA_VAT_TU"]
    name = rec["TEN_DICH_VU"] or rec["TEN_VAT_TU"]
    in_list = rec["PHAM_VI"] == "1" and rec["TYLE_TT_BH"] not in ("0", "")
    line = _line(kind, code, name, rec, whole(rec["DON_GIA_BH"]), whole(rec["DON_GIA_BV"]),
                 in_list)
    if kind in ("exam", "bed"):
        return None, line
    entry = {"kind": "order", "code": code[:50], "recorded_at": parse_dt12(rec["NGAY_YL"]) or at,
             "data": {"service_code": code, "quantity": rec["SO_LUONG"], "note": "",
                      "name": name, "service_kind": kind, "unit": rec["DON_VI_TINH"],
                      "price_bhyt": line["bhyt_unit_price"],
                      "price_service": line["hospital_unit_price"]}}
    return entry, line


def episode_row(episode: Episode, *, person_id: int, practitioner_id: int | None) -> Row:
    """claim_bulk row (encounter, entries, charge lines, admission) of one episode."""
    xml1 = episode.tables["XML1"][0]
    start = parse_dt12(xml1["NGAY_VAO"]) or utcnow()
    end = parse_dt12(xml1["NGAY_RA"]) or start
    admitted = parse_dt12(xml1["NGAY_VAO_NOI_TRU"])
    khoa = [k for k in xml1["MA_KHOA"].split(";") if k] or [""]
    entries = _diagnosis_entries(xml1, start)
    lines: list[Row] = []
    for table, build in (("XML3", _service_rows), ("XML2", _drug_rows)):
        for rec in episode.tables.get(table, []):
            entry, line = build(rec, start)
            if entry is not None:
                entries.append(entry)
                line["source"] = len(entries) - 1
            else:
                line["source"] = None
            lines.append(line)
    orders = {e["code"]: i for i, e in enumerate(entries) if e["kind"] == "order"}
    for rec in episode.tables.get("XML4", []):
        entries.append({"kind": "result", "recorded_at": parse_dt12(rec["NGAY_KQ"]) or end,
                        "data": {"order_ref": orders.get(rec["MA_DICH_VU"]),
                                 "test": rec["TEN_CHI_SO"], "value": rec["GIA_TRI"],
                                 "unit": rec["DON_VI_DO"], "reference_range": "",
                                 "service_code": rec["MA_DICH_VU"] or None,
                                 "description": rec["MO_TA"], "conclusion": rec["KET_LUAN"],
                                 "abnormal": None}})
    for rec in episode.tables.get("XML5", []):
        entries.append({"kind": "note", "recorded_at": parse_dt12(rec["THOI_DIEM_DBLS"]) or end,
                        "data": {"section": "progress", "text": rec["DIEN_BIEN_LS"]}})
    if xml1["CAN_NANG"]:
        try:
            entries.append({"kind": "vitals", "recorded_at": start,
                            "data": {"weight": float(xml1["CAN_NANG"])}})
        except ValueError:
            pass
    for n, line in enumerate(lines, start=1):
        line["line_no"] = n
    muc_huong = next((r["MUC_HUONG"] for t in ("XML3", "XML2")
                      for r in episode.tables.get(t, []) if r["MUC_HUONG"]), "0")
    outcome = _outcome(xml1)
    return {"encounter": {
        "visit_id": None, "person_id": person_id, "facility_code": episode.facility_code,
        "department_code": khoa[0][:20] or None, "practitioner_id": practitioner_id,
        "doctor_user_id": None, "doctor_name": "", "kind": _kind(xml1), "status": "closed",
        "started_at": start, "closed_at": end, "reason": xml1["LY_DO_VV"][:500],
        "outcome": outcome, "follow_up_date": parse_date8(first(xml1["NGAY_TAI_KHAM"])),
        "referral_facility_code": xml1["MA_NOI_DEN"][:5] or None, "referral_reason": None,
        "coverage": {"decision": "valid", "source": "xml130",
                     "ma_doituong_kcb": xml1["MA_DOITUONG_KCB"]},
        "main_icd": xml1["MA_BENH_CHINH"][:10] or None,
        "main_icd_title": (entries[0]["data"]["title_vi"][:400] if entries and entries[0][
            "kind"] == "diagnosis" else None),
        "closed_by": "xml130", "charge_summary": {"muc_huong": muc_huong,
                                                  "rules": ["xml130_import"], "covered": True},
        "created_at": utcnow(), "updated_at": utcnow()},
        "entries": entries, "lines": lines,
        "admission": None if admitted is None else {
            "department_code": khoa[0][:20], "bed_id": None, "status": "discharged",
            "admitted_at": admitted, "discharged_at": end, "outcome": outcome,
            "reason": xml1["LY_DO_VNT"][:500]}}


# --- extras: what the platform does not reproduce ---------------------------------------------


def extras_of(original: Episode, rebuilt: Episode) -> dict[str, Any] | None:
    """Per table, the fields of the file that the rebuilt episode does not reproduce."""
    out: dict[str, Any] = {}
    for table in fields.EPISODE_TABLES:
        mine, theirs = original.tables.get(table, []), rebuilt.tables.get(table, [])
        if not mine and not theirs:
            continue
        if len(mine) != len(theirs):
            out[table] = {"records": mine}
            continue
        diffs = [{} if a == b else {k: v for k, v in a.items() if b.get(k, "") != v}
                 for a, b in zip(mine, theirs, strict=True)]
        if any(diffs):
            out[table] = diffs
    return out or None


# --- persons, cards, facilities -------------------------------------------------------------


def _person_fields(xml1: dict[str, str]) -> Row:
    birth = parse_birth(xml1["NGAY_SINH"]) or (date(1900, 1, 1), "year")
    ward = xml1["MAXA_CU_TRU"]
    cccd = xml1["SO_CCCD"] if len(xml1["SO_CCCD"]) == 12 and xml1["SO_CCCD"].isdigit() else None
    return {"full_name": xml1["HO_TEN"][:120], "birth_date": birth[0],
            "birth_date_precision": birth[1], "sex": SEX_OF.get(xml1["GIOI_TINH"], "other"),
            "cccd": cccd, "phone": xml1["DIEN_THOAI"][:15] or None,
            "address": xml1["DIA_CHI"][:300] or None,
            "province_code": xml1["MATINH_CU_TRU"][-2:] or None,
            "ward_code": int(ward) if ward.isdigit() else None}


async def _match_persons(session: AsyncSession, episodes: list[Episode]) -> list[int]:
    """One person id per episode: CCCD, else the facility's patient number (MA_BN), else BHYT
    card, else name + birth date; else a new person."""
    people = [_person_fields(e.tables["XML1"][0]) for e in episodes]
    cards = [first(e.tables["XML1"][0]["MA_THE_BHYT"]) for e in episodes]
    numbers = [(e.facility_code, e.tables["XML1"][0]["MA_BN"]) for e in episodes]
    by_number = await identity_facts.person_ids_by_facility_number(session, pairs=numbers)
    by_cccd = await identity_facts.person_ids_by_cccd(
        session, cccds=[p["cccd"] for p in people if p["cccd"]])
    by_card = await insurance_facts.person_ids_by_card(session, codes=[c for c in cards if c])
    keys = [(identity_facts.key_of_name(p["full_name"]), p["birth_date"]) for p in people]
    by_name = await identity_facts.person_ids_by_name_birth(session, pairs=keys)
    ids: list[int | None] = []
    new: list[Row] = []
    pending: dict[Any, int] = {}  # key → index in `new` (the same new person twice in a chunk)
    slots: list[int | None] = []
    for person, card, key, number in zip(people, cards, keys, numbers, strict=True):
        found = (by_cccd.get(person["cccd"]) if person["cccd"] else None) or by_number.get(
            number) or (
            by_card.get(card) if card else None) or by_name.get(key)
        ids.append(found)
        if found is not None:
            slots.append(None)
            continue
        ident = ("cccd", person["cccd"]) if person["cccd"] else ("card", card) if card else key
        if ident not in pending:
            pending[ident] = len(new)
            new.append(person)
        slots.append(pending[ident])
    created = await identity_bulk.add_persons(session, rows=new) if new else []
    return [i if i is not None else created[s]  # type: ignore[index]
            for i, s in zip(ids, slots, strict=True)]


async def _add_missing_cards(session: AsyncSession, episodes: list[Episode],
                             person_ids: list[int]) -> None:
    codes = {first(e.tables["XML1"][0]["MA_THE_BHYT"]) for e in episodes} - {""}
    known = await insurance_facts.person_ids_by_card(session, codes=codes)
    rows: dict[str, Row] = {}
    for episode, person_id in zip(episodes, person_ids, strict=True):
        xml1 = episode.tables["XML1"][0]
        code = first(xml1["MA_THE_BHYT"])
        valid_from, valid_to = parse_date8(first(xml1["GT_THE_TU"])), parse_date8(
            first(xml1["GT_THE_DEN"]))
        if not code or code in known or code in rows or not valid_from or not valid_to:
            continue
        row = insurance_facts.card_row(
            code, person_id=person_id, registered_facility_code=first(xml1["MA_DKBD"]),
            valid_from=valid_from, valid_to=valid_to, area_code=xml1["MA_KHUVUC"] or None,
            five_years_date=parse_date8(xml1["NAM_NAM_LIEN_TUC"]))
        if row is not None:
            rows[code] = row
    if rows:
        await insurance_bulk.add_cards(session, rows=list(rows.values()))


async def ensure_facilities(session: AsyncSession, *, codes: Iterable[str], actor: Actor
                            ) -> list[str]:
    """Register unknown sending facilities as external ones; returns the codes registered."""
    from smarthealth.registry import service as registry
    from smarthealth.registry.schemas import FacilityIn

    wanted = sorted(set(codes))
    known = await registry_facts.facilities_by_code(session, codes=wanted)
    added = []
    for code in wanted:
        if code not in known:
            await registry.create_facility(session, data=FacilityIn(
                code=code, name=f"Cơ sở KCB {code} (ngoài nền tảng, từ hồ sơ XML 130)",
                care_level="basic", tier="district"), actor=actor)
            added.append(code)
    return added


# --- the import --------------------------------------------------------------------------------


async def _written_bundles(session: AsyncSession, rows: list[Row], episodes: list[Episode]
                           ) -> list[export.Bundle]:
    """Export bundles of the rows just written, without reading the EMR rows back.

    The EMR part comes from the rows themselves (ids filled in by claim_bulk); person, card,
    facility, certificate and patient number are read as the export reads them. The round-trip
    tests check that this equals what the export builds from the database.
    """
    bundles = [claim_bulk.as_bundle(row) for row in rows]
    await export.complete_bundles(session, bundles)
    for bundle, row, episode in zip(bundles, rows, episodes, strict=True):
        bundle.update(ma_lk=episode.ma_lk, extras=None,
                      claim={"id": row["claim_id"], "ma_lk": episode.ma_lk})
    return bundles


async def _known(session: AsyncSession, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    table = ClaimEpisode.__table__
    out: set[tuple[str, str]] = set()
    for start in range(0, len(keys), 400):
        part = keys[start:start + 400]
        out |= {(r[0], r[1]) for r in (await session.execute(
            select(table.c.facility_code, table.c.ma_lk)
            .where(tuple_(table.c.facility_code, table.c.ma_lk).in_(part)))).all()}
    return out


def check_file(name: str, data: bytes, *, scope: str | None
               ) -> tuple[FileOutcome, list[Episode]]:
    """Read and validate one file; rejected (with every problem) when anything is wrong."""
    from smarthealth.claims import validate

    read = xmlfile.read(data)  # read once; validated as validate.check_file does
    problems = [p for p in read.problems if p.severity == "error"]
    first_hoso: dict[str, int] = {}
    for hoso, episode in enumerate(read.episodes, start=1):
        found = validate.validate_episode(episode)
        if episode.ma_lk in first_hoso:
            found.insert(0, validate.problem(
                "duplicate_ma_lk", table="XML1", field="MA_LK", record=1, ma_lk=episode.ma_lk,
                value=episode.ma_lk, expected=first_hoso[episode.ma_lk]))
        first_hoso.setdefault(episode.ma_lk, hoso)
        for p in found:
            p.hoso = hoso
        problems += found
    for checkin in read.checkins:
        problems += validate.validate_checkin(checkin)
    facilities = {e.facility_code for e in read.episodes} | {c.facility_code
                                                             for c in read.checkins}
    if scope is not None and facilities - {scope}:
        problems.append(Problem(
            table="", field="MACSKCB", record=0, ma_lk="", code="other_facility",
            message_vi=f"Tài khoản chỉ được nhập hồ sơ của cơ sở {scope}.",
            message_en=f"This account may import only files of facility {scope}.",
            value=",".join(sorted(facilities - {scope}))))
    if problems:
        for p in problems:
            p.file = name
        return FileOutcome(name, "rejected", problems=problems), []
    if not read.episodes:
        return FileOutcome(name, "checkin", episodes=0), []
    return FileOutcome(name, "imported", episodes=len(read.episodes),
                       ma_lk=[e.ma_lk for e in read.episodes]), read.episodes


async def _write(session: AsyncSession, items: list[tuple[FileOutcome, list[Episode], str]],
                 actor: Actor) -> None:
    """Write the episodes of valid files (one transaction, the caller's)."""
    keys = [(e.facility_code, e.ma_lk) for _, eps, _ in items for e in eps]
    known = await _known(session, keys)
    todo: list[tuple[Episode, str]] = []
    for outcome, episodes, digest in items:
        fresh = [e for e in episodes if (e.facility_code, e.ma_lk) not in known]
        known |= {(e.facility_code, e.ma_lk) for e in fresh}
        if not fresh:
            outcome.status, outcome.episodes = "unchanged", 0
            continue
        outcome.episodes = len(fresh)
        todo += [(e, digest) for e in fresh]
    if not todo:
        return
    episodes = [e for e, _ in todo]
    await ensure_facilities(session, codes={e.facility_code for e in episodes}, actor=actor)
    person_ids = await _match_persons(session, episodes)
    await _add_missing_cards(session, episodes, person_ids)
    await identity_facts.add_facility_numbers(session, rows=[
        (p, e.facility_code, e.tables["XML1"][0]["MA_BN"])
        for e, p in zip(episodes, person_ids, strict=True)])
    doctors = [next((r["MA_BAC_SI"] for t in ("XML3", "XML2") for r in e.tables.get(t, [])
                     if r["MA_BAC_SI"]), "").split(";")[0] for e in episodes]
    practitioners = await registry_facts.practitioners_by_certificate(session, numbers=doctors)
    rows = [episode_row(e, person_id=p, practitioner_id=practitioners.get(d))
            for e, p, d in zip(episodes, person_ids, doctors, strict=True)]
    enc_ids = await claim_bulk.add_finished_encounters(session, rows=rows)
    now = utcnow()
    table = ClaimEpisode.__table__
    claim_rows = [{"facility_code": e.facility_code, "ma_lk": e.ma_lk, "encounter_id": enc,
                   "person_id": p, "direction": "imported", "sha256": digest, "extras": None,
                   "created_at": now, "exported_at": None}
                  for (e, digest), enc, p in zip(todo, enc_ids, person_ids, strict=True)]
    await session.execute(insert(table), claim_rows)
    claim_ids = dict((await session.execute(
        select(table.c.encounter_id, table.c.id).where(
            table.c.encounter_id.in_(enc_ids)))).all())
    for row, enc in zip(rows, enc_ids, strict=True):
        row["claim_id"] = claim_ids[enc]
    bundles = await _written_bundles(session, rows, episodes)
    extras = []
    for episode, bundle in zip(episodes, bundles, strict=True):
        diff = extras_of(episode, export.build_episode(bundle))
        if diff:
            extras.append({"row_id": bundle["claim"]["id"], "extras": diff})
    if extras:
        await session.execute(update(table).where(table.c.id == bindparam("row_id"))
                              .values(extras=bindparam("extras")), extras)
    await record(session, actor=actor, action="claims.import", entity_type="claims_episode",
                 details={"episodes": len(episodes), "encounter_ids": enc_ids[:1000]})
    by_facility: dict[str, list[int]] = {}
    for episode, enc in zip(episodes, enc_ids, strict=True):
        by_facility.setdefault(episode.facility_code, []).append(enc)
    for facility_code, ids in by_facility.items():
        await outbox.publish(session, topic="claims.episodes_imported",
                             aggregate_type="claims_episode", aggregate_id=ids[0],
                             facility_code=facility_code,
                             payload={"encounter_ids": ids, "count": len(ids)})


def _checked_here(files: Iterable[tuple[str, bytes]], *, scope: str | None
                  ) -> Iterator[tuple[FileOutcome, list[Episode], str]]:
    for name, data in files:
        outcome, episodes = check_file(name, data, scope=scope)
        yield outcome, episodes, hashlib.sha256(data).hexdigest() if episodes else ""


async def import_files(database: Database, *, files: Iterable[tuple[str, bytes]],
                       actor: Actor = SYSTEM, scope: str | None = None, chunk: int = 500,
                       progress: Callable[[int], None] | None = None,
                       jobs: int = 1) -> ImportResult:
    """Import files (name, bytes): validate each, write the valid ones in chunked transactions.

    With jobs > 1, files are read and validated in worker processes (parallel.import_checks)
    while this process writes; the outcome is the same as with jobs = 1."""
    result = ImportResult()
    batch: list[tuple[FileOutcome, list[Episode], str]] = []

    async def write_alone(item: tuple[FileOutcome, list[Episode], str]) -> None:
        try:
            async with database.session() as session:
                await _write(session, [item], actor)
        except Exception as error:  # noqa: BLE001 - the file is rejected, the batch goes on
            log.exception("claims import: %s could not be written", item[0].name)
            item[0].status, item[0].episodes = "rejected", 0
            item[0].problems = [Problem(
                table="", field="", record=0, ma_lk=",".join(item[0].ma_lk),
                code="write_failed", message_vi=f"Không ghi được hồ sơ: {error}"[:500],
                message_en=f"The episode could not be written: {error}"[:500], file=item[0].name)]

    async def flush() -> None:
        try:
            async with database.session() as session:
                await _write(session, batch, actor)
        except Exception:  # noqa: BLE001 - retried one file per transaction
            for item in batch:
                if item[0].status == "unchanged":
                    item[0].status, item[0].episodes = "imported", len(item[1])
                await write_alone(item)
        if progress is not None:
            progress(len(batch))
        batch.clear()

    if jobs > 1:
        from smarthealth.claims import parallel

        checked: Iterable[tuple[FileOutcome, list[Episode], str]] = parallel.ordered_map(
            parallel.import_checks, files, jobs=jobs, chunk=50, scope=scope)
    else:
        checked = _checked_here(files, scope=scope)
    for outcome, episodes, digest in checked:
        result.files.append(outcome)
        if episodes:
            batch.append((outcome, episodes, digest))
        elif progress is not None:
            progress(1)
        if len(batch) >= chunk:
            await flush()
    if batch:
        await flush()
    return result


async def import_in_session(session: AsyncSession, *, files: Iterable[tuple[str, bytes]],
                            actor: Actor, scope: str | None) -> ImportResult:
    """Import uploaded files inside the caller's transaction, one savepoint per file."""
    result = ImportResult()
    for name, data in files:
        outcome, episodes = check_file(name, data, scope=scope)
        result.files.append(outcome)
        if not episodes:
            continue
        try:
            async with session.begin_nested():
                await _write(session, [(outcome, episodes, hashlib.sha256(data).hexdigest())],
                             actor)
        except Exception as error:  # noqa: BLE001 - this file is rejected, the others go on
            log.exception("claims import: %s could not be written", name)
            outcome.status, outcome.episodes = "rejected", 0
            outcome.problems = [Problem(
                table="", field="", record=0, ma_lk=",".join(outcome.ma_lk),
                code="write_failed", message_vi=f"Không ghi được hồ sơ: {error}"[:500],
                message_en=f"The episode could not be written: {error}"[:500], file=name)]
    return result
