"""Synthetic Hanoi: deterministic, realistic identifiers, cards that fit their group."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from smarthealth.core.db import get_database
from smarthealth.identity.models import Person
from smarthealth.insurance.benefits import level_for_group
from smarthealth.insurance.models import BhytCard
from smarthealth.registry import users
from smarthealth.registry.models import ClinicRoom, Facility, Practitioner, Service
from smarthealth.synth import hanoi
from smarthealth.synth.names import FAMILY, GIVEN
from smarthealth.synth.seed import seed_hanoi
from smarthealth.synth.staff import DEMO_ACCOUNTS, DEMO_PASSWORD

ON = date(2026, 3, 15)
PEOPLE = 2000
CARD_CODE = re.compile(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}")


async def _seed(people: int = PEOPLE, seed: int = 7) -> None:
    await seed_hanoi(get_database(), people=people, seed=seed, on=ON)


async def _people_and_cards(session) -> tuple[list[tuple], list[tuple]]:
    people = (await session.execute(
        select(Person.cccd, Person.full_name, Person.name_key, Person.birth_date, Person.sex,
               Person.phone, Person.address, Person.ward_code).order_by(Person.id))).all()
    cards = (await session.execute(
        select(BhytCard.code, BhytCard.group_code, BhytCard.benefit_level,
               BhytCard.registered_facility_code, BhytCard.valid_from, BhytCard.valid_to,
               BhytCard.five_years_date).order_by(BhytCard.id))).all()
    return [tuple(p) for p in people], [tuple(c) for c in cards]


async def _wipe() -> None:
    from tests.conftest import _wipe as wipe

    await wipe()


async def test_the_same_seed_gives_the_same_people_and_cards():
    await _seed()
    async with get_database().session() as session:
        first = await _people_and_cards(session)
    await _wipe()
    await _seed()
    async with get_database().session() as session:
        second = await _people_and_cards(session)
    assert first == second
    assert len(first[0]) == PEOPLE


async def test_a_different_seed_gives_different_people():
    await _seed(people=200, seed=1)
    async with get_database().session() as session:
        first = await _people_and_cards(session)
    await _wipe()
    await _seed(people=200, seed=2)
    async with get_database().session() as session:
        assert await _people_and_cards(session) != first


async def test_every_cccd_agrees_with_birth_date_and_sex(session):
    await _seed()
    rows = (await session.execute(select(Person.cccd, Person.birth_date, Person.sex))).all()
    numbers = [cccd for cccd, _, _ in rows if cccd]
    assert len(numbers) == len(set(numbers))
    assert len(numbers) >= 0.98 * PEOPLE
    for cccd, born, sex in rows:
        if cccd is None:
            continue
        assert re.fullmatch(r"[0-9]{12}", cccd)
        digit = int(cccd[3])
        assert (digit // 2 + 19) * 100 + int(cccd[4:6]) == born.year
        assert ("female" if digit % 2 else "male") == sex


async def test_most_people_were_born_in_hanoi(session):
    await _seed()
    prefixes = (await session.scalars(select(func.substr(Person.cccd, 1, 3)))).all()
    share = sum(p == "001" for p in prefixes) / len(prefixes)
    assert 0.75 < share < 0.9


async def test_every_card_code_is_valid_and_its_level_fits_its_group(session):
    await _seed()
    cards = (await session.scalars(select(BhytCard))).all()
    for card in cards:
        assert CARD_CODE.fullmatch(card.code), card.code
        assert card.code == (f"{card.group_code}{card.benefit_level}{card.province_code}"
                             f"{card.social_insurance_number}")
        assert card.benefit_level == level_for_group(card.group_code, card.valid_from)
        assert card.valid_from <= card.valid_to
    assert len({c.social_insurance_number for c in cards}) == len(cards)
    assert sum(c.province_code == "01" for c in cards) > 0.95 * len(cards)
    assert {c.status for c in cards} <= {"active", "withdrawn", "reduced"}


async def test_about_93_percent_of_people_hold_a_card(session):
    await _seed()
    people = await session.scalar(select(func.count()).select_from(Person))
    holders = await session.scalar(select(func.count(func.distinct(BhytCard.person_id))))
    assert 0.90 <= holders / people <= 0.96


async def test_young_children_hold_te_cards_at_level_one(session):
    await _seed()
    rows = (await session.execute(
        select(Person.birth_date, BhytCard.group_code, BhytCard.benefit_level)
        .join(BhytCard, BhytCard.person_id == Person.id)
        .where(Person.birth_date > date(ON.year - 6, ON.month, ON.day)))).all()
    assert rows
    assert all(group == "TE" and level == 1 for _, group, level in rows)


async def test_cards_register_people_at_real_hanoi_facilities(session):
    await _seed()
    codes = set((await session.scalars(select(Facility.code))).all())
    registered = set((await session.scalars(
        select(BhytCard.registered_facility_code))).all())
    assert registered <= codes


async def test_people_registered_at_a_health_station_use_their_own_wards(session):
    await _seed()
    rows = (await session.execute(
        select(Person.ward_code, Facility.ward_code)
        .join(BhytCard, BhytCard.person_id == Person.id)
        .join(Facility, Facility.code == BhytCard.registered_facility_code)
        .where(Facility.tier == "commune"))).all()
    assert len(rows) > 0.5 * PEOPLE
    assert all(home == station for home, station in rows)


async def test_each_of_the_126_wards_has_one_health_station(session):
    await _seed(people=0)
    stations = (await session.execute(
        select(Facility.ward_code, Facility.care_level).where(Facility.tier == "commune")
    )).all()
    assert len(stations) == 126
    assert {w for w, _ in stations} == {w.code for w in hanoi.wards()}
    assert {level for _, level in stations} == {"primary"}


async def test_facility_codes_are_five_characters_starting_01_and_bach_mai_is_01929(session):
    await _seed(people=0)
    facilities = (await session.scalars(select(Facility))).all()
    assert all(re.fullmatch(r"01[0-9]{3}", f.code) for f in facilities)
    assert {f.tier for f in facilities} == {"central", "city", "district", "commune"}
    assert next(f for f in facilities if f.code == "01929").name == "Bệnh viện Bạch Mai"


async def test_every_facility_has_rooms_an_exam_service_and_practitioners(session):
    await _seed(people=0)
    for table in (ClinicRoom, Practitioner):
        with_rows = await session.scalar(select(func.count(func.distinct(table.facility_id))))
        assert with_rows == 177
    exams = (await session.execute(
        select(Service.facility_id, func.min(Service.code), func.min(Service.price_bhyt))
        .where(Service.kind == "exam").group_by(Service.facility_id))).all()
    assert len(exams) == 177
    assert {code for _, code, _ in exams} == {"02.1896"}
    certificates = (await session.scalars(select(Practitioner.certificate_number))).all()
    assert len(certificates) == len(set(certificates))


async def test_demo_accounts_sign_in_with_the_demo_password(session):
    await _seed(people=0)
    for username, role, _, _ in DEMO_ACCOUNTS:
        signed_in = await users.authenticate(session, username=username, password=DEMO_PASSWORD)
        assert signed_in is not None, username
        account, facility_code = signed_in
        assert account.role == role
        assert re.fullmatch(r"[0-9]{12}", account.cccd or "")
        assert facility_code in (None, "01013")


async def test_names_run_family_middle_given_with_diacritics(session):
    await _seed()
    names = (await session.scalars(select(Person.full_name))).all()
    for name in names:
        parts = name.split(" ")
        assert len(parts) >= 3
        assert parts[0] in FAMILY.values
        assert parts[-1] in GIVEN["male"].values or parts[-1] in GIVEN["female"].values
    nguyen = sum(n.startswith("Nguyễn ") for n in names) / len(names)
    assert 0.33 < nguyen < 0.43
    assert sum(any(ord(ch) > 127 for ch in n) for n in names) > 0.95 * len(names)


async def test_ages_and_sexes_are_shaped_like_hanoi(session):
    await _seed()
    rows = (await session.execute(select(Person.birth_date, Person.sex))).all()
    elderly = sum(born <= date(ON.year - 60, ON.month, ON.day) for born, _ in rows) / len(rows)
    men = sum(sex == "male" for _, sex in rows)
    assert 0.09 < elderly < 0.16
    assert 0.9 < men / (len(rows) - men) < 1.06


async def test_rows_added_after_seeding_get_fresh_ids(session):
    await _seed(people=50)
    account = await users.add_user(session, username="after_seed", role="admin",
                                   password="password123")
    person = Person(full_name="Trần Thị Mai", name_key="tran thi mai", birth_date=date(1990, 1, 1),
                    sex="female")
    session.add(person)
    await session.flush()
    assert account.id > 361
    assert person.id == 51


async def test_seeded_kinds_and_titles_are_ones_the_registry_accepts(session):
    from typing import get_args

    from smarthealth.registry import schemas
    from smarthealth.registry.models import Department

    await _seed(people=0)
    for column, allowed in ((Department.kind, schemas.DEPARTMENT_KINDS),
                            (ClinicRoom.kind, schemas.ROOM_KINDS),
                            (Service.kind, schemas.SERVICE_KINDS),
                            (Practitioner.title, get_args(schemas.PractitionerTitle))):
        assert set((await session.scalars(select(column).distinct())).all()) <= set(allowed)
