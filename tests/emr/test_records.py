"""Encounters and clinical entries through the service layer."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from smarthealth.core.audit import Actor
from smarthealth.core.db import get_database
from smarthealth.core.errors import Conflict, InvalidInput, NotFound
from smarthealth.core.models import AuditEntry, OutboxEvent
from smarthealth.emr import entries, service
from tests.emr.conftest import add_person, add_visit

DOCTOR = Actor(name="doctor1", role="doctor", facility_code="01001")


async def _open(world) -> int:  # noqa: ANN001
    async with get_database().session() as s:
        enc = await service.open_encounter(s, visit_id=world.visit_id, actor=DOCTOR,
                                           scope="01001")
    return enc.id


async def _add(encounter_id: int, kind: str, data: dict):  # noqa: ANN202
    async with get_database().session() as s:
        return await entries.add_entry(s, encounter_id=encounter_id, kind=kind, data=data,
                                       actor=DOCTOR, scope="01001")


async def test_opening_twice_for_one_visit_gives_the_same_encounter(world) -> None:  # noqa: ANN001
    first = await _open(world)
    assert await _open(world) == first


async def test_encounter_from_ticket_uses_the_tickets_visit(world) -> None:  # noqa: ANN001
    async with get_database().session() as s:
        enc = await service.open_encounter_from_ticket(s, ticket_id=world.ticket_id,
                                                       actor=DOCTOR, scope="01001")
    assert enc.visit_id == world.visit_id and enc.coverage["decision"] == "valid"


async def test_invalid_main_diagnosis_is_rejected(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    with pytest.raises(InvalidInput) as err:
        await _add(enc, "diagnosis", {"code": "B95.3", "main": True})
    assert err.value.details["problems"][0]["rule"] == "not_primary"


async def test_unknown_icd_code_is_rejected(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    with pytest.raises(InvalidInput):
        await _add(enc, "diagnosis", {"code": "Q99.99", "main": True})


async def test_female_only_code_for_a_man_is_rejected(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    with pytest.raises(InvalidInput) as err:
        await _add(enc, "diagnosis", {"code": "O80.0", "main": True})
    assert err.value.details["problems"][0]["rule"] == "sex_mismatch"


async def test_male_only_code_for_a_woman_is_rejected(world) -> None:  # noqa: ANN001
    woman = await add_person(sex="female", name="Trần Thị Bình", birth=date(1985, 1, 1))
    visit_id, _ = await add_visit("01001", woman, key="k2")
    async with get_database().session() as s:
        enc = await service.open_encounter(s, visit_id=visit_id, actor=DOCTOR, scope="01001")
    with pytest.raises(InvalidInput) as err:
        await _add(enc.id, "diagnosis", {"code": "N40", "main": False})
    assert err.value.details["problems"][0]["rule"] == "sex_mismatch"


async def test_second_main_diagnosis_conflicts(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    await _add(enc, "diagnosis", {"code": "A90", "main": True})
    with pytest.raises(Conflict):
        await _add(enc, "diagnosis", {"code": "I10", "main": True})


async def test_documented_allergy_warns_on_prescription(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    await _add(enc, "allergy", {"substance": "Amoxicilin", "reaction": "Mề đay"})
    rx = await _add(enc, "prescription", {"drug_code": "05.003", "dose": 1,
                                          "frequency_per_day": 2, "days": 7})
    assert [w.rule for w in rx.warnings] == ["allergy"]


async def test_duplicate_active_ingredient_warns(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    first = await _add(enc, "prescription", {"drug_code": "02.001", "dose": 1,
                                             "frequency_per_day": 3, "days": 5})
    assert first.warnings == []
    second = await _add(enc, "prescription", {"drug_code": "02.007", "dose": 1,
                                              "frequency_per_day": 2, "days": 3})
    assert [w.rule for w in second.warnings] == ["duplicate_ingredient"]


async def test_prescription_quantity_is_rounded_up(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    rx = await _add(enc, "prescription", {"drug_code": "02.001", "dose": "1.5",
                                          "frequency_per_day": 3, "days": 5})
    assert rx.data["quantity"] == 23  # ceil(1.5 × 3 × 5 = 22.5)


async def test_impossible_vitals_are_rejected_and_unusual_ones_warn(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    with pytest.raises(InvalidInput):
        await _add(enc, "vitals", {"pulse": 400})
    ok = await _add(enc, "vitals", {"pulse": 130, "weight": 70, "height": 175,
                                    "systolic": 120, "diastolic": 80})
    assert ok.data["bmi"] == 22.9
    assert [w.rule for w in ok.warnings] == ["range_pulse"]


async def test_result_gets_an_abnormal_flag(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    high = await _add(enc, "result", {"test": "Glucose", "value": "9,2", "unit": "mmol/L",
                                      "reference_range": "3.9-6.4"})
    text = await _add(enc, "result", {"test": "HBsAg", "value": "âm tính"})
    assert high.data["abnormal"] == "high" and text.data["abnormal"] is None


async def test_order_must_come_from_the_price_list(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    order = await _add(enc, "order", {"service_code": "23.0058"})
    assert order.data["price_bhyt"] == 21_500
    with pytest.raises(NotFound):
        await _add(enc, "order", {"service_code": "99.9999"})


async def test_every_write_is_audited_and_published(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    await _add(enc, "note", {"section": "history", "text": "Sốt 3 ngày"})
    async with get_database().session() as s:
        audited = await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.patient_id == world.person_id))
        topics = set((await s.scalars(select(OutboxEvent.topic))).all())
    assert audited == 2
    assert {"emr.encounter_open", "emr.entry_recorded"} <= topics


async def test_close_needs_exactly_one_main_diagnosis(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    await _add(enc, "diagnosis", {"code": "I10", "main": False})
    with pytest.raises(InvalidInput):
        async with get_database().session() as s:
            await service.close_encounter(s, encounter_id=enc, actor=DOCTOR, scope="01001")
    await _add(enc, "diagnosis", {"code": "A90", "main": True})
    async with get_database().session() as s:
        closed = await service.close_encounter(s, encounter_id=enc, actor=DOCTOR, scope="01001")
    assert closed.status == "closed" and closed.main_icd == "A90"
    with pytest.raises(Conflict):
        await _add(enc, "note", {"text": "late"})


async def test_result_may_only_link_an_order_of_its_encounter(world) -> None:  # noqa: ANN001
    enc = await _open(world)
    order = await _add(enc, "order", {"service_code": "23.0058"})
    linked = await _add(enc, "result", {"order_entry_id": order.entry_id, "test": "Glucose",
                                        "value": "5.1", "reference_range": "3.9-6.4"})
    assert linked.data["service_code"] == "23.0058" and linked.data["abnormal"] == "normal"
    with pytest.raises(NotFound):
        await _add(enc, "result", {"order_entry_id": 999_999, "test": "Glucose", "value": "5"})
