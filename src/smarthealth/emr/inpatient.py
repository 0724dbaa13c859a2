"""Inpatient basics: beds, admission to a department and bed, transfer, discharge, bed board."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core import outbox
from smarthealth.core.audit import Actor, record
from smarthealth.core.db import utcnow
from smarthealth.core.errors import Conflict, NotFound
from smarthealth.emr.models import Admission, Bed, BedStay, Encounter
from smarthealth.emr.schemas import AdmissionOut, BedBoard, BedIn, BedOut
from smarthealth.emr.service import encounter_row
from smarthealth.identity import service as identity
from smarthealth.registry import service as registry


def _no_admission(admission_id: int) -> NotFound:
    return NotFound(f"No admission {admission_id}.",
                    f"Không tìm thấy đợt nhập viện {admission_id}.",
                    details={"admission_id": admission_id}, code="unknown_admission")


async def add_bed(session: AsyncSession, *, data: BedIn, actor: Actor) -> Bed:
    """Register a bed of a department (idempotent by facility and bed code)."""
    bed = await session.scalar(select(Bed).where(Bed.facility_code == data.facility_code,
                                                 Bed.code == data.code))
    if bed is None:
        bed = Bed(**data.model_dump())
        session.add(bed)
        await session.flush()
        await record(session, actor=actor, action="emr.bed.create", entity_type="emr_bed",
                     entity_id=bed.id, details=data.model_dump())
    return bed


async def _occupant(session: AsyncSession, bed_id: int) -> BedStay | None:
    return await session.scalar(select(BedStay).where(BedStay.bed_id == bed_id,
                                                      BedStay.ended_at.is_(None)))


async def _check_department(session: AsyncSession, *, facility_code: str, code: str) -> None:
    """The department must be an active department of the facility in the registry."""
    page = await registry.list_departments(session, scope=facility_code,
                                           facility_code=facility_code, q=code, active=True,
                                           page_size=200)
    if not any(d.code == code for d in page.items):
        raise NotFound(f"No department {code} at facility {facility_code}.",
                       f"Không có khoa {code} tại cơ sở {facility_code}.",
                       details={"department_code": code}, code="unknown_department")


async def _free_bed(session: AsyncSession, *, facility_code: str, department_code: str,
                    bed_code: str | None) -> Bed | None:
    """The named bed (must be in the department and free), or None when none was named."""
    await _check_department(session, facility_code=facility_code, code=department_code)
    if bed_code is None:
        return None
    bed = await session.scalar(select(Bed).where(
        Bed.facility_code == facility_code, Bed.code == bed_code, Bed.active.is_(True))
        .with_for_update())
    if bed is None or bed.department_code != department_code:
        raise NotFound(f"No bed {bed_code} in department {department_code}.",
                       f"Không có giường {bed_code} tại khoa {department_code}.",
                       details={"bed_code": bed_code}, code="unknown_bed")
    if await _occupant(session, bed.id) is not None:
        raise Conflict(f"Bed {bed_code} is occupied.", f"Giường {bed_code} đang có người bệnh.",
                       details={"bed_code": bed_code}, code="bed_occupied")
    return bed


async def _logged(session: AsyncSession, actor: Actor, admission: Admission, action: str,
                  bed: Bed | None) -> AdmissionOut:
    details = {"department_code": admission.department_code,
               "bed_code": bed.code if bed else None}
    await record(session, actor=actor, action=f"emr.admission.{action}",
                 entity_type="emr_admission", entity_id=admission.id,
                 patient_id=admission.person_id, details=details)
    await outbox.publish(session, topic=f"emr.admission_{action}", aggregate_type="emr_admission",
                         aggregate_id=admission.id, facility_code=admission.facility_code,
                         payload={"admission_id": admission.id,
                                  "encounter_id": admission.encounter_id,
                                  "person_id": admission.person_id, **details})
    out = AdmissionOut.model_validate(admission)
    return out.model_copy(update={"bed_code": bed.code if bed else None})


async def admit(session: AsyncSession, *, encounter_id: int, department_code: str,
                bed_code: str | None, actor: Actor, scope: str | None, reason: str = ""
                ) -> AdmissionOut:
    """Admit the encounter's patient to a department (and bed); the encounter turns inpatient."""
    enc = await encounter_row(session, encounter_id=encounter_id, scope=scope)
    if await session.scalar(select(Admission.id).where(Admission.encounter_id == enc.id)):
        raise Conflict("This encounter already has an admission.",
                       "Lượt khám này đã được nhập viện.", code="already_admitted")
    bed = await _free_bed(session, facility_code=enc.facility_code,
                          department_code=department_code, bed_code=bed_code)
    admission = Admission(encounter_id=enc.id, person_id=enc.person_id,
                          facility_code=enc.facility_code, department_code=department_code,
                          bed_id=bed.id if bed else None, status="admitted",
                          admitted_at=utcnow(), reason=reason)
    enc.kind, enc.department_code = "inpatient", department_code
    session.add(admission)
    await session.flush()
    if bed is not None:
        session.add(BedStay(admission_id=admission.id, bed_id=bed.id,
                            department_code=department_code, started_at=admission.admitted_at))
    return await _logged(session, actor, admission, "admit", bed)


