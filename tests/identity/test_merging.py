"""Duplicate finder, merge and undo (issue 3 point 3)."""

from datetime import date

import pytest
from sqlalchemy import select

from smarthealth.core.audit import Actor
from smarthealth.core.errors import Conflict
from smarthealth.core.models import AuditEntry
from smarthealth.identity import matching, merging, service
from smarthealth.identity.config import get_identity_settings
from smarthealth.identity.models import Person

STAFF = Actor(name="reception1", role="receptionist", facility_code="01001")


async def make(session, name, born, sex="male", **extra) -> Person:
    fields = service.validate_fields(full_name=name, birth_date=born, sex=sex, **extra)
    return await service.create_person(session, fields=fields)


async def planted_pair(session) -> tuple[Person, Person]:
    a = await make(session, "Nguyễn Văn Bình", date(2018, 5, 4), ward_code=70,
                   phone="0912000111")
    b = await make(session, "Nguyen Van Binh", date(2018, 5, 4), ward_code=70,
                   address="Số 2 Hàng Bài")
    await make(session, "Trần Thị Lan", date(2018, 5, 4), sex="female", ward_code=70)
    await make(session, "Nguyễn Văn Bình", date(1975, 1, 1), ward_code=9)
    return a, b


def test_score_is_documented_weighted_sum():
    assert sum(matching.WEIGHTS.values()) == pytest.approx(1.0)


async def test_duplicate_finder_finds_the_planted_pair_above_threshold(session):
    a, b = await planted_pair(session)
    pairs = await merging.find_duplicates(session)
    assert [(p.first.id, p.second.id) for p in pairs] == [(a.id, b.id)]
    assert pairs[0].score >= get_identity_settings().duplicate_threshold
    assert pairs[0].parts["name"] == 1.0 and pairs[0].parts["birth_date"] == 1.0


async def test_swapped_day_and_month_with_a_typo_still_scores_as_candidate(session):
    a = await make(session, "Lê Thị Hồng Nhung", date(2015, 3, 7), sex="female", ward_code=5)
    b = await make(session, "Le Thi Hong Nhungg", date(2015, 7, 3), sex="female", ward_code=5)
    score, _ = matching.score_pair(a, b)
    assert 0.8 < score < 1.0


async def test_records_with_two_cccd_numbers_are_never_candidates(session):
    await make(session, "Nguyễn Văn An", date(1990, 1, 1), cccd="001090123456")
    await make(session, "Nguyễn Văn An", date(1990, 1, 1), cccd="001090654321")
    assert await merging.find_duplicates(session) == []


async def test_record_without_cccd_is_matched_to_one_with(session):
    a = await make(session, "Nguyễn Văn An", date(1990, 1, 1), cccd="001090123456", ward_code=1)
    b = await make(session, "Nguyen Van An", date(1990, 1, 1), ward_code=1)
    pairs = await merging.find_duplicates(session)
    assert [(p.first.id, p.second.id) for p in pairs] == [(a.id, b.id)]


async def test_merge_keeps_both_records_and_searches_resolve_to_the_survivor(session):
    a, b = await planted_pair(session)
    row = await merging.merge_persons(session, actor=STAFF, keep_id=a.id, merge_id=b.id,
                                      reason="Cùng một trẻ, nhập hai lần")
    assert b.merged_into_id == a.id and a.address == "Số 2 Hàng Bài"
    assert row.changes["filled"] == {"address": "Số 2 Hàng Bài"}
    found, total = await service.search_persons(session, name="Nguyen Van Binh",
                                                birth_date=date(2018, 5, 4))
    assert total == 1 and found[0].id == a.id
    assert (await service.get_person(session, person_id=b.id)).id == a.id
    assert await session.get(Person, b.id) is not None


async def test_merge_then_undo_restores_both(session):
    a, b = await planted_pair(session)
    row = await merging.merge_persons(session, actor=STAFF, keep_id=a.id, merge_id=b.id,
                                      reason="duplicate")
    await merging.undo_merge(session, actor=STAFF, merge_row_id=row.id)
    assert b.merged_into_id is None and a.address is None
    assert row.undone_by == "reception1" and row.undone_at is not None
    _, total = await service.search_persons(session, name="Nguyen Van Binh",
                                            birth_date=date(2018, 5, 4))
    assert total == 2
    with pytest.raises(Conflict):
        await merging.undo_merge(session, actor=STAFF, merge_row_id=row.id)


async def test_merging_a_survivor_repoints_earlier_merges_and_undo_puts_them_back(session):
    a, b = await planted_pair(session)
    c = await make(session, "Nguyễn Văn Bình", date(2018, 5, 4), ward_code=70)
    first = await merging.merge_persons(session, actor=STAFF, keep_id=b.id, merge_id=c.id,
                                        reason="dup")
    second = await merging.merge_persons(session, actor=STAFF, keep_id=a.id, merge_id=b.id,
                                         reason="dup")
    assert c.merged_into_id == a.id and second.changes["repointed"] == [c.id]
    await merging.undo_merge(session, actor=STAFF, merge_row_id=second.id)
    await session.refresh(c)
    assert c.merged_into_id == b.id and b.merged_into_id is None
    await merging.undo_merge(session, actor=STAFF, merge_row_id=first.id)
    assert c.merged_into_id is None


@pytest.mark.parametrize("case", ["self", "already", "two_cccd"])
async def test_impossible_merges_are_refused(session, case):
    from smarthealth.core.errors import DomainError

    a, b = await planted_pair(session)
    if case == "already":
        await merging.merge_persons(session, actor=STAFF, keep_id=a.id, merge_id=b.id,
                                    reason="dup")
    if case == "two_cccd":
        a.cccd, b.cccd = "001218000001", "001218000002"
    with pytest.raises(DomainError):
        await merging.merge_persons(session, actor=STAFF, keep_id=a.id,
                                    merge_id=a.id if case == "self" else b.id, reason="dup")


async def test_merge_and_undo_are_audited(session):
    a, b = await planted_pair(session)
    row = await merging.merge_persons(session, actor=STAFF, keep_id=a.id, merge_id=b.id,
                                      reason="duplicate")
    await merging.undo_merge(session, actor=STAFF, merge_row_id=row.id)
    entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.action, e.patient_id, e.actor) for e in entries] == [
        ("person.merge", a.id, "reception1"), ("person.merge_undo", b.id, "reception1")]
    assert entries[0].details["reason"] == "duplicate"
