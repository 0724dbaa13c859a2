"""XML 130 import: any vendor's files → persons, cards, encounters, entries and charge lines.

A file is read and validated first; one with any error is rejected whole and nothing of it is
written. Valid files are written in chunks, each in one transaction (a chunk that fails is
retried file by file, so one file never half-lands). Idempotent by (facility, MA_LK): an
episode already known changes nothing. Whatever the platform does not model is kept in
claims_episodes.extras, found by rebuilding the episode from what was written and keeping
every field that differs (TRANSFER.md), so exporting it again gives the same file.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.claims import export, fields, xmlfile
from smarthealth.claims.episode import Episode, Problem
from smarthealth.claims.models import ClaimEpisode
from smarthealth.core import outbox
from smarthealth.core.audit import Actor, record
from smarthealth.core.db import Database, utcnow
from smarthealth.emr import bulk as emr_bulk
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


@lru_cache(maxsize=1 << 16)
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


class Prepared(NamedTuple):
    """One valid episode made ready for writing (in a worker): what matching needs, the rows as
    driver values (ids, person and practitioner filled in at write time) and the extras as
    they are when person, card, certificate and patient number come out as the file states
    them (None: to be computed at write time). A named tuple: cheap to pickle."""

    facility: str
    ma_lk: str
    person: Row  # _person_fields of XML1
    name_key: str
    card_code: str  # first MA_THE_BHYT
    number: str  # MA_BN
    card: Row | None  # the bhyt_cards row the file adds (person_id 0), None if it adds none
    card_key: tuple[Any, ...] | None  # the card as the export reads it back (no person_id)
    doctor: str  # first MA_BAC_SI: the practitioner's certificate number
    day: date  # Hanoi date of the start: the card in force that day
    encounter: tuple[Any, ...]  # claim_bulk.ENCOUNTER_COLUMNS values
    entries: list[tuple[Any, ...]]  # (kind, code, data text, author, role, recorded_at, ref)
    lines: list[tuple[tuple[Any, ...], int | None]]  # (LINE_COLUMNS values from line_no, source)
    admission: tuple[Any, ...] | None  # claim_bulk.ADMISSION_COLUMNS values
    extras: str | None
    hoso: int  # the episode's index in its file (read again when the extras are recomputed)


_CARD_COLUMNS = tuple(c for c in insurance_facts.COLUMNS if c != "person_id")


def _card_key(card: Row | None) -> tuple[Any, ...] | None:
    return None if card is None else tuple(card[c] for c in _CARD_COLUMNS)


def _doctor(episode: Episode) -> str:
    return next((r["MA_BAC_SI"] for t in ("XML3", "XML2") for r in episode.tables.get(t, [])
                 if r["MA_BAC_SI"]), "").split(";")[0]


def _card_of(xml1: dict[str, str]) -> Row | None:
    """The bhyt_cards row (person_id 0) the file adds when its card code is not on file."""
    code = first(xml1["MA_THE_BHYT"])
    valid_from, valid_to = parse_date8(first(xml1["GT_THE_TU"])), parse_date8(
        first(xml1["GT_THE_DEN"]))
    if not code or not valid_from or not valid_to:
        return None
    return insurance_facts.card_row(
        code, person_id=0, registered_facility_code=first(xml1["MA_DKBD"]),
        valid_from=valid_from, valid_to=valid_to, area_code=xml1["MA_KHUVUC"] or None,
        five_years_date=parse_date8(xml1["NAM_NAM_LIEN_TUC"]))


def _bundle(row: Row) -> export.Bundle:
    """The export bundle of a claim_bulk row written with ids from 1 (ids only order entries,
    so the rebuilt episode is the same as with the ids the database gets)."""
    return claim_bulk.as_bundle({"written": claim_bulk.written(row, 1, 1)})


def _encounter_converters(dialect: str) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Per claim_bulk.ENCOUNTER_COLUMNS column: (name, driver value of a non-None value; None:
    as is). The id column is left to _values (0, filled in at write time)."""
    stamp = emr_bulk.sqlite_datetime if dialect == "sqlite" else emr_bulk._utc
    day = emr_bulk.sqlite_date if dialect == "sqlite" else None
    out: list[tuple[str, Callable[[Any], Any] | None]] = []
    for c in claim_bulk.ENCOUNTER_COLUMNS[1:]:
        out.append((c, emr_bulk.json_text if c in _JSON else stamp if c in _STAMPS
                    else day if c == "follow_up_date" else None))
    return tuple(out)


