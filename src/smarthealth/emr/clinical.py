"""Pure clinical rules: plausible vital-sign ranges, BMI, dispensed quantity, abnormal flags."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Limits:
    """Hard limits reject a value as impossible; soft limits only warn."""

    unit: str
    hard: tuple[float, float]
    soft: tuple[float, float]
    label_vi: str


# Adult physiological plausibility bands (hard = incompatible with a measurement on a living
# patient or a typing error; soft = abnormal, worth a second look), per the usual
# nursing observation charts (Bộ Y tế, Hướng dẫn chăm sóc người bệnh, TT 31/2021/TT-BYT).
VITAL_LIMITS: dict[str, Limits] = {
    "pulse": Limits("/min", (20, 250), (50, 120), "Mạch"),
    "systolic": Limits("mmHg", (50, 300), (90, 160), "Huyết áp tâm thu"),
    "diastolic": Limits("mmHg", (20, 200), (50, 100), "Huyết áp tâm trương"),
    "temperature": Limits("°C", (30, 44), (35.5, 38.0), "Nhiệt độ"),
    "respiratory_rate": Limits("/min", (4, 80), (10, 25), "Nhịp thở"),
    "spo2": Limits("%", (50, 100), (94, 100), "SpO2"),
    "weight": Limits("kg", (0.3, 400), (2, 200), "Cân nặng"),
    "height": Limits("cm", (25, 250), (45, 210), "Chiều cao"),
}


@dataclass(frozen=True)
class Finding:
    field: str
    severity: str  # error / warning
    message_en: str
    message_vi: str


def check_vitals(values: dict[str, float | None]) -> list[Finding]:
    """Errors for values outside the hard limits, warnings outside the soft ones."""
    found = []
    for name, value in values.items():
        limits = VITAL_LIMITS.get(name)
        if limits is None or value is None:
            continue
        unit = limits.unit
        if not limits.hard[0] <= value <= limits.hard[1]:
            found.append(Finding(name, "error",
                                 f"{name} {value} {unit} is outside {limits.hard[0]}–"
                                 f"{limits.hard[1]} {unit}; check the measurement.",
                                 f"{limits.label_vi} {value} {unit} nằm ngoài khoảng "
                                 f"{limits.hard[0]}–{limits.hard[1]} {unit}; kiểm tra lại."))
        elif not limits.soft[0] <= value <= limits.soft[1]:
            found.append(Finding(name, "warning",
                                 f"{name} {value} {unit} is outside the usual "
                                 f"{limits.soft[0]}–{limits.soft[1]} {unit}.",
                                 f"{limits.label_vi} {value} {unit} ngoài khoảng thường gặp "
                                 f"{limits.soft[0]}–{limits.soft[1]} {unit}."))
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        found.append(Finding("diastolic", "error",
                             "Diastolic pressure must be below systolic pressure.",
                             "Huyết áp tâm trương phải thấp hơn huyết áp tâm thu."))
    return found


def bmi(weight_kg: float | None, height_cm: float | None) -> float | None:
    """Body-mass index kg/m², one decimal (WHO definition)."""
    if not weight_kg or not height_cm:
        return None
    metres = height_cm / 100
    return round(weight_kg / (metres * metres), 1)


def dispensed_quantity(dose: Decimal, frequency_per_day: int, days: int) -> int:
    """Units to dispense: ceil(dose × times per day × days); whole units are dispensed."""
    return math.ceil(dose * frequency_per_day * days)


def parse_number(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def reference_bounds(reference_range: str | None) -> tuple[Decimal | None, Decimal | None]:
    """Bounds of "3.5-5.0", "< 5.7", "<=200" or "> 60"; (None, None) when unreadable."""
    text = (reference_range or "").strip().replace("–", "-").replace(" ", "")
    if not text:
        return None, None
    for prefix in ("<=", "≤", "<"):
        if text.startswith(prefix):
            return None, parse_number(text[len(prefix):])
    for prefix in (">=", "≥", ">"):
        if text.startswith(prefix):
            return parse_number(text[len(prefix):]), None
    low, sep, high = text.partition("-")
    if not sep or not low:
        return None, None
    return parse_number(low), parse_number(high)


def abnormal_flag(value: str, reference_range: str | None) -> str | None:
    """"low"/"high"/"normal" when the value and range are numeric, else None (HL7 L/H/N)."""
    number = parse_number(value)
    low, high = reference_bounds(reference_range)
    if number is None or (low is None and high is None):
        return None
    if low is not None and number < low:
        return "low"
    if high is not None and number > high:
        return "high"
    return "normal"
