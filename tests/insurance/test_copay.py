"""Co-payment: one worked example per rule of insurance.md §3 (base salary 2,340,000 from
2024-07-01, so 15% = 351,000 and 6 months = 14,040,000; 1,800,000 before)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarthealth.insurance.copay import CardBenefit, Item, Referral, Visit, compute

LEVEL4 = CardBenefit(benefit_level=4, group_code="DN")


def service(price: int, qty: int | str = 1, hospital: int | None = None,
            in_list: bool = True) -> Item:
    return Item("service", qty, price, price if hospital is None else hospital, in_list)


def visit(on=date(2025, 3, 1), care_level="basic", tier="district", inpatient=False,
          referral=Referral.registered, copaid=0) -> Visit:
    return Visit(on, care_level, tier, inpatient, referral, copaid)


def test_correct_route_pays_the_card_rate():
    result = compute([service(500_000)], card=LEVEL4, visit=visit())
    assert (result.muc_huong, result.bhyt_pays, result.patient_pays) == (80, 400_000, 100_000)


def test_card_level_3_pays_95_percent():
    result = compute([service(1_000_000)], card=CardBenefit(3, "HT"), visit=visit())
    assert (result.muc_huong, result.bhyt_pays) == (95, 950_000)


def test_correct_route_below_15_percent_of_base_salary_pays_in_full():
    result = compute([service(200_000), service(150_000)], card=LEVEL4, visit=visit())
    assert result.total_in_scope == 350_000  # below 351,000
    assert (result.muc_huong, result.patient_pays) == (100, 0)
    assert "below_15_percent_base_salary" in result.rules


def test_15_percent_rule_uses_the_base_salary_in_force_on_the_visit_date():
    before = compute([service(300_000)], card=LEVEL4, visit=visit(on=date(2024, 3, 1)))
    after = compute([service(300_000)], card=LEVEL4, visit=visit(on=date(2024, 7, 1)))
    assert (before.base_salary, before.muc_huong) == (1_800_000, 80)  # 15% = 270,000
    assert (after.base_salary, after.muc_huong) == (2_340_000, 100)  # 15% = 351,000


def test_wrong_route_below_15_percent_keeps_the_wrong_route_rate():
    result = compute([service(100_000)], card=LEVEL4, visit=visit(
        on=date(2024, 9, 1), tier="central", care_level="specialised", inpatient=True,
        referral=Referral.self_referred))
    assert (result.muc_huong, result.bhyt_pays) == (32, 32_000)


def test_commune_level_pays_in_full():
    result = compute([service(2_000_000)], card=LEVEL4, visit=visit(
        tier="commune", care_level="primary", referral=Referral.self_referred))
    assert (result.muc_huong, result.patient_pays) == (100, 0)
    assert "commune_level" in result.rules


def test_five_years_and_copaid_above_six_months_base_salary_pays_in_full():
    card = CardBenefit(4, "DN", five_years_date=date(2023, 1, 1))
    above = compute([service(1_000_000)], card=card, visit=visit(copaid=14_040_001))
    at = compute([service(1_000_000)], card=card, visit=visit(copaid=14_040_000))
    assert (above.muc_huong, at.muc_huong) == (100, 80)


def test_five_years_rule_needs_the_five_years_reached_by_the_visit_date():
    card = CardBenefit(4, "DN", five_years_date=date(2025, 6, 1))
    assert compute([service(1_000_000)], card=card, visit=visit(copaid=20_000_000)).muc_huong == 80


def test_five_years_rule_does_not_apply_to_self_referred_care():
    card = CardBenefit(4, "DN", five_years_date=date(2020, 1, 1))
    result = compute([service(1_000_000)], card=card, visit=visit(
        on=date(2024, 9, 1), tier="central", inpatient=True, referral=Referral.self_referred,
        copaid=20_000_000))
    assert result.muc_huong == 32


def test_exemption_date_on_the_card_pays_in_full():
    card = CardBenefit(4, "DN", exemption_date=date(2025, 2, 1))
    assert compute([service(1_000_000)], card=card, visit=visit()).muc_huong == 100


@pytest.mark.parametrize(("referral", "muc_huong"), [
    (Referral.referred, 80), (Referral.emergency, 80), (Referral.registered, 80)])
def test_referred_and_emergency_care_is_correct_route(referral, muc_huong):
    result = compute([service(1_000_000)], card=LEVEL4, visit=visit(
        on=date(2024, 9, 1), tier="central", inpatient=True, referral=referral))
    assert result.muc_huong == muc_huong


@pytest.mark.parametrize(("inpatient", "muc_huong"), [(True, 32), (False, 0)])
def test_pre_2025_self_referred_central_hospital_pays_40_percent_of_inpatient_only(
        inpatient, muc_huong):
    result = compute([service(1_000_000)], card=LEVEL4, visit=visit(
        on=date(2024, 9, 1), tier="central", inpatient=inpatient,
        referral=Referral.self_referred))
    assert result.muc_huong == muc_huong


@pytest.mark.parametrize(("on", "muc_huong"), [(date(2020, 12, 31), 48), (date(2021, 1, 1), 80)])
def test_pre_2025_self_referred_provincial_inpatient_60_then_100_from_2021(on, muc_huong):
    result = compute([service(1_000_000)], card=LEVEL4, visit=visit(
        on=on, tier="city", inpatient=True, referral=Referral.self_referred))
    assert result.muc_huong == muc_huong


@pytest.mark.parametrize("inpatient", [True, False])
def test_pre_2025_self_referred_district_hospital_100_percent_from_2016(inpatient):
    result = compute([service(1_000_000)], card=LEVEL4, visit=visit(
        on=date(2016, 1, 1), tier="district", inpatient=inpatient,
        referral=Referral.self_referred))
    assert result.muc_huong == 80


@pytest.mark.parametrize(("care_level", "tier", "inpatient", "muc_huong"), [
    ("primary", "district", False, 80),  # primary level: 100% route rate
    ("basic", "district", False, 80),  # basic outpatient, former district hospital: 100%
    ("basic", "city", False, 40),  # basic outpatient, former provincial hospital: 50%
    ("basic", "city", True, 80),  # basic inpatient: 100%
    ("specialised", "central", True, 32),  # specialised inpatient: 40%
])
def test_post_2025_self_referral_rates_unverified_table(care_level, tier, inpatient, muc_huong):
    result = compute([service(1_000_000)], card=LEVEL4, visit=visit(
        on=date(2025, 3, 1), care_level=care_level, tier=tier, inpatient=inpatient,
        referral=Referral.self_referred))
    assert result.muc_huong == muc_huong


def test_fractional_muc_huong_is_kept_exact():
    result = compute([service(1_000_000)], card=CardBenefit(3, "HT"), visit=visit(
        care_level="basic", tier="city", referral=Referral.self_referred))
    assert result.muc_huong == Decimal("47.5")
    assert result.bhyt_pays == 475_000


def test_item_outside_the_bhyt_list_is_paid_by_the_patient():
    result = compute([service(1_000_000), service(0, hospital=250_000, in_list=False)],
                     card=LEVEL4, visit=visit())
    off_list = result.lines[1]
    assert (off_list.bhyt_pays, off_list.patient_off_list, off_list.patient_pays) == (
        0, 250_000, 250_000)


def test_hospital_price_above_the_bhyt_price_is_paid_by_the_patient():
    result = compute([service(1_000_000, hospital=1_200_000)], card=LEVEL4, visit=visit())
    line = result.lines[0]
    assert (line.amount, line.bhyt_pays, line.patient_copay, line.patient_price_difference,
            line.patient_pays) == (1_200_000, 800_000, 200_000, 200_000, 400_000)


def test_line_amounts_round_half_up_to_whole_dong():
    result = compute([Item("drug", "0.5", 1_001, 1_001)], card=CardBenefit(1, "TE"),
                     visit=visit())
    assert result.lines[0].amount == 501  # 500.5 → 501


item_strategy = st.builds(
    Item, kind=st.sampled_from(["drug", "service", "supply"]),
    quantity=st.decimals(min_value=0, max_value=100, places=2),
    bhyt_unit_price=st.integers(0, 5_000_000), hospital_unit_price=st.integers(0, 6_000_000),
    in_bhyt_list=st.booleans())


@settings(max_examples=200, deadline=None)
@given(items=st.lists(item_strategy, max_size=12), level=st.integers(1, 5),
       tier=st.sampled_from(["central", "city", "district", "commune"]),
       inpatient=st.booleans(), referral=st.sampled_from(list(Referral)),
       on=st.dates(date(2019, 7, 1), date(2027, 12, 31)))
def test_lines_add_up_to_totals_and_shares_add_up_to_cost(items, level, tier, inpatient,
                                                          referral, on):
    result = compute(items, card=CardBenefit(level), visit=visit(
        on=on, tier=tier, care_level="basic", inpatient=inpatient, referral=referral))
    assert result.total_cost == sum(line.amount for line in result.lines)
    assert result.bhyt_pays == sum(line.bhyt_pays for line in result.lines)
    assert result.patient_pays == sum(line.patient_pays for line in result.lines)
    assert result.bhyt_pays + result.patient_pays == result.total_cost
    assert all(line.bhyt_pays >= 0 and line.patient_pays >= 0 for line in result.lines)


def test_hardship_area_or_island_resident_gets_the_full_route_rate():
    result = compute([service(1_000_000)], card=LEVEL4, visit=Visit(
        date(2024, 9, 1), "specialised", "central", True, Referral.self_referred,
        hardship_resident=True))
    assert result.muc_huong == 80
