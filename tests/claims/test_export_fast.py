"""The export's fast paths give what the slow ones gave: plain reads equal the models' values,
number formatting and money totals the Decimal results."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from smarthealth.claims import export
from smarthealth.core.db import get_database
from smarthealth.emr import claim_facts
from smarthealth.emr.models import Admission, Bed, BedStay, ChargeLine, Encounter, Entry
from tests.claims.synth_episodes import seed_claims

TRICKY_DATA = [
    {"big": 123456789012345678901234567890, "negative_big": -98765432109876543210},
    {"floats": [0.1, 1e-7, -0.0, 1.7976931348623157e308, 36.6], "nested": {"a": [1, None]}},
    {"text": "Sốt 38,5°C \u2028 «ngày 1»", "empty": {}, "list": []},
]
SQLITE_ONLY_DATA = [  # PostgreSQL's json refuses these
    {"nan": float("nan"), "inf": float("inf")}, {"surrogate": "\ud800"}]


async def _reference(encounter_ids: list[int]) -> list[dict[str, Any]]:
    """The bundles as SQLAlchemy's result processing gives them (the reading before)."""
    async with get_database().session() as session:
        def rows(result: Any) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in result.all()]

        enc_t, entry_t = Encounter.__table__, Entry.__table__
        line_t, adm_t = ChargeLine.__table__, Admission.__table__
        stay_t, bed_t = BedStay.__table__, Bed.__table__
        bundles = {e["id"]: {"encounter": e, "entries": defaultdict(list), "lines": [],
                             "admission": None, "stays": []}
                   for e in rows(await session.execute(
                       select(enc_t).where(enc_t.c.id.in_(encounter_ids))))}
        for row in rows(await session.execute(
                select(entry_t.c.entry_id, entry_t.c.encounter_id, entry_t.c.kind,
                       entry_t.c.code, entry_t.c.data, entry_t.c.author, entry_t.c.recorded_at)
                .where(entry_t.c.encounter_id.in_(encounter_ids), entry_t.c.status == "current",
                       entry_t.c.kind.in_(claim_facts.CLAIM_KINDS))
                .order_by(entry_t.c.entry_id))):
            bundles[row["encounter_id"]]["entries"][row["kind"]].append(row)
        for row in rows(await session.execute(
                select(line_t).where(line_t.c.encounter_id.in_(encounter_ids))
                .order_by(line_t.c.encounter_id, line_t.c.line_no))):
            bundles[row["encounter_id"]]["lines"].append(row)
        by_admission = {}
        for adm in rows(await session.execute(
                select(adm_t).where(adm_t.c.encounter_id.in_(encounter_ids)))):
            bundles[adm["encounter_id"]]["admission"] = adm
            by_admission[adm["id"]] = bundles[adm["encounter_id"]]
        for row in rows(await session.execute(
                select(stay_t, bed_t.c.code.label("bed_code"))
                .join(bed_t, bed_t.c.id == stay_t.c.bed_id)
                .where(stay_t.c.admission_id.in_(list(by_admission)))
                .order_by(stay_t.c.started_at, stay_t.c.id))):
            by_admission[row["admission_id"]]["stays"].append(row)
    return [bundles[i] for i in sorted(bundles)]


