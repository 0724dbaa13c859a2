"""Encounters: open from a visit or ticket, read (audited), list, person header, update, close."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core import outbox
from smarthealth.core.audit import Actor, record
from smarthealth.core.db import utcnow
from smarthealth.core.errors import Conflict, InvalidInput, NotFound
from smarthealth.emr.models import Encounter, Entry
from smarthealth.emr.schemas import (
    EncounterOut,
    EncounterPage,
    EncounterPatch,
    EncounterRecord,
    EntryOut,
    PastEncounter,
    PersonHeader,
)
from smarthealth.identity import service as identity
from smarthealth.insurance import service as insurance
from smarthealth.registry import lookups
from smarthealth.registry import service as registry

log = logging.getLogger(__name__)
GROUPS = {"vitals": "vitals", "note": "notes", "diagnosis": "diagnoses", "order": "orders",
          "result": "results", "prescription": "prescriptions", "allergy": "allergies",
          "condition": "conditions"}


def encounter_not_found(encounter_id: int) -> NotFound:
    return NotFound(f"No encounter {encounter_id}.", f"Không tìm thấy lượt khám {encounter_id}.",
                    details={"encounter_id": encounter_id}, code="unknown_encounter")


async def encounter_row(session: AsyncSession, *, encounter_id: int, scope: str | None,
                        for_update: bool = False) -> Encounter:
    """The encounter if `scope` (None = city-wide) may see it; other facilities get NotFound."""
    stmt = select(Encounter).where(Encounter.id == encounter_id)
    if for_update:
        stmt = stmt.with_for_update()
    encounter = await session.scalar(stmt)
    if encounter is None or (scope is not None and encounter.facility_code != scope):
        raise encounter_not_found(encounter_id)
    return encounter


def require_open(encounter: Encounter) -> None:
    if encounter.status != "open":
        raise Conflict("The encounter is closed; amend its entries instead.",
                       "Lượt khám đã đóng; hãy sửa đổi (bổ sung phiên bản) các mục đã ghi.",
                       details={"encounter_id": encounter.id}, code="encounter_closed")


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


async def open_encounter(session: AsyncSession, *, visit_id: int, actor: Actor,
                         scope: str | None, doctor_user_id: int | None = None,
                         kind: str = "outpatient", reason: str = "",
                         doctor_name: str | None = None) -> EncounterOut:
    """The visit's encounter, opened now if it has none yet (idempotent per visit)."""
    from smarthealth.reception.service import visit_of

    visit = await visit_of(session, visit_id=visit_id)
    facility = await registry.get_facility_by_id(session, facility_id=visit.facility_id)
    if scope is not None and facility.code != scope:
        raise NotFound(details={"visit_id": visit_id}, code="unknown_visit")
    existing = await session.scalar(select(Encounter).where(Encounter.visit_id == visit_id))
    if existing is not None:
        return EncounterOut.model_validate(existing)
    encounter = Encounter(visit_id=visit_id, person_id=visit.person_id,
                          facility_code=facility.code, doctor_user_id=doctor_user_id,
                          doctor_name=doctor_name or actor.name, kind=kind, status="open",
                          reason=reason, coverage=dict(visit.coverage or {}), started_at=utcnow())
    session.add(encounter)
    await session.flush()
    await _written(session, actor, encounter, "emr.encounter.open", {"visit_id": visit_id})
    return EncounterOut.model_validate(encounter)


async def open_encounter_from_ticket(session: AsyncSession, *, ticket_id: int, actor: Actor,
                                     scope: str | None, doctor_user_id: int | None = None,
                                     doctor_name: str | None = None) -> EncounterOut:
    """The encounter of the visit behind a called queue ticket."""
    from smarthealth.reception.service import visit_id_of_ticket

    visit_id = await visit_id_of_ticket(session, ticket_id=ticket_id)
    return await open_encounter(session, visit_id=visit_id, actor=actor, scope=scope,
                                doctor_user_id=doctor_user_id, doctor_name=doctor_name)


async def _written(session: AsyncSession, actor: Actor, encounter: Encounter, action: str,
                   details: dict[str, Any]) -> None:
    """Audit and publish one write to an encounter."""
    await record(session, actor=actor, action=action, entity_type="emr_encounter",
                 entity_id=encounter.id, patient_id=encounter.person_id, details=details)
    await outbox.publish(session, topic=action.replace("emr.encounter.", "emr.encounter_"),
                         aggregate_type="emr_encounter", aggregate_id=encounter.id,
                         facility_code=encounter.facility_code,
                         payload={"encounter_id": encounter.id,
                                  "person_id": encounter.person_id, **details})


