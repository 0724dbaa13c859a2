"""CCCD number rules (identity.md §1), table-driven from the reference's facts."""

from datetime import date

import pytest

from smarthealth.identity import cccd
from smarthealth.identity.config import get_identity_settings

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(("digit", "sex", "century"), [
    (0, "male", 1900), (1, "female", 1900), (2, "male", 2000), (3, "female", 2000),
    (4, "male", 2100), (5, "female", 2100), (6, "male", 2200), (7, "female", 2200),
    (8, "male", 2300), (9, "female", 2300),
])
def test_digit_four_gives_sex_and_century(digit, sex, century):
    assert cccd.sex_and_century(digit) == (sex, century)


@pytest.mark.parametrize(("number", "sex", "year"), [
    ("001090123456", "male", 1990), ("001190123456", "female", 1990),
    ("079205000001", "male", 2005), ("079325000001", "female", 2025),
    ("001000000000", "male", 1900), ("001199000000", "female", 1999),
])
def test_number_gives_exact_birth_year_and_sex(number, sex, year):
    info = cccd.parse(number, today=TODAY)
    assert (info.sex, info.birth_year) == (sex, year)


@pytest.mark.parametrize(("prefix", "province"), [
    ("001", "Hà Nội"), ("079", "TP Hồ Chí Minh"), ("048", "Đà Nẵng"), ("031", "Hải Phòng"),
    ("092", "Cần Thơ"), ("096", "Cà Mau"), ("002", "Hà Giang"), ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
])
def test_prefix_names_the_birth_province(prefix, province):
    assert cccd.parse(prefix + "090123456", today=TODAY).birth_place == province


def test_prefix_table_has_the_63_pre_2025_provinces():
    assert len(cccd.province_prefixes()) == 63


def test_019_020_reading_is_configurable(monkeypatch):
    monkeypatch.setattr(get_identity_settings(), "swap_prefix_019_020", True)
    assert cccd.parse("019090123456", today=TODAY).birth_place == "Lạng Sơn"
    assert cccd.parse("020090123456", today=TODAY).birth_place == "Thái Nguyên"


def test_non_zero_prefix_is_a_birth_registered_abroad():
    info = cccd.parse("101090123456", today=TODAY)
    assert info.born_abroad and info.birth_place is None


@pytest.mark.parametrize(("number", "kind"), [
    ("00109012345", "format"), ("0010901234567", "format"), ("00109012345a", "format"),
    ("", "format"), ("００１０９０１２３４５６", "format"),
    ("003090123456", "prefix"), ("099090123456", "prefix"), ("000090123456", "prefix"),
    ("001490123456", "birth_year"), ("001927000000", "birth_year"),
])
def test_invalid_numbers_name_their_fault(number, kind):
    with pytest.raises(cccd.InvalidCccd) as info:
        cccd.parse(number, today=TODAY)
    assert info.value.details["kind"] == kind
    assert info.value.message_vi and info.value.message_en


def test_unknown_prefix_can_be_allowed_by_configuration(monkeypatch):
    monkeypatch.setattr(get_identity_settings(), "reject_unknown_prefix", False)
    assert cccd.parse("003090123456", today=TODAY).birth_place is None


@pytest.mark.parametrize(("text", "kind"), [
    ("001090123456", "cccd"), ("012345678", "cmnd"), ("B1234567", "passport"),
    ("b1234567", None), ("12345", None), ("AB123456", None),
])
def test_identifier_kinds_accepted_in_xml130(text, kind):
    assert cccd.identifier_kind(text) == kind


def test_matching_fields_give_no_mismatch():
    assert cccd.check_against("001090123456", full_name="Nguyễn Văn A",
                              birth_date=date(1990, 1, 1), sex="Nam", today=TODAY) == []


def test_each_mismatch_is_reported_with_expected_and_found():
    found = cccd.check_against("001090123456", full_name="123", birth_date=date(1991, 5, 2),
                               sex="female", today=TODAY)
    by_field = {m.field: m for m in found}
    assert set(by_field) == {"sex", "birth_year", "full_name"}
    assert (by_field["sex"].expected, by_field["sex"].found) == ("male", "female")
    assert (by_field["birth_year"].expected, by_field["birth_year"].found) == ("1990", "1991")
    assert all(m.message_vi and m.message_en for m in found)
    assert "Nữ" in by_field["sex"].message_vi


def test_check_against_accepts_a_year_only_birth_date():
    [m] = cccd.check_against("001090123456", birth_year=1989, today=TODAY)
    assert m.field == "birth_year"