_STAMPS = frozenset({"started_at", "closed_at", "created_at", "updated_at"})
_JSON = frozenset({"coverage", "charge_summary"})
_ENCOUNTER_CONVERTERS = {d: _encounter_converters(d) for d in ("sqlite", "postgresql")}


def _values(row: Row, dialect: str) -> tuple[tuple[Any, ...], list[tuple[Any, ...]],
                                              list[tuple[tuple[Any, ...], int | None]],
                                              tuple[Any, ...] | None]:
    """Encounter, entries, lines and admission of an episode_row as driver values."""
    sqlite = dialect == "sqlite"
    stamp = emr_bulk.sqlite_datetime if sqlite else emr_bulk._utc
    json_text, floatless = emr_bulk.json_text, emr_bulk.json_text_floatless
    enc = row["encounter"]
    # a JSON column's None is stored as 'null' text, as json_text(None) gives
    encounter = (0, *[(json_text(enc[c]) if c in _JSON else None) if enc[c] is None
                      else enc[c] if conv is None else conv(enc[c])
                      for c, conv in _ENCOUNTER_CONVERTERS[dialect]])
    entries = []
    count = len(row["entries"])
    for entry in row["entries"]:
        data, ref = entry["data"], None
        if "order_ref" in data:
            ref = data["order_ref"]
            data = {k: v for k, v in data.items() if k != "order_ref"}
            text = floatless(data)[:-1] + ("," if data else "") + '"order_entry_id":'
            ref = -1 if ref is None else range(count)[ref]
        else:  # episode_row puts a float (the weight) only into vitals
            text = json_text(data) if entry["kind"] == "vitals" else floatless(data)
        entries.append((entry["kind"], entry.get("code"), text,
                        entry.get("author") or "xml130", entry.get("author_role"),
                        stamp(entry["recorded_at"]), ref))
    if sqlite:
        lines = [((line["line_no"], line["kind"], line["code"], line["name"], line["unit"],
                   float(line["quantity"]), line["bhyt_unit_price"],
                   line["hospital_unit_price"], bool(line["in_bhyt_list"]), line["amount"],
                   line["bhyt_pays"], line["patient_pays"]), line.get("source"))
                 for line in row["lines"]]
    else:
        lines = [((line["line_no"], line["kind"], line["code"], line["name"], line["unit"],
                   line["quantity"], line["bhyt_unit_price"], line["hospital_unit_price"],
                   bool(line["in_bhyt_list"]), line["amount"], line["bhyt_pays"],
                   line["patient_pays"]), line.get("source")) for line in row["lines"]]
    adm = row.get("admission")
    admission = None if not adm else (
        0, 0, 0, enc["facility_code"], adm["department_code"], adm["bed_id"], adm["status"],
        stamp(adm["admitted_at"]), None if adm["discharged_at"] is None else stamp(
            adm["discharged_at"]), adm["outcome"], adm["reason"])
    return encounter, entries, lines, admission


