"""Charges: exam, orders and drugs priced from the catalogues and split with the co-payment."""

from __future__ import annotations

from smarthealth.core.audit import Actor
from smarthealth.core.db import get_database
from smarthealth.emr import charges, entries, service
from tests.emr.conftest import add_person, add_visit

DOCTOR = Actor(name="doctor1", role="doctor", facility_code="01001")


async def _closed_visit(visit_id: int, lab_quantity: int = 1) -> int:
    async with get_database().session() as s:
        enc = await service.open_encounter(s, visit_id=visit_id, actor=DOCTOR, scope="01001")
        for kind, data in [("diagnosis", {"code": "E11.9", "main": True}),
                           ("order", {"service_code": "23.0058", "quantity": lab_quantity}),
                           ("prescription", {"drug_code": "02.001", "dose": 1,
                                             "frequency_per_day": 2, "days": 5})]:
            await entries.add_entry(s, encounter_id=enc.id, kind=kind, data=data, actor=DOCTOR,
                                    scope="01001")
        await service.close_encounter(s, encounter_id=enc.id, actor=DOCTOR, scope="01001")
    return enc.id


async def test_insured_patient_charges_add_up_with_the_copayment(world) -> None:  # noqa: ANN001
    encounter_id = await _closed_visit(world.visit_id)
    async with get_database().session() as s:
        out = await charges.get_charges(s, encounter_id=encounter_id, actor=DOCTOR,
                                        scope="01001")
    assert [(line.kind, line.code, int(line.quantity)) for line in out.lines] == [
        ("exam", "02.1896", 1), ("lab", "23.0058", 1), ("drug", "02.001", 10)]
    # in scope 67 600 VND is below 15% of the base salary: BHYT pays all of it; the hospital
    # prices above the BHYT prices are the patient's
    assert out.covered and out.muc_huong == 100
    assert out.rules == ["below_15_percent_base_salary"]
    assert out.total_cost == 100_000 + 30_000 + 4_000
    assert out.bhyt_pays == 42_100 + 21_500 + 4_000
    assert out.patient_pays == (100_000 - 42_100) + (30_000 - 21_500)
    assert sum(line.patient_pays for line in out.lines) == out.patient_pays


async def test_larger_bill_is_split_at_the_card_rate(world) -> None:  # noqa: ANN001
    encounter_id = await _closed_visit(world.visit_id, lab_quantity=20)
    async with get_database().session() as s:
        out = await charges.get_charges(s, encounter_id=encounter_id, actor=DOCTOR,
                                        scope="01001")
    in_scope = 42_100 + 20 * 21_500 + 4_000
    assert out.muc_huong == 80 and out.rules == ["card_rate"]  # level 4 at its own facility
    assert out.bhyt_pays == round(42_100 * 0.8) + round(20 * 21_500 * 0.8) + round(4_000 * 0.8)
    assert out.bhyt_pays + out.patient_pays == out.total_cost
    assert out.total_cost - out.bhyt_pays == in_scope - out.bhyt_pays + 57_900 + 20 * 8_500


async def test_uninsured_patient_pays_hospital_prices(world) -> None:  # noqa: ANN001
    person = await add_person(name="Lê Văn Cường", cccd="001090000123")
    visit_id, _ = await add_visit("01001", person, decision="invalid", key="k9")
    encounter_id = await _closed_visit(visit_id)
    async with get_database().session() as s:
        out = await charges.get_charges(s, encounter_id=encounter_id, actor=DOCTOR,
                                        scope="01001")
    assert not out.covered and out.bhyt_pays == 0
    assert out.patient_pays == out.total_cost == 134_000
