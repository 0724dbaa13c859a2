"""Admission, transfer and discharge, and the department bed board."""

from __future__ import annotations

import pytest

from smarthealth.core.audit import Actor
from smarthealth.core.db import get_database
from smarthealth.core.errors import Conflict, NotFound
from smarthealth.emr import charges, entries, inpatient, service
from smarthealth.emr.schemas import BedIn
from tests.emr.conftest import add_person, add_visit

NURSE = Actor(name="nurse1", role="nurse", facility_code="01001")


async def _beds() -> None:
    from sqlalchemy import select

    from smarthealth.registry.models import Department, Facility

    async with get_database().session() as s:
        facility_id = await s.scalar(select(Facility.id).where(Facility.code == "01001"))
        s.add(Department(facility_id=facility_id, code="HSCC", name="Khoa Hồi sức cấp cứu",
                         kind="inpatient"))
    async with get_database().session() as s:
        for code, dept in [("N-01", "NOI"), ("N-02", "NOI"), ("H-01", "HSCC")]:
            await inpatient.add_bed(s, data=BedIn(facility_code="01001", department_code=dept,
                                                  code=code, room="P1",
                                                  service_code="K03.1911"), actor=NURSE)


async def _encounter(visit_id: int) -> int:
    async with get_database().session() as s:
        enc = await service.open_encounter(s, visit_id=visit_id, actor=NURSE, scope="01001")
    return enc.id


async def _board(dept: str = "NOI"):  # noqa: ANN202
    async with get_database().session() as s:
        return await inpatient.bed_board(s, facility_code="01001", department_code=dept,
                                         actor=NURSE)


async def test_admit_transfer_discharge_moves_the_patient_on_the_board(world) -> None:  # noqa: ANN001
    await _beds()
    enc = await _encounter(world.visit_id)
    async with get_database().session() as s:
        admission = await inpatient.admit(s, encounter_id=enc, department_code="NOI",
                                          bed_code="N-01", actor=NURSE, scope="01001")
    board = await _board()
    assert (board.occupied, board.free) == (1, 1)
    assert board.beds[0].patient_name == "Nguyễn Văn An"
    async with get_database().session() as s:
        moved = await inpatient.transfer(s, admission_id=admission.id, department_code="HSCC",
                                         bed_code="H-01", actor=NURSE, scope="01001")
    assert moved.department_code == "HSCC" and (await _board()).occupied == 0
    assert (await _board("HSCC")).occupied == 1
    async with get_database().session() as s:
        out = await inpatient.discharge(s, admission_id=admission.id, outcome="improved",
                                        actor=NURSE, scope="01001")
        record = await service.get_encounter_record(s, encounter_id=enc, actor=NURSE,
                                                    scope="01001")
    assert out.status == "discharged" and record.encounter.outcome == "improved"
    assert record.encounter.kind == "inpatient"
    assert (await _board("HSCC")).occupied == 0


async def test_occupied_bed_cannot_take_a_second_patient(world) -> None:  # noqa: ANN001
    await _beds()
    enc = await _encounter(world.visit_id)
    other = await add_person(name="Phạm Thị Dung", sex="female", cccd="001190000777")
    visit_id, _ = await add_visit("01001", other, key="k7")
    enc2 = await _encounter(visit_id)
    async with get_database().session() as s:
        await inpatient.admit(s, encounter_id=enc, department_code="NOI", bed_code="N-01",
                              actor=NURSE, scope="01001")
    with pytest.raises(Conflict):
        async with get_database().session() as s:
            await inpatient.admit(s, encounter_id=enc2, department_code="NOI", bed_code="N-01",
                                  actor=NURSE, scope="01001")


async def test_bed_days_become_a_charge_line(world) -> None:  # noqa: ANN001
    await _beds()
    enc = await _encounter(world.visit_id)
    async with get_database().session() as s:
        admission = await inpatient.admit(s, encounter_id=enc, department_code="NOI",
                                          bed_code="N-02", actor=NURSE, scope="01001")
        await inpatient.discharge(s, admission_id=admission.id, outcome="cured", actor=NURSE,
                                  scope="01001")
        await entries.add_entry(s, encounter_id=enc, kind="diagnosis",
                                data={"code": "J10", "main": True}, actor=NURSE, scope="01001")
        out = await charges.get_charges(s, encounter_id=enc, actor=NURSE, scope="01001")
    assert [(line.kind, int(line.quantity)) for line in out.lines][-1] == ("bed", 1)


async def test_admission_to_an_unknown_department_is_refused(world) -> None:  # noqa: ANN001
    enc = await _encounter(world.visit_id)
    with pytest.raises(NotFound):
        async with get_database().session() as s:
            await inpatient.admit(s, encounter_id=enc, department_code="XYZ", bed_code=None,
                                  actor=NURSE, scope="01001")
