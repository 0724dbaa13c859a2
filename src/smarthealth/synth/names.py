"""Vietnamese names in the order family – middle – given, with diacritics and rough frequencies.

Family-name shares follow the commonly cited national figures (Nguyễn about 38%, Trần 11%,
Lê 9.5% ...); middle and given names are common northern choices, by sex. Synthetic data.
"""

from __future__ import annotations

import random
import unicodedata

from smarthealth.synth.draw import Weighted


def _table(text: str) -> Weighted[str]:
    """"Nguyễn 38, Trần 11" -> a weighted table (NFC, so keys and lookups agree)."""
    pairs = []
    for item in text.split(","):
        name, weight = item.strip().rsplit(" ", 1)
        pairs.append((unicodedata.normalize("NFC", name), float(weight)))
    return Weighted(pairs)


FAMILY = _table(
    "Nguyễn 38, Trần 11, Lê 9.5, Phạm 7, Hoàng 4.5, Huỳnh 0.5, Phan 2.5, Vũ 3.9, Võ 0.6, "
    "Đặng 2.1, Bùi 2, Đỗ 1.9, Hồ 1, Ngô 1.3, Dương 1, Lý 0.5, Đinh 1, Đào 0.8, Trịnh 0.8, "
    "Lương 0.5, Mai 0.5, Tạ 0.4, Chu 0.4, Cao 0.4, Lưu 0.3, Tô 0.3, Hà 0.5, Kiều 0.3, "
    "Khuất 0.2, Nghiêm 0.2, Quách 0.2, Vương 0.2, Phùng 0.4, Triệu 0.3, Đoàn 0.6, Lâm 0.3, "
    "Thái 0.2, Nông 0.1, Khổng 0.1, Doãn 0.1")

MIDDLE = {
    "male": _table(
        "Văn 26, Đức 10, Minh 10, Quang 8, Hữu 7, Xuân 4, Thành 4, Công 5, Đình 5, Thế 4, "
        "Ngọc 3, Mạnh 2, Trung 2, Việt 3, Anh 3, Gia 3, Hoàng 3, Bảo 2, Duy 3, Tiến 2, Hải 2, "
        "Quốc 4, Trọng 3, Khánh 2, Tuấn 2"),
    "female": _table(
        "Thị 34, Ngọc 8, Thu 6, Thanh 7, Phương 4, Minh 5, Hồng 4, Thùy 4, Bảo 3, Khánh 3, "
        "Hải 2, Mai 2, Kim 3, Diệu 2, Quỳnh 2, Lan 2, Hà 2, Tuyết 1, Bích 2, Hoài 2, Gia 2, "
        "Vân 2, Bảo Ngọc 1"),
}

GIVEN = {
    "male": _table(
        "An 2, Anh 4, Bình 2, Cường 2, Công 1, Dũng 3, Đạt 3, Đức 3, Dương 2, Duy 2, Giang 1, "
        "Hải 3, Hiếu 2, Hiệp 1, Hoàng 2, Hùng 4, Huy 4, Hưng 3, Khánh 2, Khoa 2, Kiên 2, "
        "Lâm 2, Long 3, Lực 1, Mạnh 2, Minh 5, Nam 4, Nghĩa 2, Nhân 1, Phong 2, Phúc 2, "
        "Quân 3, Quang 3, Sơn 4, Tài 1, Thắng 3, Thành 3, Tiến 2, Toàn 2, Trung 3, Tuấn 5, "
        "Tùng 3, Việt 2, Vinh 2, Vũ 2, Khôi 2, Bảo 1, Đăng 1, Hòa 1, Thịnh 1"),
    "female": _table(
        "Anh 4, Chi 2, Dung 2, Giang 2, Hà 3, Hằng 3, Hạnh 2, Hiền 3, Hoa 3, Hồng 2, Huyền 3, "
        "Hương 4, Lan 3, Linh 5, Loan 2, Mai 3, My 2, Nga 3, Ngân 2, Ngọc 3, Nhung 2, Oanh 1, "
        "Phương 3, Quỳnh 2, Tâm 2, Thảo 4, Thu 2, Thủy 3, Trang 5, Uyên 1, Vân 2, Yến 2, "
        "Nhi 2, Thư 2, Vy 2, Hoa 1, Liên 1, Nhàn 1, Ly 2, Duyên 1"),
}


def draw_name(rng: random.Random, sex: str) -> str:
    """A full name "Family Middle Given" whose given name differs from the middle name."""
    family = FAMILY.draw(rng)
    middle = MIDDLE[sex].draw(rng)
    given = GIVEN[sex].draw(rng)
    while given == middle:
        given = GIVEN[sex].draw(rng)
    return f"{family} {middle} {given}"
