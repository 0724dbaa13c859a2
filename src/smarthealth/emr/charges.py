"""Charge lines of an encounter priced from the catalogues, split by insurance.copay.compute."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.audit import Actor, record
from smarthealth.core.db import utcnow
from smarthealth.emr.models import Admission, Bed, ChargeLine, Encounter, Entry
from smarthealth.emr.schemas import ChargeLineOut, ChargesOut
from smarthealth.emr.service import encounter_row
from smarthealth.insurance import copay
from smarthealth.insurance import service as insurance
from smarthealth.registry import catalog as registry_catalog
from smarthealth.registry import service as registry

COVERED_DECISIONS = frozenset({"valid", "valid_with_warning"})


@dataclass(frozen=True)
class Priced:
    """One line before the BHYT split."""

    kind: str
    code: str
    name: str
    unit: str
    quantity: Decimal
    bhyt_unit_price: int
    hospital_unit_price: int
    in_bhyt_list: bool
    source_entry_id: int | None = None


async def _exam_line(session: AsyncSession, enc: Encounter) -> list[Priced]:
    from smarthealth.reception.service import visit_of

    if enc.visit_id is None:
        return []
    visit = await visit_of(session, visit_id=enc.visit_id)
    if visit.service_id is None:
        return []
    svc = await registry_catalog.get_service(session, service_id=visit.service_id, scope=None)
    return [Priced(svc.kind, svc.code, svc.name, svc.unit, Decimal(1), svc.price_bhyt,
                   svc.price_service, svc.price_bhyt > 0)]


async def _bed_lines(session: AsyncSession, enc: Encounter) -> list[Priced]:
    """Bed days of an admission: whole days started, at least one (bed service of the bed)."""
    admission = await session.scalar(select(Admission).where(Admission.encounter_id == enc.id))
    if admission is None or admission.bed_id is None:
        return []
    bed = await session.get(Bed, admission.bed_id)
    if bed is None or not bed.service_code:
        return []
    services = await registry_catalog.services_of_facility(
        session, facility_code=enc.facility_code, kinds=["bed"])
    svc = next((s for s in services if s.code == bed.service_code), None)
    if svc is None:
        return []
    end = admission.discharged_at or utcnow()
    days = max(1, (end - admission.admitted_at).days)
    return [Priced("bed", svc.code, svc.name, svc.unit, Decimal(days), svc.price_bhyt,
                   svc.price_service, svc.price_bhyt > 0)]


async def priced_items(session: AsyncSession, *, encounter: Encounter) -> list[Priced]:
    """Exam, ordered services, prescribed drugs and bed days, in that order."""
    lines = await _exam_line(session, encounter)
    entries = (await session.scalars(select(Entry).where(
        Entry.encounter_id == encounter.id, Entry.kind.in_(["order", "prescription"]),
        Entry.status == "current").order_by(Entry.entry_id))).all()
    for e in entries:
        d = e.data
        if e.kind == "order":
            lines.append(Priced(d["service_kind"], e.code or "", d["name"], d["unit"],
                                Decimal(d["quantity"]), d["price_bhyt"], d["price_service"],
                                d["price_bhyt"] > 0, e.entry_id))
        else:
            lines.append(Priced("drug", e.code or "", f"{d['name']} {d['strength']}".strip(),
                                d["unit"], Decimal(d["quantity"]), d["price"], d["price"],
                                bool(d["bhyt_covered"]), e.entry_id))
    return lines + await _bed_lines(session, encounter)


def _referral(enc: Encounter, registered_facility: str | None) -> copay.Referral:
    if enc.kind == "emergency":
        return copay.Referral.emergency
    if registered_facility == enc.facility_code:
        return copay.Referral.registered
    if (enc.coverage or {}).get("referral") == "referred":
        return copay.Referral.referred
    return copay.Referral.self_referred


async def split(session: AsyncSession, *, encounter: Encounter, items: list[Priced]
                ) -> tuple[copay.Copay, bool]:
    """The BHYT/patient split under the visit's coverage decision; (result, covered)."""
    day = encounter.started_at.date()
    card = await insurance.card_for_person(session, person_id=encounter.person_id, on=day)
    covered = card is not None and (encounter.coverage or {}).get("decision") in COVERED_DECISIONS
    facility = await registry.get_facility(session, code=encounter.facility_code)
    benefit = copay.CardBenefit(benefit_level=card.benefit_level if covered else 0,
                                group_code=card.group_code if covered else "",
                                five_years_date=card.five_years_date if covered else None)
    visit = copay.Visit(on=day, care_level=facility.care_level, tier=facility.tier,
                        inpatient=encounter.kind == "inpatient",
                        referral=_referral(encounter, card.registered_facility_code
                                           if card else None))
    copay_items = [copay.Item(kind=i.kind, quantity=i.quantity, bhyt_unit_price=i.bhyt_unit_price,
                              hospital_unit_price=i.hospital_unit_price,
                              in_bhyt_list=i.in_bhyt_list and covered, name=i.name)
                   for i in items]
    return copay.compute(copay_items, card=benefit, visit=visit), covered


