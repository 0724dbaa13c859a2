"""Turn the EMR service's encounter record into the plain dict the PDF forms render."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

OUTCOME_VI = {
    "cured": "Khỏi", "improved": "Đỡ, giảm", "unchanged": "Không thay đổi",
    "worse": "Nặng hơn", "died": "Tử vong", "transferred": "Chuyển tuyến",
    "left_against_advice": "Trốn viện / xin về", "follow_up": "Hẹn khám lại",
}
NOTE_SECTIONS = ("history", "examination", "treatment", "progress", "other")


def _plain(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def _current(entries: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Current versions only (the record may also carry superseded or erroneous ones)."""
    return [e for e in entries or [] if e.get("status", "current") == "current"]


def _age(birth: Any, on: date) -> int | None:
    if isinstance(birth, str):
        birth = date.fromisoformat(birth[:10])
    if not isinstance(birth, date):
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _patient(person: dict[str, Any], coverage: dict[str, Any], on: date) -> dict[str, Any]:
    bhyt = person.get("bhyt") or {}
    card = (person.get("bhyt_card_number") or bhyt.get("card_number")
            or coverage.get("card_number"))
    return {
        "full_name": person.get("full_name", ""),
        "birth_date": person.get("birth_date"),
        "age_years": person.get("age_years") or _age(person.get("birth_date"), on),
        "sex": person.get("sex", ""),
        "address": person.get("address") or person.get("ward_name") or "",
        "bhyt_card_number": card,
        "bhyt_valid_to": bhyt.get("valid_to") or coverage.get("valid_to"),
        "cccd": person.get("cccd"),
    }


def _notes(entries: list[dict[str, Any]]) -> dict[str, str]:
    by_section: dict[str, list[str]] = {s: [] for s in NOTE_SECTIONS}
    for entry in entries:
        data = entry.get("data") or {}
        by_section.setdefault(data.get("section", "other"), []).append(data.get("text", ""))
    return {k: " ".join(v) for k, v in by_section.items()}


def _diagnoses(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        data = entry.get("data") or {}
        title = data.get("title") or data.get("title_vi") or data.get("text") or ""
        out.append({"code": entry.get("code") or data.get("code"), "title": title,
                    "main": bool(data.get("main"))})
    return sorted(out, key=lambda d: not d["main"])


def _results(results: list[dict[str, Any]], orders: list[dict[str, Any]]
             ) -> list[dict[str, Any]]:
    """Results, then ordered tests still without a result."""
    rows = [{"name": d.get("test") or d.get("name"), "value": d.get("value"),
             "unit": d.get("unit"), "reference_range": d.get("reference_range"),
             "abnormal": bool(d.get("abnormal"))}
            for d in (e.get("data") or {} for e in results)]
    answered = {(e.get("data") or {}).get("order_entry_id") for e in results}
    answered |= {row["name"] for row in rows}
    for order in orders:
        name = (order.get("data") or {}).get("name") or order.get("code")
        if order.get("entry_id") not in answered and name not in answered:
            rows.append({"name": name, "value": "Chưa có kết quả", "unit": "",
                         "reference_range": "", "abnormal": False})
    return rows


def _prescriptions(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        d = entry.get("data") or {}
        name = d.get("drug_name") or d.get("name") or entry.get("code") or ""
        strength = d.get("strength")
        unit = d.get("unit") or ""
        out.append({"drug_name": name, "unit": unit[:1].lower() + unit[1:],
                    "strength": None if strength and strength in name else strength,
                    "route": d.get("route"), "dose": d.get("dose"),
                    "frequency_per_day": d.get("frequency_per_day"), "days": d.get("days"),
                    "quantity": d.get("quantity"), "instructions": d.get("instructions")})
    return out


def document_data(record: Any) -> dict[str, Any]:
    """The dict `pdf_forms` renders, from an EncounterRecord (or its model_dump())."""
    rec = _plain(record)
    enc = _plain(rec["encounter"])
    person = _plain(rec.get("person")) or {}
    coverage = enc.get("coverage") or {}
    closed = enc.get("closed_at") or enc.get("started_at")
    vitals = _current([_plain(e) for e in rec.get("vitals") or []])
    notes = _notes(_current([_plain(e) for e in rec.get("notes") or []]))
    referral = None
    if enc.get("referral_facility_code"):
        referral = {"facility_name": rec.get("referral_facility_name")
                    or enc["referral_facility_code"], "reason": enc.get("referral_reason")}
    return {
        "encounter": {"id": enc["id"], "status": enc.get("status")},
        "encounter_id": enc["id"], "person_id": enc["person_id"],
        "facility": {"code": enc["facility_code"], "name": rec.get("facility_name", "")},
        "department": rec.get("department_name") or enc.get("department_code"),
        "kind": enc.get("kind"), "started_at": enc.get("started_at"), "closed_at": closed,
        "patient": _patient(person, coverage, closed.date() if closed else date.today()),
        "reason": enc.get("reason"), "history": notes["history"],
        "examination": notes["examination"], "treatment": notes["treatment"],
        "advice": notes["other"] or None,
        "vitals": (vitals[-1].get("data") or {}) if vitals else {},
        "diagnoses": _diagnoses(_current([_plain(e) for e in rec.get("diagnoses") or []])),
        "results": _results(_current([_plain(e) for e in rec.get("results") or []]),
                            _current([_plain(e) for e in rec.get("orders") or []])),
        "prescriptions": _prescriptions(
            _current([_plain(e) for e in rec.get("prescriptions") or []])),
        "outcome": OUTCOME_VI.get(enc.get("outcome") or "", enc.get("outcome")),
        "follow_up_date": enc.get("follow_up_date"), "referral": referral,
        "doctor": {"full_name": enc.get("doctor_name", "")},
    }
