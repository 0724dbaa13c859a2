"""Import extras: the workers' shortcut (person, card, certificate and patient number as the
file states them) gives exactly what rebuilding from the written rows gives, also when the
matched person, card, doctor or patient number differ from the file."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from smarthealth.claims import export, importing, xmlfile
from smarthealth.claims.episode import Episode
from smarthealth.claims.models import ClaimEpisode
from smarthealth.core.db import get_database
from smarthealth.registry import bulk as registry_bulk
from tests.claims.conftest import FACILITY, sample_episode

pytest.importorskip("smarthealth.claims.validate")
CREATED = date(2026, 11, 21)
DOCTOR = "001234/HNO-CCHN"


async def _registry(*, doctor: bool = True) -> None:
    async with get_database().session() as session:
        ids = await registry_bulk.add_facilities(session, rows=[{
            "code": FACILITY, "name": "Bệnh viện Thử", "care_level": "basic", "tier": "city",
            "province_code": "01", "ward_code": None, "active": True}])
        if doctor:
            await registry_bulk.add_practitioners(session, rows=[{
                "facility_id": ids[FACILITY], "full_name": "Bác sĩ Thử", "title": "doctor",
                "certificate_number": DOCTOR, "active": True}])


def _episode(*, doctor: str = DOCTOR, **overrides: Any) -> Episode:
    episode = sample_episode(**overrides)
    for table in ("XML2", "XML3"):
        for rec in episode.tables[table]:
            rec["MA_BAC_SI"] = doctor
    return episode


async def _import(*episodes: Episode, jobs: int = 1) -> dict[tuple[str, str], Episode]:
    files = [(f"{n}.xml", xmlfile.envelope_xml(e, created=CREATED))
             for n, e in enumerate(episodes)]
    result = await importing.import_files(get_database(), files=files, jobs=jobs)
    assert result.count("rejected") == 0, [f.problems[:3] for f in result.files]
    return {(e.facility_code, e.ma_lk): e for e in episodes}


async def _stored_and_rebuilt(originals: dict[tuple[str, str], Episode]
                              ) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Extras of these episodes as stored, and as rebuilt from the database the way the export
    reads it (right after their import: a card added later may change the rebuild)."""
    async with get_database().session() as session:
        rows = [r for r in (await session.execute(select(
            ClaimEpisode.encounter_id, ClaimEpisode.facility_code, ClaimEpisode.ma_lk,
            ClaimEpisode.extras))).all() if (r.facility_code, r.ma_lk) in originals]
        bundles = await export.load_bundles(session, encounter_ids=[r.encounter_id for r in rows],
                                            covered_only=False)
    stored = {(r.facility_code, r.ma_lk): r.extras for r in rows}
    rebuilt = {}
    for bundle in bundles:
        key = (bundle["encounter"]["facility_code"], bundle["ma_lk"])
        bundle["extras"] = None
        rebuilt[key] = importing.extras_of(originals[key], export.build_episode(bundle))
    return stored, rebuilt


async def test_the_workers_extras_are_used_when_the_file_states_the_facts(monkeypatch) -> None:
    await _registry()
    calls = []
    original = export.complete_bundles

    async def counted(session: Any, bundles: list[Any]) -> None:
        calls.append(len(bundles))
        await original(session, bundles)

    monkeypatch.setattr(export, "complete_bundles", counted)
    originals = await _import(_episode(), _episode(MA_LK="other", SO_CCCD="001185012346",
                                                   MA_THE_BHYT="GD4010123456780", MA_BN="BN9"))
    assert calls == []  # nothing rebuilt in the main process
    stored, rebuilt = await _stored_and_rebuilt(originals)
    assert stored == rebuilt and all(stored.values())


async def test_extras_when_the_matched_person_differs_from_the_file() -> None:
    await _registry()
    first = await _import(_episode())
    # the same CCCD: matched to the person on file, whose name, phone, address, card and
    # patient number at this facility are the first file's
    second = _episode(MA_LK="second", HO_TEN="Nguyễn Thị Lan Anh", DIEN_THOAI="0987654321",
                      DIA_CHI="Số 2 phố Huế, Hà Nội", MA_BN="BN-OTHER",
                      MA_THE_BHYT="GD4010123456781")
    stored, rebuilt = await _stored_and_rebuilt(first)
    assert stored == rebuilt
    stored, rebuilt = await _stored_and_rebuilt(await _import(second))
    assert stored == rebuilt
    assert {"HO_TEN", "MA_BN", "DIEN_THOAI", "DIA_CHI"} <= set(
        stored[(FACILITY, "second")]["XML1"][0])


