"""The Parquet extract: documented columns, no personal identifiers, incremental by month."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from sqlalchemy import select

from smarthealth.analytics import schema
from smarthealth.analytics.extract import run_extract
from smarthealth.catalogue.loaders import load_defaults
from smarthealth.core import outbox
from smarthealth.core.db import get_database
from smarthealth.emr import bulk as emr_bulk
from smarthealth.identity.models import Person
from smarthealth.insurance.models import BhytCard
from smarthealth.synth.history import seed_history
from smarthealth.synth.seed import seed_hanoi

ON = date(2026, 3, 15)


async def _seeded(people: int = 250) -> None:
    database = get_database()
    await seed_hanoi(database, people=people, seed=3, on=ON)
    async with database.session() as session:
        await load_defaults(session)
    await seed_history(database, seed=3, on=ON)


def _dataset(root: Path, table: str) -> ds.Dataset:
    return ds.dataset(root / table, format="parquet", partitioning="hive")


def _files(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.parquet")}


async def test_full_extract_writes_the_documented_columns_without_identifiers(tmp_path):
    await _seeded()
    result = await run_extract(get_database(), root=tmp_path)
    assert result.mode == "full" and result.months and result.rows["visits"] > 100
    for table in ("visits", "diagnoses", "prescriptions"):
        data = _dataset(tmp_path, table).to_table()
        assert data.column_names == schema.MONTHLY[table].names + ["month"]
        assert data.num_rows == result.rows[table]
        months = {m for m in data.column("month").to_pylist()}
        dates = {d.strftime("%Y-%m") for d in data.column("visit_date").to_pylist()}
        assert months == dates
    visits = _dataset(tmp_path, "visits").to_table().to_pylist()
    assert all(re.fullmatch(r"[0-9a-f]{16}", v["patient_key"]) for v in visits)
    assert {v["age_group"] for v in visits} <= set(schema.AGE_GROUPS)
    assert 0 < sum(v["insured"] for v in visits) < len(visits)
    population = _dataset(tmp_path, "population").to_table()
    assert sum(population.column("persons").to_pylist()) == 250
    async with get_database().session() as session:
        people = (await session.execute(select(Person.id, Person.full_name, Person.cccd,
                                               Person.address, Person.birth_date,
                                               Person.phone))).all()
        cards = set((await session.scalars(select(BhytCard.code))).all())
    secrets = {str(v) for p in people for v in (p[1], p[2], p[3], p[5]) if v} | cards
    forbidden = {"person_id", "full_name", "name", "cccd", "card_number", "address", "phone",
                 "birth_date"}
    for path in tmp_path.rglob("*.parquet"):
        data = ds.dataset(path).to_table()
        assert not set(data.column_names) & forbidden
        for column in data.to_pydict().values():
            assert not {str(v) for v in column if v is not None} & secrets, path


async def test_a_run_without_new_events_rewrites_nothing(tmp_path):
    await _seeded(120)
    await run_extract(get_database(), root=tmp_path)
    before = _files(tmp_path)
    again = await run_extract(get_database(), root=tmp_path)
    assert again.mode == "incremental" and again.events == 0 and again.months == []
    assert _files(tmp_path) == before


async def test_a_new_closed_encounter_rewrites_only_its_month(tmp_path):
    await _seeded(120)
    first = await run_extract(get_database(), root=tmp_path)
    assert "2025-07" in first.months
    before = _files(tmp_path)
    async with get_database().session() as session:
        person_id = await session.scalar(select(Person.id).limit(1))
        [encounter_id] = await emr_bulk.add_past_encounters(session, rows=[{
            "person_id": person_id, "facility_code": "01013",
            "started_at": datetime(2025, 7, 10, 2, 0, tzinfo=UTC), "reason": "Sốt",
            "diagnoses": [{"code": "A90", "title_vi": "Sốt Dengue", "main": True}]}])
        await outbox.publish(session, topic="emr.encounter_close",
                             aggregate_type="emr_encounter", aggregate_id=encounter_id,
                             facility_code="01013",
                             payload={"encounter_id": encounter_id, "person_id": person_id})
    second = await run_extract(get_database(), root=tmp_path)
    assert second.mode == "incremental" and second.events == 1
    assert second.months == ["2025-07"]
    after = _files(tmp_path)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed and all("month=2025-07" in name or name.startswith(("population", "beds"))
                           for name in changed)
    keys = _dataset(tmp_path, "visits").to_table(
        filter=ds.field("month") == "2025-07").column("visit_key").to_pylist()
    assert f"E{encounter_id}" in keys


@pytest.mark.parametrize("table", ["visits", "diagnoses"])
async def test_parquet_is_readable_with_hive_partitioning_and_month_filters(tmp_path, table):
    await _seeded(80)
    await run_extract(get_database(), root=tmp_path)
    data = _dataset(tmp_path, table)
    months = sorted({f.split("month=")[1][:7] for f in data.files})
    one = data.to_table(filter=ds.field("month") == months[0])
    assert one.num_rows > 0 and set(one.column("month").to_pylist()) == {months[0]}


async def test_a_called_ticket_rewrites_the_month_of_its_check_in(tmp_path, make_facility):
    from tests.emr.conftest import add_card, add_clinic, add_person, add_visit

    await add_clinic(make_facility)
    first = await run_extract(get_database(), root=tmp_path)
    assert first.mode == "full" and first.months == []
    person_id = await add_person(cccd="001080012345")
    await add_card(person_id)
    visit_id, ticket_id = await add_visit("01001", person_id)
    async with get_database().session() as session:
        await outbox.publish(session, topic="reception.call", aggregate_type="ticket",
                             aggregate_id=ticket_id, facility_code="01001",
                             payload={"ticket_id": ticket_id, "status": "serving"})
    second = await run_extract(get_database(), root=tmp_path)
    assert second.mode == "incremental" and second.events == 1
    [row] = _dataset(tmp_path, "checkins").to_table().to_pylist()
    assert second.months == [row["month"]] == [row["visit_date"].strftime("%Y-%m")]
    assert row["checkin_key"] == f"V{visit_id}" and row["facility_code"] == "01001"
    assert row["insured"] is True and row["coverage_decision"] == "valid"
    assert row["visit_key"] is None  # no encounter yet
    assert "001080012345" not in {str(v) for v in row.values()}


async def test_reading_in_small_pages_gives_the_same_rows(tmp_path, monkeypatch):
    """Keyset paging (SMARTHEALTH_ANALYTICS_CHUNK) does not lose or repeat rows."""
    from smarthealth.analytics.config import get_analytics_settings

    await _seeded(people=120)
    whole = await run_extract(get_database(), root=tmp_path / "one", full=True)
    monkeypatch.setenv("SMARTHEALTH_ANALYTICS_CHUNK", "7")
    get_analytics_settings.cache_clear()
    try:
        paged = await run_extract(get_database(), root=tmp_path / "paged", full=True)
    finally:
        monkeypatch.delenv("SMARTHEALTH_ANALYTICS_CHUNK")
        get_analytics_settings.cache_clear()
    assert paged.rows == whole.rows and whole.rows["visits"] > 7
    tables = [t for t in schema.TABLES if (tmp_path / "one" / t).exists()]
    assert "visits" in tables and "population" in tables
    assert tables == [t for t in schema.TABLES if (tmp_path / "paged" / t).exists()]
    for table in tables:
        one = _dataset(tmp_path / "one", table).to_table().to_pylist()
        many = _dataset(tmp_path / "paged", table).to_table().to_pylist()
        assert sorted(map(repr, one)) == sorted(map(repr, many)), table
