"""The dashboard's rollups give exactly the raw queries' figures, and are used only when fresh."""

from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from smarthealth.analytics import queries, rollups, store
from smarthealth.analytics.queries import DASHBOARD_QUERIES, Filters
from tests.analytics.dashboard_fixtures import (
    BEDS,
    POPULATION,
    SMALL_BEDS,
    SMALL_POPULATION,
    visit_row,
    write_snapshot,
    write_visits,
)

FACILITIES = ("01001", "01002", "01003")
WARDS = (4, 70, 352, None)
ICDS = ("A90", "A90.1", "J11", "I10", "B08.4", "K29", None)
AGE_GROUPS = ("0-4", "5-14", "15-24", "25-49", "50-64", "65+")


def _history(root: Path, *, visits: int = 900, seed: int = 3) -> Path:
    """Random visits from 2026-01-01 to 2026-04-30 (four monthly partitions)."""
    rng = random.Random(seed)
    rows = []
    for i in range(visits):
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(120))
        admitted = rng.random() < 0.15
        discharged = (datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=UTC)
                      + timedelta(days=rng.randrange(6), hours=rng.randrange(24))
                      if admitted and rng.random() < 0.8 else None)
        rows.append(visit_row(
            f"v{i}", rng.choice(FACILITIES), rng.choice(WARDS), rng.choice(("male", "female")),
            rng.choice(AGE_GROUPS), day, rng.random() < 0.85, rng.choice(ICDS), admitted,
            discharged, rng.choice((None, rng.randrange(1000, 9000))),
            rng.choice((None, round(rng.uniform(0, 90), 1)))))
    write_visits(root, rows)
    write_snapshot(root, "population", POPULATION, SMALL_POPULATION)
    write_snapshot(root, "beds", BEDS, SMALL_BEDS)
    return root


FILTERS = [
    Filters(),
    Filters(facility="01002"),
    Filters(ward=70),
    Filters(age_group="25-49"),
    Filters(sex="female"),
    Filters(date_from=date(2026, 2, 1), date_to=date(2026, 3, 31)),  # whole months
    Filters(date_from=date(2026, 1, 15), date_to=date(2026, 4, 10)),  # partial ends
    Filters(date_from=date(2026, 2, 3), date_to=date(2026, 2, 20)),  # inside one month
    Filters(date_from=date(2026, 1, 31), date_to=date(2026, 3, 1)),  # one whole month
    Filters(date_from=date(2026, 2, 10)),
    Filters(date_to=date(2026, 2, 27)),
    Filters(ward=4, sex="male", date_from=date(2026, 1, 20)),
    Filters(facility="01001", age_group="65+", date_to=date(2026, 3, 31)),
    Filters(facility="01003", ward=352, age_group="0-4", sex="female",
            date_from=date(2026, 1, 2), date_to=date(2026, 4, 29)),
]


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    raw = _history(tmp_path_factory.mktemp("raw"))
    rolled = _history(tmp_path_factory.mktemp("rolled"))
    saved = rollups.WAIT_SAMPLE_MODULUS
    rollups.WAIT_SAMPLE_MODULUS = 1  # the sample holds every visit: percentiles comparable
    try:
        built = rollups.build(rolled)
    finally:
        rollups.WAIT_SAMPLE_MODULUS = saved
    assert built == ["2026-01", "2026-02", "2026-03", "2026-04"]
    return raw, rolled


def test_build_writes_every_rollup_month_and_a_fresh_manifest(roots):
    _, rolled = roots
    assert rollups.fresh(rolled)
    for name in rollups.ROLLUPS:
        assert sorted(p.name for p in (rolled / "rollups" / name).glob("month=*")) == [
            "month=2026-01", "month=2026-02", "month=2026-03", "month=2026-04"]
    conn = store.connect(rolled)
    assert all(store.has_rollup(conn, name) for name in rollups.ROLLUPS)
    assert not store.has_rollup(store.connect(roots[0]), "visit_counts")