async def test_extras_when_doctor_card_or_number_are_not_as_the_file_states() -> None:
    await _registry()
    await _import(_episode(MA_LK="owner", SO_CCCD="001185099999", HO_TEN="Trần Văn Bình",
                           MA_THE_BHYT="GD4010999999999", MA_BN="BN-TAKEN"))
    originals = await _import(
        _episode(MA_LK="unknown-doctor", doctor="009999/HNO-CCHN"),
        # a number already another person's: this person keeps none at the facility
        _episode(MA_LK="taken-number", SO_CCCD="001185011111", MA_BN="BN-TAKEN",
                 MA_THE_BHYT="GD4010111111111"),
        # the card code is already another person's: no card is added for this one
        _episode(MA_LK="taken-card", SO_CCCD="001185022222", MA_BN="BN-CARD",
                 MA_THE_BHYT="GD4010999999999"),
        # the same new person twice in one chunk, told differently the second time
        _episode(MA_LK="twice-1", SO_CCCD="001185033333", MA_BN="BN-T1",
                 MA_THE_BHYT="GD4010333333333"),
        _episode(MA_LK="twice-2", SO_CCCD="001185033333", MA_BN="BN-T2", HO_TEN="Lê Thị Hoa",
                 MA_THE_BHYT="GD4010333333334"))
    stored, rebuilt = await _stored_and_rebuilt(originals)
    assert stored == rebuilt
    assert len(stored) == 5


async def test_pooled_extras_equal_in_process_extras() -> None:
    await _registry()
    episodes = [_episode(MA_LK=f"p{n}", SO_CCCD=f"0011850{n:05d}", MA_BN=f"BN{n % 3}",
                         MA_THE_BHYT=f"GD40101{n % 4:08d}", doctor=DOCTOR if n % 2 else "X1")
                for n in range(8)]
    originals = await _import(*episodes, jobs=2)
    stored, rebuilt = await _stored_and_rebuilt(originals)
    assert stored == rebuilt and len(stored) == 8


async def test_a_person_is_matched_by_name_and_birth_date() -> None:
    from smarthealth.identity.models import Person

    await _registry()
    await _import(_episode())
    # no CCCD, another card and patient number: found by exact name + birth date
    originals = await _import(_episode(MA_LK="by-name", SO_CCCD="", MA_BN="BN-NEW",
                                       MA_THE_BHYT="GD4010123456782"))
    stored, rebuilt = await _stored_and_rebuilt(originals)
    assert stored == rebuilt
    async with get_database().session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 1


async def test_files_given_as_paths_are_read_again_for_extras(tmp_path) -> None:
    """Paths are read in the worker; an episode whose extras are rebuilt in the main process
    (here the second of a two-episode file: its doctor is not registered) is read again from
    the file, by its place in it."""
    await _registry()
    episodes = [_episode(MA_LK="first"),
                _episode(MA_LK="second", SO_CCCD="001185044444", MA_BN="BN-S",
                         MA_THE_BHYT="GD4010444444444", doctor="008888/HNO-CCHN")]
    path = tmp_path / "two.xml"
    path.write_bytes(xmlfile.envelopes_xml(episodes, created=CREATED))
    result = await importing.import_files(get_database(), files=[path, str(path)])
    assert [(f.name, f.status, f.episodes) for f in result.files] == [
        ("two.xml", "imported", 2), ("two.xml", "unchanged", 0)]
    stored, rebuilt = await _stored_and_rebuilt({(e.facility_code, e.ma_lk): e
                                                 for e in episodes})
    assert stored == rebuilt and len(stored) == 2


async def test_a_path_that_cannot_be_read_is_rejected_and_the_others_imported(tmp_path) -> None:
    await _registry()
    good = tmp_path / "good.xml"
    good.write_bytes(xmlfile.envelope_xml(_episode(), created=CREATED))
    result = await importing.import_files(get_database(),
                                          files=[tmp_path / "missing.xml", good])
    assert [f.status for f in result.files] == ["rejected", "imported"]
    [problem] = result.files[0].problems
    assert problem.code == "unreadable" and problem.file == "missing.xml"
    assert "could not be read" in problem.message_en and "Không đọc được" in problem.message_vi
