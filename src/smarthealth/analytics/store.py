"""DuckDB over the Parquet extract: one view per table, used by the dashboards and surveillance.

A table whose folder holds no file yet is an empty view with the documented columns, so the
dashboards work on a fresh install. Views read the files at query time: a rewritten month is
seen by the next query.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from smarthealth.analytics import schema

DUCK_TYPES = {pa.string(): "VARCHAR", pa.int16(): "SMALLINT", pa.int32(): "INTEGER",
              pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN",
              pa.date32(): "DATE", schema.TS: "TIMESTAMPTZ"}


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def pattern(root: Path, table: str) -> str:
    """The glob of a table's files (monthly tables: Hive folders month=YYYY-MM)."""
    folder = Path(root) / table
    return str(folder / "month=*" / "*.parquet") if table in schema.MONTHLY else str(
        folder / "*.parquet")


def has_files(root: Path, table: str) -> bool:
    folder = Path(root) / table
    glob = "month=*/*.parquet" if table in schema.MONTHLY else "*.parquet"
    return folder.is_dir() and next(folder.glob(glob), None) is not None


def empty_view_sql(table: str) -> str:
    columns = [f'NULL::{DUCK_TYPES[f.type]} AS "{f.name}"' for f in schema.TABLES[table]]
    if table in schema.MONTHLY:
        columns.append('NULL::VARCHAR AS "month"')
    return f"SELECT {', '.join(columns)} WHERE false"


def view_sql(root: Path, table: str) -> str:
    """The SELECT of one table's view."""
    if not has_files(root, table):
        return empty_view_sql(table)
    hive = "true" if table in schema.MONTHLY else "false"
    return (f"SELECT * FROM read_parquet('{_quote(Path(pattern(root, table)))}', "
            f"hive_partitioning = {hive}, union_by_name = true)")


def connect(root: Path | str | None = None, *, threads: int | None = None
            ) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table of the extract under root."""
    if root is None:
        from smarthealth.analytics.config import get_analytics_settings

        root = get_analytics_settings().root()
    root = Path(root)
    conn = duckdb.connect()
    conn.execute("SET parquet_metadata_cache = true")  # footers read once per connection
    conn.execute("SET enable_progress_bar = false")
    if threads:
        conn.execute(f"SET threads = {int(threads)}")
    refresh(conn, root)
    return conn


def refresh(conn: duckdb.DuckDBPyConnection, root: Path) -> None:
    """(Re)create the views, e.g. after a table's first files appeared; the rollup views
    `rollup_<name>` only when the rollups match the visits on disk (analytics/rollups.py)."""
    from smarthealth.analytics import rollups

    for table in schema.TABLES:
        conn.execute(f'CREATE OR REPLACE VIEW "{table}" AS {view_sql(Path(root), table)}')
    ready = rollups.fresh(Path(root))
    for name in rollups.ROLLUPS:
        if ready:
            conn.execute(f'CREATE OR REPLACE VIEW "rollup_{name}" AS '
                         f"{rollups.view_sql(Path(root), name)}")
        else:
            conn.execute(f'DROP VIEW IF EXISTS "rollup_{name}"')


def has_rollup(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the view rollup_<name> exists (the rollups were fresh at the last refresh)."""
    return conn.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
                        [f"rollup_{name}"]).fetchone()[0] > 0
