"""Residents of synthetic Hanoi: names, ages and sexes shaped like the city's population.

Age bands approximate Hanoi's 2019 census pyramid (about 12% aged 60+); the share of men
falls with age (more boys at birth, more women among the elderly), about 0.98 men per woman
overall. About 0.5% of records carry no CCCD number (legacy records not yet linked). Wards are
real; street names come from one city-wide list and are not tied to the ward.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from smarthealth.synth import hanoi
from smarthealth.synth.draw import Weighted
from smarthealth.synth.names import draw_name
from smarthealth.synth.numbers import CccdAllocator, mobile_phone

# (first age, last age, share in %) — five-year bands, 80+ spread to 95.
AGE_BANDS = Weighted([
    ((0, 4), 8.5), ((5, 9), 8.5), ((10, 14), 7.0), ((15, 19), 6.0), ((20, 24), 7.0),
    ((25, 29), 9.0), ((30, 34), 9.5), ((35, 39), 8.5), ((40, 44), 7.5), ((45, 49), 6.5),
    ((50, 54), 5.5), ((55, 59), 5.0), ((60, 64), 4.5), ((65, 69), 3.5), ((70, 74), 2.0),
    ((75, 79), 1.2), ((80, 95), 1.5),
])
NO_CCCD_SHARE = 0.005
VILLAGE_PARTS = ("Đông", "Đoài", "Thượng", "Hạ", "Trung", "Nam", "Bắc", "Yên", "Phú", "An")


def male_share(age: int) -> float:
    if age < 15:
        return 0.525
    return 0.495 if age < 60 else 0.42


@dataclass(frozen=True)
class Resident:
    """A person row ready for `identity.bulk.add_persons`, with what the card draw needs."""

    row: dict[str, Any]
    age: int


class ResidentFactory:
    def __init__(self, rng: random.Random, *, on: date, cccds: CccdAllocator) -> None:
        self.rng = rng
        self.on = on
        self.cccds = cccds
        # Urban wards are denser: about 1.65 times a commune's population on average.
        self.wards = Weighted((w, 1.65 if w.urban else 1.0) for w in hanoi.wards())

    def birth_date(self, age: int) -> date:
        """A birth date that makes the person `age` full years old on the reference day."""
        latest = years_before(self.on, age)
        earliest = years_before(self.on, age + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def address(self, ward: hanoi.HanoiWard) -> str:
        rng = self.rng
        if not ward.urban:
            first, second = rng.sample(VILLAGE_PARTS, 2)
            return f"Thôn {first} {second}, {ward.name}, Hà Nội"
        street = rng.choice(hanoi.STREETS)
        number = rng.randint(1, 300)
        if rng.random() < 0.6:
            return f"Số {number}, ngõ {rng.randint(1, 250)} phố {street}, {ward.name}, Hà Nội"
        return f"Số {number} phố {street}, {ward.name}, Hà Nội"

    def draw(self) -> Resident:
        rng = self.rng
        low, high = AGE_BANDS.draw(rng)
        age = rng.randint(low, high)
        sex = "male" if rng.random() < male_share(age) else "female"
        born = self.birth_date(age)
        ward = self.wards.draw(rng)
        cccd = (None if rng.random() < NO_CCCD_SHARE
                else self.cccds.issue(rng, birth_date=born, sex=sex))
        phone = mobile_phone(rng) if age >= 15 and rng.random() < 0.92 else None
        row = {"cccd": cccd, "full_name": draw_name(rng, sex), "birth_date": born, "sex": sex,
               "phone": phone, "address": self.address(ward), "province_code": "01",
               "ward_code": ward.code}
        return Resident(row, age)


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def years_before(on: date, years: int) -> date:
    """The same day `years` earlier (29 February becomes 28 February)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)
