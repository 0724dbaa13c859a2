"""The audit log is a hash chain: any edited or deleted entry is found and located."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from smarthealth.core import audit
from smarthealth.core.audit import Actor
from smarthealth.core.db import get_database
from smarthealth.core.models import AuditEntry

DOCTOR = Actor(name="bacsi", role="doctor", facility_code="01001", source_ip="10.0.0.7")


async def _write(n: int, *, sealed: bool = True) -> None:
    async with get_database().session() as session:
        for i in range(n):
            await audit.record(session, actor=DOCTOR, action="read", entity_type="person",
                               entity_id=i, patient_id=100 + i, details={"i": i})
    if sealed:
        async with get_database().session() as session:
            await audit.seal(session, grace=timedelta(0))


async def _verify() -> list:
    async with get_database().session() as session:
        return (await audit.verify(session))[1]


async def test_an_untouched_chain_verifies():
    await _write(5)
    async with get_database().session() as session:
        checked, problems = await audit.verify(session)
    assert (checked, problems) == (5, [])


async def test_each_entry_carries_the_hash_of_the_previous_one():
    await _write(3)
    async with get_database().session() as session:
        rows = (await session.execute(
            AuditEntry.__table__.select().order_by(AuditEntry.seq))).all()
    assert rows[0].prev_hash == audit.GENESIS
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash


async def test_an_edited_entry_is_detected_at_its_sequence_number():
    await _write(5)
    async with get_database().session() as session:
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 3)
                              .values(actor="someone_else"))
    problems = await _verify()
    assert [(p.seq, "changed" in p.problem) for p in problems] == [(3, True)]


async def test_a_deleted_entry_is_detected():
    await _write(5)
    async with get_database().session() as session:
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    problems = await _verify()
    assert any(p.seq == 2 and "missing" in p.problem for p in problems)
    assert any(p.seq == 3 and "link" in p.problem for p in problems)


async def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link():
    await _write(4)
    async with get_database().session() as session:
        entry = await session.scalar(AuditEntry.__table__.select().where(AuditEntry.seq == 2)
                                     .with_only_columns(AuditEntry.id))
        row = await session.get(AuditEntry, entry)
        row.action = "delete"
        row.hash = audit.entry_hash(row)
    problems = await _verify()
    assert [p.seq for p in problems] == [3]


async def test_cli_verify_exits_non_zero_and_names_the_entry():
    await _write(3)
    cmd = [sys.executable, "-m", "smarthealth.cli", "audit", "verify"]
    ok = subprocess.run(cmd, capture_output=True, text=True, env=os.environ, timeout=120)
    assert ok.returncode == 0 and "intact: 3 entries" in ok.stdout
    async with get_database().session() as session:
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(details={}))
    bad = subprocess.run(cmd, capture_output=True, text=True, env=os.environ, timeout=120)
    assert bad.returncode == 1 and "entry 2:" in bad.stdout


async def test_writers_do_not_chain_and_the_sealer_chains_in_id_order():
    await _write(3, sealed=False)
    async with get_database().session() as session:
        assert (await session.scalars(AuditEntry.__table__.select()
                                      .with_only_columns(AuditEntry.seq))).all() == [None] * 3
        assert await audit.seal(session, grace=timedelta(0)) == 3
    async with get_database().session() as session:
        rows = (await session.execute(AuditEntry.__table__.select()
                                      .order_by(AuditEntry.id))).all()
    assert [r.seq for r in rows] == [1, 2, 3]


async def test_the_sealer_waits_at_a_recent_gap_in_ids():
    async with get_database().session() as session:
        first = await audit.record(session, actor=DOCTOR, action="read", entity_type="x")
    with pytest.raises(RuntimeError):
        async with get_database().session() as session:
            await audit.record(session, actor=DOCTOR, action="read", entity_type="x")
            raise RuntimeError("rolled back")
    async with get_database().session() as session:
        third = await audit.record(session, actor=DOCTOR, action="read", entity_type="x")
    if third.id == first.id + 1:
        pytest.skip("this database reused the rolled-back id, so there is no gap")
    async with get_database().session() as session:
        assert await audit.seal(session) == 1
    async with get_database().session() as session:
        assert await audit.seal(session, grace=timedelta(0)) == 1
