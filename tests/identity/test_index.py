"""The patient index: find-or-create per CCCD, search, identify (identity.md; issue 3 point 3)."""

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from smarthealth.core.db import get_database
from smarthealth.identity import service
from smarthealth.identity.models import Person
from smarthealth.identity.service import PersonFields

QR = "001090123456|012345678|Nguyễn Văn An|01011990|Nam|Phường Hoàn Kiếm, Hà Nội|15042021"


def an(**changes) -> PersonFields:
    base = {"full_name": "Nguyễn Văn An", "birth_date": date(1990, 1, 1), "sex": "male",
            "cccd": "001090123456", "phone": "0912345678"}
    return service.validate_fields(**{**base, **changes})


async def test_find_or_create_is_idempotent_per_cccd(session):
    first, created = await service.find_or_create_person(session, fields=an())
    again, created_again = await service.find_or_create_person(session, fields=an())
    assert created and not created_again and first.id == again.id


async def test_concurrent_find_or_create_of_one_cccd_yields_one_person():
    async def one() -> int:
        async with get_database().session() as s:
            person, _ = await service.find_or_create_person(s, fields=an())
            return person.id

    ids = await asyncio.gather(*[one() for _ in range(8)])
    assert len(set(ids)) == 1
    async with get_database().session() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 1


@pytest.mark.parametrize("query", ["Nguyen Van An", "nguyễn văn an", "NGUYEN VAN", "van an"])
async def test_name_search_ignores_diacritics_and_case(session, query):
    await service.find_or_create_person(session, fields=an())
    found, total = await service.search_persons(session, name=query)
    assert total == 1 and found[0].full_name == "Nguyễn Văn An"


async def test_name_and_birth_date_search_narrows(session):
    await service.find_or_create_person(session, fields=an())
    await service.create_person(session, fields=an(cccd=None, birth_date=date(1991, 2, 2)))
    found, total = await service.search_persons(session, name="Nguyen Van An",
                                                birth_date=date(1991, 2, 2))
    assert total == 1 and found[0].birth_date == date(1991, 2, 2)


@pytest.mark.parametrize(("criterion", "value"), [
    ("cccd", "001090123456"), ("phone", "+84 912 345 678"), ("phone", "0912.345.678"),
])
async def test_search_by_cccd_or_phone(session, criterion, value):
    await service.find_or_create_person(session, fields=an())
    _, total = await service.search_persons(session, **{criterion: value})
    assert total == 1


async def test_search_by_bhyt_code_finds_the_card_holder(session):
    from smarthealth.insurance.models import BhytCard

    person, _ = await service.find_or_create_person(session, fields=an())
    session.add(BhytCard(person_id=person.id, code="HS4010120878811", group_code="HS",
                         benefit_level=4, province_code="01",
                         social_insurance_number="0120878811",
                         registered_facility_code="01001", valid_from=date(2025, 1, 1),
                         valid_to=date(2026, 12, 31)))
    await session.flush()
    found, _ = await service.search_persons(session, bhyt="HS4 01 0120878811")
    assert [p.id for p in found] == [person.id]
    assert await service.search_persons(session, bhyt="HS4010000000000") == ([], 0)


async def test_search_needs_a_criterion(session):
    from smarthealth.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        await service.search_persons(session)


async def test_new_person_fields_are_checked_against_the_cccd():
    with pytest.raises(service.InvalidPerson) as info:
        an(sex="female", birth_date=date(1991, 1, 1))
    fields = {p["field"] for p in info.value.details["problems"]}
    assert fields == {"sex", "birth_year"}


@pytest.mark.parametrize("phone", ["12345", "09123456789", "abc"])
async def test_bad_phone_is_refused(phone):
    with pytest.raises(service.InvalidPerson):
        an(phone=phone)


async def test_identify_creates_the_person_from_a_qr_then_finds_them(session):
    person, result = await service.identify(session, payload=QR)
    again, _ = await service.identify(session, payload=QR)
    assert result.source == "cccd_qr" and person.id == again.id
    assert (person.full_name, person.sex, person.address) == (
        "Nguyễn Văn An", "male", "Phường Hoàn Kiếm, Hà Nội")
    by_cmnd, _ = await service.identify(session, payload="012345678")
    assert by_cmnd.id == person.id


async def test_identify_keeps_a_year_only_birth_date(session):
    person, _ = await service.identify(
        session, payload="001090123456||Nguyễn Văn An|00001990|Nam|Hà Nội|15042021")
    assert (person.birth_date, person.birth_date_precision) == (date(1990, 1, 1), "year")


async def test_identify_by_bhyt_card_of_an_unknown_person_asks_to_register(session):
    with pytest.raises(service.RegisterFirst) as info:
        await service.identify(session, payload="HS4010120878811")
    assert info.value.status_code == 404 and "đăng ký" in info.value.message_vi


async def test_identify_by_typed_cccd_finds_a_known_person(session):
    person, _ = await service.find_or_create_person(session, fields=an())
    found, result = await service.identify(session, payload="001090123456")
    assert found.id == person.id and result.source == "cccd_number"


async def test_person_id_for_cccd_for_other_domains(session):
    person, _ = await service.find_or_create_person(session, fields=an())
    assert await service.person_id_for_cccd(session, cccd="001090123456") == person.id
    assert await service.person_id_for_cccd(session, cccd="001090999999") is None