def _line_rows(encounter_id: int, items: list[Priced], result: copay.Copay) -> list[ChargeLine]:
    return [ChargeLine(encounter_id=encounter_id, line_no=n + 1, kind=i.kind, code=i.code,
                       name=i.name, unit=i.unit, quantity=i.quantity,
                       bhyt_unit_price=i.bhyt_unit_price, hospital_unit_price=i.hospital_unit_price,
                       in_bhyt_list=i.in_bhyt_list, amount=line.amount, bhyt_pays=line.bhyt_pays,
                       patient_pays=line.patient_pays, source_entry_id=i.source_entry_id)
            for n, (i, line) in enumerate(zip(items, result.lines, strict=True))]


def _summary(result: copay.Copay, covered: bool) -> dict[str, Any]:
    return {"muc_huong": str(result.muc_huong), "rules": result.rules, "covered": covered}


async def compute_charges(session: AsyncSession, *, encounter: Encounter) -> ChargesOut:
    """Price the encounter and store its charge lines (called once, at close)."""
    items = await priced_items(session, encounter=encounter)
    result, covered = await split(session, encounter=encounter, items=items)
    session.add_all(_line_rows(encounter.id, items, result))
    encounter.charge_summary = _summary(result, covered)
    await session.flush()
    return _out(encounter.id, _line_rows(encounter.id, items, result), encounter.charge_summary)


def _out(encounter_id: int, lines: list[ChargeLine], summary: dict[str, Any]) -> ChargesOut:
    return ChargesOut(
        encounter_id=encounter_id, muc_huong=Decimal(summary["muc_huong"]),
        covered=summary["covered"], rules=summary["rules"],
        lines=[ChargeLineOut.model_validate(line) for line in lines],
        total_cost=sum(line.amount for line in lines),
        bhyt_pays=sum(line.bhyt_pays for line in lines),
        patient_pays=sum(line.patient_pays for line in lines))


async def get_charges(session: AsyncSession, *, encounter_id: int, actor: Actor,
                      scope: str | None) -> ChargesOut:
    """Stored lines of a closed encounter, or a live estimate of an open one (audited)."""
    encounter = await encounter_row(session, encounter_id=encounter_id, scope=scope)
    await record(session, actor=actor, action="emr.charges.read", entity_type="emr_encounter",
                 entity_id=encounter.id, patient_id=encounter.person_id)
    if encounter.status != "open" and encounter.charge_summary is not None:
        lines = (await session.scalars(select(ChargeLine).where(
            ChargeLine.encounter_id == encounter.id).order_by(ChargeLine.line_no))).all()
        return _out(encounter.id, list(lines), encounter.charge_summary)
    items = await priced_items(session, encounter=encounter)
    result, covered = await split(session, encounter=encounter, items=items)
    return _out(encounter.id, _line_rows(encounter.id, items, result), _summary(result, covered))
