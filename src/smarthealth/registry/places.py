"""Provinces and wards after the 2025 reorganisation (34 provinces), from `vietnam-provinces`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, Ward

from smarthealth.core.errors import InvalidInput


@dataclass(frozen=True)
class Place:
    code: int
    name: str
    province_code: str


@cache
def provinces() -> dict[str, str]:
    """Two-digit province code -> name, for the 34 provinces of Resolution 202/2025/QH15."""
    return {f"{int(p.code):02d}": p.name for p in Province.iter_all()}


@cache
def wards() -> dict[int, Place]:
    return {int(w.code): Place(int(w.code), w.name, f"{int(w.province_code):02d}")
            for w in Ward.iter_all()}


def province_of_facility(facility_code: str) -> str:
    """The province prefix of a BHYT facility code, which must be a current province code."""
    prefix = facility_code[:2]
    if prefix not in provinces():
        raise InvalidInput(
            f"The facility code {facility_code} does not start with a known province code.",
            f"Mã cơ sở {facility_code} không bắt đầu bằng mã tỉnh/thành phố hợp lệ.",
            details={"field": "code", "province_prefix": prefix}, code="unknown_province")
    return prefix


def ward_in_province(ward_code: int, province_code: str) -> Place:
    """The ward with this code, which must lie in the given province."""
    ward = wards().get(ward_code)
    if ward is None or ward.province_code != province_code:
        raise InvalidInput(
            f"Ward {ward_code} is not a ward or commune of province {province_code}.",
            f"Mã xã/phường {ward_code} không thuộc tỉnh/thành phố mã {province_code}.",
            details={"field": "ward_code", "ward_code": ward_code,
                     "province_code": province_code}, code="unknown_ward")
    return ward
