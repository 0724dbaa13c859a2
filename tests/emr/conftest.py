"""EMR test world: a facility with an exam and a lab service, a doctor, an insured patient with
a checked-in visit, a few ICD-10 rows from the shipped list and the demo drug list."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from smarthealth.core.db import get_database, utcnow

ICD_CODES = {"A90", "A91", "A09", "B95.3", "E11", "E11.9", "I10", "J06.9", "J10", "N40",
             "O80", "O80.0", "R50.9"}


@dataclass
class World:
    facility_code: str
    person_id: int
    visit_id: int
    ticket_id: int
    doctor: str  # bearer token
    card_code: str


def _icd_subset(tmp_path: Path) -> Path:
    from smarthealth.catalogue.loaders import ICD10_FILE

    text = gzip.open(ICD10_FILE, "rb").read().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    out = tmp_path / "icd10_subset.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        writer.writerows(r for r in reader if r["code"] in ICD_CODES)
    return out


async def load_catalogues(tmp_path: Path) -> None:
    from smarthealth.catalogue.loaders import load_drugs, load_icd10

    async with get_database().session() as s:
        await load_icd10(s, path=_icd_subset(tmp_path))
        await load_drugs(s)


async def add_person(*, sex: str = "male", birth: date = date(1980, 4, 2),
                     name: str = "Nguyễn Văn An", cccd: str | None = None) -> int:
    from smarthealth.identity.models import Person

    async with get_database().session() as s:
        person = Person(full_name=name, name_key=name.lower(), birth_date=birth, sex=sex,
                        cccd=cccd, address="Phường Hoàn Kiếm, Hà Nội")
        s.add(person)
        await s.flush()
        return person.id


async def add_visit(facility_code: str, person_id: int, *, decision: str = "valid",
                    key: str = "k1") -> tuple[int, int]:
    """A checked-in visit with its ticket, written straight to reception's tables."""
    from sqlalchemy import select

    from smarthealth.reception.models import Ticket, Visit
    from smarthealth.registry.models import ClinicRoom, Facility, Service

    async with get_database().session() as s:
        facility = await s.scalar(select(Facility).where(Facility.code == facility_code))
        room = await s.scalar(select(ClinicRoom).where(ClinicRoom.facility_id == facility.id))
        exam = await s.scalar(select(Service).where(Service.facility_id == facility.id,
                                                    Service.kind == "exam"))
        visit = Visit(facility_id=facility.id, person_id=person_id, service_id=exam.id,
                      room_id=room.id, queue_date=date.today(), idempotency_key=key,
                      coverage_decision=decision, insurance_verified=True,
                      coverage={"decision": decision, "benefit_level": 4},
                      scan_received_at=utcnow(), checked_in_by="kiosk")
        s.add(visit)
        await s.flush()
        number = visit.id  # unique per room and day in these tests
        ticket = Ticket(visit_id=visit.id, facility_id=facility.id, room_id=room.id,
                        queue_date=date.today(), number=number, display=f"A{number:03d}",
                        token=f"tok-{key}", status="serving", priority_rank=9, order_key=1)
        s.add(ticket)
        await s.flush()
        return visit.id, ticket.id


async def add_card(person_id: int, *, code: str = "DN4010112345678", level: int = 4,
                   registered: str = "01001") -> None:
    from smarthealth.insurance.models import BhytCard

    async with get_database().session() as s:
        s.add(BhytCard(person_id=person_id, code=code, group_code="DN", benefit_level=level,
                       province_code="01", social_insurance_number=code[-10:],
                       registered_facility_code=registered, valid_from=date(2020, 1, 1),
                       valid_to=date(2099, 12, 31)))


async def add_clinic(make_facility, code: str = "01001") -> None:  # noqa: ANN001
    from smarthealth.registry.models import ClinicRoom, Department, Service

    facility = await make_facility(code=code, name=f"Bệnh viện {code}")
    async with get_database().session() as s:
        dept = Department(facility_id=facility.id, code="NOI", name="Khoa Nội", kind="inpatient")
        s.add(dept)
        await s.flush()
        s.add(ClinicRoom(facility_id=facility.id, department_id=dept.id, code="P101",
                         name="Phòng khám 101", kind="exam"))
        s.add_all([
            Service(facility_id=facility.id, code="02.1896", name="Khám Nội", kind="exam",
                    unit="lần", price_bhyt=42_100, price_service=100_000),
            Service(facility_id=facility.id, code="23.0058", name="Định lượng Glucose",
                    kind="lab", unit="lần", price_bhyt=21_500, price_service=30_000),
            Service(facility_id=facility.id, code="K03.1911", name="Ngày giường Nội khoa",
                    kind="bed", unit="ngày", price_bhyt=200_000, price_service=250_000),
        ])


@pytest.fixture
async def world(make_facility, token_for, tmp_path) -> World:  # noqa: ANN001
    await add_clinic(make_facility)
    await load_catalogues(tmp_path)
    person_id = await add_person()
    await add_card(person_id)
    visit_id, ticket_id = await add_visit("01001", person_id)
    doctor = await token_for("doctor", "01001")
    return World("01001", person_id, visit_id, ticket_id, doctor, "DN4010112345678")
