"""DuckDB views over the extract: every table queryable, empty tables included."""

from __future__ import annotations

from datetime import date

import pyarrow.dataset as ds

from smarthealth.analytics import schema, store
from smarthealth.analytics.synth_history import write_history


def test_an_empty_root_gives_empty_views_with_the_documented_columns(tmp_path):
    conn = store.connect(tmp_path)
    for table, table_schema in schema.TABLES.items():
        columns = [row[0] for row in conn.execute(f'DESCRIBE "{table}"').fetchall()]
        extra = ["month"] if table in schema.MONTHLY else []
        assert columns == table_schema.names + extra
        assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == 0


def test_views_read_the_hive_partitions_and_see_new_files_after_refresh(tmp_path):
    conn = store.connect(tmp_path)
    write_history(out=tmp_path, years=1, visits_per_day=200, seed=2, start=date(2024, 1, 1),
                  outbreaks=0)
    store.refresh(conn, tmp_path)
    expected = ds.dataset(tmp_path / "visits", format="parquet", partitioning="hive").count_rows()
    assert conn.execute("SELECT count(*) FROM visits").fetchone()[0] == expected > 0
    months = conn.execute("SELECT count(DISTINCT month) FROM visits "
                          "WHERE month = strftime(visit_date, '%Y-%m')").fetchone()[0]
    assert months == 12
    assert conn.execute("SELECT count(*) FROM checkins").fetchone()[0] == 0
    assert conn.execute("SELECT sum(persons) FROM population").fetchone()[0] > 0
    one = conn.execute("SELECT count(*) FROM visits WHERE month = '2024-03'").fetchone()[0]
    assert 0 < one < expected
