"""XML 130 export: finished BHYT encounters → Episodes (XML1–XML5) and check-ins (XML0) → files.

`build_episode` is a pure function of one encounter's facts (the EMR bundle plus person, card,
facility and certificate), driven by the field table (`fields.empty_record`): every record has
every field in table order. Money comes from the EMR charge lines (insurance.copay, whole VND)
line by line; the XML1 totals are sums of the lines. The mapping is documented in TRANSFER.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.claims import fields
from smarthealth.claims.episode import CheckIn, Episode, Problem
from smarthealth.claims.models import ClaimEpisode
from smarthealth.core import audit
from smarthealth.core.audit import Actor
from smarthealth.core.db import Database, utcnow
from smarthealth.emr import bulk as emr_bulk
from smarthealth.emr import claim_facts as emr_facts
from smarthealth.identity import claim_facts as identity_facts
from smarthealth.insurance import claim_facts as insurance_facts
from smarthealth.registry import claim_facts as registry_facts

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
EXPORTER = Actor(name="xml130-export", role="system")
COVERED = frozenset({"valid", "valid_with_warning"})
Bundle = dict[str, Any]

# Defaults for what the platform does not model (TRANSFER.md "Defaulted"); Uncertain values
# are isolated here so that a configuration change does not touch the mapping.
MA_QUOCTICH_VN = "000"  # Uncertain: PL2 TT 07/2016/TT-BCA code for Việt Nam
MA_DANTOC_DEFAULT = "01"  # Kinh; the patient index does not record ethnicity
MA_NGHE_NGHIEP_NONE = "00000"  # xml130.md XML1 10: none → 00000
MAHUYEN_PLACEHOLDER = "000"  # catalogues.md: districts abolished 2025; Uncertain, ask BHXH HN
DRUG_TENDER_PLACEHOLDER = "00/QĐ-SYT;G1;N1;{year}"  # tenders are not modelled; Uncertain
SEX_CODE = {"male": "1", "female": "2"}
OUTCOME_CODE = {"cured": "1", "improved": "2", "unchanged": "3", "worse": "4", "died": "5",
                "transferred": "2", "discharged_against_advice": "2", "follow_up": "2"}
DISCHARGE_CODE = {"transferred": "2", "discharged_against_advice": "4"}
# MA_NHOM (xml130.md §8.3) by charge-line kind; bed days 14 (outpatient) / 15 (inpatient)
GROUP_OF_KIND = {"exam": "13", "lab": "1", "imaging": "2", "functional": "3", "procedure": "8",
                 "supply": "10", "transport": "12", "drug": "4", "blood": "7"}
# Drug route names → route codes (QĐ 7603 common list, as commonly implemented) [unverified]
ROUTE_CODE = {"uống": "1.01", "ngậm": "1.02", "tiêm": "2.01", "tiêm bắp": "2.02",
              "tiêm dưới da": "2.03", "tiêm tĩnh mạch": "2.05", "tiêm truyền tĩnh mạch": "2.06",
              "dùng ngoài": "3.05", "đặt hậu môn": "4.02", "khí dung": "5.05", "hít": "5.02",
              "nhỏ mắt": "6.01", "nhỏ mũi": "6.02"}


# --- formatting (the contract's number and date rules) -----------------------------------------


_WHOLE_LIMIT = 10 ** 20  # whole Decimals below this are written as ints (no quantize needed)
_FORMATTED: dict[tuple[type, Any, int], str] = {}  # str and float values seen (few distinct)


def fmt_number(value: Any, places: int = 2) -> str:
    """`150000`, `0.5`, `1234.25`: at most `places` decimals, no trailing zeros."""
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is Decimal:
        whole = _whole(value)
        return _fmt_number(value, places) if whole is None else str(whole)
    if kind is str or kind is float:
        key = (kind, value, places)
        text = _FORMATTED.get(key)
        if text is None:
            if len(_FORMATTED) > 1 << 16:
                _FORMATTED.clear()
            text = _FORMATTED[key] = _fmt_number(value, places)
        return text
    return _fmt_number(value, places)


def _whole(value: Decimal) -> int | None:
    """The int equal to a Decimal that is a whole number below 10**20, else None."""
    try:
        whole = int(value)
    except (ValueError, OverflowError):  # NaN, Infinity: left to the Decimal arithmetic
        return None
    return whole if whole == value and -_WHOLE_LIMIT < whole < _WHOLE_LIMIT else None


def _fmt_number(value: Any, places: int) -> str:
    if value is None or value == "":
        return ""
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@lru_cache(maxsize=1 << 16)
def fmt_dt12(value: datetime | None) -> str:
    """yyyymmddHHMM in Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    local = value.astimezone(TZ)
    return (f"{local.year:04d}{local.month:02d}{local.day:02d}{local.hour:02d}"
            f"{local.minute:02d}")


@lru_cache(maxsize=1 << 14)
def fmt_date8(value: date | None) -> str:
    return "" if value is None else value.strftime("%Y%m%d")


def local_date(value: datetime) -> date:
    return value.astimezone(TZ).date()


