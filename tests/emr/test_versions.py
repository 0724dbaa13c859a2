"""Amendments keep history; entered-in-error keeps the row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from smarthealth.core.audit import Actor
from smarthealth.core.db import get_database
from smarthealth.core.errors import Conflict
from smarthealth.emr import entries, service
from smarthealth.emr.models import Entry

DOCTOR = Actor(name="doctor1", role="doctor", facility_code="01001")


async def _entry(world, kind: str, data: dict):  # noqa: ANN001, ANN202
    async with get_database().session() as s:
        enc = await service.open_encounter(s, visit_id=world.visit_id, actor=DOCTOR,
                                           scope="01001")
        return await entries.add_entry(s, encounter_id=enc.id, kind=kind, data=data,
                                       actor=DOCTOR, scope="01001")


async def test_amendment_adds_a_version_and_keeps_the_old_one(world) -> None:  # noqa: ANN001
    first = await _entry(world, "note", {"section": "history", "text": "Sốt 2 ngày"})
    async with get_database().session() as s:
        second = await entries.amend_entry(s, entry_id=first.entry_id,
                                           data={"section": "history", "text": "Sốt 3 ngày"},
                                           reason="Người bệnh kể lại", actor=DOCTOR,
                                           scope="01001")
    async with get_database().session() as s:
        versions = await entries.entry_versions(s, entry_id=first.entry_id, actor=DOCTOR,
                                                scope="01001")
        record = await service.get_encounter_record(s, encounter_id=first.encounter_id,
                                                    actor=DOCTOR, scope="01001")
    assert second.version == 2 and second.reason == "Người bệnh kể lại"
    assert [(v.version, v.status, v.data["text"]) for v in versions] == [
        (1, "superseded", "Sốt 2 ngày"), (2, "current", "Sốt 3 ngày")]
    assert [n.data["text"] for n in record.notes] == ["Sốt 3 ngày"]


async def test_amending_the_main_diagnosis_does_not_count_it_twice(world) -> None:  # noqa: ANN001
    first = await _entry(world, "diagnosis", {"code": "A90", "main": True})
    async with get_database().session() as s:
        amended = await entries.amend_entry(s, entry_id=first.entry_id,
                                            data={"code": "J10", "main": True},
                                            reason="Kết quả xét nghiệm cúm dương tính",
                                            actor=DOCTOR, scope="01001")
    assert amended.code == "J10"


async def test_entered_in_error_keeps_the_row_and_hides_it(world) -> None:  # noqa: ANN001
    first = await _entry(world, "vitals", {"pulse": 80, "temperature": 37})
    async with get_database().session() as s:
        marked = await entries.mark_entered_in_error(s, entry_id=first.entry_id,
                                                     reason="Nhầm người bệnh", actor=DOCTOR,
                                                     scope="01001")
    async with get_database().session() as s:
        rows = await s.scalar(select(func.count()).select_from(Entry).where(
            Entry.entry_id == first.entry_id))
        record = await service.get_encounter_record(s, encounter_id=first.encounter_id,
                                                    actor=DOCTOR, scope="01001")
    assert marked.status == "entered_in_error" and marked.reason == "Nhầm người bệnh"
    assert rows == 1 and record.vitals == []
    with pytest.raises(Conflict):
        async with get_database().session() as s:
            await entries.amend_entry(s, entry_id=first.entry_id, data={"pulse": 90},
                                      reason="again", actor=DOCTOR, scope="01001")


async def test_closed_encounter_entries_can_still_be_amended(world) -> None:  # noqa: ANN001
    first = await _entry(world, "diagnosis", {"code": "A90", "main": True})
    async with get_database().session() as s:
        await service.close_encounter(s, encounter_id=first.encounter_id, actor=DOCTOR,
                                      scope="01001")
    async with get_database().session() as s:
        amended = await entries.amend_entry(s, entry_id=first.entry_id,
                                            data={"code": "A90", "main": True,
                                                  "text": "Dengue cổ điển"},
                                            reason="Bổ sung mô tả", actor=DOCTOR, scope="01001")
    assert amended.version == 2
    async with get_database().session() as s:
        await entries.amend_entry(s, entry_id=first.entry_id, data={"code": "J10", "main": True},
                                  reason="Xét nghiệm cúm dương tính", actor=DOCTOR,
                                  scope="01001")
        enc = await service.get_encounter(s, encounter_id=first.encounter_id, actor=DOCTOR,
                                          scope="01001")
    assert enc.main_icd == "J10"
