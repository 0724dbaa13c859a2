"""The patient index: one person per CCCD across the city, search, find-or-create, identify."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.errors import Conflict, InvalidInput, NotFound
from smarthealth.identity import cccd as cccd_rules
from smarthealth.identity.models import Person, PersonIdentifier
from smarthealth.identity.names import clean_text, looks_like_name, name_key, parse_sex
from smarthealth.identity.scan import ScanResult, recognise

_PHONE = re.compile(r"0[0-9]{9}")  # Vietnamese numbers: 10 digits from 0 (mobile and landline)


class PersonNotFound(NotFound):
    code = "person_not_found"
    message_vi = "Không tìm thấy người bệnh."
    message_en = "The person was not found."


class InvalidPerson(InvalidInput):
    code = "invalid_person"


@dataclass(frozen=True)
class PersonFields:
    """Validated fields for a new person."""

    full_name: str
    birth_date: date
    sex: str
    cccd: str | None = None
    birth_date_precision: str = "day"
    phone: str | None = None
    address: str | None = None
    province_code: str | None = None
    ward_code: int | None = None

    def row(self) -> dict[str, Any]:
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        values["name_key"] = name_key(self.full_name)
        return values


def normalise_phone(text: str | None) -> str | None:
    """`+84 912-345-678` → `0912345678`; None if empty; InvalidPerson if not a VN number."""
    if text is None or not text.strip():
        return None
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _PHONE.fullmatch(digits):
        raise InvalidPerson("The phone number is not a 10-digit Vietnamese number.",
                            "Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0.",
                            details={"field": "phone"})
    return digits


def validate_fields(*, full_name: str, birth_date: date, sex: str, cccd: str | None = None,
                    birth_date_precision: str = "day", phone: str | None = None,
                    address: str | None = None, province_code: str | None = None,
                    ward_code: int | None = None) -> PersonFields:
    """Check the fields of a new person and the CCCD number against them; InvalidPerson if not."""
    name = clean_text(full_name)[:120]
    cccd = cccd.strip() or None if cccd else None
    problems: list[dict[str, Any]] = []
    if not looks_like_name(name):
        problems.append({"field": "full_name", "message_vi": "Họ tên không hợp lệ.",
                         "message_en": "The full name is not valid."})
    sex = parse_sex(sex) or sex
    if sex not in ("male", "female"):
        problems.append({"field": "sex", "message_vi": "Giới tính phải là Nam hoặc Nữ.",
                         "message_en": "Sex must be male or female."})
    if birth_date > date.today() or birth_date.year < 1900:
        problems.append({"field": "birth_date", "message_vi": "Ngày sinh không hợp lệ.",
                         "message_en": "The birth date is not valid."})
    if cccd is not None:
        try:
            problems += [m.to_dict() for m in cccd_rules.check_against(
                cccd, birth_year=birth_date.year, sex=sex)]
        except cccd_rules.InvalidCccd as exc:
            problems.append({"field": "cccd", "message_vi": exc.message_vi,
                             "message_en": exc.message_en})
    if problems:
        raise InvalidPerson("The person's details are not valid or do not match the CCCD number.",
                            "Thông tin người bệnh không hợp lệ hoặc không khớp với số CCCD.",
                            details={"problems": problems})
    return PersonFields(name, birth_date, sex, cccd, birth_date_precision, normalise_phone(phone),
                        clean_text(address) or None if address else None, province_code,
                        ward_code)


async def _survivor(session: AsyncSession, person: Person | None) -> Person | None:
    """The record a merged person now lives in (merges keep one level: see merging.py)."""
    if person is None or person.merged_into_id is None:
        return person
    return await session.get(Person, person.merged_into_id)


async def get_person(session: AsyncSession, *, person_id: int, follow_merges: bool = True
                     ) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise PersonNotFound(details={"person_id": person_id})
    return (await _survivor(session, person) or person) if follow_merges else person


async def find_by_cccd(session: AsyncSession, *, cccd: str) -> Person | None:
    """The (surviving) person with this CCCD number, or None."""
    found = await session.scalar(select(Person).where(Person.cccd == cccd))
    return await _survivor(session, found)


async def person_id_for_cccd(session: AsyncSession, *, cccd: str) -> int | None:
    """For other domains: the surviving person id of a CCCD number, or None."""
    person = await find_by_cccd(session, cccd=cccd)
    return person.id if person else None


def _insert_ignoring_duplicates(session: AsyncSession):  # noqa: ANN202
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def find_or_create_person(session: AsyncSession, *, fields: PersonFields
                                ) -> tuple[Person, bool]:
    """The one person for `fields.cccd`, created if new; safe when two desks scan at once."""
    if not fields.cccd:
        raise InvalidPerson("find-or-create needs a CCCD number.", "Cần số CCCD.")
    existing = await find_by_cccd(session, cccd=fields.cccd)
    if existing is not None:
        return existing, False
    insert = _insert_ignoring_duplicates(session)
    stmt = insert(Person).values(**fields.row()).on_conflict_do_nothing(
        index_elements=["cccd"]).returning(Person.id)
    new_id = await session.scalar(stmt)
    if new_id is None:  # another transaction created it first: read theirs
        winner = await find_by_cccd(session, cccd=fields.cccd)
        if winner is None:  # pragma: no cover - the conflicting row must exist
            raise PersonNotFound()
        return winner, False
    return await get_person(session, person_id=new_id), True


async def add_identifier(session: AsyncSession, *, person_id: int, kind: str, value: str) -> None:
    """Remember another document number (old CMND, passport, VNeID) unless already known."""
    insert = _insert_ignoring_duplicates(session)
    await session.execute(insert(PersonIdentifier).values(
        person_id=person_id, kind=kind, value=value).on_conflict_do_nothing(
        index_elements=["kind", "value"]))


async def find_by_identifier(session: AsyncSession, *, kind: str, value: str) -> Person | None:
    person_id = await session.scalar(select(PersonIdentifier.person_id).where(
        PersonIdentifier.kind == kind, PersonIdentifier.value == value))
    return None if person_id is None else await get_person(session, person_id=person_id)


async def create_person(session: AsyncSession, *, fields: PersonFields) -> Person:
    """A new person; Conflict if the CCCD number is already in the index."""
    if fields.cccd:
        existing = await find_by_cccd(session, cccd=fields.cccd)
        if existing is not None:
            raise Conflict("A person with this CCCD number is already registered.",
                           "Số CCCD này đã có trong danh sách người bệnh.",
                           details={"person_id": existing.id})
        person, created = await find_or_create_person(session, fields=fields)
        if not created:
            raise Conflict(details={"person_id": person.id})
        return person
    person = Person(**fields.row())
    session.add(person)
    await session.flush()
    return person


async def _bhyt_person_id(session: AsyncSession, code: str) -> int | None:
    from smarthealth.insurance import service as insurance_service

    return await insurance_service.person_id_for_card(session, code=code)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def _search_conditions(session: AsyncSession, *, cccd: str | None, bhyt: str | None,
                             phone: str | None, name: str | None, birth_date: date | None
                             ) -> list[Any] | None:
    """SQL conditions for the criteria given; None when a criterion can match nobody."""
    conds: list[Any] = []
    cccd, bhyt, name = (clean_text(x) if x else None for x in (cccd, bhyt, name))
    if cccd:
        if not re.fullmatch(r"[0-9]{12}", cccd):
            raise InvalidInput("A CCCD number has 12 digits.", "Số CCCD gồm 12 chữ số.",
                               details={"field": "cccd"})
        conds.append(Person.cccd == cccd)
    if bhyt:
        person_id = await _bhyt_person_id(session, bhyt)
        if person_id is None:
            return None
        conds.append(Person.id == person_id)
    if phone:
        conds.append(Person.phone == normalise_phone(phone))
    if name and name_key(name):
        conds.append(Person.name_key.like(_like(name_key(name)), escape="\\"))
    if birth_date:
        conds.append(Person.birth_date == birth_date)
    if not conds:
        raise InvalidInput("Give a CCCD, BHYT code, phone, or name (with a birth date).",
                           "Cần nhập số CCCD, mã thẻ BHYT, số điện thoại hoặc họ tên.")
    return conds


async def search_persons(session: AsyncSession, *, cccd: str | None = None,
                         bhyt: str | None = None, phone: str | None = None,
                         name: str | None = None, birth_date: date | None = None,
                         limit: int = 20, offset: int = 0) -> tuple[list[Person], int]:
    """Surviving persons matching every criterion given (diacritic-insensitive name), paged."""
    conds = await _search_conditions(session, cccd=cccd, bhyt=bhyt, phone=phone, name=name,
                                     birth_date=birth_date)
    if conds is None:
        return [], 0
    survivors = select(func.coalesce(Person.merged_into_id, Person.id)).where(*conds).distinct()
    total = int(await session.scalar(select(func.count()).select_from(survivors.subquery())) or 0)
    rows = await session.scalars(select(Person).where(Person.id.in_(survivors)).order_by(
        Person.name_key, Person.birth_date, Person.id).limit(limit).offset(offset))
    return list(rows), total


class RegisterFirst(NotFound):
    code = "person_not_registered"
    message_vi = "Chưa có hồ sơ người bệnh cho giấy tờ này; vui lòng đăng ký tại quầy tiếp đón."
    message_en = "No patient record matches this document; please register them at the desk."


async def _identify_without_card(session: AsyncSession, result: ScanResult) -> Person:
    p = result.person
    person: Person | None = None
    if p.cccd:
        person = await find_by_cccd(session, cccd=p.cccd)
    elif p.bhyt_code:
        person_id = await _bhyt_person_id(session, p.bhyt_code)
        person = None if person_id is None else await get_person(session, person_id=person_id)
    elif p.old_id:
        person = await find_by_identifier(session, kind="cmnd", value=p.old_id)
    elif p.passport:
        person = await find_by_identifier(session, kind="passport", value=p.passport)
    if person is None:
        raise RegisterFirst(details={"source": result.source})
    return person


async def identify(session: AsyncSession, *, payload: str) -> tuple[Person, ScanResult]:
    """Recognise a scan and find (or, for an ID card, create) its person."""
    result = recognise(payload)
    p = result.person
    if not (p.cccd and p.full_name and p.birth_date and p.sex):
        return await _identify_without_card(session, result), result
    fields = PersonFields(full_name=p.full_name, birth_date=p.birth_date, sex=p.sex, cccd=p.cccd,
                          birth_date_precision=p.birth_date_precision,
                          address=p.address[:300] if p.address else None)
    person, created = await find_or_create_person(session, fields=fields)
    if not created and person.address is None and fields.address:
        person.address = fields.address
    if p.old_id and p.old_id != p.cccd:
        await add_identifier(session, person_id=person.id, kind="cmnd", value=p.old_id)
    return person, result
