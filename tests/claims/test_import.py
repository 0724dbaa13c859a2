"""XML 130 import: vendor files in, defects rejected whole, idempotent, scoped upload API."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smarthealth.claims import export, importing, xmlfile
from smarthealth.claims.models import ClaimEpisode
from smarthealth.core.db import Base, get_database
from smarthealth.emr.models import ChargeLine, Encounter, Entry
from smarthealth.identity.models import Person
from tests.claims.conftest import FACILITY, MA_LK, sample_episode
from tests.conftest import auth

pytest.importorskip("smarthealth.claims.validate")
CREATED = date(2026, 11, 21)
DEFECTS = Path(__file__).parent / "defects"


def _file(**overrides: object) -> bytes:
    return xmlfile.envelope_xml(sample_episode(**overrides), created=CREATED)


def _defects() -> dict[str, bytes]:
    """Hand-built files with one known defect each (plus any in tests/claims/defects)."""
    good = sample_episode()
    twice = xmlfile.envelopes_xml([good, sample_episode()], created=CREATED)
    files = {"missing_name.xml": _file(HO_TEN=""),
             "bad_date.xml": _file(NGAY_VAO="2026-11-20 08:00"),
             "sums.xml": _file(T_TONGCHI_BV="1"),
             "female_code_for_man.xml": _file(GIOI_TINH="1", MA_BENH_CHINH="O80"),
             "duplicate_ma_lk.xml": twice,
             "not_xml.xml": b"<GIAMDINHHS><THONGTINDONVI>"}
    files.update({p.name: p.read_bytes() for p in sorted(DEFECTS.glob("*.xml"))})
    return files


async def _counts() -> dict[str, int]:
    async with get_database().session() as session:
        return {t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables}


async def test_a_vendor_file_becomes_person_visit_entries_and_lines() -> None:
    db = get_database()
    result = await importing.import_files(db, files=[("a.xml", _file())])
    assert result.summary()["episodes_imported"] == 1, result.files[0].problems
    async with db.session() as session:
        person = await session.scalar(select(Person))
        encounter = await session.scalar(select(Encounter))
        kinds = sorted((await session.scalars(select(Entry.kind))).all())
        lines = (await session.scalars(select(ChargeLine).order_by(ChargeLine.line_no))).all()
        claim = await session.scalar(select(ClaimEpisode))
    assert (person.full_name, person.cccd, person.sex) == ("Nguyễn Thị Lan", "001185012345",
                                                          "female")
    assert encounter.facility_code == FACILITY and encounter.main_icd == "J06.9"
    assert kinds == ["diagnosis", "diagnosis", "note", "order", "order", "prescription",
                     "prescription", "result", "vitals"]
    assert [(line.kind, line.amount) for line in lines][:2] == [("exam", 50000), ("lab", 30000)]
    assert (claim.facility_code, claim.ma_lk, claim.direction) == (FACILITY, MA_LK, "imported")
    assert claim.extras  # e.g. decimal unit prices, MA_KHOA K01 staff numbers: kept aside


async def test_what_the_platform_does_not_model_survives_a_round_trip(tmp_path: Path) -> None:
    db = get_database()
    original = _file()
    await importing.import_files(db, files=[("a.xml", original)])
    result = await export.export_period(db, facility_codes=[FACILITY], start=date(2026, 11, 1),
                                        end=date(2026, 11, 30), out=tmp_path, sign=False,
                                        created=date(2026, 12, 1))
    assert result.invalid == [] and result.episodes == 1
    again = (tmp_path / f"{FACILITY}_{MA_LK}.xml").read_bytes()
    assert re.sub(rb"<NGAYLAP>\d+</NGAYLAP>", b"", again) == re.sub(
        rb"<NGAYLAP>\d+</NGAYLAP>", b"", original)


async def test_the_same_file_again_changes_nothing() -> None:
    db = get_database()
    first = await importing.import_files(db, files=[("a.xml", _file())])
    assert first.count("imported") == 1
    before = await _counts()
    again = await importing.import_files(db, files=[("a.xml", _file()), ("b.xml", _file())])
    assert again.count("unchanged") == 2 and again.episodes_imported == 0
    assert await _counts() == before


async def test_the_known_person_is_matched_not_duplicated() -> None:
    db = get_database()
    await importing.import_files(db, files=[("a.xml", _file())])
    other = _file(MA_LK="second-visit", SO_CCCD="")  # same card, no CCCD this time
    result = await importing.import_files(db, files=[("b.xml", other)])
    assert result.episodes_imported == 1
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 1
        assert await session.scalar(select(func.count()).select_from(Encounter)) == 2


async def test_each_defect_file_is_rejected_whole_and_the_database_is_unchanged() -> None:
    db = get_database()
    await importing.import_files(db, files=[("good.xml", _file(MA_LK="already-here"))])
    before = await _counts()
    files = _defects()
    result = await importing.import_files(db, files=files.items())
    assert [f.status for f in result.files] == ["rejected"] * len(files)
    codes = {f.name: {(p.table, p.field, p.code) for p in f.problems} for f in result.files}
    assert any(field == "HO_TEN" for _, field, _ in codes["missing_name.xml"])
    assert any(field == "NGAY_VAO" for _, field, _ in codes["bad_date.xml"])
    assert any(field == "T_TONGCHI_BV" for _, field, _ in codes["sums.xml"])
    assert any(field == "MA_BENH_CHINH" for _, field, _ in codes["female_code_for_man.xml"])
    assert any(field == "MA_LK" for _, field, _ in codes["duplicate_ma_lk.xml"])
    assert await _counts() == before


async def test_upload_api_scopes_imports_to_the_facility(client, make_facility,
                                                         token_for) -> None:
    await make_facility(code=FACILITY)
    await make_facility(code="01002", name="Bệnh viện Khác")
    own = auth(await token_for("facility_admin", FACILITY))
    other = auth(await token_for("facility_admin", "01002"))
    upload = {"files": ("a.xml", _file(), "application/xml")}
    response = await client.post("/api/claims/imports", files=upload, headers=other)
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "rejected"
    assert response.json()["results"][0]["problems"][0]["code"] == "other_facility"
    response = await client.post("/api/claims/imports", files=upload, headers=own)
    assert response.json()["imported"] == 1 and response.json()["episodes_imported"] == 1
    response = await client.post("/api/claims/imports", files=upload, headers=own)
    assert response.json()["unchanged"] == 1
    bad = {"files": ("bad.xml", _file(MA_LK="x2", HO_TEN=""), "application/xml")}
    response = await client.post("/api/claims/imports", files=bad,
                                 headers=auth(await token_for("admin")))
    assert response.json()["rejected"] == 1
    doctor = auth(await token_for("doctor", FACILITY))
    assert (await client.post("/api/claims/imports", files=upload,
                              headers=doctor)).status_code == 403


async def test_an_imported_ma_lk_with_slashes_exports_to_a_safe_file_name(tmp_path: Path) -> None:
    db = get_database()
    await importing.import_files(db, files=[("a.xml", _file(MA_LK="KB/2026/7"))])
    await export.export_period(db, facility_codes=[FACILITY], start=date(2026, 11, 1),
                               end=date(2026, 11, 30), out=tmp_path, sign=False)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"{FACILITY}_KB_2026_7.xml", f"{FACILITY}_KB_2026_7_XML0.xml"]
    assert xmlfile.read((tmp_path / names[0]).read_bytes()).episodes[0].ma_lk == "KB/2026/7"