async def get_encounter(session: AsyncSession, *, encounter_id: int, actor: Actor,
                        scope: str | None) -> EncounterOut:
    """One encounter's header row (audited read)."""
    encounter = await encounter_row(session, encounter_id=encounter_id, scope=scope)
    await record(session, actor=actor, action="emr.encounter.read", entity_type="emr_encounter",
                 entity_id=encounter.id, patient_id=encounter.person_id)
    return EncounterOut.model_validate(encounter)


async def current_entries(session: AsyncSession, *, encounter: Encounter) -> list[Entry]:
    """Current versions of the encounter's entries plus the person's allergies/conditions."""
    stmt = select(Entry).where(Entry.status == "current", (
        (Entry.encounter_id == encounter.id)
        | ((Entry.person_id == encounter.person_id) & Entry.kind.in_(["allergy", "condition"]))
    )).order_by(Entry.entry_id)
    return list((await session.scalars(stmt)).all())


async def get_encounter_record(session: AsyncSession, *, encounter_id: int,
                               actor: Actor | None, scope: str | None = None
                               ) -> EncounterRecord:
    """The full record with current versions; audited when a staff actor reads it."""
    encounter = await encounter_row(session, encounter_id=encounter_id, scope=scope)
    person = await identity.get_person(session, person_id=encounter.person_id)
    names = await lookups.facility_names(session, codes=[encounter.facility_code])
    out = EncounterRecord(encounter=EncounterOut.model_validate(encounter),
                          person=_person_dict(person, encounter.started_at.date()),
                          facility_name=names.get(encounter.facility_code, ""))
    for entry in await current_entries(session, encounter=encounter):
        getattr(out, GROUPS[entry.kind]).append(EntryOut.model_validate(entry))
    if actor is not None:
        await record(session, actor=actor, action="emr.record.read", entity_type="emr_encounter",
                     entity_id=encounter.id, patient_id=encounter.person_id)
    return out


def _person_dict(person: Any, on: date) -> dict[str, Any]:
    return {"id": person.id, "full_name": person.full_name, "sex": person.sex,
            "birth_date": person.birth_date.isoformat(),
            "age_years": age_on(person.birth_date, on), "address": person.address,
            "cccd": person.cccd}


async def list_encounters(session: AsyncSession, *, scope: str | None, actor: Actor,
                          status: str | None = None, facility_code: str | None = None,
                          person_id: int | None = None, page: int = 1, page_size: int = 20
                          ) -> EncounterPage:
    """Encounters of the caller's facility, newest first, one page (the list read is audited)."""
    if scope is not None:
        facility_code = scope
    conditions = []
    if facility_code:
        conditions.append(Encounter.facility_code == facility_code)
    if status == "closed":  # finished, whether or not its documents are signed yet
        conditions.append(Encounter.status.in_(["closed", "signed"]))
    elif status:
        conditions.append(Encounter.status == status)
    if person_id is not None:
        conditions.append(Encounter.person_id == person_id)
    total = int(await session.scalar(select(func.count()).select_from(Encounter)
                                      .where(*conditions)) or 0)
    order = (Encounter.closed_at.desc(), Encounter.id.desc()) if status == "closed" else (
        Encounter.started_at.desc(), Encounter.id.desc())
    rows = (await session.scalars(select(Encounter).where(*conditions).order_by(*order)
                                  .offset((page - 1) * page_size).limit(page_size))).all()
    await record(session, actor=actor, action="emr.encounter.list", entity_type="emr_encounter",
                 details={"status": status, "facility_code": facility_code,
                          "person_id": person_id, "page": page,
                          "encounter_ids": [r.id for r in rows]},
                 patient_id=person_id)
    return EncounterPage(items=[EncounterOut.model_validate(r) for r in rows], total=total,
                         page=page, page_size=page_size)


async def update_encounter(session: AsyncSession, *, encounter_id: int, patch: EncounterPatch,
                           actor: Actor, scope: str | None) -> EncounterOut:
    """Reason, outcome, follow-up date and referral of an open encounter."""
    encounter = await encounter_row(session, encounter_id=encounter_id, scope=scope)
    require_open(encounter)
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("referral_facility_code"):
        await registry.get_facility(session, code=changes["referral_facility_code"])
    for key, value in changes.items():
        setattr(encounter, key, value)
    await session.flush()
    await _written(session, actor, encounter, "emr.encounter.update",
                   {"fields": sorted(changes)})
    return EncounterOut.model_validate(encounter)


