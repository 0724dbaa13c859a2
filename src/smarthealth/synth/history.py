"""Past visits for the synthetic population, shaped like Hanoi's seasons and chronic diseases.

Dengue (A90) peaks from August to November, influenza-like illness (J11, J06.9) in winter and
spring, hand-foot-and-mouth disease (B08.4) in young children in spring and autumn, diarrhoea
(A09) in summer; adults over 45 carry hypertension (I10), type 2 diabetes (E11.9) or COPD
(J44.9) with repeat prescriptions. Deterministic for a seed. Written through `emr.bulk`.

Each visit is closed as the platform closes one: the facility's first doctor, department KKB,
charge lines (the facility's "Khám bệnh" exam and the prescribed drugs) split by
insurance.copay.compute, and, when the person's BHYT card was in force that day, a valid
coverage decision, so `smarthealth claims export` has BHYT episodes in the demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from smarthealth.catalogue import service as catalogue
from smarthealth.core.db import Database
from smarthealth.emr import bulk as emr_bulk
from smarthealth.emr.charges import Priced
from smarthealth.identity import bulk as identity_bulk
from smarthealth.insurance import claim_facts as insurance_facts
from smarthealth.insurance import copay
from smarthealth.registry import catalog as registry_catalog
from smarthealth.registry import claim_facts as registry_facts
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


def _weight(person_id: int, age: int, sex: str) -> float:
    """A plausible body weight (kg) for the age and sex, the same at every visit (drawn from
    the person id, so the visits' random sequence is unchanged)."""
    if age <= 12:
        base = 3.5 + 2.6 * age
    elif age < 18:
        base = 35 + 4 * (age - 12)
    else:
        base = 62.0 if sex == "male" else 52.0
    return round(base * (0.85 + (person_id * 7919 % 31) / 100), 1)


class _Catalogue:
    """Titles and drugs looked up once."""

    def __init__(self, titles: dict[str, str], drugs: dict[str, Any]) -> None:
        self.titles, self.drugs = titles, drugs

    def prescription(self, code: str, dose: float, per_day: int, days: int) -> dict[str, Any]:
        drug = self.drugs[code]
        quantity = int(dose * per_day * days + 0.999)
        return {"drug_code": drug.code, "name": drug.name, "strength": drug.strength,
                "route": drug.route, "dosage_form": drug.dosage_form,
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


@dataclass(frozen=True)
class _Site:
    """What closing a visit at a facility needs: its level, its exam service and a doctor."""

    care_level: str
    tier: str
    exam: tuple[str, str, str, int, int] | None  # code, name, unit, BHYT price, service price
    doctor_id: int | None


EXAM_CODE = "02.1896"  # Khám bệnh (the general examination)


async def _sites(database: Database) -> dict[str, _Site]:
    async with database.session() as session:
        facilities = await registry_facts.facilities_by_code(session)
        doctors = await registry_facts.first_doctors(session)
        out = {}
        for code, facility in facilities.items():
            exams = await registry_catalog.services_of_facility(session, facility_code=code,
                                                                kinds=["exam"])
            exam = next((e for e in exams if e.code == EXAM_CODE), exams[0] if exams else None)
            out[code] = _Site(facility["care_level"], facility["tier"], None if exam is None else (
                exam.code, exam.name, exam.unit, exam.price_bhyt, exam.price_service),
                doctors.get(code))
    return out


COVERED = {"decision": "valid", "verified": True, "result_code": "000",
           "message_vi": "Thẻ BHYT còn giá trị sử dụng (dữ liệu mẫu).",
           "message_en": "The BHYT card is valid (synthetic data).", "source": "seed"}


def _close(visit: dict[str, Any], site: _Site, card: dict[str, Any] | None) -> None:
    """Charge lines, charge summary, doctor and coverage of a visit, as a close computes them
    (emr.charges, from the facts in hand instead of one read per visit)."""
    day = visit["started_at"].date()
    if card is not None and not (card["status"] == "active"
                                 and card["valid_from"] <= day <= card["valid_to"]):
        card = None  # no card in force that day: self-pay
    covered = card is not None
    items: list[Priced] = []
    if site.exam is not None:
        code, name, unit, bhyt, service = site.exam
        items.append(Priced("exam", code, name, unit, Decimal(1), bhyt, service, bhyt > 0))
    for n, rx in enumerate(visit["prescriptions"]):  # source_entry_id: the prescription's index
        items.append(Priced("drug", rx["drug_code"], f"{rx['name']} {rx['strength']}".strip(),
                            rx["unit"], Decimal(rx["quantity"]), rx["price"], rx["price"],
                            bool(rx["bhyt_covered"]), n))
    registered = card is not None and card["registered_facility_code"] == visit["facility_code"]
    result = copay.compute(
        [copay.Item(kind=i.kind, quantity=i.quantity, bhyt_unit_price=i.bhyt_unit_price,
                    hospital_unit_price=i.hospital_unit_price,
                    in_bhyt_list=i.in_bhyt_list and covered, name=i.name) for i in items],
        card=copay.CardBenefit(benefit_level=card["benefit_level"], group_code=card["group_code"],
                               five_years_date=card["five_years_date"])
        if card is not None else copay.CardBenefit(benefit_level=0),
        visit=copay.Visit(on=day, care_level=site.care_level, tier=site.tier, inpatient=False,
                          referral=copay.Referral.registered if registered
                          else copay.Referral.self_referred))
    visit["lines"] = [
        {"line_no": n, "kind": i.kind, "code": i.code, "name": i.name, "unit": i.unit,
         "quantity": i.quantity, "bhyt_unit_price": i.bhyt_unit_price,
         "hospital_unit_price": i.hospital_unit_price, "in_bhyt_list": i.in_bhyt_list and covered,
         "amount": line.amount, "bhyt_pays": line.bhyt_pays, "patient_pays": line.patient_pays,
         "source": i.source_entry_id}
        for n, (i, line) in enumerate(zip(items, result.lines, strict=True), start=1)]
    visit["charge_summary"] = {"muc_huong": str(result.muc_huong), "rules": result.rules,
                               "covered": covered}
    visit["practitioner_id"], visit["department_code"] = site.doctor_id, "KKB"
    if card is not None:
        visit["coverage"] = {**COVERED, "benefit_level": card["benefit_level"],
                             "card_number": card["code"],
                             "valid_to": card["valid_to"].isoformat()}


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
    weight = _weight(person_id, age, sex)
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
                              for d, dose, n in rx], weight))
    if age >= 45:
        for code, share, rx in CHRONIC:
            if rng.random() >= share * (1.5 if age >= 65 else 1.0):
                continue
            person_level["conditions"].append({"code": code, "name": cat.titles[code],
                                               "active": True})
            day = start + timedelta(days=rng.randrange(28))
            while day < end:  # monthly repeat prescriptions
                visits.append(_visit(rng, person_id, day, facility_of(ward), cat, [code],
                                     [cat.prescription(d, dose, n, 30) for d, dose, n in rx],
                                     weight))
                day += timedelta(days=28 + rng.randrange(10))
    if visits:
        visits[0].update(person_level)
    return visits


def _visit(rng: random.Random, person_id: int, day: date, facility_code: str, cat: _Catalogue,
           codes: list[str], prescriptions: list[dict[str, Any]], weight: float
           ) -> dict[str, Any]:
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
                       "systolic": 100 + rng.randrange(60), "diastolic": 60 + rng.randrange(30),
                       "weight": weight}}


async def seed_history(database: Database, *, seed: int, years: int = 2, on: date | None = None,
                       chunk: int = 5000) -> HistoryResult:
    """Write past visits for every seeded person; returns how many encounters were written."""
    started = datetime.now(UTC)
    end = on or date.today()
    start = end - timedelta(days=365 * years)
    cat = await _load_catalogue(database)
    stations, hospitals = await _facilities(database)
    sites = await _sites(database)
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
            cards = await insurance_facts.cards_of_persons(
                session, person_ids=[p[0] for p in people])
            for visit in rows:
                _close(visit, sites[visit["facility_code"]], insurance_facts.card_on(
                    cards.get(visit["person_id"], []), visit["started_at"].date()))
            await emr_bulk.add_past_encounters(session, rows=rows)
        total += len(rows)
        after = people[-1][0]
    return HistoryResult(encounters=total,
                         seconds=(datetime.now(UTC) - started).total_seconds())
