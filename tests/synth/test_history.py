"""Past visits: Hanoi's seasons, chronic care with repeat prescriptions, data for every screen."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select

from smarthealth.catalogue.loaders import load_defaults
from smarthealth.core.audit import Actor
from smarthealth.core.db import get_database
from smarthealth.emr import service as emr
from smarthealth.emr.models import Encounter
from smarthealth.synth.history import seed_history
from smarthealth.synth.seed import seed_hanoi

ON = date(2026, 3, 15)


async def _seeded(people: int = 1500) -> int:
    database = get_database()
    await seed_hanoi(database, people=people, seed=5, on=ON)
    async with database.session() as session:
        await load_defaults(session)
    return (await seed_history(database, seed=5, on=ON)).encounters


async def _encounters() -> list[Encounter]:
    async with get_database().session() as session:
        return list((await session.scalars(select(Encounter))).all())


async def test_dengue_visits_peak_in_late_summer_and_autumn():
    await _seeded()
    months = Counter(e.started_at.month for e in await _encounters() if e.main_icd == "A90")
    assert sum(months[m] for m in (8, 9, 10, 11)) > 0.5 * sum(months.values())


async def test_influenza_like_illness_peaks_in_winter_and_spring():
    await _seeded()
    months = Counter(e.started_at.month for e in await _encounters() if e.main_icd == "J11")
    assert sum(months[m] for m in (12, 1, 2, 3)) > 0.45 * sum(months.values())


async def test_chronic_patients_return_monthly_for_repeat_prescriptions():
    await _seeded()
    per_person = Counter(e.person_id for e in await _encounters() if e.main_icd == "I10")
    assert per_person and max(per_person.values()) >= 20


async def test_the_person_header_shows_past_visits_and_chronic_conditions():
    written = await _seeded()
    encounters = await _encounters()
    assert written == len(encounters) > 0
    chronic = next(e for e in encounters if e.main_icd == "I10")
    async with get_database().session() as session:
        header = await emr.person_header(session, person_id=chronic.person_id, scope=None,
                                         actor=Actor(name="test", role="admin"), on=ON)
    assert header.past_encounter_count >= 20
    assert any(c.data.get("code") == "I10" for c in header.conditions)


async def test_visits_are_closed_with_charges_and_bhyt_ones_export_as_valid_claims(tmp_path):
    """Every past visit has the facility's exam and its drugs as charge lines, split as
    insurance.copay.compute splits them; visits of a card holder are BHYT-covered, and the
    claims export turns them into files that validate, with no visit left out as invalid."""
    from decimal import Decimal

    from smarthealth.claims import export
    from smarthealth.claims.validate import check_file
    from smarthealth.emr.models import ChargeLine

    await _seeded(people=600)
    encounters = await _encounters()
    async with get_database().session() as session:
        lines = (await session.scalars(select(ChargeLine))).all()
    by_encounter: dict[int, list[ChargeLine]] = {}
    for line in lines:
        by_encounter.setdefault(line.encounter_id, []).append(line)
    covered = [e for e in encounters if (e.coverage or {}).get("decision") == "valid"]
    assert covered and len(covered) < len(encounters)  # some people hold no card
    for e in encounters:
        mine = sorted(by_encounter[e.id], key=lambda line: line.line_no)
        assert mine[0].kind == "exam" and mine[0].code == "02.1896"
        assert [line.kind for line in mine[1:]] == ["drug"] * (len(mine) - 1)
        assert all(line.amount == line.bhyt_pays + line.patient_pays for line in mine)
        assert all(line.amount == round(line.quantity * line.hospital_unit_price)
                   for line in mine)
        assert e.charge_summary["covered"] is (e in covered)
        assert e.practitioner_id is not None and e.department_code == "KKB"
        if e not in covered:
            assert all(line.bhyt_pays == 0 for line in mine)
    assert sum(line.bhyt_pays for line in lines) > Decimal(0)
    result = await export.export_period(get_database(), facility_codes=None,
                                        start=date(2026, 1, 1), end=date(2026, 2, 28),
                                        out=tmp_path, sign=False)
    january_february = [e for e in covered if e.closed_at.date() >= date(2025, 12, 31)
                        and e.closed_at.date() <= date(2026, 2, 28)]
    assert result.invalid == [] and result.episodes >= len(january_february) - 2 > 0
    for path in sorted(tmp_path.glob("*.xml"))[:40]:
        assert check_file(path.read_bytes()).problems == []
