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
