"""Synthetic Hanoi's facilities with their departments, rooms, services, practitioners, staff.

All facility codes except Bạch Mai's are synthetic (see `synth.hanoi`). Rows go in through
`registry.bulk`, never straight into the registry's tables.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.registry import bulk
from smarthealth.synth import catalogue, hanoi
from smarthealth.synth.draw import Permutation
from smarthealth.synth.numbers import CccdAllocator, SocialInsuranceNumbers
from smarthealth.synth.staff import StaffPlan, adult, staff_accounts

Row = dict[str, Any]


@dataclass(frozen=True)
class FacilityIndex:
    """Where residents register for primary care: their ward's station or a nearby hospital."""

    station_by_ward: dict[int, str]
    district_hospitals: tuple[tuple[int, str], ...]  # (ward code, facility code), by ward code
    city_general: tuple[str, ...]

    def nearest_hospital(self, ward_code: int) -> str:
        """The former-district hospital with the closest ward code (GSO codes run by district)."""
        wards = [w for w, _ in self.district_hospitals]
        i = bisect(wards, ward_code)
        candidates = self.district_hospitals[max(i - 1, 0):i + 1]
        return min(candidates, key=lambda wc: abs(wc[0] - ward_code))[1]


@dataclass(frozen=True)
class RegistrySummary:
    index: FacilityIndex
    facilities: int
    stations: int
    practitioners: int
    staff_users: int


def _facility_rows(rng: random.Random) -> list[Row]:
    wards = hanoi.ward_by_code()
    rows = []
    for plan in hanoi.hospitals():
        ward = wards[plan.ward_code]
        rows.append({"code": plan.code, "name": plan.name, "care_level": plan.care_level,
                     "tier": plan.tier, "province_code": "01", "ward_code": ward.code,
                     "ward_name": ward.name, "address": f"{plan.street}, {ward.name}, Hà Nội",
                     "phone": f"024{rng.randrange(10**8):08d}", "active": True})
    for i, ward in enumerate(hanoi.wards()):
        kind = "phường" if ward.urban else "xã"
        place = ward.name.split(" ", 1)[1]
        rows.append({"code": hanoi.station_code(i), "name": f"Trạm Y tế {kind} {place}",
                     "care_level": "primary", "tier": "commune", "province_code": "01",
                     "ward_code": ward.code, "ward_name": ward.name,
                     "address": f"Trụ sở Trạm Y tế, {ward.name}, Hà Nội",
                     "phone": f"024{rng.randrange(10**8):08d}", "active": True})
    return rows


async def _add_departments_and_rooms(session: AsyncSession, facilities: list[Row],
                                     ids: dict[str, int]) -> dict[tuple[int, str], int]:
    """Departments and rooms of every facility; returns (facility id, room code) -> room id."""
    departments, rooms = [], []
    for row in facilities:
        fid = ids[row["code"]]
        station = row["tier"] == "commune"
        specs = catalogue.STATION_DEPARTMENTS if station else catalogue.HOSPITAL_DEPARTMENTS
        departments += [{"facility_id": fid, "code": d.code, "name": d.name, "kind": d.kind,
                         "active": True} for d in specs]
    dept_ids = await bulk.add_departments(session, rows=departments)
    dept_by_key = {(d["facility_id"], d["code"]): i for d, i in zip(departments, dept_ids,
                                                                     strict=True)}
    for row in facilities:
        fid = ids[row["code"]]
        specs = (catalogue.STATION_ROOMS if row["tier"] == "commune"
                 else catalogue.hospital_rooms(row["tier"]))
        rooms += [{"facility_id": fid, "department_id": dept_by_key[(fid, r.department)],
                   "code": r.code, "name": r.name, "kind": r.kind, "active": True}
                  for r in specs]
    room_ids = await bulk.add_rooms(session, rows=rooms)
    return {(r["facility_id"], r["code"]): i for r, i in zip(rooms, room_ids, strict=True)}


def _service_rows(facilities: list[Row], ids: dict[str, int],
                  rooms: dict[tuple[int, str], int]) -> list[Row]:
    rows = []
    for row in facilities:
        fid = ids[row["code"]]
        rows += [{"facility_id": fid, "code": s.code, "name": s.name, "kind": s.kind,
                  "unit": "lần", "price_bhyt": s.price_bhyt, "price_service": s.price_service,
                  "room_id": rooms[(fid, s.room)], "active": True}
                 for s in catalogue.services_for(row["tier"])]
    return rows


def _practitioners(rng: random.Random, on: date, facilities: list[Row], ids: dict[str, int],
                   cccds: CccdAllocator, sins: SocialInsuranceNumbers) -> list[Row]:
    """Doctors, nurses, pharmacists and technicians of every facility, in facility order."""
    certificates = Permutation(10**6, rng)
    rows: list[Row] = []
    for row in facilities:
        counts = catalogue.STAFFING[row["tier"]]
        for title, count in counts.items():
            for n in range(count):
                sex = "female" if title == "midwife" or (
                    title == "nurse" and rng.random() < 0.8) else None
                name, sex, born = adult(rng, on, sex)
                k = len(rows)
                rows.append({
                    "facility_id": ids[row["code"]], "full_name": name, "title": title,
                    "specialty": _specialty(title, n, row["tier"]),
                    "certificate_number": f"{certificates(k):06d}/HNO-CCHN",
                    "health_id": sins.for_staff(k),
                    "cccd": cccds.issue(rng, birth_date=born, sex=sex), "staff_user_id": None,
                    "active": True})
    return rows


def _specialty(title: str, n: int, tier: str) -> str:
    if title == "doctor":
        return "Y học gia đình" if tier == "commune" else catalogue.SPECIALTIES[
            n % len(catalogue.SPECIALTIES)]
    return {"nurse": "Điều dưỡng", "pharmacist": "Dược", "technician": "Kỹ thuật y",
            "physician_assistant": "Y sĩ đa khoa", "midwife": "Hộ sinh"}[title]


def _index(facilities: list[Row]) -> FacilityIndex:
    stations = {r["ward_code"]: r["code"] for r in facilities if r["tier"] == "commune"}
    district = sorted((r["ward_code"], r["code"]) for r in facilities if r["tier"] == "district")
    city = tuple(r["code"] for r in facilities if r["tier"] == "city"
                 and r["care_level"] == "basic")
    return FacilityIndex(stations, tuple(district), city)


async def seed_registry(session: AsyncSession, *, rng: random.Random, on: date,
                        cccds: CccdAllocator, sins: SocialInsuranceNumbers,
                        password_hash: str) -> RegistrySummary:
    """Insert the facilities and everything they hold, plus the demo accounts."""
    facilities = _facility_rows(rng)
    ids = await bulk.add_facilities(session, rows=facilities)
    rooms = await _add_departments_and_rooms(session, facilities, ids)
    await bulk.add_services(session, rows=_service_rows(facilities, ids, rooms))
    practitioners = _practitioners(rng, on, facilities, ids, cccds, sins)
    plan = StaffPlan(rng=rng, on=on, cccds=cccds, password_hash=password_hash,
                     facility_ids=ids, practitioners=practitioners)
    accounts, links = staff_accounts(plan)
    account_ids = await bulk.add_staff_users(session, rows=accounts)
    for practitioner_index, username in links.items():
        practitioners[practitioner_index]["staff_user_id"] = account_ids[username]
    await bulk.add_practitioners(session, rows=practitioners)
    return RegistrySummary(_index(facilities), len(facilities),
                           sum(r["tier"] == "commune" for r in facilities), len(practitioners),
                           len(accounts))
