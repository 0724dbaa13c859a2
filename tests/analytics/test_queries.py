"""Dashboard queries on a six-visit Parquet extract whose figures are worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from smarthealth.analytics import queries, store
from smarthealth.analytics.queries import DASHBOARD_QUERIES, Filters
from tests.analytics.dashboard_fixtures import build_small


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = build_small(tmp_path_factory.mktemp("extract"))
    return store.connect(root)


def rows(conn, name: str, **filters) -> list[tuple]:  # noqa: ANN001
    return DASHBOARD_QUERIES[name](conn, Filters(**filters)).rows


def test_visits_per_day(conn):
    assert rows(conn, "visits_per_day") == [
        (date(2026, 3, 1), 2), (date(2026, 3, 2), 2), (date(2026, 4, 1), 2)]


def test_visits_per_day_filtered_by_facility_sex_and_dates(conn):
    assert rows(conn, "visits_per_day", facility="01001") == [
        (date(2026, 3, 1), 2), (date(2026, 3, 2), 1), (date(2026, 4, 1), 1)]
    assert rows(conn, "visits_per_day", sex="female") == [
        (date(2026, 3, 1), 1), (date(2026, 3, 2), 1)]
    assert rows(conn, "visits_per_day", date_from=date(2026, 3, 2),
                date_to=date(2026, 3, 31)) == [(date(2026, 3, 2), 2)]
    assert rows(conn, "visits_per_day", ward=70, age_group="65+") == [(date(2026, 3, 2), 1)]


def test_visits_per_facility_busiest_first(conn):
    assert rows(conn, "visits_per_facility") == [("01001", 4), ("01002", 2)]


def test_visits_per_ward_keeps_unknown_ward(conn):
    assert rows(conn, "visits_per_ward") == [(4, 3), (70, 2), (None, 1)]


def test_waiting_times_p50_p90_per_facility(conn):
    result = DASHBOARD_QUERIES["waiting_times"](conn, Filters())
    assert result.columns == ["facility_code", "checkin_p50_s", "checkin_p90_s",
                              "wait_p50_min", "wait_p90_min"]
    # 01001: check-ins 2, 4, 6, 8 s; waits 10, 20, 30, 40 min (linear interpolation)
    assert result.rows == [("01001", 5.0, 7.4, 25.0, 37.0), ("01002", 3.0, 3.0, 5.0, 5.0)]


def test_waiting_times_sample_a_large_extract(conn, monkeypatch):
    everything, one_facility = queries._where(Filters()), queries._where(Filters(facility="01002"))
    assert queries._quantile_sample(conn, everything) == ""
    monkeypatch.setattr(queries, "QUANTILE_SAMPLE_ROWS", 3)
    assert queries._quantile_sample(conn, everything) == "USING SAMPLE 50.000000% (system, 7)"
    assert queries._quantile_sample(conn, one_facility) == ""  # 2 matching visits: exact
    assert len(DASHBOARD_QUERIES["waiting_times"](conn, Filters()).columns) == 5



def test_insured_share_per_facility(conn):
    assert rows(conn, "insured_share") == [("01001", 4, 3, 0.75), ("01002", 2, 2, 1.0)]
    assert rows(conn, "insured_share", sex="female") == [("01001", 2, 1, 0.5)]


def test_population_coverage_ignores_dates_and_facility(conn):
    assert rows(conn, "population_coverage") == [(4, 200, 185, 0.925), (70, 50, 50, 1.0)]
    assert rows(conn, "population_coverage", sex="male", facility="01001",
                date_from=date(2030, 1, 1)) == [(4, 100, 90, 0.9), (70, 50, 50, 1.0)]


def test_top_diagnoses_by_ward_and_age_group(conn):
    assert rows(conn, "top_diagnoses") == [
        (4, "0-4", "A90", 1, 1), (4, "0-4", "B08", 1, 2), (4, "25-49", "A90", 1, 1),
        (70, "25-49", "A90", 1, 1), (70, "65+", "J11", 1, 1), (None, "65+", "I10", 1, 1)]
    assert rows(conn, "top_diagnoses", ward=4, age_group="0-4", sex="male") == [
        (4, "0-4", "A90", 1, 1)]


def test_admissions_and_midnight_census_in_hanoi_time(conn):
    result = DASHBOARD_QUERIES["admissions_occupancy"](conn, Filters())
    assert result.columns == ["day", "admissions", "discharges", "occupied", "beds",
                              "occupancy"]
    by_day = {r[0]: r[1:] for r in result.rows}
    assert len(result.rows) == 32  # 1 March to 1 April, every day
    assert by_day[date(2026, 3, 1)] == (1, 0, 1, 35, 0.0286)
    assert by_day[date(2026, 3, 2)] == (1, 0, 2, 35, 0.0571)
    # v3 left at 00:30 on 3 March Hanoi time (17:30 UTC on the 2nd): discharged on the 3rd
    assert by_day[date(2026, 3, 3)] == (0, 2, 0, 35, 0.0)
    assert by_day[date(2026, 3, 20)] == (0, 0, 0, 35, 0.0)
    assert by_day[date(2026, 4, 1)] == (1, 0, 1, 35, 0.0286)


def test_occupancy_counts_stays_begun_before_the_range_against_the_facility_beds(conn):
    assert rows(conn, "admissions_occupancy", facility="01001", date_from=date(2026, 3, 2),
                date_to=date(2026, 3, 4)) == [
        (date(2026, 3, 2), 1, 0, 2, 30, 0.0667), (date(2026, 3, 3), 0, 2, 0, 30, 0.0),
        (date(2026, 3, 4), 0, 0, 0, 30, 0.0)]


@pytest.mark.parametrize("name", sorted(DASHBOARD_QUERIES))
def test_every_query_answers_on_an_empty_extract(name, tmp_path):
    empty = store.connect(tmp_path)
    result = DASHBOARD_QUERIES[name](empty, Filters(facility="01001", ward=4, sex="male",
                                                    age_group="0-4",
                                                    date_from=date(2026, 1, 1),
                                                    date_to=date(2026, 1, 31)))
    assert result.columns
    assert name != "visits_per_day" or result.rows == []


def test_default_window_is_the_last_year_up_to_the_newest_visit(conn, tmp_path):
    assert queries.default_filters(conn) == Filters(date_from=date(2025, 4, 2),
                                                    date_to=date(2026, 4, 1))
    assert queries.default_filters(conn, days=1).date_from == date(2026, 4, 1)
    assert queries.default_filters(store.connect(tmp_path)) == Filters()