def prepare_episode(episode: Episode, dialect: str, hoso: int = 0) -> Prepared:
    """Rows, matching facts and extras of one valid episode (pure; runs in a worker)."""
    xml1 = episode.tables["XML1"][0]
    person = _person_fields(xml1)
    doctor = _doctor(episode)
    row = episode_row(episode, person_id=0, practitioner_id=None)
    card = _card_of(xml1)
    card_read = None if card is None else {**{c: card.get(c) for c in insurance_facts.COLUMNS},
                                          "status": "active"}
    number = xml1["MA_BN"]
    extras: str | None = None
    if xml1["MA_DOITUONG_KCB"] and number and len(number) <= 40:
        # otherwise the export reads the facility's tier, or a number only the database knows
        bundle = _bundle(row)
        try:
            bundle.update(person={**person, "id": 0, "merged_into_id": None}, facility=None,
                          card=card_read, certificate=doctor, patient_number=number,
                          ma_lk=episode.ma_lk, extras=None, claim={"id": 0,
                                                                   "ma_lk": episode.ma_lk})
            extras = emr_bulk.json_text(extras_of(episode, export.build_episode(bundle)))
        except Exception:  # noqa: BLE001 - computed at write time, where a failure counts
            extras = None
    encounter, entries, lines, admission = _values(row, dialect)
    return Prepared(
        facility=episode.facility_code, ma_lk=episode.ma_lk, person=person,
        name_key=identity_facts.key_of_name(person["full_name"]),
        card_code=first(xml1["MA_THE_BHYT"]), number=number, card=card,
        card_key=_card_key(card_read), doctor=doctor,
        day=export.local_date(row["encounter"]["started_at"]), encounter=encounter,
        entries=entries, lines=lines, admission=admission, extras=extras, hoso=hoso)


async def _match_persons(session: AsyncSession, preps: list[Prepared]
                         ) -> tuple[list[int], list[int | None], dict[str, int]]:
    """One person id per episode: CCCD, else the facility's patient number (MA_BN), else BHYT
    card, else name + birth date; else a new person. Also, per episode, the index of the
    episode whose fields made the new person (None: a person on file), and the card codes on
    file (no card is added meanwhile)."""
    numbers = [(p.facility, p.number) for p in preps]
    by_number = await identity_bulk.person_ids_by_facility_number(session, pairs=numbers)
    by_cccd = await identity_bulk.person_ids_by_cccd(
        session, cccds=[p.person["cccd"] for p in preps if p.person["cccd"]])
    by_card = await insurance_bulk.person_ids_by_card(
        session, codes=[p.card_code for p in preps if p.card_code])
    keys = [(p.name_key, p.person["birth_date"]) for p in preps]
    by_name = await identity_bulk.person_ids_by_name_birth(session, pairs=keys)
    ids: list[int | None] = []
    new: list[int] = []  # index of the episode whose person fields are inserted
    pending: dict[Any, int] = {}  # key → index in `new` (the same new person twice in a chunk)
    slots: list[int | None] = []
    for n, (p, key, number) in enumerate(zip(preps, keys, numbers, strict=True)):
        person, card = p.person, p.card_code
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
            new.append(n)
        slots.append(pending[ident])
    created = await identity_bulk.add_persons(session, rows=[
        {**preps[n].person, "name_key": preps[n].name_key} for n in new]) if new else []
    return ([i if i is not None else created[s]  # type: ignore[index]
             for i, s in zip(ids, slots, strict=True)],
            [None if s is None else new[s] for s in slots], by_card)


async def _add_missing_cards(session: AsyncSession, preps: list[Prepared],
                             person_ids: list[int], known: dict[str, int]) -> None:
    rows: dict[str, Row] = {}
    for p, person_id in zip(preps, person_ids, strict=True):
        code = p.card_code
        if not code or code in known or code in rows or p.card is None:
            continue
        rows[code] = {**p.card, "person_id": person_id}
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


