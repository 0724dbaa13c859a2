"""Past visits for the synthetic population, shaped like Hanoi's seasons and chronic diseases.

Dengue (A90) peaks from August to November, influenza-like illness (J11, J06.9) in winter and
spring, hand-foot-and-mouth disease (B08.4) in young children in spring and autumn, diarrhoea
(A09) in summer; adults over 45 carry hypertension (I10), type 2 diabetes (E11.9) or COPD
(J44.9) with repeat prescriptions. Deterministic for a seed. Written through `emr.bulk`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from smarthealth.catalogue import service as catalogue
from smarthealth.core.db import Database
from smarthealth.emr import bulk as emr_bulk
from smarthealth.identity import bulk as identity_bulk
from smarthealth.registry import service as registry

# (ICD-10, weight by month Jan..Dec, age band (min, max), prescriptions (drug code, dose, per day))
ACUTE = [
    ("A90", (1, 1, 1, 1, 2, 3, 6, 12, 16, 14, 9, 3), (5, 90), [("02.001", 1, 3)]),
    ("J11", (12, 12, 9, 6, 3, 2, 2, 2, 3, 5, 8, 11), (0, 90), [("02.001", 1, 3)]),
    ("J06.9", (10, 10, 8, 7, 5, 4, 4, 4, 5, 7, 9, 10), (0, 90), [("02.001", 1, 2)]),
    ("B08.4", (1, 2, 5, 7, 6, 3, 2, 3, 6, 7, 4, 2), (0, 5), [("02.004", 1, 3)]),
    ("A09", (2, 2, 3, 4, 6, 8, 9, 8, 5, 3, 2, 2), (0, 90), [("02.001", 1, 2)]),
]
CHRONIC = [
    ("I10", 0.22, [("12.001", 1, 1)]),
    ("E11.9", 0.08, [("15.001", 1, 2)]),
    ("J44.9", 0.04, [("25.001", 1, 3)]),
]
ALLERGIES = [("Penicillin", "Nổi mẩn đỏ khi dùng Amoxicillin"), ("Paracetamol", "Phát ban")]


@dataclass(frozen=True)
class HistoryResult:
    encounters: int
    seconds: float


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class _Catalogue:
    """Titles and drugs looked up once."""

    def __init__(self, titles: dict[str, str], drugs: dict[str, Any]) -> None:
        self.titles, self.drugs = titles, drugs

    def prescription(self, code: str, dose: float, per_day: int, days: int) -> dict[str, Any]:
        drug = self.drugs[code]
        quantity = int(dose * per_day * days + 0.999)
        return {"drug_code": drug.code, "name": drug.name, "strength": drug.strength,
                "active_ingredient": drug.active_ingredient,
                "ingredient_key": drug.ingredient_key, "dose": dose,
                "frequency_per_day": per_day, "days": days, "quantity": quantity,
                "unit": drug.unit, "price": drug.price, "bhyt_covered": drug.bhyt_covered,
                "instructions": f"Ngày {per_day} lần, mỗi lần {dose:g} {drug.unit.lower()}"}

    def diagnosis(self, code: str, main: bool = True) -> dict[str, Any]:
        return {"code": code, "title_vi": self.titles.get(code, code), "main": main}


async def _load_catalogue(database: Database) -> _Catalogue:
    codes = {c for c, *_ in ACUTE} | {c for c, *_ in CHRONIC}
    drug_codes = {d for _, _, _, rx in ACUTE for d, *_ in rx} | {
        d for _, _, rx in CHRONIC for d, *_ in rx}
    async with database.session() as session:
        titles = {code: (await catalogue.get_icd10(session, code=code)).title_vi for code in codes}
        drugs = {code: await catalogue.get_drug(session, code=code) for code in drug_codes}
    return _Catalogue(titles, drugs)


async def _facilities(database: Database) -> tuple[dict[int, str], list[str]]:
    """Health station per ward, and the hospitals (for visits beyond primary care)."""
    stations: dict[int, str] = {}
    hospitals: list[str] = []
    async with database.session() as session:
        page = 1
        while True:
            batch = await registry.list_facilities(session, page=page, page_size=200)
            for facility in batch.items:
                if facility.tier == "commune" and facility.ward_code is not None:
                    stations[facility.ward_code] = facility.code
                else:
                    hospitals.append(facility.code)
            if page * 200 >= batch.total:
                break
            page += 1
    return stations, hospitals


def _visit_day(rng: random.Random, weights: tuple[int, ...], start: date, end: date) -> date:
    """A day between start and end drawn with the month weights."""
    for _ in range(20):
        day = start + timedelta(days=rng.randrange((end - start).days))
        if rng.random() * max(weights) <= weights[day.month - 1]:
            return day
    return day


def _person_visits(rng: random.Random, person: tuple, cat: _Catalogue, facility_of: Any,
                   start: date, end: date) -> list[dict[str, Any]]:
    person_id, birth, sex, ward = person
    age = _age(birth, end)
    visits: list[dict[str, Any]] = []
    person_level: dict[str, list] = {"allergies": [], "conditions": []}
    if rng.random() < 0.04:
        substance, reaction = rng.choice(ALLERGIES)
        person_level["allergies"].append({"substance": substance, "reaction": reaction,
                                          "severity": "moderate"})
    for _ in range(rng.choices((0, 1, 2, 3), (45, 35, 14, 6))[0]):
        code, weights, (low, high), rx = rng.choice(ACUTE)
        if not low <= age <= high:
            continue
        day = _visit_day(rng, weights, start, end)
        visits.append(_visit(rng, person_id, day, facility_of(ward), cat, [code],
                             [cat.prescription(d, dose, n, rng.choice((3, 5, 7)))
                              for d, dose, n in rx]))
    if age >= 45:
        for code, share, rx in CHRONIC:
            if rng.random() >= share * (1.5 if age >= 65 else 1.0):
                continue
            person_level["conditions"].append({"code": code, "name": cat.titles[code],
                                               "active": True})
            day = start + timedelta(days=rng.randrange(28))
            while day < end:  # monthly repeat prescriptions
                visits.append(_visit(rng, person_id, day, facility_of(ward), cat, [code],
                                     [cat.prescription(d, dose, n, 30) for d, dose, n in rx]))
                day += timedelta(days=28 + rng.randrange(10))
    if visits:
        visits[0].update(person_level)
    return visits


def _visit(rng: random.Random, person_id: int, day: date, facility_code: str, cat: _Catalogue,
           codes: list[str], prescriptions: list[dict[str, Any]]) -> dict[str, Any]:
    started = datetime(day.year, day.month, day.day, 1 + rng.randrange(8), rng.randrange(60),
                       tzinfo=UTC)  # 08:00–16:59 Hanoi time
    return {"person_id": person_id, "facility_code": facility_code, "started_at": started,
            "closed_at": started + timedelta(minutes=8 + rng.randrange(25)),
            "reason": cat.titles.get(codes[0], ""), "outcome": "improved",
            "doctor_name": "Bác sĩ khám bệnh",
            "diagnoses": [cat.diagnosis(code, main=i == 0) for i, code in enumerate(codes)],
            "prescriptions": prescriptions,
            "vitals": {"pulse": 60 + rng.randrange(40),
                       "temperature": round(36.5 + rng.random() * 2, 1),
                       "systolic": 100 + rng.randrange(60), "diastolic": 60 + rng.randrange(30)}}


async def seed_history(database: Database, *, seed: int, years: int = 2, on: date | None = None,
                       chunk: int = 5000) -> HistoryResult:
    """Write past visits for every seeded person; returns how many encounters were written."""
    started = datetime.now(UTC)
    end = on or date.today()
    start = end - timedelta(days=365 * years)
    cat = await _load_catalogue(database)
    stations, hospitals = await _facilities(database)
    rng = random.Random(seed * 7919 + 17)

    def facility_of(ward: int | None) -> str:
        if ward in stations and rng.random() < 0.6:
            return stations[ward]
        return "01013" if "01013" in hospitals and rng.random() < 0.3 else rng.choice(hospitals)

    total, after = 0, 0
    while True:
        async with database.session() as session:
            people = await identity_bulk.person_rows(session, after_id=after, limit=chunk)
        if not people:
            break
        rows = [v for person in people
                for v in _person_visits(rng, person, cat, facility_of, start, end)]
        async with database.session() as session:
            await emr_bulk.add_past_encounters(session, rows=rows)
        total += len(rows)
        after = people[-1][0]
    return HistoryResult(encounters=total,
                         seconds=(datetime.now(UTC) - started).total_seconds())
