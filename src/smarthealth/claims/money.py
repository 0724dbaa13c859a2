"""Money of one XML2/XML3 line (QĐ 4750 appendix; xml130.md §7): a pure function per line.

Cases of other-source money (T_NGUONKHAC):
- "a": support paid for this patient only; it is used up in the order patient's own payment
  (BNTT') → co-payment (BNCCT') → fund (BHTT').
- "b": support given to the facility for patients in general; deducted from the line's cost
  first, the rest split as usual (official example: 10,000,000; 50%; donor 3,000,000; card
  80% → THANH_TIEN_BH 3,500,000; T_BHTT 2,800,000; T_BNCCT 700,000; T_BNTT 3,500,000).
- "c": MoH special cases such as ARV: the other source pays the co-payment (T_NGUONKHAC =
  BNCCT', T_BNCCT = 0).
The split works on any number type (Decimal for the exporter, float for the fast validator);
`line_money` rounds to 2 decimals half-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CASES = ("a", "b", "c")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineMoney:
    """THANH_TIEN_BV, THANH_TIEN_BH, T_NGUONKHAC, T_BHTT, T_BNCCT, T_BNTT of one line."""

    thanh_tien_bv: Any
    thanh_tien_bh: Any
    t_nguonkhac: Any
    t_bhtt: Any
    t_bncct: Any
    t_bntt: Any


def split(*, thanh_tien_bv: Any, thanh_tien_bh: Any, muc_huong: Any, t_nguonkhac: Any = 0,
          case: str = "a") -> tuple[Any, Any, Any, Any]:
    """(T_NGUONKHAC, T_BHTT, T_BNCCT, T_BNTT) of a line whose amounts are known; no rounding."""
    return allocate(thanh_tien_bv=thanh_tien_bv, thanh_tien_bh=thanh_tien_bh,
                    bhtt=thanh_tien_bh * muc_huong / 100, t_nguonkhac=t_nguonkhac, case=case)


def allocate(*, thanh_tien_bv: Any, thanh_tien_bh: Any, bhtt: Any, t_nguonkhac: Any,
             case: str) -> tuple[Any, Any, Any, Any]:
    """Step 2 of §7 from the provisional fund share BHTT' = THANH_TIEN_BH × MUC_HUONG / 100."""
    bncct = thanh_tien_bh - bhtt
    zero = bncct - bncct
    if case == "b":
        return t_nguonkhac, bhtt, bncct, thanh_tien_bv - t_nguonkhac - thanh_tien_bh
    bntt = thanh_tien_bv - thanh_tien_bh
    if case == "c":
        return bncct, bhtt, zero, bntt
    if case != "a":
        raise ValueError(f"Unknown other-source case {case!r}")
    if not t_nguonkhac:
        return t_nguonkhac, bhtt, bncct, bntt
    return (t_nguonkhac,
            bhtt - max(zero, t_nguonkhac - bncct - bntt),
            bncct - max(zero, min(bncct, t_nguonkhac - bntt)),
            max(zero, bntt - t_nguonkhac))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_money(*, quantity: Decimal | int | str, unit_price: Decimal | int | str,
               muc_huong: Decimal | int | str, tyle_tt_bh: Decimal | int | str = 100,
               unit_price_bh: Decimal | int | str | None = None,
               tyle_tt_dv: Decimal | int | str = 100, t_nguonkhac: Decimal | int | str = 0,
               case: str = "a") -> LineMoney:
    """All money fields of one line, rounded to 2 decimals (XML2: unit_price = DON_GIA;
    XML3: unit_price = DON_GIA_BV, unit_price_bh = DON_GIA_BH, tyle_tt_dv = TYLE_TT_DV)."""
    qty, price = Decimal(str(quantity)), Decimal(str(unit_price))
    price_bh = price if unit_price_bh is None else Decimal(str(unit_price_bh))
    dv, bh_ratio = Decimal(str(tyle_tt_dv)) / 100, Decimal(str(tyle_tt_bh)) / 100
    other = _cents(Decimal(str(t_nguonkhac)))
    bv = _cents(qty * price * dv)
    if case == "b":
        bh = _cents((bv - other) * bh_ratio)
    else:
        bh = _cents(qty * price_bh * bh_ratio * dv)
    bhtt = _cents(bh * Decimal(str(muc_huong)) / 100)
    nk, bhtt, bncct, bntt = allocate(thanh_tien_bv=bv, thanh_tien_bh=bh, bhtt=bhtt,
                                     t_nguonkhac=other, case=case)
    return LineMoney(bv, bh, nk, bhtt, bncct, bntt)