async def _extras(session: AsyncSession, preps: list[Prepared], sources: list[Source],
                  person_ids: list[int], made_by: list[int | None],
                  practitioners: dict[str, int]) -> list[str]:
    """claims_episodes.extras (JSON text) of each episode, as rebuilding it from what is
    written gives: the worker's when person, card, certificate and patient number are as the
    file states them, else rebuilt here the same way the export builds it (the episode read
    again from its file, `sources`)."""
    matched = {i for i, m in zip(person_ids, made_by, strict=True) if m is None}
    persons = await identity_facts.persons_by_ids(session, ids=matched) if matched else {}
    cards = await insurance_facts.cards_of_persons(session, person_ids=person_ids)
    numbers = await identity_facts.facility_numbers(session, person_ids=person_ids)
    out: list[str | None] = []
    for p, person_id, maker in zip(preps, person_ids, made_by, strict=True):
        if maker is not None:
            same = preps[maker].person == p.person
        else:
            on_file = persons.get(person_id)
            same = on_file is not None and on_file["id"] == person_id and all(
                on_file[k] == v for k, v in p.person.items())
        fits = (p.extras is not None and same
                and numbers.get((person_id, p.facility)) == p.number
                and (not p.doctor or p.doctor in practitioners)
                and _card_key(insurance_facts.card_on(cards.get(person_id, []), p.day))
                == p.card_key)
        out.append(p.extras if fits else None)
    redo = [n for n, text in enumerate(out) if text is None]
    if redo:  # as the export reads the facts and builds the episode
        read: dict[int, list[Episode]] = {}  # id of a file's source → its episodes
        for n in redo:
            if id(sources[n]) not in read:
                read[id(sources[n])] = xmlfile.read(_bytes(sources[n])).episodes
        episodes = [read[id(sources[n])][preps[n].hoso] for n in redo]
        bundles = [_bundle(episode_row(e, person_id=person_ids[n],
                                       practitioner_id=practitioners.get(preps[n].doctor)))
                   for n, e in zip(redo, episodes, strict=True)]
        await export.complete_bundles(session, bundles)
        for n, episode, bundle in zip(redo, episodes, bundles, strict=True):
            bundle.update(ma_lk=episode.ma_lk, extras=None,
                          claim={"id": 0, "ma_lk": episode.ma_lk})
            out[n] = emr_bulk.json_text(extras_of(episode, export.build_episode(bundle)))
    return out  # type: ignore[return-value]


