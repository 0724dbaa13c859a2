"""Synthetic identifiers that never repeat: CCCD numbers, social-insurance numbers, phones."""

from __future__ import annotations

import random
from datetime import date

from smarthealth.synth.draw import Permutation, Weighted

# Province-of-birth prefixes (identity.md §1) for people born outside Hà Nội, weighted towards
# the provinces that send most people to the capital. Hà Nội itself is 001.
HANOI_PREFIX = "001"
OTHER_BIRTH_PROVINCES = Weighted([
    ("036", 9), ("038", 8), ("040", 7), ("034", 8), ("030", 6), ("033", 6), ("027", 5),
    ("026", 5), ("025", 5), ("035", 5), ("037", 4), ("024", 4), ("017", 3), ("019", 3),
    ("031", 3), ("022", 2), ("042", 2), ("008", 1), ("010", 1), ("014", 1), ("015", 1),
    ("020", 1), ("044", 1), ("046", 1), ("048", 1), ("079", 2), ("092", 1),
])

# Vietnamese mobile prefixes (Viettel, VinaPhone, MobiFone, Vietnamobile, Gmobile).
MOBILE_PREFIXES = Weighted([
    ("032", 3), ("033", 3), ("034", 3), ("035", 3), ("036", 3), ("037", 3), ("038", 3),
    ("039", 3), ("086", 3), ("096", 4), ("097", 4), ("098", 4), ("081", 2), ("082", 2),
    ("083", 2), ("084", 2), ("085", 2), ("088", 2), ("091", 3), ("094", 3), ("070", 1),
    ("076", 1), ("077", 1), ("078", 1), ("079", 1), ("089", 1), ("090", 3), ("093", 2),
    ("052", 1), ("056", 1), ("058", 1), ("092", 1), ("059", 1), ("099", 1),
])


def sex_century_digit(birth_year: int, sex: str) -> int:
    """CCCD digit 4: 0/1 for 1900s male/female, 2/3 for 2000s … (identity.md §1, TT 07/2016)."""
    return (birth_year // 100 - 19) * 2 + (1 if sex == "female" else 0)


class CccdAllocator:
    """12-digit CCCD numbers: prefix, sex/century digit, birth year, 6 never-repeating digits.

    Within each (prefix, digit 4, year) bucket the 6 random digits are a permutation of a
    per-bucket counter, so numbers are unique without remembering the ones already issued.
    """

    def __init__(self, rng: random.Random) -> None:
        self._perm = Permutation(10**6, rng)
        self._counters: dict[str, int] = {}
        self._born_in_hanoi = 0.82

    def birth_prefix(self, rng: random.Random) -> str:
        if rng.random() < self._born_in_hanoi:
            return HANOI_PREFIX
        return OTHER_BIRTH_PROVINCES.draw(rng)

    def issue(self, rng: random.Random, *, birth_date: date, sex: str) -> str:
        head = (f"{self.birth_prefix(rng)}{sex_century_digit(birth_date.year, sex)}"
                f"{birth_date.year % 100:02d}")
        n = self._counters.get(head, 0)
        self._counters[head] = n + 1
        shifted = (n + int(head) * 7919) % 10**6  # buckets start at different points
        return f"{head}{self._perm(shifted):06d}"


class SocialInsuranceNumbers:
    """10-digit BHXH numbers: issuing province (2 digits) + 8 never-repeating digits."""

    def __init__(self, rng: random.Random) -> None:
        self._perm = Permutation(10**8, rng)

    def for_resident(self, index: int, province: str = "01") -> str:
        return f"{province}{self._perm(index):08d}"

    def for_staff(self, index: int) -> str:
        """Staff numbers (mã định danh y tế) count down from the top, away from residents'."""
        return f"01{self._perm(10**8 - 1 - index):08d}"


def mobile_phone(rng: random.Random) -> str:
    """A 10-digit Vietnamese mobile number."""
    return f"{MOBILE_PREFIXES.draw(rng)}{rng.randrange(10**7):07d}"