async def person_header(session: AsyncSession, *, person_id: int, actor: Actor,
                        scope: str | None, limit: int = 50, on: date | None = None
                        ) -> PersonHeader:
    """Age, sex, BHYT, allergies, chronic conditions and past encounters at every facility.

    Facility staff see it only for a person with an encounter at their own facility.
    """
    if scope is not None and await session.scalar(select(Encounter.id).where(
            Encounter.person_id == person_id, Encounter.facility_code == scope).limit(1)) is None:
        raise NotFound(details={"person_id": person_id}, code="unknown_person")
    person = await identity.get_person(session, person_id=person_id)
    day = on or insurance.today()
    card = await insurance.card_for_person(session, person_id=person.id, on=day)
    person_entries = (await session.scalars(select(Entry).where(
        Entry.person_id == person.id, Entry.kind.in_(["allergy", "condition"]),
        Entry.status == "current").order_by(Entry.entry_id))).all()
    past = (await session.execute(
        select(Encounter.id, Encounter.facility_code, Encounter.kind, Encounter.status,
               Encounter.started_at, Encounter.main_icd, Encounter.main_icd_title)
        .where(Encounter.person_id == person.id)
        .order_by(Encounter.started_at.desc()).limit(limit))).all()
    count = int(await session.scalar(select(func.count()).select_from(Encounter).where(
        Encounter.person_id == person.id)) or 0)
    names = await lookups.facility_names(session, codes=[p.facility_code for p in past])
    await record(session, actor=actor, action="emr.header.read", entity_type="person",
                 entity_id=person.id, patient_id=person.id)
    return PersonHeader(
        person_id=person.id, full_name=person.full_name, sex=person.sex,
        birth_date=person.birth_date, age_years=age_on(person.birth_date, day),
        bhyt=None if card is None else {
            "code": card.code, "benefit_level": card.benefit_level,
            "valid_from": card.valid_from, "valid_to": card.valid_to, "status": card.status,
            "in_force": card.status == "active" and card.valid_from <= day <= card.valid_to,
            "registered_facility_code": card.registered_facility_code},
        allergies=[EntryOut.model_validate(e) for e in person_entries if e.kind == "allergy"],
        conditions=[EntryOut.model_validate(e) for e in person_entries
                    if e.kind == "condition"],
        past_encounters=[PastEncounter(**p._mapping, facility_name=names.get(
            p.facility_code, p.facility_code)) for p in past],
        past_encounter_count=count)


async def close_encounter(session: AsyncSession, *, encounter_id: int, actor: Actor,
                          scope: str | None = None, signer_user_id: int | None = None
                          ) -> EncounterOut:
    """Validate (exactly one main diagnosis, coding rules), price, close, then sign."""
    from smarthealth.emr import charges, entries

    encounter = await encounter_row(session, encounter_id=encounter_id, scope=scope,
                                    for_update=True)
    require_open(encounter)
    main = await entries.validate_for_close(session, encounter=encounter)
    await charges.compute_charges(session, encounter=encounter)
    encounter.status, encounter.closed_at, encounter.closed_by = "closed", utcnow(), actor.name
    encounter.main_icd, encounter.main_icd_title = main
    await session.flush()
    await _written(session, actor, encounter, "emr.encounter.close",
                   {"main_icd": encounter.main_icd})
    await _sign(session, encounter=encounter, signer_user_id=signer_user_id)
    return EncounterOut.model_validate(encounter)


async def _sign(session: AsyncSession, *, encounter: Encounter, signer_user_id: int | None
                ) -> None:
    """E3's signing of the summary and prescription, when that module is present."""
    if signer_user_id is None:
        return
    try:
        from smarthealth.emr.documents import sign_encounter_documents
    except ImportError:  # documents/signing not installed yet
        log.info("emr.documents not available; encounter %s closed unsigned", encounter.id)
        return
    signed = await sign_encounter_documents(session, encounter_id=encounter.id,
                                            signer_user_id=signer_user_id)
    if signed:
        encounter.status = "signed"
        await session.flush()


def bad_status(status: str) -> InvalidInput:
    return InvalidInput(f"Unknown status {status}.", f"Trạng thái không hợp lệ: {status}.",
                        code="bad_status")
