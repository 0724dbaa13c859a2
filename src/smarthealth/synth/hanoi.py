"""Places and hospitals of synthetic Hanoi.

Wards and communes are the real post-2025 units (126 in Hà Nội, from `vietnam-provinces`).
Hospital names are real Hanoi hospitals or named after the former districts, but every
facility code except Bạch Mai's `01929` (catalogues.md §3) is SYNTHETIC: no public copy of the
Hanoi facility list exists, so the codes here must never be read as the official BHYT codes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Ward

HANOI = 1  # post-2025 province code of Hà Nội (catalogues.md §4)


@dataclass(frozen=True)
class HanoiWard:
    code: int
    name: str

    @property
    def urban(self) -> bool:
        """A phường (urban ward) rather than a xã (commune)."""
        return self.name.startswith("Phường")


@dataclass(frozen=True)
class HospitalPlan:
    code: str
    name: str
    tier: str  # central / city / district
    care_level: str  # specialised / basic
    ward_code: int
    street: str


@cache
def wards() -> tuple[HanoiWard, ...]:
    """Hà Nội's 126 wards and communes, by GSO code (codes run roughly by former district)."""
    units = [HanoiWard(int(w.code), unicodedata.normalize("NFC", w.name))
             for w in Ward.iter_all() if int(w.province_code) == HANOI]
    return tuple(sorted(units, key=lambda w: w.code))


@cache
def ward_by_code() -> dict[int, HanoiWard]:
    return {w.code: w for w in wards()}


STREETS = (
    "Tràng Thi", "Bà Triệu", "Hàng Bài", "Lý Thường Kiệt", "Phan Đình Phùng", "Kim Mã",
    "Đội Cấn", "Hoàng Hoa Thám", "Nguyễn Chí Thanh", "Láng", "Tây Sơn", "Giải Phóng",
    "Trường Chinh", "Minh Khai", "Bạch Mai", "Lạc Trung", "Kim Ngưu", "Lĩnh Nam",
    "Tam Trinh", "Nguyễn Trãi", "Khuất Duy Tiến", "Cầu Giấy", "Xuân Thủy", "Trần Duy Hưng",
    "Hoàng Quốc Việt", "Phạm Văn Đồng", "Lạc Long Quân", "Âu Cơ", "Nguyễn Văn Cừ",
    "Ngọc Lâm", "Nguyễn Văn Linh", "Hồ Tùng Mậu", "Quang Trung", "Tô Hiệu", "Lê Trọng Tấn",
    "Chùa Bộc", "Thái Hà", "Đê La Thành", "Văn Cao", "Trần Cung", "Mỹ Đình", "Lê Văn Lương",
)

# Hospitals: (code, name, tier, care level, ward code, street). Codes synthetic except 01929.
_HOSPITALS = (
    ("01929", "Bệnh viện Bạch Mai", "central", "specialised", 226, "78 Giải Phóng"),
    ("01901", "Bệnh viện Hữu nghị Việt Đức", "central", "specialised", 73, "40 Tràng Thi"),
    ("01902", "Bệnh viện Nhi Trung ương", "central", "specialised", 187, "18/879 La Thành"),
    ("01903", "Bệnh viện K", "central", "specialised", 73, "43 Quán Sứ"),
    ("01904", "Bệnh viện Phổi Trung ương", "central", "specialised", 8, "463 Hoàng Hoa Thám"),
    ("01905", "Bệnh viện E", "central", "specialised", 160, "89 Trần Cung"),
    ("01906", "Bệnh viện Hữu Nghị", "central", "specialised", 256, "1 Trần Khánh Dư"),
    ("01907", "Bệnh viện Phụ sản Trung ương", "central", "specialised", 73, "43 Tràng Thi"),
    ("01908", "Bệnh viện Mắt Trung ương", "central", "specialised", 256, "85 Bà Triệu"),
    ("01909", "Bệnh viện Bệnh Nhiệt đới Trung ương", "central", "specialised", 226,
     "78 Giải Phóng"),
    ("01910", "Bệnh viện Nội tiết Trung ương", "central", "specialised", 640, "Ngõ 215 Ngọc Hồi"),
    ("01013", "Bệnh viện Đa khoa Xanh Pôn", "city", "basic", 4, "12 Chu Văn An"),
    ("01014", "Bệnh viện Tim Hà Nội", "city", "specialised", 73, "92 Trần Hưng Đạo"),
    ("01015", "Bệnh viện Ung bướu Hà Nội", "city", "specialised", 277, "42A Thanh Nhàn"),
    ("01016", "Bệnh viện Phụ sản Hà Nội", "city", "specialised", 25, "929 La Thành"),
    ("01017", "Bệnh viện Nhi Hà Nội", "city", "specialised", 634, "Đường Tây Mỗ"),
    ("01018", "Bệnh viện Thận Hà Nội", "city", "specialised", 235, "70 Nguyễn Chí Thanh"),
    ("01019", "Bệnh viện Mắt Hà Nội", "city", "specialised", 256, "37 Hai Bà Trưng"),
    ("01020", "Bệnh viện Phổi Hà Nội", "city", "specialised", 235, "44 Thanh Nhàn"),
    ("01021", "Bệnh viện Y học cổ truyền Hà Nội", "city", "basic", 235, "8 Phạm Hùng"),
    ("01022", "Bệnh viện Đa khoa Hà Đông", "city", "basic", 9556, "2 Bế Văn Đàn"),
)

# Former-district general hospitals: (old district, ward code). Named after the pre-2025 district.
_DISTRICTS = (
    ("Đống Đa", 235), ("Thanh Nhàn", 277), ("Đức Giang", 127), ("Sơn Tây", 9574),
    ("Ba Đình", 4), ("Hoàn Kiếm", 70), ("Tây Hồ", 103), ("Cầu Giấy", 167),
    ("Thanh Xuân", 367), ("Hoàng Mai", 319), ("Long Biên", 148), ("Nam Từ Liêm", 592),
    ("Bắc Từ Liêm", 619), ("Sóc Sơn", 376), ("Đông Anh", 454), ("Gia Lâm", 565),
    ("Thanh Trì", 640), ("Mê Linh", 9022), ("Ba Vì", 9700), ("Phúc Thọ", 9715),
    ("Đan Phượng", 9784), ("Hoài Đức", 9832), ("Quốc Oai", 9895), ("Thạch Thất", 9955),
    ("Chương Mỹ", 10015), ("Thanh Oai", 10114), ("Thường Tín", 10183), ("Phú Xuyên", 10273),
    ("Ứng Hòa", 10354), ("Mỹ Đức", 10441),
)


@cache
def hospitals() -> tuple[HospitalPlan, ...]:
    """Central, city and former-district hospitals, in that order."""
    plans = [HospitalPlan(code, unicodedata.normalize("NFC", name), tier, level, ward, street)
             for code, name, tier, level, ward, street in _HOSPITALS]
    for n, (district, ward) in enumerate(_DISTRICTS, start=1):
        name = unicodedata.normalize("NFC", district)
        title = name if name in ("Thanh Nhàn", "Đức Giang") else f"Đa khoa {name}"
        plans.append(HospitalPlan(f"011{n:02d}", f"Bệnh viện {title}", "district", "basic",
                                  ward, f"Đường trung tâm {name}"))
    return tuple(plans)


def station_code(index: int) -> str:
    """Synthetic code of the health station of the index-th ward (01201 … 01326)."""
    return f"01{200 + index + 1:03d}"