def _same(a: Any, b: Any, path: str = "") -> None:
    """Equal values of the same types (NaN equals NaN; aware datetimes with the same zone)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
        return
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and a != a:
        assert b != b, path
    else:
        assert a == b and repr(a) == repr(b), f"{path}: {a!r} != {b!r}"
        if isinstance(a, datetime):
            assert a.tzinfo is UTC and b.tzinfo is UTC, path


async def test_plain_reads_equal_the_models_values() -> None:
    db = get_database()
    await seed_claims(db, count=10, seed=4)
    async with db.session() as session:
        ids = list((await session.scalars(select(Encounter.id).order_by(Encounter.id))).all())
        entry_ids = list((await session.scalars(select(Entry.id).order_by(Entry.id))).all())
        tricky = TRICKY_DATA + (SQLITE_ONLY_DATA if db.kind == "sqlite" else [])
        for entry_id, data in zip(entry_ids, tricky, strict=False):
            await session.execute(update(Entry).where(Entry.id == entry_id).values(data=data))
        line = await session.scalar(select(ChargeLine).order_by(ChargeLine.id).limit(1))
        line.quantity, line.in_bhyt_list = Decimal("0.125"), False
        await session.execute(update(Encounter).where(Encounter.id == ids[1]).values(
            coverage=None, closed_at=None, follow_up_date=None))
        admission = await session.scalar(select(Admission).order_by(Admission.id).limit(1))
        bed_ids = []
        for code in ("G1", "G2"):
            bed_ids.append((await session.execute(insert(Bed).values(
                facility_code=admission.facility_code, department_code="NOI", room="1",
                code=code, active=True).returning(Bed.id))).scalar_one())
        start = admission.admitted_at
        for n, bed_id in enumerate(bed_ids + bed_ids[:1]):
            session.add(BedStay(admission_id=admission.id, bed_id=bed_id,
                                department_code=("NOI", "HSTC", "NOI")[n],
                                started_at=start + timedelta(hours=n),
                                ended_at=start + timedelta(hours=n + 1) if n < 2 else None))
    async with db.session() as session:
        fast = await claim_facts.encounter_bundles(session, encounter_ids=ids)
    slow = await _reference(ids)
    assert sum(len(b["stays"]) for b in fast) == 3
    _same([dict(b, entries=dict(b["entries"])) for b in fast],
          [dict(b, entries=dict(b["entries"])) for b in slow])


def test_json_and_timestamps_read_as_the_models_read_them() -> None:
    import json

    for text in ['{"a": 123456789012345678901234567890}', '{"a": NaN}', '"\\ud800"', "null",
                 '{"a": 1e400}', '[-0.0, 1.0, 1e-7, 0.30000000000000004]', '{"a":1,"a":2}',
                 '-18446744073709551617', '{"\\u00e9": "\\u1ec7"}', '"\ud800 raw"',
                 '{"a": 1234567890123456789.5}', '"Tiêm truyền 1000000000000000000000"']:
        _same(claim_facts.json_value(text), json.loads(text), text)
    assert claim_facts.json_value(None) is None
    for text in ("2026-10-11 05:07:00.000000", "2026-10-11 05:07:00", "2026-10-11T05:07:00",
                 "2026-10-11 12:07:00+07:00", "2026-10-11"):
        value = datetime.fromisoformat(text)
        expected = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        _same(claim_facts.utc_value(text), expected, text)
    aware = datetime(2026, 10, 11, 12, 7, tzinfo=export.TZ)
    _same(claim_facts.utc_value(aware), aware.astimezone(UTC))


def _slow_number(value: Any, places: int) -> str:
    return export._fmt_number(value, places)


def test_number_formatting_fast_paths_equal_the_decimal_rounding() -> None:
    values: list[Any] = [
        0, 7, -3, 150000, Decimal("1.000"), Decimal("0.500"), Decimal("-0.000"), Decimal("-0"),
        Decimal("12345678901234567890"), Decimal("99999999999999999999"), Decimal("1E+3"),
        Decimal("2.5E+1"), Decimal("0.0049"), Decimal("0.005"), Decimal("-1.2350"),
        Decimal("1234.125"), "100", "80", "0.5", "-0", "", None, 37.4, 36.0, -0.0, 0.1 + 0.2,
        1e-7, 56.85, "1.005", "  12 ", Decimal("3.14159")]
    for places in (1, 2, 3):
        for value in values:
            assert export.fmt_number(value, places) == _slow_number(value, places), (value,
                                                                                     places)
            assert export.fmt_number(value, places) == _slow_number(value, places)  # cached
    for bad in (Decimal("NaN"), Decimal("Infinity")):
        try:
            expected: Any = _slow_number(bad, 2)
        except Exception as exc:  # noqa: BLE001 - the same failure either way
            expected = type(exc)
        try:
            got: Any = export.fmt_number(bad, 2)
        except Exception as exc:  # noqa: BLE001
            got = type(exc)
        assert got == expected


def test_money_totals_sum_whole_vnd_as_ints_and_anything_else_as_decimals() -> None:
    def slow(xml2: list[dict[str, str]], xml3: list[dict[str, str]]) -> dict[str, str]:
        def total(rows: Any, key: str) -> Decimal:
            return sum((Decimal(r[key] or "0") for r in rows), Decimal(0))

        lines = xml2 + xml3
        tong_bh, bncct = total(lines, "THANH_TIEN_BH"), total(lines, "T_BNCCT")
        fmt = export.fmt_number
        return {"T_THUOC": fmt(total(xml2, "THANH_TIEN_BV")),
                "T_VTYT": fmt(total((r for r in xml3 if r["MA_VAT_TU"]), "THANH_TIEN_BV")),
                "T_TONGCHI_BV": fmt(total(lines, "THANH_TIEN_BV")),
                "T_TONGCHI_BH": fmt(tong_bh), "T_BNTT": fmt(total(lines, "T_BNTT")),
                "T_BNCCT": fmt(bncct), "T_BHTT": fmt(tong_bh - bncct),
                "T_NGUONKHAC": fmt(total(lines, "T_NGUONKHAC")),
                "T_BHTT_GDV": fmt(total((r for r in lines if r["MA_PTTT"] == "1"), "T_BHTT"))}

    def line(table: str, bv: str, bh: str, bhtt: str, **more: str) -> dict[str, str]:
        rec = export.record(table, THANH_TIEN_BV=bv, THANH_TIEN_BH=bh, T_BHTT=bhtt,
                            T_BNCCT=str(Decimal(bh or "0") - Decimal(bhtt or "0")),
                            T_BNTT="0", T_NGUONKHAC="0", MA_PTTT="1", **more)
        return rec

    cases = [
        ([line("XML2", "150000", "120000", "96000")],
         [line("XML3", "50600", "50600", "40480", MA_VAT_TU="VT1")]),
        ([line("XML2", "1500.5", "1500.5", "1200.4")], [line("XML3", "", "0", "")]),
        ([], [line("XML3", "-5", "-5", "0"), line("XML3", "1e3", "0", "0")]),
        ([], []),
    ]
    for xml2, xml3 in cases:
        assert export._money_totals(xml2, xml3) == slow(xml2, xml3)


async def test_bundles_of_fractional_quantities_build_the_same_records() -> None:
    db = get_database()
    await seed_claims(db, count=6, seed=9)
    async with db.session() as session:
        lines = (await session.scalars(select(ChargeLine).order_by(ChargeLine.id))).all()
        for n, line in enumerate(lines):
            line.quantity = (Decimal("0.5"), Decimal("2.125"), Decimal("3"))[n % 3]
        ids = list((await session.scalars(select(Encounter.id).order_by(Encounter.id))).all())
    async with db.session() as session:
        bundles = await export.load_bundles(session, encounter_ids=ids)
    for bundle in bundles:
        episode = export.build_episode(bundle)
        for rec, stored in zip(episode.tables.get("XML2", []) + episode.tables["XML3"],
                               [x for x in bundle["lines"] if x["kind"] == "drug"]
                               + [x for x in bundle["lines"] if x["kind"] != "drug"],
                               strict=True):
            scope = export.vnd(stored["quantity"] * stored["bhyt_unit_price"])
            assert rec["THANH_TIEN_BH"] == str(scope)
            assert rec["SO_LUONG"] == _slow_number(stored["quantity"], 3)


def test_write_file_writes_what_write_bytes_writes(tmp_path: Any) -> None:
    import os

    for data in (b"", b"<x/>", os.urandom(3 << 20)):
        export.write_file(str(tmp_path / "fast.xml"), b"longer old content " * 10)
        export.write_file(str(tmp_path / "fast.xml"), data)  # truncates what was there
        (tmp_path / "slow.xml").write_bytes(data)
        assert (tmp_path / "fast.xml").read_bytes() == data
        assert (tmp_path / "fast.xml").stat().st_mode == (tmp_path / "slow.xml").stat().st_mode


async def test_claims_rows_are_stored_as_sqlalchemy_stores_them(monkeypatch: Any) -> None:
    from sqlalchemy import text

    from smarthealth.claims.models import ClaimEpisode
    from smarthealth.emr.models import Encounter as Enc

    db = get_database()
    await seed_claims(db, count=2, seed=6)
    async with db.session() as session:
        encounters = (await session.execute(select(Enc.id, Enc.person_id, Enc.facility_code)
                                            .order_by(Enc.id))).all()
    now = datetime(2026, 11, 3, 4, 5, 6, 789012, tzinfo=UTC)
    monkeypatch.setattr(export, "utcnow", lambda: now)
    (fast_id, person, code), (slow_id, slow_person, slow_code) = encounters
    async with db.session() as session:
        await export._record_exports(session, [export.Done(
            fast_id, "SH1", code, person, None, sha256="a" * 64, checkin=True)])
        await session.execute(insert(ClaimEpisode.__table__), [{
            "facility_code": slow_code, "ma_lk": "SH1", "encounter_id": slow_id,
            "person_id": slow_person, "direction": "exported", "sha256": "a" * 64,
            "extras": None, "created_at": now, "exported_at": now}])
    cast = "CAST(extras AS TEXT)" if db.kind == "sqlite" else "extras::text"
    async with db.session() as session:
        rows = (await session.execute(text(
            f"SELECT ma_lk, direction, sha256, {cast}, extras IS NULL, created_at, exported_at, "
            "encounter_id, person_id, facility_code FROM claims_episodes ORDER BY encounter_id"
        ))).all()
    assert [tuple(r[:7]) for r in rows] == [tuple(rows[1][:7])] * 2
    assert tuple(rows[0][7:]) == (fast_id, person, code)
