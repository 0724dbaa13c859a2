"""BHYT card code rules (insurance.md §1, §2), table-driven."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarthealth.insurance.card import (
    InvalidCardCode,
    benefit_rate_percent,
    check_card_code,
    parse_card_code,
)

ON = date(2025, 3, 1)


@pytest.mark.parametrize("text", [
    "HS4010120878811", "HS 4 01 0120878811", "HS4-01-0120878811", "hs4010120878811",
    " HS 4 01 0120878811 ",
])
def test_reference_example_parses_with_optional_spaces_and_dashes(text):
    card = parse_card_code(text)
    assert (card.code, card.group_code, card.benefit_level, card.province_code,
            card.social_insurance_number) == ("HS4010120878811", "HS", 4, "01", "0120878811")


@pytest.mark.parametrize(("text", "result_code", "kind"), [
    ("HS401012087881", "051", "length"),
    ("HS40101208788111", "051", "length"),
    ("1S4010120878811", "051", "group_letters"),
    ("HS6010120878811", "053", "benefit_level"),
    ("HS0010120878811", "053", "benefit_level"),
    ("HS4A10120878811", "052", "province"),
    ("HS401012087881X", "051", "social_insurance_number"),
    ("", "051", "length"),
])
def test_layout_faults_carry_the_gateway_result_code(text, result_code, kind):
    with pytest.raises(InvalidCardCode) as info:
        parse_card_code(text)
    assert info.value.details["result_code"] == result_code
    assert info.value.details["kind"] == kind
    assert info.value.message_vi and info.value.message_en


@pytest.mark.parametrize(("level", "rate"), [(1, 100), (2, 100), (3, 95), (4, 80), (5, 100)])
def test_benefit_level_gives_the_basic_rate(level, rate):
    assert benefit_rate_percent(level, on=ON) == rate


@pytest.mark.parametrize(("code", "kinds"), [
    ("HS4010120878811", []),
    ("TE1010120878811", []),
    ("HS3010120878811", ["group_level_mismatch"]),
    ("ZZ4010120878811", ["group_unknown"]),
    ("HS4990120878811", ["province_unknown"]),
])
def test_unverified_group_and_province_rules_warn_but_never_block(code, kinds):
    check = check_card_code(code, on=ON)
    assert check.valid and check.result_code == "000"
    assert [issue.kind for issue in check.issues] == kinds
    assert all(issue.severity == "warning" for issue in check.issues)


@pytest.mark.parametrize(("on", "level_ok"), [(date(2025, 12, 31), 3), (date(2026, 1, 1), 2)])
def test_near_poor_group_moves_to_level_2_in_2026(on, level_ok):
    check = check_card_code(f"CN{level_ok}010120878811", on=on)
    assert check.issues == []


def test_post_merger_province_code_is_known():
    assert check_card_code("DN4240120878811", on=date(2026, 1, 1)).issues == []


def test_malformed_code_check_reports_without_raising():
    check = check_card_code("HS7", on=ON)
    assert not check.valid and check.result_code == "051"
    assert check.issues[0].severity == "error"


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=80), st.integers(), st.none(), st.binary()))
def test_card_parser_never_fails_unexpectedly(value):
    check = check_card_code(value, on=ON)
    assert check.result_code in {"000", "051", "052", "053"}
