"""Export workers read, build, sign and write themselves: everything equals --jobs 1 (files,
invalid episodes, claims_episodes rows, audit entries), on first and later exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from smarthealth.claims import export
from smarthealth.claims.models import ClaimEpisode
from smarthealth.core.db import get_database
from smarthealth.core.models import AuditEntry
from smarthealth.emr.models import Encounter
from smarthealth.identity.models import Person
from tests.claims.synth_episodes import seed_claims

OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


async def _rows() -> list[tuple[Any, ...]]:
    async with get_database().session() as session:
        return [tuple(r) for r in (await session.execute(
            select(ClaimEpisode.facility_code, ClaimEpisode.ma_lk, ClaimEpisode.encounter_id,
                   ClaimEpisode.person_id, ClaimEpisode.direction, ClaimEpisode.sha256,
                   ClaimEpisode.extras).order_by(ClaimEpisode.encounter_id))).all()]


async def _audits() -> list[dict[str, Any]]:
    async with get_database().session() as session:
        return list((await session.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "claims.export").order_by(AuditEntry.id))).all())


def _outcome(result: export.ExportResult) -> tuple[Any, ...]:
    return (result.encounters, result.episodes, result.checkins, result.not_covered,
            [(i.encounter_id, i.ma_lk, [p.as_dict() for p in i.problems])
             for i in result.invalid])


async def test_workers_export_exactly_what_one_process_exports(tmp_path: Path) -> None:
    db = get_database()
    await seed_claims(db, count=430, seed=12)
    async with db.session() as session:
        ids = list((await session.scalars(select(Encounter.id).order_by(Encounter.id))).all())
        for bad in (ids[3], ids[200]):  # no address: reported, not written
            person_id = await session.scalar(select(Encounter.person_id).where(
                Encounter.id == bad))
            await session.execute(update(Person).where(Person.id == person_id).values(
                address=None))
        await session.execute(update(Encounter).where(Encounter.id.in_(ids[10:13])).values(
            coverage={"decision": "invalid"}))
    kwargs = {"facility_codes": None, "sign": False, "created": date(2026, 11, 2),
              "chunk": 100, **OCTOBER}  # five chunks: a worker task per chunk

    outcomes, files, rows, audits = [], [], [], []
    for jobs in (1, 2):
        async with db.session() as session:  # each run starts without claims rows
            await session.execute(delete(ClaimEpisode))
        before = len(await _audits())
        result = await export.export_period(db, out=tmp_path / f"first{jobs}", jobs=jobs,
                                            **kwargs)
        outcomes.append(_outcome(result))
        files.append(_files(tmp_path / f"first{jobs}"))
        rows.append(await _rows())
        audits.append((await _audits())[before:])
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:4] == (430, 425, outcomes[0][2], 3) and len(outcomes[0][4]) == 2
    assert files[0] == files[1] and len(rows[0]) == 425
    assert rows[0] == rows[1] and audits[0] == audits[1] and len(audits[0]) == 5

    for jobs in (2, 1):  # known episodes: rows updated, not added
        before = len(await _audits())
        result = await export.export_period(db, out=tmp_path / f"again{jobs}", jobs=jobs,
                                            **kwargs)
        assert _outcome(result) == outcomes[0]
        assert _files(tmp_path / f"again{jobs}") == files[0]
        assert await _rows() == rows[0]
        assert (await _audits())[before:] == audits[0]


async def test_workers_sign_with_the_facility_seal(tmp_path: Path) -> None:
    from smarthealth.claims.signing import verify_envelope

    db = get_database()
    await seed_claims(db, count=420, seed=13)
    signed = []
    for jobs in (1, 2):
        result = await export.export_period(db, facility_codes=None,
                                            out=tmp_path / str(jobs), sign=True, jobs=jobs,
                                            created=date(2026, 11, 2), **OCTOBER)
        assert result.invalid == [] and result.episodes == 420
        signed.append(_files(tmp_path / str(jobs)))
    assert signed[0] == signed[1]
    for name, data in list(signed[1].items())[:6]:
        assert b"<ds:SignatureValue>" in data and verify_envelope(data).valid, name


def test_an_in_memory_database_is_exported_in_one_process() -> None:
    assert export._in_memory("sqlite+aiosqlite://")
    assert export._in_memory("sqlite+aiosqlite:///:memory:")
    assert export._in_memory("sqlite+aiosqlite:///file:x?mode=memory&uri=true")
    assert not export._in_memory("sqlite+aiosqlite:////tmp/claims.db")
    assert not export._in_memory("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
