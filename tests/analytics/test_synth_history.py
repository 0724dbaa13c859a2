"""Synthetic history at scale: seasons, injected outbreaks with their truth, the layout."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date

import duckdb
import pyarrow.dataset as ds
import pytest

from smarthealth.analytics import schema
from smarthealth.analytics.synth_history import write_history


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    out = tmp_path_factory.mktemp("history")
    result = write_history(out=out, years=4, visits_per_day=1500, seed=11,
                           start=date(2021, 1, 1), outbreaks=6)
    return out, result


def _glob(out, table: str) -> str:
    return str(out / table / "month=*" / "*.parquet")


def _share(out, codes: tuple[str, ...], months: tuple[int, ...]) -> float:
    rows = duckdb.sql(f"""SELECT count(*) FILTER (WHERE month(visit_date) IN {months}),
        count(*) FROM read_parquet('{_glob(out, "visits")}', hive_partitioning = true)
        WHERE icd3 IN {codes}""").fetchone()
    return rows[0] / rows[1]


def test_dengue_peaks_in_late_summer_and_autumn(history):
    out, _ = history
    assert _share(out, ("A90", "A91", "A97"), (8, 9, 10, 11)) > 0.55  # 4 of 12 months


def test_influenza_like_illness_peaks_in_winter_and_spring(history):
    out, _ = history
    assert _share(out, ("J09", "J10", "J11"), (12, 1, 2, 3)) > 0.45


def test_hfmd_has_a_spring_and_an_autumn_peak(history):
    out, _ = history
    assert _share(out, ("B08",), (3, 4, 5)) > 0.3
    assert _share(out, ("B08",), (9, 10, 11)) > 0.25


def test_the_truth_file_lists_each_outbreak_and_its_cases_are_in_the_data(history):
    out, result = history
    truth = list(csv.DictReader((out / "truth.csv").open(encoding="utf-8")))
    assert len(truth) == result.outbreaks == 6
    for row in truth:
        assert row["syndrome"] in ("dengue", "hfmd", "ili", "measles", "diarrhoea")
        assert int(row["extra_cases"]) > 0
        assert row["first_week"] <= row["last_week"]
        during, before = duckdb.sql(f"""
            SELECT count(*) FILTER (WHERE visit_date BETWEEN DATE '{row["first_day"]}'
                                                        AND DATE '{row["last_day"]}'),
                   count(*) FILTER (WHERE visit_date BETWEEN DATE '{row["first_day"]}' - 364
                                                        AND DATE '{row["last_day"]}' - 364)
            FROM read_parquet('{_glob(out, "visits")}', hive_partitioning = true)
            WHERE ward_code = {row["ward_code"]}""").fetchone()
        assert during > before - int(row["extra_cases"]) // 2


def test_outbreak_cells_exceed_the_same_weeks_a_year_before(history):
    out, _ = history
    row = next(csv.DictReader((out / "truth.csv").open(encoding="utf-8")))
    codes = {"dengue": "('A90','A91','A97')", "hfmd": "('B08')", "ili": "('J09','J10','J11','J06')",
             "measles": "('B05')", "diarrhoea": "('A09','A08','A04','A03')"}[row["syndrome"]]
    during, before = duckdb.sql(f"""
        SELECT count(*) FILTER (WHERE visit_date BETWEEN DATE '{row["first_day"]}'
                                                    AND DATE '{row["last_day"]}'),
               count(*) FILTER (WHERE visit_date BETWEEN DATE '{row["first_day"]}' - 364
                                                    AND DATE '{row["last_day"]}' - 364)
        FROM read_parquet('{_glob(out, "visits")}', hive_partitioning = true)
        WHERE ward_code = {row["ward_code"]} AND icd3 IN {codes}""").fetchone()
    assert during >= before + int(row["extra_cases"]) // 2


def test_layout_matches_the_extract_and_every_dashboard_has_data(history):
    out, result = history
    visits = ds.dataset(out / "visits", format="parquet", partitioning="hive")
    assert visits.schema.names == schema.VISITS.names + ["month"]
    assert visits.count_rows() == result.visits
    assert len(list((out / "visits").glob("month=*"))) == 48
    table = visits.to_table(filter=ds.field("month") == "2022-07")
    kinds = set(table.column("kind").to_pylist())
    assert kinds == {"outpatient", "inpatient", "emergency"}
    assert 0.8 < sum(table.column("insured").to_pylist()) / table.num_rows < 0.98
    assert len(set(table.column("ward_code").to_pylist())) == 126
    assert table.column("wait_minutes").null_count == 0
    for name in ("diagnoses", "admissions"):
        assert ds.dataset(out / name, format="parquet", partitioning="hive").count_rows() > 0
    assert ds.dataset(out / "population").count_rows() == 126 * 6 * 2
    assert ds.dataset(out / "beds").count_rows() > 0


def test_the_same_seed_gives_the_same_history(tmp_path):
    a = write_history(out=tmp_path / "a", years=1, visits_per_day=300, seed=4,
                      start=date(2024, 1, 1), outbreaks=2)
    b = write_history(out=tmp_path / "b", years=1, visits_per_day=300, seed=4,
                      start=date(2024, 1, 1), outbreaks=2)
    assert (a.visits, a.diagnoses) == (b.visits, b.diagnoses)
    assert (tmp_path / "a" / "truth.csv").read_text() == (tmp_path / "b" / "truth.csv").read_text()


def test_the_command_line_writes_history(tmp_path):
    done = subprocess.run([sys.executable, "-m", "smarthealth.cli", "synth", "history",
                           "--years", "1", "--visits-per-day", "100", "--out", str(tmp_path),
                           "--start", "2024-01-01", "--outbreaks", "1", "--jobs", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "visits" in done.stdout and (tmp_path / "truth.csv").exists()
    assert len(list((tmp_path / "visits").glob("month=*"))) == 12
