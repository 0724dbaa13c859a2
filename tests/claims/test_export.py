"""XML 130 export of finished BHYT encounters: mapping per visit type, money, invalid ones."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from smarthealth.claims import export, xmlfile
from smarthealth.core.db import get_database
from smarthealth.emr.models import ChargeLine, Encounter
from smarthealth.identity.models import Person
from tests.claims.synth_episodes import seed_claims

pytest.importorskip("smarthealth.claims.validate")
OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}


async def _episodes(count: int = 30) -> tuple[list[dict], dict[int, object]]:
    db = get_database()
    await seed_claims(db, count=count, seed=5)
    async with db.session() as session:
        ids = list((await session.scalars(select(Encounter.id).order_by(Encounter.id))).all())
        bundles = await export.load_bundles(session, encounter_ids=ids)
    return bundles, {b["encounter"]["id"]: export.build_episode(b) for b in bundles}


def _dec(text: str) -> Decimal:
    return Decimal(text or "0")


async def test_each_visit_type_maps_to_its_xml130_codes() -> None:
    bundles, episodes = await _episodes()
    for bundle in bundles:
        enc = bundle["encounter"]
        episode = episodes[enc["id"]]
        xml1 = episode.tables["XML1"][0]
        assert xml1["MA_LK"] == f"SH{enc['id']}" and xml1["MA_CSKCB"] == enc["facility_code"]
        groups = [r["MA_NHOM"] for r in episode.tables["XML3"]]
        if bundle["admission"] is not None:  # inpatient (and admitted emergencies)
            assert xml1["MA_LOAI_KCB"] == "03" and xml1["NGAY_VAO_NOI_TRU"]
            days = (export.local_date(bundle["admission"]["discharged_at"])
                    - export.local_date(enc["started_at"])).days + 1
            assert xml1["SO_NGAY_DTRI"] == str(days)
            assert "15" in groups and "XML5" in episode.tables
        else:
            assert (xml1["MA_LOAI_KCB"], xml1["SO_NGAY_DTRI"]) == ("01", "0")
            assert "XML5" not in episode.tables and "15" not in groups
        if enc["kind"] == "emergency":
            assert xml1["MA_DOITUONG_KCB"] == "2" and export.checkin_of(episode) is None
        else:
            checkin = export.checkin_of(episode)
            assert checkin.records[0]["MA_LK"] == xml1["MA_LK"]
        assert groups[0] == "13"  # the exam comes first
        assert xml1["MA_BENH_CHINH"] == enc["main_icd"]
        assert xml1["CAN_NANG"] and xml1["MA_THE_BHYT"] == bundle["card"]["code"]
        assert len(episode.tables["XML2"]) == sum(1 for line in bundle["lines"]
                                                  if line["kind"] == "drug")


async def test_money_is_the_charge_lines_and_totals_are_their_sums() -> None:
    bundles, episodes = await _episodes()
    for bundle in bundles:
        episode = episodes[bundle["encounter"]["id"]]
        lines = episode.tables["XML2"] + episode.tables["XML3"]
        stored = bundle["lines"]
        assert sum(_dec(r["T_BHTT"]) for r in lines) == sum(x["bhyt_pays"] for x in stored)
        assert sum(_dec(r["T_BNTT"]) + _dec(r["T_BNCCT"]) for r in lines) == sum(
            x["patient_pays"] for x in stored)
        xml1 = episode.tables["XML1"][0]
        assert _dec(xml1["T_TONGCHI_BV"]) == sum(x["amount"] for x in stored)
        assert _dec(xml1["T_BHTT"]) == _dec(xml1["T_TONGCHI_BH"]) - _dec(xml1["T_BNCCT"])
        for r in lines:
            assert r["MUC_HUONG"] == export.fmt_number(
                bundle["encounter"]["charge_summary"]["muc_huong"])


async def test_invalid_and_uncovered_encounters_are_reported_not_written(tmp_path: Path) -> None:
    db = get_database()
    await seed_claims(db, count=10, seed=6)
    async with db.session() as session:
        ids = list((await session.scalars(select(Encounter.id).order_by(Encounter.id))).all())
        person_id = await session.scalar(select(Encounter.person_id).where(
            Encounter.id == ids[0]))
        await session.execute(update(Person).where(Person.id == person_id).values(address=None))
        await session.execute(update(Encounter).where(Encounter.id == ids[1]).values(
            coverage={"decision": "invalid"}))
    result = await export.export_period(db, facility_codes=None, out=tmp_path, sign=False,
                                        **OCTOBER)
    assert (result.encounters, result.not_covered, result.episodes) == (10, 1, 8)
    assert [bad.encounter_id for bad in result.invalid] == [ids[0]]
    assert any(p.field == "DIA_CHI" for p in result.invalid[0].problems)
    names = {p.name for p in tmp_path.iterdir()}
    assert not any(f"_SH{ids[0]}." in n or f"_SH{ids[1]}." in n for n in names)


async def test_a_facility_exports_only_its_own_and_files_are_signed(tmp_path: Path) -> None:
    from smarthealth.claims.signing import verify_envelope

    db = get_database()
    await seed_claims(db, count=9, seed=7)
    result = await export.export_period(db, facility_codes=["01913"], out=tmp_path, sign=True,
                                        **OCTOBER)
    assert result.episodes == 3 and result.invalid == []
    for path in tmp_path.iterdir():
        assert path.name.startswith("01913_")
        data = path.read_bytes()
        assert verify_envelope(data).valid, path.name
        assert xmlfile.read(data).problems == []


async def test_money_lines_agree_with_insurance_copay_rounding() -> None:
    bundles, episodes = await _episodes(10)
    async with get_database().session() as session:
        lines = (await session.scalars(select(ChargeLine))).all()
    assert all(line.bhyt_pays + line.patient_pays == line.amount for line in lines)
    for bundle in bundles:
        for r in episodes[bundle["encounter"]["id"]].tables["XML3"]:
            expected = _dec(r["SO_LUONG"]) * _dec(r["DON_GIA_BH"])
            if r["PHAM_VI"] == "1":
                assert abs(_dec(r["THANH_TIEN_BH"]) - expected) <= 1


async def test_the_export_and_import_commands(tmp_path: Path) -> None:
    await seed_claims(get_database(), count=12, seed=8)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "smarthealth.cli", "claims", *args],
                              capture_output=True, text=True, env=os.environ, timeout=300)

    out = cli("export", "--all-facilities", "--from", "2026-10-01", "--to", "2026-10-31",
              "--out", str(tmp_path), "--no-sign")
    assert out.returncode == 0, out.stderr
    assert "episode files: 12" in out.stdout
    again = cli("import", str(tmp_path))  # our own episodes: already known, nothing changes
    assert again.returncode == 0, again.stderr
    assert "imported: 0 (0 episodes); unchanged: 12" in again.stdout
    assert cli("export", "--from", "2026-10-01", "--to", "2026-10-31",
               "--out", str(tmp_path)).returncode == 2