async def _known(session: AsyncSession, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (facility, MA_LK) pairs that have a claims_episodes row."""
    rows = await emr_bulk.fetch_in(
        session, "SELECT facility_code, ma_lk FROM claims_episodes WHERE",
        ("facility_code", "ma_lk"), keys, chunk=400)
    return {(facility, ma_lk) for facility, ma_lk in rows}


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



# A file to import: (name, bytes), or the path of a file that the worker reads (str or Path).
File = tuple[str, bytes] | str | Path
Source = bytes | str | Path  # the file again: its bytes, or its path
# outcome, Prepared (or Episode) list, sha256, the file's source
Item = tuple[FileOutcome, list[Any], str, Source]


def _bytes(source: Source) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def _key(episode: Prepared | Episode) -> tuple[str, str]:
    if isinstance(episode, Prepared):
        return episode.facility, episode.ma_lk
    return episode.facility_code, episode.ma_lk


async def _write(session: AsyncSession, items: list[Item], actor: Actor) -> None:
    """Write the episodes of valid files (one transaction, the caller's)."""
    dialect = emr_bulk.dialect_of(session)
    keys = [_key(e) for _, episodes, _, _ in items for e in episodes]
    known = await _known(session, keys)
    todo: list[tuple[Prepared, str, Source]] = []
    for outcome, episodes, digest, data in items:
        fresh = [(n, e) for n, e in enumerate(episodes) if _key(e) not in known]
        known |= {_key(e) for _, e in fresh}
        if not fresh:
            outcome.status, outcome.episodes = "unchanged", 0
            continue
        outcome.episodes = len(fresh)
        # an episode a worker could not prepare is prepared here: its failure fails the write
        todo += [(e if isinstance(e, Prepared) else prepare_episode(e, dialect, n), digest,
                  data) for n, e in fresh]
    if not todo:
        return
    preps = [p for p, _, _ in todo]
    await ensure_facilities(session, codes={p.facility for p in preps}, actor=actor)
    person_ids, made_by, cards_on_file = await _match_persons(session, preps)
    await _add_missing_cards(session, preps, person_ids, cards_on_file)
    await identity_bulk.add_facility_numbers(session, rows=[
        (person_id, p.facility, p.number) for p, person_id in zip(preps, person_ids, strict=True)])
    practitioners = await registry_facts.practitioners_by_certificate(
        session, numbers=[p.doctor for p in preps])
    extras = await _extras(session, preps, [data for _, _, data in todo], person_ids, made_by,
                           practitioners)
    enc_ids = await _insert_rows(session, preps, person_ids, practitioners)
    now = utcnow()
    stamp = emr_bulk.sqlite_datetime(now) if dialect == "sqlite" else now
    await emr_bulk.executemany(session, _CLAIM_SQL[dialect], [
        (p.facility, p.ma_lk, enc, person_id, "imported", digest, text, stamp, None)
        for (p, digest, _), enc, person_id, text in zip(todo, enc_ids, person_ids, extras,
                                                        strict=True)])
    await record(session, actor=actor, action="claims.import", entity_type="claims_episode",
                 details={"episodes": len(preps), "encounter_ids": enc_ids[:1000]})
    by_facility: dict[str, list[int]] = {}
    for p, enc in zip(preps, enc_ids, strict=True):
        by_facility.setdefault(p.facility, []).append(enc)
    for facility_code, ids in by_facility.items():
        await outbox.publish(session, topic="claims.episodes_imported",
                             aggregate_type="claims_episode", aggregate_id=ids[0],
                             facility_code=facility_code,
                             payload={"encounter_ids": ids, "count": len(ids)})


_CLAIM_COLUMNS = ("facility_code", "ma_lk", "encounter_id", "person_id", "direction", "sha256",
                  "extras", "created_at", "exported_at")
_CLAIM_SQL = {d: emr_bulk.insert_sql(ClaimEpisode.__table__,  # type: ignore[arg-type]
                                     _CLAIM_COLUMNS, d) for d in ("sqlite", "postgresql")}


async def _insert_rows(session: AsyncSession, preps: list[Prepared], person_ids: list[int],
                       practitioners: dict[str, int]) -> list[int]:
    """Encounters, entries, charge lines and admissions of the episodes; the encounter ids."""
    enc_id = await claim_bulk.next_id(session, "encounter")
    entry_id = await claim_bulk.next_id(session, "entry")
    line_id = await claim_bulk.next_id(session, "line")
    adm_id = await claim_bulk.next_id(session, "admission")
    encounters, entries, lines, admissions = [], [], [], []
    enc_ids = []
    for p, person_id in zip(preps, person_ids, strict=True):
        e = p.encounter
        encounters.append((enc_id, e[1], person_id, e[3], e[4], practitioners.get(p.doctor))
                          + e[6:])
        enc_ids.append(enc_id)
        base = entry_id
        for kind, code, data, author, role, at, ref in p.entries:
            if ref is not None:
                data = f"{data}{'null' if ref < 0 else base + ref}}}"
            entries.append((entry_id, entry_id, 1, kind, person_id, enc_id, p.facility,
                            "current", code, data, author, role, at, None))
            entry_id += 1
        for values, source in p.lines:
            lines.append((line_id, enc_id, *values, None if source is None else base + source))
            line_id += 1
        if p.admission is not None:
            admissions.append((adm_id, enc_id, person_id) + p.admission[3:])
            adm_id += 1
        enc_id += 1
    await claim_bulk.insert_values(session, "encounter", encounters)
    await claim_bulk.insert_values(session, "entry", entries)
    await claim_bulk.insert_values(session, "line", lines)
    await claim_bulk.insert_values(session, "admission", admissions)
    return enc_ids


Ready = tuple[FileOutcome, list[Any], str]  # an Item without the bytes (a worker's answer)


def _unreadable(name: str, error: OSError) -> FileOutcome:
    return FileOutcome(name, "rejected", problems=[Problem(
        table="", field="", record=0, ma_lk="", code="unreadable", file=name,
        message_vi=f"Không đọc được tệp: {error.strerror or error}",
        message_en=f"The file could not be read: {error.strerror or error}")])


def prepare_files(files: list[File], *, scope: str | None, dialect: str) -> list[Ready]:
    """check_file of each file ((name, bytes), or a path read here), its valid episodes
    prepared (prepare_episode) and the sha256 of the bytes; a worker function
    (parallel.ordered_chunks)."""
    from smarthealth.claims import parallel

    worker = multiprocessing.parent_process() is not None
    if worker:  # a pool worker: fewer collections (parallel.tune_worker_gc)
        parallel.tune_worker_gc()
    out: list[Ready] = []
    for file in files:
        if isinstance(file, tuple):
            name, data = file
        else:
            name = Path(file).name
            try:
                data = Path(file).read_bytes()
            except OSError as error:
                out.append((_unreadable(name, error), [], ""))
                continue
        outcome, episodes = check_file(name, data, scope=scope)
        if not episodes:
            out.append((outcome, [], ""))
            continue
        try:
            prepared: list[Any] = [prepare_episode(e, dialect, n)
                                   for n, e in enumerate(episodes)]
        except Exception:  # noqa: BLE001 - prepared again when written, failing that file
            prepared = episodes
        out.append((outcome, prepared, hashlib.sha256(data).hexdigest()))
    if worker:  # what it loaded for the first task lives as long as the process
        parallel.freeze_worker_heap()
    return out


@contextmanager
def _long_lived_frozen() -> Iterator[None]:
    """Objects alive before a bulk import are left out of the cyclic GC's scans meanwhile
    (many objects are made per episode; scanning the caller's heap each time costs)."""
    if gc.get_freeze_count():  # the caller froze its own: leave that as it is
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


FILES_PER_TASK = 100


async def import_files(database: Database, *, files: Iterable[File],
                       actor: Actor = SYSTEM, scope: str | None = None, chunk: int = 500,
                       progress: Callable[[int], None] | None = None,
                       jobs: int = 1) -> ImportResult:
    """Import files ((name, bytes), or paths): validate each, write the valid ones in chunked
    transactions.

    Files are read, validated and prepared for writing (prepare_files) in `jobs` worker
    processes, reading ahead while this process writes; the outcome is the same as with
    jobs = 1."""
    result = ImportResult()
    batch: list[Item] = []

    async def write_alone(item: Item) -> None:
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

    from smarthealth.claims import parallel

    # enough tasks in flight that the workers keep reading while a chunk is written
    ahead = max(2 * jobs, 2 * chunk // FILES_PER_TASK + jobs)
    sent: deque[Source] = deque()  # the files handed out, in order

    def handed_out() -> Iterator[File]:
        for file in files:
            sent.append(file[1] if isinstance(file, tuple) else file)
            yield file

    with _long_lived_frozen():
        for part in parallel.ordered_chunks(prepare_files, handed_out(), jobs=jobs,
                                            chunk=FILES_PER_TASK, ahead=ahead, scope=scope,
                                            dialect=database.kind):
            for outcome, episodes, digest in part:
                result.files.append(outcome)
                source = sent.popleft()
                if episodes:
                    batch.append((outcome, episodes, digest, source))
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
    dialect = emr_bulk.dialect_of(session)
    for name, data in files:
        [(outcome, episodes, digest)] = prepare_files([(name, data)], scope=scope,
                                                      dialect=dialect)
        result.files.append(outcome)
        if not episodes:
            continue
        try:
            async with session.begin_nested():
                await _write(session, [(outcome, episodes, digest, data)], actor)
        except Exception as error:  # noqa: BLE001 - this file is rejected, the others go on
            log.exception("claims import: %s could not be written", name)
            outcome.status, outcome.episodes = "rejected", 0
            outcome.problems = [Problem(
                table="", field="", record=0, ma_lk=",".join(outcome.ma_lk),
                code="write_failed", message_vi=f"Không ghi được hồ sơ: {error}"[:500],
                message_en=f"The episode could not be written: {error}"[:500], file=name)]
    return result