@pytest.mark.parametrize("name", sorted(DASHBOARD_QUERIES))
def test_rollups_give_the_raw_figures(roots, name, monkeypatch):
    raw, rolled = store.connect(roots[0]), store.connect(roots[1])
    for filters in FILTERS:
        assert DASHBOARD_QUERIES[name](rolled, filters) == DASHBOARD_QUERIES[name](raw, filters), \
            filters
    if name == "waiting_times":  # the sample path (every visit is in it here)
        monkeypatch.setattr(queries, "RAW_SCAN_ROWS", 0)
        monkeypatch.setattr(queries, "MIN_SAMPLE_VALUES", 1)
        for filters in FILTERS:
            assert queries.waiting_times(rolled, filters) == queries.waiting_times(raw, filters)


def test_queries_really_read_the_rollups(roots):
    conn = store.connect(roots[1])
    expected = {n: DASHBOARD_QUERIES[n](conn, Filters()).rows for n in DASHBOARD_QUERIES}
    conn.execute(f"CREATE OR REPLACE VIEW visits AS {store.empty_view_sql('visits')}")
    for name in ("visits_per_day", "visits_per_facility", "visits_per_ward", "insured_share",
                 "top_diagnoses", "admissions_occupancy"):
        assert DASHBOARD_QUERIES[name](conn, Filters()).rows == expected[name], name
    # a partial month still needs the raw visits
    assert queries.visits_per_facility(conn, Filters(date_from=date(2026, 1, 2))).rows != \
        queries.visits_per_facility(store.connect(roots[1]), Filters(date_from=date(2026, 1, 2))
                                    ).rows


def test_full_months_of_a_date_range():
    assert queries._full_months(Filters()) == (None, None)
    assert queries._full_months(Filters(date_from=date(2026, 1, 1),
                                        date_to=date(2026, 2, 28))) == ("2026-01", "2026-02")
    assert queries._full_months(Filters(date_from=date(2026, 1, 2),
                                        date_to=date(2026, 2, 27))) is None
    assert queries._full_months(Filters(date_from=date(2025, 12, 31))) == ("2026-01", None)
    assert queries._full_months(Filters(date_to=date(2026, 3, 30))) == (None, "2026-02")


def test_a_changed_month_is_not_used_until_rebuilt(tmp_path):
    root = _history(tmp_path, visits=200)
    rollups.build(root)
    part = next((root / "visits" / "month=2026-02").glob("*.parquet"))
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # rewritten
    assert not rollups.fresh(root)
    assert not store.has_rollup(store.connect(root), "visit_counts")
    assert rollups.build(root, months=[]) == ["2026-02"]  # only the changed month
    assert rollups.fresh(root)
    assert store.has_rollup(store.connect(root), "visit_counts")


def test_a_removed_month_is_dropped_and_a_new_one_added(tmp_path):
    root = _history(tmp_path, visits=200)
    rollups.build(root)
    for part in (root / "visits" / "month=2026-04").glob("*.parquet"):
        part.unlink()
    (root / "visits" / "month=2026-04").rmdir()
    assert not rollups.fresh(root)
    rollups.build(root, months=["2026-03"])
    assert rollups.fresh(root)
    assert not (root / "rollups" / "visit_counts" / "month=2026-04").exists()
    conn = store.connect(root)
    assert queries.visits_per_day(conn, Filters()).rows[-1][0] < date(2026, 4, 1)
    assert not (root / "_staging").exists()


def test_no_visits_no_rollups(tmp_path):
    assert rollups.build(tmp_path) == []
    assert not rollups.fresh(tmp_path)
    conn = store.connect(tmp_path)
    assert not store.has_rollup(conn, "visit_counts")
    assert queries.visits_per_day(conn, Filters()).rows == []


def test_a_manifest_of_another_set_of_rollups_is_rebuilt_whole(tmp_path):
    import json

    root = _history(tmp_path, visits=100)
    rollups.build(root)
    path = root / "rollups" / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "rollups": manifest["rollups"][1:]}))
    assert not rollups.fresh(root)  # a rollup added since: its folders may be missing
    assert rollups.build(root, months=[]) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert rollups.fresh(root)