async def _admission(session: AsyncSession, admission_id: int, scope: str | None) -> Admission:
    admission = await session.get(Admission, admission_id, with_for_update=True)
    if admission is None or (scope is not None and admission.facility_code != scope):
        raise _no_admission(admission_id)
    if admission.status != "admitted":
        raise Conflict("The patient has already been discharged.",
                       "Người bệnh đã ra viện.", code="already_discharged")
    return admission


async def _end_stay(session: AsyncSession, admission: Admission) -> None:
    stay = await session.scalar(select(BedStay).where(BedStay.admission_id == admission.id,
                                                      BedStay.ended_at.is_(None)))
    if stay is not None:
        stay.ended_at = utcnow()


async def transfer(session: AsyncSession, *, admission_id: int, department_code: str,
                   bed_code: str | None, actor: Actor, scope: str | None) -> AdmissionOut:
    """Move an admitted patient to another department and/or bed; the old bed is freed."""
    admission = await _admission(session, admission_id, scope)
    bed = await _free_bed(session, facility_code=admission.facility_code,
                          department_code=department_code, bed_code=bed_code)
    await _end_stay(session, admission)
    admission.department_code, admission.bed_id = department_code, bed.id if bed else None
    if bed is not None:
        session.add(BedStay(admission_id=admission.id, bed_id=bed.id,
                            department_code=department_code, started_at=utcnow()))
    enc = await session.get(Encounter, admission.encounter_id)
    if enc is not None:
        enc.department_code = department_code
    await session.flush()
    return await _logged(session, actor, admission, "transfer", bed)


async def discharge(session: AsyncSession, *, admission_id: int, outcome: str, actor: Actor,
                    scope: str | None) -> AdmissionOut:
    """Discharge with an outcome; frees the bed and records the outcome on the encounter."""
    admission = await _admission(session, admission_id, scope)
    await _end_stay(session, admission)
    admission.status, admission.outcome, admission.discharged_at = "discharged", outcome, utcnow()
    enc = await session.get(Encounter, admission.encounter_id)
    if enc is not None and enc.status == "open":
        enc.outcome = outcome
    await session.flush()
    bed = await session.get(Bed, admission.bed_id) if admission.bed_id else None
    return await _logged(session, actor, admission, "discharge", bed)


async def bed_board(session: AsyncSession, *, facility_code: str, department_code: str,
                    actor: Actor) -> BedBoard:
    """Every bed of a department with its current occupant (audited: names patients)."""
    beds = (await session.scalars(select(Bed).where(
        Bed.facility_code == facility_code, Bed.department_code == department_code,
        Bed.active.is_(True)).order_by(Bed.room, Bed.code))).all()
    stays = (await session.execute(
        select(BedStay.bed_id, Admission.id, Admission.person_id)
        .join(Admission, Admission.id == BedStay.admission_id)
        .where(BedStay.bed_id.in_([b.id for b in beds]), BedStay.ended_at.is_(None)))).all()
    by_bed = {s.bed_id: s for s in stays}
    out = []
    for bed in beds:
        stay = by_bed.get(bed.id)
        name = None
        if stay is not None:
            name = (await identity.get_person(session, person_id=stay.person_id)).full_name
        out.append(BedOut(id=bed.id, code=bed.code, room=bed.room,
                          department_code=bed.department_code, occupied=stay is not None,
                          admission_id=stay[1] if stay else None,
                          person_id=stay.person_id if stay else None, patient_name=name))
    await record(session, actor=actor, action="emr.beds.read", entity_type="emr_bed",
                 details={"facility_code": facility_code, "department_code": department_code,
                          "patients": [b.person_id for b in out if b.person_id]})
    occupied = sum(b.occupied for b in out)
    return BedBoard(facility_code=facility_code, department_code=department_code, beds=out,
                    occupied=occupied, free=len(out) - occupied)
