"""--jobs N gives the same files, problems and import outcome as --jobs 1 (process pools)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from smarthealth.claims import export, importing, parallel
from smarthealth.core.db import get_database
from tests.claims.synth_episodes import reference_data, seed_claims
from tests.conftest import _wipe

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
DEFECTS = Path(__file__).parent / "defects"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _outcomes(result: importing.ImportResult) -> list[tuple]:
    return [(f.name, f.status, f.episodes, [p.as_dict() for p in f.problems])
            for f in result.files]


async def test_jobs_change_nothing_but_speed(tmp_path: Path) -> None:
    db = get_database()
    await seed_claims(db, count=420, seed=5)
    kwargs = {"facility_codes": None, "start": OCTOBER[0], "end": OCTOBER[1], "sign": False,
              "created": date(2026, 11, 2), "chunk": 150}
    one = await export.export_period(db, out=tmp_path / "one", jobs=1, **kwargs)
    two = await export.export_period(db, out=tmp_path / "two", jobs=2, **kwargs)
    assert one.episodes == two.episodes == 420 and one.invalid == two.invalid == []
    assert (one.checkins, one.not_covered) == (two.checkins, two.not_covered)
    files = _files(tmp_path / "one")
    assert files == _files(tmp_path / "two")

    paths = sorted((tmp_path / "one").iterdir()) + sorted(DEFECTS.glob("*.xml"))
    serial = [c.problems for c in parallel.check_files(paths, jobs=1)]
    pooled = [c.problems for c in parallel.check_files(paths, jobs=2, chunk=7)]
    assert serial == pooled
    assert all(serial[-len(list(DEFECTS.glob("*.xml"))):])  # every defect file is reported
    assert not any(serial[:len(files)])

    uploads = list(files.items()) + [(p.name, p.read_bytes()) for p in DEFECTS.glob("*.xml")]
    results = []
    for jobs in (1, 2):
        await _wipe()
        await reference_data(db)
        results.append(await importing.import_files(db, files=uploads, jobs=jobs, chunk=30))
    assert _outcomes(results[0]) == _outcomes(results[1])
    assert results[1].episodes_imported == 420
    assert results[1].count("rejected") == len(list(DEFECTS.glob("*.xml")))
