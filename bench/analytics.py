"""Department analytics at city scale: dashboard queries on synthetic Parquet, PostgreSQL for
comparison, extract throughput and surveillance time.

1. `smarthealth synth history` writes --visits synthetic visits (default 100 million over
   10 years) into a temporary folder (or reuse --data DIR).
2. The dashboard rollups (analytics.rollups) are built when missing or stale (timed), then every
   dashboard query of analytics.queries runs with DuckDB on the Parquet views (analytics.store),
   unfiltered, filtered to one ward, one facility, one age group, one sex, a date range of
   partial months, and one ward over one year: p50 over --runs runs after one warm-up
   (--raw: without the rollups, the raw visits only).
3. A --pg-visits sample (default 10 million, an exact hash sample spread over the same years)
   is loaded into PostgreSQL with COPY into a schema of its own (indexes on day, facility,
   ward, admissions; dropped afterwards) and the same queries, written for PostgreSQL, run
   there; the ratio PostgreSQL p50 / DuckDB p50 is reported.
4. Extract throughput: `smarthealth analytics extract --full` on a freshly seeded SQLite demo
   (--extract-people, 5,000 by default, two years of visits).
5. Surveillance: bench/surveillance.py `measure` (126 wards x 20 syndromes x 10 years weekly),
   when that module exists.
Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CLI, PG_URL, psql  # noqa: E402

from smarthealth.analytics import rollups, store  # noqa: E402
from smarthealth.analytics.queries import DASHBOARD_QUERIES, Filters  # noqa: E402

YEARS = 10
PG_DSN = PG_URL.replace("postgresql+asyncpg", "postgresql")

VISIT_COLUMNS = ("visit_key text, facility_code text, ward_code integer, patient_key text, "
                 "sex text, age_years smallint, age_group text, started_at timestamptz, "
                 "visit_date date, kind text, insured boolean, main_icd text, icd3 text, "
                 "admitted boolean, discharged_at timestamptz, checkin_ms integer, "
                 "wait_minutes double precision")
PG_QUERIES = {
    "visits_per_day": "SELECT visit_date AS day, count(*) AS visits FROM visits {w} "
                      "GROUP BY visit_date ORDER BY visit_date",
    "visits_per_facility": "SELECT facility_code, count(*) AS visits FROM visits {w} "
                           "GROUP BY facility_code ORDER BY visits DESC, facility_code",
    "visits_per_ward": "SELECT ward_code, count(*) AS visits FROM visits {w} "
                       "GROUP BY ward_code ORDER BY visits DESC, ward_code",
    "waiting_times": """
        SELECT facility_code,
          round((percentile_cont(0.5) WITHIN GROUP (ORDER BY checkin_ms) / 1000.0)::numeric, 2),
          round((percentile_cont(0.9) WITHIN GROUP (ORDER BY checkin_ms) / 1000.0)::numeric, 2),
          round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_minutes)::numeric, 1),
          round(percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_minutes)::numeric, 1)
        FROM visits {w} GROUP BY facility_code ORDER BY facility_code""",
    "insured_share": """
        SELECT facility_code, count(*) AS visits, count(*) FILTER (WHERE insured),
               round(count(*) FILTER (WHERE insured)::numeric / count(*), 4)
        FROM visits {w} GROUP BY facility_code ORDER BY facility_code""",
    "population_coverage": """
        SELECT ward_code, sum(persons), sum(insured_persons),
               round(sum(insured_persons)::numeric / nullif(sum(persons), 0), 4)
        FROM population {wp} GROUP BY ward_code ORDER BY ward_code""",
    "top_diagnoses": """
        SELECT ward_code, age_group, icd3, visits, rank FROM (
            SELECT ward_code, age_group, icd3, count(*) AS visits,
                   row_number() OVER (PARTITION BY ward_code, age_group
                                      ORDER BY count(*) DESC, icd3) AS rank
            FROM visits {w} {and_} icd3 IS NOT NULL GROUP BY ward_code, age_group, icd3) t
        WHERE rank <= 5 ORDER BY ward_code NULLS LAST, age_group, rank""",
    "admissions_occupancy": """
        WITH stays AS (
            SELECT visit_date AS admit_day,
                   (discharged_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS discharge_day
            FROM visits WHERE admitted {and_w}),
        moves AS (
            SELECT admit_day AS day, count(*) AS admissions, 0 AS discharges
            FROM stays GROUP BY admit_day
            UNION ALL
            SELECT discharge_day, 0, count(*) FROM stays
            WHERE discharge_day IS NOT NULL GROUP BY discharge_day),
        daily AS (SELECT day, sum(admissions) AS admissions, sum(discharges) AS discharges
                  FROM moves GROUP BY day),
        days AS (SELECT generate_series(min(day), max(day), interval '1 day')::date AS day
                 FROM daily),
        census AS (
            SELECT days.day, coalesce(daily.admissions, 0) AS admissions,
                   coalesce(daily.discharges, 0) AS discharges,
                   sum(coalesce(daily.admissions, 0) - coalesce(daily.discharges, 0))
                       OVER (ORDER BY days.day) AS occupied
            FROM days LEFT JOIN daily USING (day)),
        capacity AS (SELECT sum(beds) AS beds FROM beds)
        SELECT day, admissions, discharges, occupied, capacity.beds,
               round(occupied / nullif(capacity.beds, 0), 4)
        FROM census, capacity {lo} ORDER BY day""",
}


def _disk_free_gb(path: Path) -> float:
    return shutil.disk_usage(path).free / 1e9


def generate(out: Path, visits: int, years: int, jobs: int) -> dict:
    """Synthetic history of about `visits` visits; seconds and rows/s."""
    growth = ((1.02 ** years) - 1) / (years * 0.0198026)  # mean of the 2 % yearly growth
    per_day = visits / (years * 365.25 * growth)
    start = date(date.today().year - years, 1, 1)
    began = time.perf_counter()
    done = subprocess.run([*CLI, "synth", "history", "--years", str(years), "--visits-per-day",
                           f"{per_day:.3f}", "--out", str(out), "--start", start.isoformat(),
                           "--outbreaks", "40", "--jobs", str(jobs)],
                          capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - began
    last = done.stdout.strip().splitlines()[-1]
    print(last, file=sys.stderr)
    return {"seconds": round(seconds, 1), "summary": last}


def filter_sets(conn) -> dict[str, Filters]:  # noqa: ANN001
    """Unfiltered; the busiest ward, the busiest facility, 65+, female over all years; a range
    of partial months; and the busiest ward over the last full year."""
    first, last = conn.execute("SELECT min(visit_date), max(visit_date) FROM visits").fetchone()
    ward, facility = (conn.execute(
        f"SELECT {column} FROM (SELECT {column} FROM visits "
        f"USING SAMPLE 10000 ROWS (reservoir, 7)) "
        f"GROUP BY {column} ORDER BY count(*) DESC, {column} LIMIT 1").fetchone()[0]
        for column in ("ward_code", "facility_code"))
    year_ago = last.replace(year=last.year - 1)
    return {"all": Filters(), "ward": Filters(ward=ward), "facility": Filters(facility=facility),
            "age_group": Filters(age_group="65+"), "sex": Filters(sex="female"),
            "range": Filters(date_from=first + (last - first) / 7,
                             date_to=last - (last - first) / 9),
            "ward_year": Filters(date_from=year_ago, date_to=last, ward=ward)}


def ensure_rollups(root: Path) -> dict:
    """Build the rollups when they are missing or stale; seconds and size."""
    built = None
    if not rollups.fresh(root):
        began = time.perf_counter()
        rollups.build(root)
        built = round(time.perf_counter() - began, 1)
    size = sum(p.stat().st_size for p in (root / rollups.FOLDER).rglob("*.parquet"))
    return {"build_s": built, "gb": round(size / 1e9, 2)}


def time_duckdb(root: Path, runs: int, *, raw: bool = False) -> tuple[dict, dict]:
    conn = store.connect(root)
    if raw:
        for name in rollups.ROLLUPS:
            conn.execute(f'DROP VIEW IF EXISTS "rollup_{name}"')
    sets = filter_sets(conn)
    total = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
    results: dict[str, dict[str, float]] = {}
    for set_name, filters in sets.items():
        for name, query in DASHBOARD_QUERIES.items():
            query(conn, filters)  # warm-up (file metadata, OS cache)
            times = []
            for _ in range(runs):
                began = time.perf_counter()
                query(conn, filters)
                times.append(time.perf_counter() - began)
            results.setdefault(set_name, {})[name] = round(statistics.median(times), 4)
            print(f"duckdb {set_name:9s} {name:22s} p50 {results[set_name][name]:.3f} s",
                  file=sys.stderr)
    meta = {"visits": total, "rollups": not raw, "ward": sets["ward_year"].ward,
            "facility": sets["facility"].facility,
            "range": [str(sets["range"].date_from), str(sets["range"].date_to)],
            "date_from": str(sets["ward_year"].date_from),
            "date_to": str(sets["ward_year"].date_to)}
    return results, meta


async def _pg_load(root: Path, schema: str, visits: int, workdir: Path) -> dict:
    import asyncpg

    conn = store.connect(root)
    total = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
    k = max(1, round(total / visits))
    csv_path = workdir / "visits.csv"
    began = time.perf_counter()
    cols = ", ".join(c.split()[0] for c in VISIT_COLUMNS.split(", "))
    conn.execute(f"COPY (SELECT {cols} FROM visits WHERE hash(visit_key) % {k} = 0) "
                 f"TO '{csv_path}' (FORMAT csv, HEADER false)")
    conn.execute(f"COPY (SELECT * FROM population) TO '{workdir / 'population.csv'}' "
                 "(FORMAT csv, HEADER false)")
    conn.execute(f"COPY (SELECT * FROM beds) TO '{workdir / 'beds.csv'}' "
                 "(FORMAT csv, HEADER false)")
    exported = time.perf_counter() - began
    pg = await asyncpg.connect(PG_DSN)
    try:
        await pg.execute(f'CREATE SCHEMA "{schema}"')
        await pg.execute(f'SET search_path TO "{schema}"')
        await pg.execute(f"CREATE TABLE visits ({VISIT_COLUMNS})")
        await pg.execute("CREATE TABLE population (ward_code integer, sex text, age_group text, "
                         "persons bigint, insured_persons bigint)")
        await pg.execute("CREATE TABLE beds (facility_code text, department_code text, "
                         "beds integer)")
        began = time.perf_counter()
        await pg.copy_to_table("visits", source=str(csv_path), format="csv", schema_name=schema)
        await pg.copy_to_table("population", source=str(workdir / "population.csv"),
                               format="csv", schema_name=schema)
        await pg.copy_to_table("beds", source=str(workdir / "beds.csv"), format="csv",
                               schema_name=schema)
        copied = time.perf_counter() - began
        began = time.perf_counter()
        for sql in ("CREATE INDEX ON visits (visit_date)",
                    "CREATE INDEX ON visits (facility_code, visit_date)",
                    "CREATE INDEX ON visits (ward_code, visit_date)",
                    "CREATE INDEX ON visits (visit_date) WHERE admitted",
                    "ANALYZE visits", "ANALYZE population", "ANALYZE beds"):
            await pg.execute(sql)
        indexed = time.perf_counter() - began
        rows = await pg.fetchval("SELECT count(*) FROM visits")
    finally:
        await pg.close()
    csv_path.unlink(missing_ok=True)
    return {"visits": rows, "export_s": round(exported, 1), "copy_s": round(copied, 1),
            "index_s": round(indexed, 1), "copy_rows_per_s": round(rows / max(copied, 1e-9))}


def _pg_sql(name: str, filters: Filters) -> str:
    clauses = []
    if filters.date_from:
        clauses.append(f"visit_date >= DATE '{filters.date_from}'")
    if filters.date_to:
        clauses.append(f"visit_date <= DATE '{filters.date_to}'")
    if filters.ward is not None:
        clauses.append(f"ward_code = {int(filters.ward)}")
    w = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    and_w = "".join(f" AND {c}" for c in clauses if not c.startswith("visit_date >="))
    ward_only = [c for c in clauses if c.startswith("ward_code")]
    return PG_QUERIES[name].format(
        w=w, and_="AND" if clauses else "WHERE", and_w=and_w,
        wp=("WHERE " + ward_only[0]) if ward_only else "",
        lo=f"WHERE day >= DATE '{filters.date_from}'" if filters.date_from else "")


async def _pg_time(schema: str, sets: dict[str, Filters], runs: int) -> dict:
    import asyncpg

    pg = await asyncpg.connect(PG_DSN)
    results: dict[str, dict[str, float]] = {}
    try:
        await pg.execute(f'SET search_path TO "{schema}"')
        for set_name, filters in sets.items():
            for name in DASHBOARD_QUERIES:
                sql = _pg_sql(name, filters)
                await pg.fetch(sql)
                times = []
                for _ in range(runs):
                    began = time.perf_counter()
                    await pg.fetch(sql)
                    times.append(time.perf_counter() - began)
                results.setdefault(set_name, {})[name] = round(statistics.median(times), 4)
                print(f"postgres {set_name:9s} {name:22s} p50 "
                      f"{results[set_name][name]:.3f} s", file=sys.stderr)
    finally:
        await pg.close()
    return results


def postgres(root: Path, visits: int, runs: int, sets: dict[str, Filters],
             workdir: Path) -> dict:
    schema = f"bench_analytics_{uuid.uuid4().hex[:8]}"
    try:
        loaded = asyncio.run(_pg_load(root, schema, visits, workdir))
        timed = asyncio.run(_pg_time(schema, sets, runs))
    finally:
        psql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return {"load": loaded, "p50_s": timed}


def extract_throughput(people: int, workdir: Path) -> dict:
    """Seed a SQLite demo in a folder of its own and time the full extract."""
    var = workdir / "extract-demo"
    var.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SMARTHEALTH_VAR_DIR": str(var), "SMARTHEALTH_DATABASE_URL": "",
           "SMARTHEALTH_ANALYTICS_DIR": str(var / "analytics"),
           "SMARTHEALTH_SECRET_KEY": os.environ.get("SMARTHEALTH_SECRET_KEY",
                                                    "bench-secret-key-" + "0" * 40)}
    subprocess.run([*CLI, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*CLI, "seed", "--people", str(people)], env=env, check=True,
                   capture_output=True)
    done = subprocess.run([*CLI, "analytics", "extract", "--full", "--quiet"], env=env,
                          check=True, capture_output=True, text=True)
    line = done.stdout.strip().splitlines()[-1]
    print(line, file=sys.stderr)
    rows = int(re.search(r"([\d,]+) rows \(", line).group(1).replace(",", ""))
    seconds = float(re.search(r"in ([\d.]+) s", line).group(1))
    visits = int(re.search(r"visits ([\d,]+)", line).group(1).replace(",", ""))
    again = subprocess.run([*CLI, "analytics", "extract", "--quiet"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return {"people": people, "visits": visits, "rows": rows, "seconds": seconds,
            "rows_per_s": round(rows / max(seconds, 1e-9)),
            "incremental_no_change": again}


def surveillance() -> dict:
    try:
        from surveillance import measure  # bench/surveillance.py
    except ImportError as exc:
        return {"skipped": f"bench/surveillance.py not available ({exc})"}
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):  # its progress lines; the JSON stays last
        return measure(wards=126, syndromes=20, years=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=100_000_000)
    parser.add_argument("--years", type=int, default=YEARS)
    parser.add_argument("--data", type=Path, help="reuse (or keep) the synthetic Parquet here")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pg-visits", type=int, default=10_000_000)
    parser.add_argument("--extract-people", type=int, default=5000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-extract", action="store_true")
    parser.add_argument("--skip-surveillance", action="store_true")
    parser.add_argument("--raw", action="store_true", help="time the queries without rollups")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    root = args.data or workdir / "parquet"
    report: dict = {"bench": "analytics", "target_p50_s": 1.0}
    try:
        if not (root / "visits").is_dir():
            need_gb = args.visits * 80 / 1e9
            free = _disk_free_gb(root.parent if root.parent.exists() else workdir)
            if free < need_gb * 1.5:
                raise SystemExit(f"{free:.0f} GB free, about {need_gb:.0f} GB needed")
            report["generate"] = generate(root, args.visits, args.years, args.jobs)
        else:
            report["generate"] = {"reused": str(root)}
        report["parquet_gb"] = round(sum(p.stat().st_size for p in root.rglob("*.parquet"))
                                     / 1e9, 2)
        if not args.raw:
            report["rollups"] = ensure_rollups(root)
        duck, meta = time_duckdb(root, args.runs, raw=args.raw)
        report["duckdb"] = {**meta, "p50_s": duck,
                            "max_p50_s": max(v for s in duck.values() for v in s.values())}
        report["duckdb"]["all_within_target"] = report["duckdb"]["max_p50_s"] <= 1.0
        if not args.skip_postgres:
            sets = {"all": Filters(),
                    "ward_year": Filters(date_from=date.fromisoformat(meta["date_from"]),
                                         date_to=date.fromisoformat(meta["date_to"]),
                                         ward=meta["ward"])}
            pg = postgres(root, min(args.pg_visits, meta["visits"]), args.runs, sets, workdir)
            pg["ratio_pg_over_duckdb"] = {
                s: {q: round(pg["p50_s"][s][q] / max(duck[s][q], 1e-6), 1) for q in duck[s]}
                for s in sets}
            report["postgres"] = pg
        if not args.skip_extract:
            report["extract"] = extract_throughput(args.extract_people, workdir)
        if not args.skip_surveillance:
            report["surveillance"] = surveillance()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # --data lives outside it and is kept
    print(json.dumps(report))


if __name__ == "__main__":
    main()
