"""A fake closed encounter in the shape emr.pdf_forms renders (no database needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def fake_encounter() -> dict[str, Any]:
    return {
        "encounter_id": 4821, "facility": {"code": "01013", "name": "Bệnh viện Đa khoa Xanh Pôn"},
        "department": "Khoa Khám bệnh", "kind": "outpatient",
        "started_at": datetime(2026, 9, 14, 1, 35, tzinfo=UTC),
        "closed_at": datetime(2026, 9, 14, 2, 20, tzinfo=UTC),
        "patient": {"full_name": "Nguyễn Thị Hương", "birth_date": date(1988, 3, 21),
                    "age_years": 38, "sex": "female",
                    "address": "Số 12 ngõ 45 phố Xã Đàn, phường Kim Liên, Hà Nội",
                    "bhyt_card_number": "DN4010123456789", "bhyt_valid_to": date(2026, 12, 31)},
        "reason": "Sốt cao 3 ngày, đau đầu",
        "history": "Sốt liên tục 39°C từ 3 ngày nay, đau sau hốc mắt.",
        "examination": "Tỉnh, có chấm xuất huyết dưới da cẳng tay.",
        "vitals": {"pulse": 96, "temperature": 38.6, "systolic": 110, "diastolic": 70},
        "diagnoses": [{"code": "A91", "title": "Sốt xuất huyết Dengue", "main": True},
                      {"code": "E11.9", "title": "Bệnh đái tháo đường typ 2", "main": False}],
        "results": [{"name": "Tiểu cầu", "value": "85", "unit": "G/L",
                     "reference_range": "150–450", "abnormal": True}],
        "prescriptions": [{"drug_name": "Paracetamol", "strength": "500mg", "unit": "viên",
                           "route": "Uống", "dose": 1, "frequency_per_day": 3, "days": 5,
                           "quantity": 15, "instructions": None}],
        "outcome": "Đỡ, giảm", "follow_up_date": date(2026, 9, 16),
        "advice": "Uống nhiều nước, không dùng Aspirin.",
        "doctor": {"full_name": "Trần Văn Minh"},
    }