@lru_cache(maxsize=1 << 14)
def birth12(birth: date, precision: str | None) -> str:
    """NGAY_SINH: yyyymmdd0000; unknown day / month written as 00."""
    if precision == "year":
        return f"{birth.year:04d}00000000"
    if precision == "month":
        return f"{birth.year:04d}{birth.month:02d}000000"
    return birth.strftime("%Y%m%d") + "0000"


def vnd(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- the pure builder --------------------------------------------------------------------------


@cache
def _empty(table: str) -> dict[str, str]:
    return fields.empty_record(table)


def record(table: str, **values: str) -> dict[str, str]:
    """A record of `table` with every field, in table order."""
    empty = _empty(table)
    out = {**empty, **values}
    if len(out) != len(empty):
        raise KeyError(f"{table} has no fields {sorted(values.keys() - empty.keys())}")
    return out


def in_scope(line: Bundle) -> int:
    """THANH_TIEN_BH of a line: quantity × BHYT price when in the list (as insurance.copay)."""
    if not line["in_bhyt_list"]:
        return 0
    quantity, price = line["quantity"], line["bhyt_unit_price"]
    if type(price) is int and type(quantity) is Decimal:
        whole = _whole(quantity)
        if whole is not None:  # whole quantity × whole VND: nothing to round
            return whole * price
    return vnd(Decimal(str(quantity)) * price)


def loai_kcb(bundle: Bundle) -> str:
    """MA_LOAI_KCB: 03 when admitted (inpatient stay), else 01 (examination)."""
    enc = bundle["encounter"]
    return "03" if bundle["admission"] is not None or enc["kind"] == "inpatient" else "01"


def doi_tuong(bundle: Bundle) -> str:
    """MA_DOITUONG_KCB from the visit's route (copay.Referral) and the facility's tier."""
    enc, card = bundle["encounter"], bundle["card"]
    coverage = enc.get("coverage") or {}
    if coverage.get("ma_doituong_kcb"):
        return str(coverage["ma_doituong_kcb"])
    if enc["kind"] == "emergency":
        return "2"
    if card is not None and card["registered_facility_code"] == enc["facility_code"]:
        return "1.1"
    if coverage.get("referral") == "referred":
        return "1.3"
    tier = (bundle.get("facility") or {}).get("tier", "")
    if tier in ("district", "commune"):
        return "3.3"
    return "3.2" if loai_kcb(bundle) == "03" else "3.5"


def _stay_bounds(bundle: Bundle) -> tuple[datetime, datetime | None, datetime]:
    """(NGAY_VAO, NGAY_VAO_NOI_TRU, NGAY_RA) of the encounter."""
    enc, adm = bundle["encounter"], bundle["admission"]
    start = enc["started_at"]
    end = enc["closed_at"] or start
    if adm is None:
        return start, None, end
    return start, adm["admitted_at"], adm["discharged_at"] or end


def treatment_days(kind: str, start: datetime, end: datetime) -> str:
    """SO_NGAY_DTRI (xml130.md §6): 0 for 01/07/09, date out − date in + 1 for 02/03/04/06."""
    if kind in ("02", "03", "04", "06"):
        return str((local_date(end) - local_date(start)).days + 1)
    return "0"


def departments(bundle: Bundle) -> list[str]:
    """MA_KHOA: the departments in order (bed stays, else admission, else the encounter's)."""
    codes = [s["department_code"] for s in bundle["stays"]]
    if not codes and bundle["admission"] is not None:
        codes = [bundle["admission"]["department_code"]]
    if not codes:
        codes = [bundle["encounter"].get("department_code") or "KKB"]
    out: list[str] = []
    for code in codes:
        if not out or out[-1] != code:
            out.append(code)
    return out


def vitals_text(data: dict[str, Any]) -> str:
    """XML5 vitals: CSST<M75_T37_HA120/70_NT18>."""
    parts = []
    if data.get("pulse") is not None:
        parts.append(f"M{data['pulse']}")
    if data.get("temperature") is not None:
        parts.append(f"T{fmt_number(data['temperature'], 1)}")
    if data.get("systolic") is not None and data.get("diastolic") is not None:
        parts.append(f"HA{data['systolic']}/{data['diastolic']}")
    if data.get("respiratory_rate") is not None:
        parts.append(f"NT{data['respiratory_rate']}")
    return f"CSST<{'_'.join(parts)}>" if parts else ""


def _weight(bundle: Bundle) -> str:
    for vitals in reversed(bundle["entries"].get("vitals", [])):
        if vitals["data"].get("weight") is not None:
            return fmt_number(vitals["data"]["weight"], 2)
    return ""


def _fill(base: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """A copy of the full record `base` with `values` set (each a field of the table)."""
    out = {**base, **values}
    if len(out) != len(base):
        raise KeyError(f"no fields {sorted(values.keys() - base.keys())}")
    return out


def _line_bases(ma_lk: str, khoa: list[str], doctor: str, muc_huong: str
                ) -> tuple[dict[str, str], dict[str, str]]:
    """XML2 and XML3 records with what every line of the episode shares."""
    shared = {"MA_LK": ma_lk, "T_NGUONKHAC_NSNN": "0", "T_NGUONKHAC_VTNN": "0",
              "T_NGUONKHAC_VTTN": "0", "T_NGUONKHAC_CL": "0", "T_NGUONKHAC": "0",
              "MUC_HUONG": muc_huong, "MA_BAC_SI": doctor, "MA_PTTT": "1"}
    return (record("XML2", **shared, MA_NHOM="4", MA_KHOA=khoa[0], NGUON_CTRA="1"),
            record("XML3", **shared, TYLE_TT_DV="100"))


def _line_money(line: Bundle) -> dict[str, str]:
    scope = in_scope(line)
    bhyt = int(line["bhyt_pays"])
    return {"THANH_TIEN_BV": fmt_number(line["amount"]), "THANH_TIEN_BH": fmt_number(scope),
            "T_BNTT": fmt_number(int(line["amount"]) - scope),
            "T_BNCCT": fmt_number(scope - bhyt), "T_BHTT": fmt_number(bhyt)}


def _drug_record(ctx: Bundle, n: int, line: Bundle, rx: Bundle | None) -> dict[str, str]:
    data = rx["data"] if rx else {}
    in_list = bool(line["in_bhyt_list"])
    unit = data.get("unit") or line["unit"]
    dosage = data.get("dosage_text") or (
        f"{fmt_number(data['dose'], 3)} {unit.lower()}/lần x {data['frequency_per_day']} lần/ngày"
        f" x {data['days']} ngày" if data.get("dose") is not None else "")
    route = data.get("route_code") or ROUTE_CODE.get(str(data.get("route", "")).lower(), "")
    tender = data.get("tender") or DRUG_TENDER_PLACEHOLDER.format(year=ctx["year"])
    ordered = fmt_dt12(rx["recorded_at"] if rx else ctx["start"])
    return _fill(ctx["xml2"], {
        "STT": str(n), "MA_THUOC": line["code"], "TEN_THUOC": data.get("name") or line["name"],
        "DON_VI_TINH": unit, "HAM_LUONG": data.get("strength", ""), "DUONG_DUNG": route,
        "DANG_BAO_CHE": data.get("dosage_form", ""), "LIEU_DUNG": dosage,
        "CACH_DUNG": data.get("instructions", ""), "SO_DANG_KY": data.get("registration", ""),
        "TT_THAU": tender, "PHAM_VI": "1" if in_list else "2",
        "TYLE_TT_BH": "100" if in_list else "0", "SO_LUONG": fmt_number(line["quantity"], 3),
        "DON_GIA": fmt_number(line["hospital_unit_price"], 3), **_line_money(line),
        "NGAY_YL": ordered, "NGAY_TH_YL": ordered})


def _service_record(ctx: Bundle, n: int, line: Bundle, order: Bundle | None,
                    result_at: datetime | None) -> dict[str, str]:
    kind = line["kind"]
    group = GROUP_OF_KIND.get(kind) or ("15" if kind == "bed" and ctx["loai"] == "03" else
                                        "14" if kind == "bed" else "8")
    in_list = bool(line["in_bhyt_list"])
    if kind == "exam":
        ordered = ctx["start"]
    elif kind == "bed":
        ordered = ctx["admitted"] or ctx["start"]
    else:
        ordered = order["recorded_at"] if order else ctx["start"]
    supply = kind == "supply"
    performed = group in ("1", "2", "3", "8", "18")
    return _fill(ctx["xml3"], {
        "STT": str(n), "MA_DICH_VU": "" if supply else line["code"],
        "MA_VAT_TU": line["code"] if supply else "", "MA_NHOM": group,
        "TEN_VAT_TU": line["name"] if supply else "",
        "TEN_DICH_VU": "" if supply else line["name"], "DON_VI_TINH": line["unit"],
        "PHAM_VI": "1" if in_list else "2", "SO_LUONG": fmt_number(line["quantity"], 3),
        "DON_GIA_BV": fmt_number(line["hospital_unit_price"], 3),
        "DON_GIA_BH": fmt_number(line["bhyt_unit_price"], 3),
        "TYLE_TT_BH": "100" if in_list else "0", **_line_money(line),
        "MA_KHOA": ctx["khoa"][-1] if kind == "bed" else ctx["khoa"][0],
        "NGUOI_THUC_HIEN": ctx["doctor"] if performed else "", "NGAY_YL": fmt_dt12(ordered),
        "NGAY_TH_YL": fmt_dt12(ordered) if performed else "",
        "NGAY_KQ": fmt_dt12(result_at) if result_at else ""})


def _money_totals(xml2: list[dict[str, str]], xml3: list[dict[str, str]]) -> dict[str, str]:
    try:  # whole VND, as the lines are written: one pass of exact int sums, the same text
        return _whole_totals(xml2, xml3)
    except ValueError:
        return _decimal_totals(xml2, xml3)


def _whole_totals(xml2: list[dict[str, str]], xml3: list[dict[str, str]]) -> dict[str, str]:
    drugs = supplies = bv = bh = bntt = bncct = other = gdv = 0
    for n, r in enumerate(xml2 + xml3):
        line_bv = int(r["THANH_TIEN_BV"] or "0")
        if n < len(xml2):
            drugs += line_bv
        elif r["MA_VAT_TU"]:
            supplies += line_bv
        bv += line_bv
        bh += int(r["THANH_TIEN_BH"] or "0")
        bntt += int(r["T_BNTT"] or "0")
        bncct += int(r["T_BNCCT"] or "0")
        other += int(r["T_NGUONKHAC"] or "0")
        if r["MA_PTTT"] == "1":
            gdv += int(r["T_BHTT"] or "0")
    return {"T_THUOC": str(drugs), "T_VTYT": str(supplies), "T_TONGCHI_BV": str(bv),
            "T_TONGCHI_BH": str(bh), "T_BNTT": str(bntt), "T_BNCCT": str(bncct),
            "T_BHTT": str(bh - bncct), "T_NGUONKHAC": str(other), "T_BHTT_GDV": str(gdv)}


def _decimal_totals(xml2: list[dict[str, str]], xml3: list[dict[str, str]]) -> dict[str, str]:
    def total(rows: Iterable[dict[str, str]], key: str) -> Decimal:
        return sum((Decimal(r[key] or "0") for r in rows), Decimal(0))

    lines = xml2 + xml3
    tong_bh, bncct = total(lines, "THANH_TIEN_BH"), total(lines, "T_BNCCT")
    return {"T_THUOC": fmt_number(total(xml2, "THANH_TIEN_BV")),
            "T_VTYT": fmt_number(total((r for r in xml3 if r["MA_VAT_TU"]), "THANH_TIEN_BV")),
            "T_TONGCHI_BV": fmt_number(total(lines, "THANH_TIEN_BV")),
            "T_TONGCHI_BH": fmt_number(tong_bh), "T_BNTT": fmt_number(total(lines, "T_BNTT")),
            "T_BNCCT": fmt_number(bncct), "T_BHTT": fmt_number(tong_bh - bncct),
            "T_NGUONKHAC": fmt_number(total(lines, "T_NGUONKHAC")),
            "T_BHTT_GDV": fmt_number(total((r for r in lines if r["MA_PTTT"] == "1"), "T_BHTT"))}


def _diagnoses(bundle: Bundle) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    rows = [d["data"] for d in bundle["entries"].get("diagnosis", [])]
    main = next((d for d in rows if d.get("main")), None)
    return main, [d for d in rows if d is not main]


def build_episode(bundle: Bundle) -> Episode:
    """One encounter's Episode (pure): XML1 always, XML2/3 from lines, XML4 results, XML5 notes."""
    enc, person, card = bundle["encounter"], bundle["person"], bundle["card"]
    ma_lk, facility_code = bundle["ma_lk"], enc["facility_code"]
    start, admitted, end = _stay_bounds(bundle)
    loai = loai_kcb(bundle)
    khoa = departments(bundle)
    summary = enc.get("charge_summary") or {}
    ctx = {"ma_lk": ma_lk, "start": start, "admitted": admitted, "loai": loai, "khoa": khoa,
           "doctor": bundle.get("certificate") or "", "year": local_date(end).year,
           "muc_huong": fmt_number(summary.get("muc_huong", "0"), 2)}
    if bundle["lines"]:
        ctx["xml2"], ctx["xml3"] = _line_bases(ma_lk, khoa, ctx["doctor"], ctx["muc_huong"])
    entries = bundle["entries"]
    by_entry = {e["entry_id"]: e for kind in ("order", "prescription")
                for e in entries.get(kind, [])}
    results_by_order: dict[int, datetime] = {}
    for res in entries.get("result", []):
        order_id = res["data"].get("order_entry_id")
        if order_id is not None and order_id not in results_by_order:
            results_by_order[order_id] = res["recorded_at"]
    xml2: list[dict[str, str]] = []
    xml3: list[dict[str, str]] = []
    for line in bundle["lines"]:
        source = by_entry.get(line["source_entry_id"]) if line["source_entry_id"] else None
        if line["kind"] == "drug":
            xml2.append(_drug_record(ctx, len(xml2) + 1, line, source))
        else:
            xml3.append(_service_record(ctx, len(xml3) + 1, line, source,
                                        results_by_order.get(line["source_entry_id"])))
    xml4 = [record("XML4", MA_LK=ma_lk, STT=str(n), MA_DICH_VU=r["data"].get("service_code") or "",
                   TEN_CHI_SO=r["data"].get("test", ""), GIA_TRI=r["data"].get("value", ""),
                   DON_VI_DO=r["data"].get("unit", ""), MO_TA=r["data"].get("description", ""),
                   KET_LUAN=r["data"].get("conclusion", ""), NGAY_KQ=fmt_dt12(r["recorded_at"]),
                   MA_BS_DOC_KQ=ctx["doctor"])
            for n, r in enumerate(entries.get("result", []), start=1)]
    progress = sorted([(e["recorded_at"], e["entry_id"], e["data"].get("text", ""))
                       for e in entries.get("note", [])]
                      + [(e["recorded_at"], e["entry_id"], vitals_text(e["data"]))
                         for e in entries.get("vitals", [])])
    xml5 = [record("XML5", MA_LK=ma_lk, STT=str(n), DIEN_BIEN_LS=text,
                   THOI_DIEM_DBLS=fmt_dt12(at), NGUOI_THUC_HIEN=ctx["doctor"])
            for n, (at, _, text) in enumerate([p for p in progress if p[2]], start=1)]
    main, others = _diagnoses(bundle)
    adm = bundle["admission"]
    outcome = enc.get("outcome")
    closed = local_date(end)
    xml1 = record(
        "XML1", MA_LK=ma_lk, STT="1", MA_BN=bundle.get("patient_number") or str(person["id"]),
        HO_TEN=person["full_name"],
        SO_CCCD=person.get("cccd") or "",
        NGAY_SINH=birth12(person["birth_date"], person.get("birth_date_precision")),
        GIOI_TINH=SEX_CODE.get(person["sex"], "3"), MA_QUOCTICH=MA_QUOCTICH_VN,
        MA_DANTOC=MA_DANTOC_DEFAULT, MA_NGHE_NGHIEP=MA_NGHE_NGHIEP_NONE,
        DIA_CHI=person.get("address") or "", MATINH_CU_TRU=person.get("province_code") or "",
        MAHUYEN_CU_TRU=MAHUYEN_PLACEHOLDER if person.get("ward_code") else "",
        MAXA_CU_TRU=f"{person['ward_code']:05d}" if person.get("ward_code") else "",
        DIEN_THOAI=person.get("phone") or "",
        MA_THE_BHYT=card["code"] if card else "",
        MA_DKBD=card["registered_facility_code"] if card else "",
        GT_THE_TU=fmt_date8(card["valid_from"]) if card else "",
        GT_THE_DEN=fmt_date8(card["valid_to"]) if card else "",
        LY_DO_VV=enc.get("reason") or "", LY_DO_VNT=(adm or {}).get("reason") or "",
        CHAN_DOAN_VAO=(main or {}).get("title_vi") or enc.get("reason") or "",
        CHAN_DOAN_RV="; ".join(d.get("title_vi") or d["code"] for d in ([main] if main else [])
                               + others),
        MA_BENH_CHINH=(main or {}).get("code", ""),
        MA_BENH_KT=";".join(d["code"] for d in others[:12]),
        MA_DOITUONG_KCB=doi_tuong(bundle),
        MA_NOI_DEN=enc.get("referral_facility_code") or "",
        NGAY_VAO=fmt_dt12(start), NGAY_VAO_NOI_TRU=fmt_dt12(admitted), NGAY_RA=fmt_dt12(end),
        SO_NGAY_DTRI=treatment_days(loai, start, end),
        KET_QUA_DTRI=OUTCOME_CODE.get(outcome or "", "7"),
        MA_LOAI_RV=DISCHARGE_CODE.get(outcome or "", "1"),
        **_money_totals(xml2, xml3), NAM_QT=str(closed.year), THANG_QT=f"{closed.month:02d}",
        MA_LOAI_KCB=loai, MA_KHOA=";".join(khoa), MA_CSKCB=facility_code,
        MA_KHUVUC=(card or {}).get("area_code") or "", CAN_NANG=_weight(bundle),
        NAM_NAM_LIEN_TUC=fmt_date8((card or {}).get("five_years_date")),
        NGAY_TAI_KHAM=fmt_date8(enc.get("follow_up_date")), MA_HSBA=ma_lk)
    tables: dict[str, list[dict[str, str]]] = {"XML1": [xml1]}
    for name, rows in (("XML2", xml2), ("XML3", xml3), ("XML4", xml4)):
        if rows:
            tables[name] = rows
    if xml5 and loai in ("02", "03", "04", "05", "06", "08", "09"):
        tables["XML5"] = xml5
    episode = Episode(facility_code=facility_code, tables=tables)
    if bundle.get("extras"):
        apply_extras(episode, bundle["extras"])
    return episode


def apply_extras(episode: Episode, extras: dict[str, Any]) -> None:
    """Overlay what an imported file had beyond the platform's model (see importing.extras_of)."""
    for table, value in extras.items():
        if isinstance(value, dict):  # {"records": [...]}: the table as it was
            if value["records"]:
                episode.tables[table] = [dict(r) for r in value["records"]]
            else:
                episode.tables.pop(table, None)
            continue
        for rec, over in zip(episode.tables.get(table, []), value, strict=False):
            rec.update(over)
    episode.tables = {t: episode.tables[t] for t in fields.EPISODE_TABLES if t in episode.tables}


def checkin_of(episode: Episode) -> CheckIn | None:
    """XML0 from the episode: the first cost (earliest order); none for emergencies (§2)."""
    xml1 = episode.tables["XML1"][0]
    if xml1["MA_DOITUONG_KCB"] == "2":
        return None
    lines = episode.tables.get("XML3", []) + episode.tables.get("XML2", [])
    first = min(lines, key=lambda r: r["NGAY_YL"] or "9", default=None)
    values = {k: xml1[k] for k in (
        "MA_LK", "MA_BN", "HO_TEN", "SO_CCCD", "NGAY_SINH", "GIOI_TINH", "MA_THE_BHYT",
        "MA_DKBD", "GT_THE_TU", "GT_THE_DEN", "MA_DOITUONG_KCB", "NGAY_VAO",
        "NGAY_VAO_NOI_TRU", "LY_DO_VNT", "MA_LY_DO_VNT", "MA_LOAI_KCB", "MA_CSKCB")}
    values["MA_THE_BHYT"] = values["MA_THE_BHYT"].split(";")[0]
    values["MA_DKBD"] = values["MA_DKBD"].split(";")[0]
    values["GT_THE_TU"] = values["GT_THE_TU"].split(";")[0]
    values["GT_THE_DEN"] = values["GT_THE_DEN"].split(";")[0]
    if first is not None and "MA_THUOC" in first:
        values.update(MA_THUOC=first["MA_THUOC"], TEN_THUOC=first["TEN_THUOC"])
    elif first is not None and first.get("MA_VAT_TU"):
        values.update(MA_VAT_TU=first["MA_VAT_TU"], TEN_VAT_TU=first["TEN_VAT_TU"])
    elif first is not None:
        values.update(MA_DICH_VU=first["MA_DICH_VU"], TEN_DICH_VU=first["TEN_DICH_VU"])
    values["NGAY_YL"] = first["NGAY_YL"] if first is not None else xml1["NGAY_VAO"]
    return CheckIn(facility_code=episode.facility_code,
                   records=[record("XML0", STT="1", **values)])


# --- reading the facts in bulk -------------------------------------------------------------------


def native_ma_lk(encounter_id: int) -> str:
    """MA_LK of an encounter the platform itself recorded (kept once exported)."""
    return f"SH{encounter_id}"


async def episode_rows(session: AsyncSession, *, encounter_ids: list[int]
                       ) -> dict[int, dict[str, Any]]:
    """claims_episodes rows (ma_lk, extras, direction) by encounter id."""
    table = ClaimEpisode.__table__
    rows = (await session.execute(
        select(table.c.id, table.c.encounter_id, table.c.ma_lk, table.c.extras,
               table.c.direction, table.c.facility_code)
        .where(table.c.encounter_id.in_(encounter_ids)))).all()
    return {r.encounter_id: dict(r._mapping) for r in rows}


async def complete_bundles(session: AsyncSession, bundles: list[Bundle]) -> None:
    """Add person, card, facility, certificate and patient number to EMR bundles (5 queries)."""
    persons = await identity_facts.persons_by_ids(
        session, ids=[b["encounter"]["person_id"] for b in bundles])
    cards = await insurance_facts.cards_of_persons(session, person_ids=[p["id"] for p in
                                                                         persons.values()])
    facilities = await registry_facts.facilities_by_code(
        session, codes=[b["encounter"]["facility_code"] for b in bundles])
    certificates = await registry_facts.certificates_by_practitioner(
        session, ids=[b["encounter"]["practitioner_id"] for b in bundles])
    numbers = await identity_facts.facility_numbers(session, person_ids=persons)
    for b in bundles:
        enc = b["encounter"]
        person = persons[enc["person_id"]]
        b.update(person=person, facility=facilities.get(enc["facility_code"]),
                 card=insurance_facts.card_on(cards.get(person["id"], []),
                                              local_date(enc["started_at"])),
                 certificate=certificates.get(enc["practitioner_id"]) or "",
                 patient_number=numbers.get((person["id"], enc["facility_code"]),
                                            str(person["id"])))


async def load_bundles(session: AsyncSession, *, encounter_ids: list[int],
                       covered_only: bool = True) -> list[Bundle]:
    """Facts of the encounters for `build_episode`: nine queries per chunk, none per encounter."""
    bundles = await emr_facts.encounter_bundles(session, encounter_ids=encounter_ids)
    if covered_only:
        bundles = [b for b in bundles if (b["encounter"].get("charge_summary") or {}).get(
            "covered") and (b["encounter"].get("coverage") or {}).get("decision") in COVERED]
    if not bundles:
        return []
    await complete_bundles(session, bundles)
    claims = await episode_rows(session, encounter_ids=[b["encounter"]["id"] for b in bundles])
    for b in bundles:
        claim = claims.get(b["encounter"]["id"])
        b.update(ma_lk=claim["ma_lk"] if claim else native_ma_lk(b["encounter"]["id"]),
                 extras=claim["extras"] if claim else None, claim=claim)
    return bundles


# --- the export command's work --------------------------------------------------------------------


@dataclass
class Invalid:
    encounter_id: int
    ma_lk: str
    problems: list[Problem]


@dataclass
class ExportResult:
    encounters: int = 0  # finished encounters in the period
    episodes: int = 0  # episode files written
    checkins: int = 0  # XML0 files written
    not_covered: int = 0  # finished but not BHYT-covered: not exported
    invalid: list[Invalid] = field(default_factory=list)
    signed: bool = False
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Done:
    """One covered encounter's outcome: the file written (sha256) or the problems (invalid)."""

    encounter_id: int
    ma_lk: str
    facility_code: str
    person_id: int
    claim_id: int | None  # its claims_episodes row, if it has one
    sha256: str = ""  # of the episode file written; "" when invalid
    checkin: bool = False  # an XML0 file was written too
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Exported:
    """What `export_encounters` did for a list of encounters (small: sent back by workers)."""

    done: list[Done]
    not_covered: int


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end + 1 day 00:00) in Hanoi time, as UTC."""
    return (datetime.combine(start, time(), TZ).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(), TZ).astimezone(UTC))


def _file_names(episode: Episode) -> tuple[str, str]:
    """`<MACSKCB>_<MA_LK>.xml` and its check-in; characters unsafe in a file name become _."""
    stem = re.sub(r"[^0-9A-Za-z._-]", "_", f"{episode.facility_code}_{episode.ma_lk}")[:200]
    return f"{stem}.xml", f"{stem}_XML0.xml"


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def write_file(path: str, data: bytes) -> None:
    """Path(path).write_bytes(data) without a file object: created or truncated, mode 0o666
    less the umask, not inherited by child processes (os.open), every byte written."""
    fd = os.open(path, _WRITE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


async def _record_exports(session: AsyncSession, done: list[Done]) -> None:
    """claims_episodes: a row per newly exported encounter, exported_at/sha256 on known ones."""
    now = utcnow()
    table = ClaimEpisode.__table__
    new = [{"facility_code": d.facility_code, "ma_lk": d.ma_lk, "encounter_id": d.encounter_id,
            "person_id": d.person_id, "direction": "exported", "sha256": d.sha256,
            "extras": None, "created_at": now, "exported_at": now}
           for d in done if d.claim_id is None]
    if new:  # one driver executemany, values bound as SQLAlchemy binds them (extras: 'null')
        await emr_bulk.insert_rows(session, table, new)
    known = [{"row_id": d.claim_id, "sha": d.sha256} for d in done if d.claim_id is not None]
    if known:
        await session.execute(update(table).where(table.c.id == bindparam("row_id")).values(
            sha256=bindparam("sha"), exported_at=now), known)


def signer_for_facility(facility_code: str, name: str) -> Any:
    """The facility's XML signer (the demo PKI issues a seal on first use), or None."""
    try:
        from smarthealth.claims.signing import facility_xml_signer
    except ImportError:  # signing not installed
        return None
    return facility_xml_signer(facility_code=facility_code, facility_name=name)


Built = tuple[list[Problem], str, str, bytes, bytes | None]


def build_files(bundles: list[Bundle], *, created: date, on: date | None = None) -> list[Built]:
    """Per bundle: (errors, file name, check-in file name, envelope, check-in or None), built,
    validated and rendered unsigned (pure)."""
    from smarthealth.claims import xmlfile
    from smarthealth.claims.validate import validate_episode

    out: list[Built] = []
    for bundle in bundles:
        episode = build_episode(bundle)
        problems = [p for p in validate_episode(episode, on=on) if p.severity == "error"]
        if problems:
            out.append((problems, "", "", b"", None))
            continue
        checkin = checkin_of(episode)
        name, checkin_name = _file_names(episode)
        out.append(([], name, checkin_name, xmlfile.envelope_xml(episode, created=created),
                     xmlfile.checkin_xml(checkin) if checkin else None))
    return out


def _sign_built(items: list[tuple[Bundle, Built]], signers: dict[str, Any],
                processes: int | None = None) -> list[tuple[Bundle, Built]]:
    """Envelopes and check-ins signed with their facility's signer (`signing.sign_many`)."""
    from smarthealth.claims.signing import sign_many

    out = list(items)
    for code, signer in signers.items():
        mine = [i for i, (b, _) in enumerate(out) if b["encounter"]["facility_code"] == code]
        blobs = [blob for i in mine for blob in out[i][1][3:] if blob is not None]
        signed = iter(sign_many(blobs, signer=signer, processes=processes) if blobs else [])
        for i in mine:
            bundle, (problems, name, checkin_name, _, checkin) = out[i]
            out[i] = (bundle, (problems, name, checkin_name, next(signed),
                               next(signed) if checkin is not None else None))
    return out


async def export_encounters(database: Database, encounter_ids: list[int], *, out: Path,
                            created: date, on: date, signers: dict[str, Any] | None = None,
                            sign_processes: int | None = None) -> Exported:
    """Read, build, validate, render, sign (with `signers` by facility code: an XmlSigner or
    its pki.Credential) and write the files of the encounters; the database is only read.

    The whole export of a chunk: `export_period` runs it in-process (jobs = 1) or in a worker
    with the worker's own connection (`parallel.export_encounters`)."""
    async with database.session() as session:
        bundles = await load_bundles(session, encounter_ids=encounter_ids)
    built = list(zip(bundles, build_files(bundles, created=created, on=on), strict=True))
    if signers:
        good = _sign_built([item for item in built if not item[1][0]], signers, sign_processes)
        signed = iter(good)
        built = [item if item[1][0] else next(signed) for item in built]
    done = []
    folder = os.fspath(out)
    for bundle, (problems, name, checkin_name, envelope, checkin) in built:
        enc = bundle["encounter"]
        item = Done(enc["id"], bundle["ma_lk"], enc["facility_code"], bundle["person"]["id"],
                    bundle["claim"]["id"] if bundle["claim"] else None, problems=problems)
        if not problems:
            write_file(os.path.join(folder, name), envelope)
            item.sha256 = hashlib.sha256(envelope).hexdigest()
            if checkin is not None:
                write_file(os.path.join(folder, checkin_name), checkin)
                item.checkin = True
        done.append(item)
    return Exported(done=done, not_covered=len(encounter_ids) - len(bundles))


def _in_memory(url: str) -> bool:
    """Whether the URL is an in-memory SQLite database (private to this process)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and (
        parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory")


async def export_period(database: Database, *, facility_codes: list[str] | None, start: date,
                        end: date, out: Path, sign: bool = True, chunk: int = 1000,
                        created: date | None = None, progress: Any = None,
                        actor: Actor = EXPORTER, jobs: int = 1) -> ExportResult:
    """Write one file per valid episode (plus its XML0) for encounters finished in the period.

    Each chunk of encounters is exported by `export_encounters` (read, build, validate, render,
    sign, write); this process then records its claims_episodes rows and audit entry, chunk by
    chunk in order. With jobs > 1 the chunks run in worker processes, each reading with its
    own connection, a few chunks ahead; files and records are the same as with jobs = 1."""
    from smarthealth.claims import parallel

    out.mkdir(parents=True, exist_ok=True)
    created = created or datetime.now(TZ).date()
    on = fields._today()
    begin, finish = period_bounds(start, end)
    result = ExportResult(signed=sign)
    async with database.session() as session:
        listed = await emr_facts.finished_encounters(session, facility_codes=facility_codes,
                                                     start=begin, end=finish)
    ids = [encounter_id for encounter_id, _ in listed]
    facility_of = dict(listed)
    result.encounters = len(ids)
    signers: dict[str, Any] = {}

    async def signers_of(part: list[int]) -> dict[str, Any] | None:
        """The facilities' signers (seals issued here, once, before any worker needs one)."""
        if not sign:
            return None
        codes = sorted({facility_of[i] for i in part} - signers.keys())
        if codes:
            async with database.session() as session:
                known = await registry_facts.facilities_by_code(session, codes=codes)
            for code in codes:
                signers[code] = signer_for_facility(code, (known.get(code) or {}).get(
                    "name", code))
        return {c: signers[c] for c in sorted({facility_of[i] for i in part}) if signers[c]}

    async def finish_chunk(part: list[int], results: list[Exported]) -> None:
        good: list[Done] = []
        invalid: list[int] = []
        for exported in results:
            result.not_covered += exported.not_covered
            for d in exported.done:
                if d.problems:
                    result.invalid.append(Invalid(d.encounter_id, d.ma_lk, d.problems))
                    invalid.append(d.encounter_id)
                else:
                    good.append(d)
                    result.episodes += 1
                    result.checkins += d.checkin
        async with database.session() as session:
            await _record_exports(session, good)
            await audit.record(
                session, actor=actor, action="claims.export", entity_type="claims_episode",
                details={"encounter_ids": [d.encounter_id for d in good], "invalid": invalid})
        if progress is not None:
            progress(len(part))

    parts = [ids[first:first + chunk] for first in range(0, len(ids), chunk)]
    jobs = min(jobs, max(1, len(ids) // 200))  # a pool pays from a few hundred episodes
    if _in_memory(database.url):  # another process cannot see this database
        jobs = 1
    if jobs <= 1:
        for part in parts:
            await finish_chunk(part, [await export_encounters(
                database, part, out=out, created=created, on=on,
                signers=await signers_of(part))])
        return result
    # a task per chunk (each has a fixed cost: a connection, eleven queries); a slice per
    # worker when there are too few chunks to keep every worker busy
    slices = jobs if len(parts) < 2 * jobs else 1
    executor = parallel.pool(jobs)
    pending: deque[tuple[list[int], list[Any]]] = deque()
    try:
        for part in parts:
            active = await signers_of(part)
            credentials = {c: s.credential for c, s in active.items()} if active else None
            size = max(1, -(-len(part) // slices))
            pending.append((part, [asyncio.wrap_future(executor.submit(
                parallel.export_encounters, part[i:i + size], settings=database.settings,
                out=out, created=created, on=on, signers=credentials))
                for i in range(0, len(part), size)]))
            while sum(len(f) for _, f in pending) > 2 * jobs:  # the workers keep going
                done_part, futures = pending.popleft()  # while this process writes rows
                await finish_chunk(done_part, list(await asyncio.gather(*futures)))
        while pending:
            done_part, futures = pending.popleft()
            await finish_chunk(done_part, list(await asyncio.gather(*futures)))
    finally:
        executor.shutdown(cancel_futures=True)
    return result
