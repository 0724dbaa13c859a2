"""Round trip: export → validate (zero problems) → import into an empty database → export again."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smarthealth.claims import export, importing
from smarthealth.claims.models import ClaimEpisode
from smarthealth.core.db import get_database
from tests.claims.synth_episodes import reference_data, seed_claims
from tests.conftest import _wipe

pytest.importorskip("smarthealth.claims.validate")

COUNT = 1000
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _without_creation(data: bytes) -> bytes:
    data = re.sub(rb"<NGAYLAP>\d*</NGAYLAP>", b"<NGAYLAP/>", data)
    return re.sub(rb"<CHUKYDONVI>.*</CHUKYDONVI>", b"<CHUKYDONVI/>", data, flags=re.S)


async def test_round_trip_of_every_visit_type(tmp_path: Path) -> None:
    from smarthealth.claims.validate import validate_file

    db = get_database()
    await seed_claims(db, count=COUNT, seed=3)
    first = await export.export_period(db, facility_codes=None, start=OCTOBER[0],
                                       end=OCTOBER[1], out=tmp_path / "a", sign=False,
                                       created=date(2026, 11, 2))
    assert first.invalid == []
    assert first.episodes == COUNT and first.encounters == COUNT
    files = _files(tmp_path / "a")
    problems = [(name, p) for name, data in files.items()
                for p in validate_file(data, warnings=True)]
    assert problems == []
    envelopes = [d for n, d in files.items() if not n.endswith("_XML0.xml")]
    for table in (b"XML1", b"XML2", b"XML3", b"XML4", b"XML5"):  # every table occurs
        assert any(b"<LOAIHOSO>" + table + b"</LOAIHOSO>" in d for d in envelopes), table
    assert 0 < len(files) - len(envelopes) < COUNT  # check-ins, none for emergencies

    await _wipe()
    await reference_data(db)  # facilities and practitioners, as a city platform has them
    result = await importing.import_files(db, files=files.items())
    assert result.count("rejected") == 0, [f.problems[:3] for f in result.files if f.problems]
    assert result.episodes_imported == COUNT
    assert result.count("checkin") == len(files) - len(envelopes)
    async with db.session() as session:
        extras = (await session.scalars(select(ClaimEpisode.extras))).all()
    # our own files: the platform models every field it exports, nothing lands in extras
    assert [e for e in extras if e] == []

    again = await export.export_period(db, facility_codes=None, start=OCTOBER[0],
                                       end=OCTOBER[1], out=tmp_path / "b", sign=False,
                                       created=date(2026, 11, 9))
    assert again.invalid == [] and again.episodes == COUNT
    second = _files(tmp_path / "b")
    assert sorted(second) == sorted(files)
    different = [n for n in files if _without_creation(files[n]) != _without_creation(second[n])]
    assert different == []

    repeat = await importing.import_files(db, files=files.items())  # idempotent
    assert repeat.count("unchanged") == len(envelopes) and repeat.episodes_imported == 0
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ClaimEpisode)) == COUNT
