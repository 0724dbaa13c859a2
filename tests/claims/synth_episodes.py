"""Synthetic finished BHYT encounters for claims tests and bench/claims.py, written in bulk.

Every visit type the platform has: outpatient examinations (exam, lab orders with results,
imaging, prescriptions), inpatient stays (admission, bed days, progress notes, vitals) and
emergencies (some admitted). Money comes from insurance.copay.compute, as at a real close.
Deterministic for a seed; a few Core executemany statements per chunk.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from smarthealth.core.db import Database
from smarthealth.emr import claim_bulk
from smarthealth.identity import bulk as identity_bulk
from smarthealth.insurance import bulk as insurance_bulk
from smarthealth.insurance import copay
from smarthealth.registry import bulk as registry_bulk
from smarthealth.registry.models import Facility

FACILITIES = [("01913", "Bệnh viện Đa khoa Synth A", "basic", "city"),
              ("01914", "Bệnh viện Synth Huyện B", "basic", "district"),
              ("01915", "Bệnh viện Synth C", "specialised", "city")]
EXAM = ("02.1896", "Khám bệnh", "exam", "lần", 50600, 150000)
LABS = [("22.0120.1370", "Tổng phân tích tế bào máu ngoại vi (bằng máy đếm laser)", "lab", "lần",
         46200, 70000, [("Tiểu cầu", "G/L", "150-400", (90, 350)),
                        ("Bạch cầu", "G/L", "4-10", (3, 14))]),
        ("23.0075.1494", "Định lượng Glucose [Máu]", "lab", "lần", 21500, 35000,
         [("Glucose", "mmol/L", "3.9-6.4", (4, 12))])]
IMAGING = ("18.0119.0028", "Chụp X-quang ngực thẳng", "imaging", "lần", 65400, 120000)
PROCEDURE = ("02.0085.1778", "Điện tim thường", "procedure", "lần", 32800, 60000)
BED = ("K15.1921", "Giường Nội khoa loại 1 Hạng I", "bed", "ngày", 199100, 250000)
# code, name, strength, unit, route, price, dosage form
DRUGS = [("02.001", "Paracetamol", "500mg", "Viên", "Uống", 400, "Viên nén"),
         ("40.678", "Amoxicilin", "500mg", "Viên", "Uống", 1250, "Viên nang"),
         ("12.001", "Amlodipin", "5mg", "Viên", "Uống", 300, "Viên nén"),
         ("05.110", "Natri clorid 0,9%", "500ml", "Chai", "Tiêm truyền tĩnh mạch", 9800,
          "Dung dịch tiêm truyền")]
DIAGNOSES = [("J06.9", "Nhiễm trùng đường hô hấp trên cấp, không xác định"),
             ("A09.0", "Viêm dạ dày ruột và viêm đại tràng khác có nguồn gốc nhiễm trùng"),
             ("I10", "Bệnh lý tăng huyết áp"), ("E11.9", "Bệnh đái tháo đường typ 2"),
             ("J18.9", "Viêm phổi, không xác định"), ("K29.7", "Viêm dạ dày, không xác định"),
             ("A90", "Sốt Dengue [sốt xuất huyết Dengue cổ điển]")]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Tú"]
WARDS = [4, 7, 10, 13, 16, 19]
START = date(2026, 10, 1)


def _item(spec: tuple, qty: Decimal | int) -> copay.Item:
    return copay.Item(kind=spec[2], quantity=Decimal(qty), bhyt_unit_price=spec[4],
                      hospital_unit_price=spec[5], in_bhyt_list=True, name=spec[1])


async def reference_data(database: Database) -> dict[str, Any]:
    """Facilities and one doctor each (idempotent); returns codes, tiers and certificates."""
    async with database.session() as session:
        known = set((await session.scalars(select(Facility.code))).all())
        rows = [{"code": c, "name": n, "care_level": lvl, "tier": t, "province_code": "01",
                 "ward_code": None, "active": True}
                for c, n, lvl, t in FACILITIES if c not in known]
        ids = await registry_bulk.add_facilities(session, rows=rows) if rows else {}
        await registry_bulk.add_practitioners(session, rows=[
            {"facility_id": fid, "full_name": f"Bác sĩ {code}", "title": "doctor",
             "certificate_number": f"00{code}/HNO-CCHN", "active": True}
            for code, fid in ids.items()])
        certs = {code: f"00{code}/HNO-CCHN" for code, *_ in FACILITIES}
        from smarthealth.registry.models import Practitioner

        practitioners = dict((await session.execute(
            select(Practitioner.certificate_number, Practitioner.id))).all())
    return {"certs": certs, "practitioners": practitioners,
            "tiers": {c: (lvl, t) for c, _, lvl, t in FACILITIES}}


def _person(rng: random.Random, n: int) -> dict[str, Any]:
    sex = rng.choice(("male", "female"))
    birth = date(1940 + rng.randrange(80), 1 + rng.randrange(12), 1 + rng.randrange(28))
    century = 0 if birth.year < 2000 else 2
    cccd = f"001{century + (sex == 'female')}{birth.year % 100:02d}{n:06d}"
    middle = "Thị" if sex == "female" else rng.choice(MIDDLE[:1] + MIDDLE[2:])
    return {"full_name": f"{rng.choice(FAMILY)} {middle} {rng.choice(GIVEN)}",
            "birth_date": birth, "sex": sex, "cccd": cccd,
            "phone": f"09{rng.randrange(10**8):08d}", "province_code": "01",
            "ward_code": rng.choice(WARDS),
            "address": f"Số {1 + rng.randrange(200)} phố Synth, Hà Nội",
            "birth_date_precision": "day"}


def _encounter(rng: random.Random, n: int, person_id: int, card: dict[str, Any],
               ref: dict[str, Any]) -> dict[str, Any]:
    kind = ("outpatient", "outpatient", "outpatient", "inpatient", "emergency")[n % 5]
    facility = FACILITIES[n % len(FACILITIES)][0]
    day = START + timedelta(days=rng.randrange(22))
    started = datetime(day.year, day.month, day.day, 1 + rng.randrange(8), rng.randrange(60),
                       tzinfo=UTC)
    admitted = kind == "inpatient" or (kind == "emergency" and n % 2 == 0)
    stay_days = 2 + rng.randrange(6) if admitted else 0
    ended = started + (timedelta(days=stay_days, hours=2) if admitted
                       else timedelta(minutes=20 + rng.randrange(60)))
    main = rng.choice(DIAGNOSES)
    second = rng.choice([d for d in DIAGNOSES if d != main])
    entries: list[dict[str, Any]] = [
        {"kind": "vitals", "recorded_at": started + timedelta(minutes=5),
         "data": {"pulse": 60 + rng.randrange(40), "temperature": 36.5 + rng.randrange(20) / 10,
                  "systolic": 100 + rng.randrange(60), "diastolic": 60 + rng.randrange(30),
                  "respiratory_rate": 16 + rng.randrange(6),
                  "weight": 40 + rng.randrange(400) / 10}},
        {"kind": "diagnosis", "code": main[0], "recorded_at": started + timedelta(minutes=10),
         "data": {"code": main[0], "title_vi": main[1], "main": True}},
        {"kind": "diagnosis", "code": second[0], "recorded_at": started + timedelta(minutes=11),
         "data": {"code": second[0], "title_vi": second[1], "main": False}}]
    items: list[tuple[tuple, Decimal | int, int | None]] = [(EXAM, 1, None)]
    ordered = [LABS[n % 2]] + ([IMAGING] if n % 3 == 0 else []) + (
        [PROCEDURE] if n % 4 == 1 else [])
    for k, spec in enumerate(ordered):
        at = started + timedelta(minutes=12 + k)
        entries.append({"kind": "order", "code": spec[0], "recorded_at": at, "data": {
            "service_code": spec[0], "quantity": 1, "note": "", "name": spec[1],
            "service_kind": spec[2], "unit": spec[3], "price_bhyt": spec[4],
            "price_service": spec[5]}})
        order_ref = len(entries) - 1
        items.append((spec, 1, order_ref))
        for test, unit, ref_range, (low, high) in (spec[6] if len(spec) > 6 else []):
            entries.append({"kind": "result", "recorded_at": at + timedelta(minutes=40),
                            "data": {"order_ref": order_ref, "test": test,
                                     "value": str(low + rng.randrange(high - low + 1)),
                                     "unit": unit, "reference_range": ref_range,
                                     "service_code": spec[0], "abnormal": None}})
    for k, drug in enumerate(rng.sample(DRUGS, 1 + n % 3)):
        dose, per_day, days = (1, 2 + rng.randrange(2), 3 + rng.randrange(5))
        quantity = dose * per_day * days
        entries.append({"kind": "prescription", "code": drug[0],
                        "recorded_at": started + timedelta(minutes=30 + k), "data": {
                            "drug_code": drug[0], "name": drug[1], "strength": drug[2],
                            "active_ingredient": drug[1], "ingredient_key": drug[1].lower(),
                            "unit": drug[3], "route": drug[4], "price": drug[5],
                            "dosage_form": drug[6], "bhyt_covered": True, "quantity": quantity,
                            "dose": str(dose), "frequency_per_day": per_day, "days": days,
                            "instructions": "Uống sau ăn" if drug[4] == "Uống" else ""}})
        items.append((("rx", f"{drug[1]} {drug[2]}", "drug", drug[3], drug[5], drug[5]),
                      quantity, len(entries) - 1))
    if admitted:
        for d in range(stay_days):
            entries.append({"kind": "note", "recorded_at": started + timedelta(days=d, hours=3),
                            "data": {"section": "progress",
                                     "text": f"Ngày {d + 1}: tỉnh, tiếp xúc tốt; theo dõi tiếp."}})
        items.append((BED, stay_days, None))
    care_level, tier = ref["tiers"][facility]
    referral = (copay.Referral.emergency if kind == "emergency" else copay.Referral.registered
                if card["registered_facility_code"] == facility else copay.Referral.referred
                if n % 7 == 0 else copay.Referral.self_referred)
    result = copay.compute(
        [_item(spec, qty) for spec, qty, _ in items],
        card=copay.CardBenefit(benefit_level=card["benefit_level"]),
        visit=copay.Visit(on=day, care_level=care_level, tier=tier, inpatient=admitted,
                          referral=referral))
    lines = [{"line_no": i + 1, "kind": spec[2], "code": entries[src]["code"] if spec[0] == "rx"
              else spec[0], "name": spec[1], "unit": spec[3], "quantity": Decimal(qty),
              "bhyt_unit_price": spec[4], "hospital_unit_price": spec[5], "in_bhyt_list": True,
              "amount": line.amount, "bhyt_pays": line.bhyt_pays,
              "patient_pays": line.patient_pays, "source": src}
             for i, ((spec, qty, src), line) in enumerate(zip(items, result.lines, strict=True))]
    outcome = ("cured", "improved", "improved", "unchanged", "transferred")[n % 5]
    dept = "NOI" if kind == "inpatient" else "CC" if kind == "emergency" else "KKB"
    return {"encounter": {
        "visit_id": None, "person_id": person_id, "facility_code": facility,
        "department_code": dept, "practitioner_id": ref["practitioners"][ref["certs"][facility]],
        "doctor_user_id": None, "doctor_name": "Bác sĩ", "kind": kind, "status": "closed",
        "started_at": started, "closed_at": ended, "reason": f"Khám: {main[1]}",
        "outcome": outcome, "follow_up_date": day + timedelta(days=30) if n % 3 == 0 else None,
        "referral_facility_code": "01013" if outcome == "transferred" else None,
        "referral_reason": "Vượt khả năng chuyên môn" if outcome == "transferred" else None,
        "coverage": {"decision": "valid",
                     "referral": "referred" if referral is copay.Referral.referred else None},
        "main_icd": main[0], "main_icd_title": main[1], "closed_by": "Bác sĩ",
        "charge_summary": {"muc_huong": str(result.muc_huong), "rules": result.rules,
                           "covered": True},
        "created_at": started, "updated_at": ended},
        "entries": entries, "lines": lines,
        "admission": {"department_code": dept, "bed_id": None, "status": "discharged",
                      "admitted_at": started + timedelta(minutes=45), "discharged_at": ended,
                      "outcome": outcome, "reason": f"Điều trị {main[1].lower()}"}
        if admitted else None}


async def seed_claims(database: Database, *, count: int, seed: int = 1, chunk: int = 5000
                      ) -> int:
    """Write `count` finished BHYT encounters (with persons and cards); returns the count."""
    ref = await reference_data(database)
    rng = random.Random(seed)
    codes = [c for c, *_ in FACILITIES]
    written = 0
    while written < count:
        size = min(chunk, count - written)
        people = [_person(rng, (seed * 100_000 + written + i) % 10**6) for i in range(size)]
        async with database.session() as session:
            person_ids = await identity_bulk.add_persons(session, rows=people)
            cards = []
            for i, person_id in enumerate(person_ids):
                n = written + i
                level = 1 + rng.randrange(5)
                cards.append({"person_id": person_id,
                              "code": f"GD{level}01{person_id + seed * 10**8:010d}",
                              "group_code": "GD", "benefit_level": level, "province_code": "01",
                              "social_insurance_number": f"{person_id + seed * 10**8:010d}",
                              "registered_facility_code": codes[(n + n // 3) % len(codes)],
                              "valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31),
                              "five_years_date": None,
                              "area_code": "K1" if n % 11 == 0 else None})
            await insurance_bulk.add_cards(session, rows=cards)
            rows = [_encounter(rng, written + i, pid, card, ref)
                    for i, (pid, card) in enumerate(zip(person_ids, cards, strict=True))]
            await claim_bulk.add_finished_encounters(session, rows=rows)
        written += size
    return written
