"""Staff accounts of synthetic Hanoi: the documented demo accounts and two per other facility.

Every account shares the demo password (hashed once); this is demo data, never production.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from smarthealth.synth.names import draw_name
from smarthealth.synth.numbers import CccdAllocator

DEMO_PASSWORD = "smarthealth-demo"
DEMO_FACILITY = "01013"  # Bệnh viện Đa khoa Xanh Pôn in synthetic Hanoi
# (username, role, bound to the demo facility, practitioner title it is linked to)
DEMO_ACCOUNTS = (
    ("admin", "admin", False, None),
    ("soyte", "department_analyst", False, None),
    ("bv_admin", "facility_admin", True, None),
    ("letan", "receptionist", True, None),
    ("bacsi", "doctor", True, "doctor"),
    ("dieuduong", "nurse", True, "nurse"),
    ("duocsi", "pharmacist", True, "pharmacist"),
    ("thungan", "cashier", True, None),
    ("kiosk1", "kiosk", True, None),
)

Row = dict[str, Any]


def adult(rng: random.Random, on: date, sex: str | None = None,
          ages: tuple[int, int] = (25, 60)) -> tuple[str, str, date]:
    """Name, sex and birth date of a working-age adult."""
    sex = sex or rng.choice(("male", "female"))
    born = date(on.year - rng.randint(*ages), rng.randint(1, 12), rng.randint(1, 28))
    return draw_name(rng, sex), sex, born


@dataclass
class StaffPlan:
    rng: random.Random
    on: date
    cccds: CccdAllocator
    password_hash: str
    facility_ids: dict[str, int]
    practitioners: list[Row]

    def account(self, username: str, role: str, facility_code: str | None,
                person: tuple[str, str] | None = None) -> Row:
        """One account row; `person` (name, cccd) links it to a practitioner."""
        if person is None:
            name, sex, born = adult(self.rng, self.on)
            person = (name, self.cccds.issue(self.rng, birth_date=born, sex=sex))
        if role == "kiosk":
            person = (f"Ki-ốt tiếp đón {username[-1]}", person[1])
        return {"username": username, "password_hash": self.password_hash, "role": role,
                "facility_id": self.facility_ids[facility_code] if facility_code else None,
                "full_name": person[0], "cccd": person[1], "active": True}

    def first(self, facility_code: str, title: str) -> int:
        """Index of the facility's first practitioner with this title."""
        fid = self.facility_ids[facility_code]
        return next(i for i, p in enumerate(self.practitioners)
                    if p["facility_id"] == fid and p["title"] == title)


def staff_accounts(plan: StaffPlan) -> tuple[list[Row], dict[int, str]]:
    """Account rows and practitioner index -> username for accounts that are practitioners."""
    rows: list[Row] = []
    links: dict[int, str] = {}
    for username, role, bound, title in DEMO_ACCOUNTS:
        person = None
        if title:
            i = plan.first(DEMO_FACILITY, title)
            person = (plan.practitioners[i]["full_name"], plan.practitioners[i]["cccd"])
            links[i] = username
        rows.append(plan.account(username, role, DEMO_FACILITY if bound else None, person))
    for code in plan.facility_ids:
        if code == DEMO_FACILITY:
            continue
        rows.append(plan.account(f"letan_{code}", "receptionist", code))
        i = plan.first(code, "doctor")
        links[i] = f"bacsi_{code}"
        rows.append(plan.account(f"bacsi_{code}", "doctor", code,
                                 (plan.practitioners[i]["full_name"],
                                  plan.practitioners[i]["cccd"])))
    return rows, links
