"""What BHYT pays and what the patient pays for one visit: a pure function over dated tables.

Rounding (project rule, documented in the README): each line's amount is quantity × unit
price rounded half-up to whole VND; BHYT's share of a line is amount × MUC_HUONG / 100
rounded half-up; the patient pays the rest. Totals are the sums of the lines, so lines and
totals always agree and BHYT + patient = total cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from smarthealth.insurance import tables


class Referral(StrEnum):
    registered = "registered"  # at the registered facility (đúng tuyến)
    referred = "referred"  # with a referral paper (chuyển tuyến / chuyển cơ sở)
    emergency = "emergency"  # cấp cứu
    self_referred = "self_referred"  # trái tuyến / tự đi

    @property
    def correct_route(self) -> bool:
        return self is not Referral.self_referred


@dataclass(frozen=True)
class Item:
    """One drug, service or supply line of a visit."""

    kind: str  # drug / service / supply / bed / ...
    quantity: Decimal | int | str
    bhyt_unit_price: int  # price BHYT recognises (đơn giá BH)
    hospital_unit_price: int  # the facility's price (đơn giá BV); difference is the patient's
    in_bhyt_list: bool = True
    name: str = ""


@dataclass(frozen=True)
class CardBenefit:
    benefit_level: int
    group_code: str = ""
    five_years_date: date | None = None  # NAM_NAM_LIEN_TUC / ngayDu5Nam
    exemption_date: date | None = None  # NGAY_MIEN_CCT


@dataclass(frozen=True)
class Visit:
    on: date
    care_level: str  # primary / basic / specialised (Luật 51/2024)
    tier: str  # central / city (provincial) / district / commune (former route)
    inpatient: bool
    referral: Referral
    copaid_this_year: int = 0  # what the patient already co-paid in this calendar year
    hardship_resident: bool = False  # ethnic-minority/poor in a hardship area, or island resident


@dataclass(frozen=True)
class Line:
    index: int
    kind: str
    amount: int  # everything the line costs
    in_scope: int  # at the BHYT price, when the item is in the BHYT list
    bhyt_pays: int
    patient_copay: int  # the patient's share of the in-scope amount
    patient_price_difference: int  # hospital price above the BHYT price
    patient_off_list: int  # items outside the BHYT list
    patient_pays: int


@dataclass(frozen=True)
class Copay:
    muc_huong: Decimal  # XML 130 MUC_HUONG, e.g. 80 × 40% → 32
    card_rate: int
    route_rate: Decimal
    base_salary: int
    rules: list[str]
    lines: list[Line] = field(default_factory=list)
    total_cost: int = 0
    total_in_scope: int = 0
    bhyt_pays: int = 0
    patient_pays: int = 0


_TIER_ALIASES = {"provincial": "city", "province": "city"}


def _vnd(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _amounts(item: Item) -> tuple[int, int, int]:
    """(in-scope amount, price difference, off-list amount) of one line."""
    qty = Decimal(str(item.quantity))
    if not item.in_bhyt_list:
        return 0, 0, _vnd(qty * item.hospital_unit_price)  # off-list: patient pays it all
    in_scope = _vnd(qty * item.bhyt_unit_price)
    difference = _vnd(qty * max(item.hospital_unit_price - item.bhyt_unit_price, 0))
    return in_scope, difference, 0


def _route_rate(visit: Visit) -> Decimal:
    # Luật BHYT Art. 22(4) (pre-2024): hardship-area and island residents get the full route rate
    full = visit.referral.correct_route or visit.hardship_resident
    referral = "correct" if full else "self"
    row = tables.route_rate(visit.on, care_level=visit.care_level,
                            tier=_TIER_ALIASES.get(visit.tier, visit.tier),
                            setting="inpatient" if visit.inpatient else "outpatient",
                            referral=referral)
    return row.rate_percent if row else Decimal(0)


def _full_benefit_rules(card: CardBenefit, visit: Visit, in_scope: int, salary: int) -> list[str]:
    """The rules that lift MUC_HUONG to 100 for this visit, by name."""
    rules = []
    if visit.tier == "commune":
        rules.append("commune_level")  # Luật BHYT Art. 22; QĐ 4750 XML2 MUC_HUONG: commune → 100
    if visit.referral.correct_route and Decimal(in_scope) < Decimal(salary) * Decimal("0.15"):
        rules.append("below_15_percent_base_salary")  # QĐ 4750 MUC_HUONG; NĐ 146/2018 Art. 14
    if visit.referral.correct_route and (
        (card.exemption_date is not None and card.exemption_date <= visit.on)
        or (card.five_years_date is not None and card.five_years_date <= visit.on
            and visit.copaid_this_year > 6 * salary)
    ):
        rules.append("five_years_exemption")  # Luật BHYT Art. 22: 5 years + co-paid > 6 months
    return rules


def compute(items: list[Item], *, card: CardBenefit, visit: Visit) -> Copay:
    """Split a visit's cost between BHYT and the patient with the rules in force on its date."""
    rate = tables.benefit_rate(card.benefit_level, visit.on)
    card_rate = rate.rate_percent if rate else 0
    salary = tables.base_salary(visit.on)
    route = _route_rate(visit)
    amounts = [_amounts(item) for item in items]
    in_scope_total = sum(a[0] for a in amounts)
    rules = _full_benefit_rules(card, visit, in_scope_total, salary) if card_rate else []
    if rules:
        muc_huong = Decimal(100)
    else:
        # QĐ 4750 XML2 MUC_HUONG: wrong route = card rate × route rate (80 × 40% → 32)
        muc_huong = Decimal(card_rate) * route / 100
        rules.append("card_rate" if route == 100 else "route_rate")
    lines = []
    for index, (item, (in_scope, difference, off_list)) in enumerate(zip(items, amounts,
                                                                        strict=True)):
        bhyt = _vnd(Decimal(in_scope) * muc_huong / 100)
        copay = in_scope - bhyt
        lines.append(Line(index, item.kind, in_scope + difference + off_list, in_scope, bhyt,
                          copay, difference, off_list, copay + difference + off_list))
    return Copay(
        muc_huong=muc_huong.normalize() if muc_huong % 1 else Decimal(int(muc_huong)),
        card_rate=card_rate, route_rate=route, base_salary=salary, rules=rules, lines=lines,
        total_cost=sum(line.amount for line in lines), total_in_scope=in_scope_total,
        bhyt_pays=sum(line.bhyt_pays for line in lines),
        patient_pays=sum(line.patient_pays for line in lines),
    )
