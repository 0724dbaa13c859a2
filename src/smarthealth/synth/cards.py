"""BHYT cards for synthetic residents: about 93% covered, groups by age, levels from the table.

The benefit level always comes from `insurance.benefits.groups_on` for the card's start date,
so a card's level fits its group (insurance.md §2). Most cards run for the current calendar
year; about 3% ended last year (expired). Cards are issued in Hà Nội (`01`), except about 2%
issued elsewhere (students and workers insured where they study or work). A few cards were
withdrawn (0.3%) or reduced (0.2%), so the BHXH simulator's refusal answers show up in the demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from smarthealth.insurance.benefits import groups_on
from smarthealth.synth.draw import Weighted
from smarthealth.synth.facilities import FacilityIndex
from smarthealth.synth.numbers import SocialInsuranceNumbers
from smarthealth.synth.people import Resident, years_before

# (last age in band, share without a card, groups with weights)
_GROUPS_BY_AGE = (
    (5, 0.005, (("TE", 100),)),
    (17, 0.03, (("HS", 96), ("HN", 2), ("CN", 2))),
    (22, 0.10, (("SV", 55), ("DN", 20), ("GD", 15), ("HN", 2), ("CN", 2), ("QN", 3),
                ("CA", 1), ("TN", 2))),
    (59, 0.10, (("DN", 52), ("HC", 8), ("GD", 20), ("HN", 2), ("CN", 3), ("CK", 1),
                ("CC", 0.5), ("CB", 0.5), ("QN", 1), ("CA", 0.7), ("TN", 1), ("BT", 1),
                ("NO", 0.5), ("XN", 0.5))),
    (74, 0.04, (("HT", 48), ("GD", 25), ("DN", 3), ("CC", 2), ("CK", 2), ("CB", 1),
                ("HN", 2), ("CN", 3), ("BT", 3))),
    (200, 0.04, (("HT", 40), ("BT", 30), ("LH", 6), ("CC", 5), ("CK", 3), ("GD", 10),
                 ("HN", 2))),
)
_BANDS = tuple((last, uninsured, Weighted(groups)) for last, uninsured, groups in _GROUPS_BY_AGE)
EXPIRED_SHARE = 0.03
OTHER_PROVINCE_SHARE = 0.02
OTHER_PROVINCES = ("31", "33", "24", "38", "40", "37")  # post-2025 codes near Hà Nội
FIVE_YEAR_SHARE = 0.55
STATUSES = Weighted([("active", 99.5), ("withdrawn", 0.3), ("reduced", 0.2)])
LAW_START = date(2009, 7, 1)  # the Health Insurance Law 25/2008/QH12 took effect
K_AREA_WARDS = frozenset({9700, 4936, 9661})  # Ba Vì mountain communes and the Minh Châu island


@cache
def _levels(on: date) -> dict[str, int]:
    return groups_on(on)


@dataclass
class CardFactory:
    rng: random.Random
    on: date
    facilities: FacilityIndex
    sins: SocialInsuranceNumbers

    def draw(self, index: int, resident: Resident) -> dict[str, Any] | None:
        """A card row (without person_id) for the index-th resident, or None if uninsured."""
        rng = self.rng
        band = next(b for b in _BANDS if resident.age <= b[0])
        if rng.random() < band[1]:
            return None
        group = band[2].draw(rng)
        valid_from, valid_to = self._window(group, resident.row["birth_date"])
        level = _levels(valid_from).get(group)
        if level is None:  # the group left the table: such people are household-insured
            group, level = "GD", _levels(valid_from)["GD"]
        province = rng.choice(OTHER_PROVINCES) if rng.random() < OTHER_PROVINCE_SHARE else "01"
        sin = self.sins.for_resident(index, province)
        ward = resident.row["ward_code"]
        return {"code": f"{group}{level}{province}{sin}", "group_code": group,
                "benefit_level": level, "province_code": province,
                "social_insurance_number": sin,
                "registered_facility_code": self._registration(ward),
                "valid_from": valid_from, "valid_to": valid_to,
                "five_years_date": self._five_years(group, resident, valid_to),
                "area_code": "K1" if ward in K_AREA_WARDS and rng.random() < 0.3 else None,
                "status": STATUSES.draw(rng)}

    def _window(self, group: str, born: date) -> tuple[date, date]:
        rng, year = self.rng, self.on.year
        if group == "TE":  # children's cards run until the day before the 6th birthday
            return born, years_before(born, -6) - timedelta(days=1)
        if rng.random() < EXPIRED_SHARE:
            return date(year - 1, 1, 1), date(year - 1, 12, 31)
        if rng.random() < 0.85:
            return date(year, 1, 1), date(year, 12, 31)
        start = date(year, rng.randint(1, self.on.month), 1)
        return start, years_before(start, -1) - timedelta(days=1)

    def _registration(self, ward_code: int) -> str:
        """Initial-care registration: own ward's station, nearest district or a city hospital."""
        roll = self.rng.random()
        if roll < 0.65:
            return self.facilities.station_by_ward[ward_code]
        if roll < 0.93:
            return self.facilities.nearest_hospital(ward_code)
        return self.rng.choice(self.facilities.city_general)

    def _five_years(self, group: str, resident: Resident, valid_to: date) -> date | None:
        """When 5 continuous years of cover were reached, for long-covered adults."""
        if group in ("TE", "HS") or resident.age < 23 or self.rng.random() > FIVE_YEAR_SHARE:
            return None
        earliest = max(LAW_START, years_before(resident.row["birth_date"], -18))
        latest = years_before(valid_to, 5)
        if latest <= earliest:
            return None
        start = earliest + timedelta(days=self.rng.randrange((latest - earliest).days))
        return years_before(start, -5)
