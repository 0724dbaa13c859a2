"""Synthetic identifiers never repeat and follow their documented structure."""

import random
from datetime import date

from smarthealth.synth.draw import Permutation
from smarthealth.synth.numbers import (
    CccdAllocator,
    SocialInsuranceNumbers,
    mobile_phone,
    sex_century_digit,
)


def test_a_permutation_maps_every_index_to_a_different_number():
    perm = Permutation(1000, random.Random(1))
    assert sorted(perm(i) for i in range(1000)) == list(range(1000))


def test_cccd_numbers_in_one_crowded_birth_year_never_repeat():
    rng = random.Random(5)
    allocator = CccdAllocator(random.Random(6))
    numbers = [allocator.issue(rng, birth_date=date(1990, 5, 1), sex="male")
               for _ in range(50_000)]
    assert len(set(numbers)) == len(numbers)
    assert all(n[3:6] == "090" for n in numbers)


def test_the_sex_and_century_digit_follows_the_circular_rule():
    assert sex_century_digit(1985, "male") == 0
    assert sex_century_digit(1985, "female") == 1
    assert sex_century_digit(2010, "male") == 2
    assert sex_century_digit(2010, "female") == 3


def test_resident_and_staff_social_insurance_numbers_do_not_overlap():
    sins = SocialInsuranceNumbers(random.Random(2))
    residents = {sins.for_resident(i)[2:] for i in range(20_000)}
    staff = {sins.for_staff(i)[2:] for i in range(5_000)}
    assert len(residents) == 20_000 and len(staff) == 5_000
    assert not residents & staff
    assert sins.for_resident(0, "33").startswith("33")


def test_mobile_numbers_have_ten_digits_and_a_mobile_prefix():
    rng = random.Random(3)
    for _ in range(500):
        phone = mobile_phone(rng)
        assert len(phone) == 10 and phone.isdigit()
        assert phone[:2] in ("03", "05", "07", "08", "09")
