"""Per-line money of xml130.md §7 (QĐ 4750 appendix), with the official example."""

from decimal import Decimal

import pytest

from smarthealth.claims.money import line_money, split


def test_official_example_case_b():
    # 10,000,000 drug cost, 50 % payment ratio, donor 3,000,000, card 80 %
    line = line_money(quantity=1, unit_price=10_000_000, tyle_tt_bh=50, muc_huong=80,
                      t_nguonkhac=3_000_000, case="b")
    assert line.thanh_tien_bh == Decimal("3500000")
    assert line.t_bhtt == Decimal("2800000")
    assert line.t_bncct == Decimal("700000")
    assert line.t_bntt == Decimal("3500000")
    assert line.thanh_tien_bv == Decimal("10000000")


def test_case_a_other_source_is_used_up_in_order_bntt_bncct_bhtt():
    # BNTT' = 5,000,000 absorbs the 3,000,000 support entirely
    line = line_money(quantity=1, unit_price=10_000_000, tyle_tt_bh=50, muc_huong=80,
                      t_nguonkhac=3_000_000)
    assert (line.t_bntt, line.t_bncct, line.t_bhtt) == (2_000_000, 1_000_000, 4_000_000)
    # support larger than BNTT' + BNCCT' reaches the fund's share
    nk, bhtt, bncct, bntt = split(thanh_tien_bv=100, thanh_tien_bh=80, muc_huong=80,
                                  t_nguonkhac=50)
    assert (nk, bntt, bncct, bhtt) == (50, 0, 0, 64 - 14)
    assert bntt + bncct + bhtt + nk == 100


def test_case_c_other_source_pays_the_copayment():
    line = line_money(quantity=2, unit_price=1000, muc_huong=80, case="c")
    assert (line.t_nguonkhac, line.t_bncct, line.t_bhtt, line.t_bntt) == (400, 0, 1600, 0)


def test_without_other_source_the_shares_add_up():
    line = line_money(quantity="0.5", unit_price="25000.5", muc_huong=80)
    assert line.thanh_tien_bv == Decimal("12500.25")
    assert line.t_bhtt == Decimal("10000.20")
    assert line.t_bncct == Decimal("2500.05")
    assert line.t_bhtt + line.t_bncct == line.thanh_tien_bh
    assert line.t_bntt == 0


def test_xml3_line_uses_both_prices_and_the_service_ratio():
    line = line_money(quantity=1, unit_price=50000, unit_price_bh=45000, tyle_tt_dv=30,
                      muc_huong=100)
    assert line.thanh_tien_bv == Decimal("15000")
    assert line.thanh_tien_bh == Decimal("13500")
    assert line.t_bntt == Decimal("1500")
    assert line.t_bhtt == Decimal("13500")


def test_unknown_case_is_refused():
    with pytest.raises(ValueError):
        split(thanh_tien_bv=1, thanh_tien_bh=1, muc_huong=80, t_nguonkhac=1, case="z")
