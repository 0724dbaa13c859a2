"""Pre-aggregated rollups of the visits extract, so dashboard queries over years of history read
millions of small rows instead of a hundred million visits.

`<root>/rollups/<name>/month=YYYY-MM/*.parquet` (Hive, one folder per month of the visits they
come from) and `<root>/rollups/manifest.json`, which records the size and modification time of
every visits file each month was built from. The DuckDB views `rollup_<name>` (analytics/store)
exist only when the manifest matches the visits on disk exactly; otherwise the queries fall back
to the raw visits, so a stale or missing rollup never changes a figure. Built with DuckDB from
the visits Parquet by `build(root, months=None)`, which `analytics extract` (for the months it
rewrote) and `synth history` call. Documented in SCHEMA.md ("Rollups").
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import duckdb

HANOI_OFFSET_US = 7 * 3600 * 1_000_000
DAY_US = 86_400 * 1_000_000
WAIT_SAMPLE_MODULUS = 50  # wait_sample keeps visits with hash(visit_key) % 50 = 0 (about 2 %)
FOLDER = "rollups"
MANIFEST = "manifest.json"
VERSION = 1

# name -> (SELECT list over visits, its grouping keys (None: a row-level sample), WHERE)
ROLLUPS: dict[str, tuple[str, str | None, str | None]] = {
    # the same with the facility, sorted by facility in small row groups (a facility filter
    # reads only its own row groups): top diagnoses of one facility
    "facility_diagnosis_counts": ("facility_code, ward_code, age_group, sex, icd3, "
                                  "count(*) AS visits",
                                  "facility_code, ward_code, age_group, sex, icd3",
                                  "icd3 IS NOT NULL"),
    # monthly counts by every filter dimension and insurance: visits per facility / ward, insured
    "visit_counts": ("facility_code, ward_code, age_group, sex, insured, count(*) AS visits",
                     "facility_code, ward_code, age_group, sex, insured", None),
    # monthly counts of main diagnoses (3 characters) by ward, age group and sex: top diagnoses
    "diagnosis_counts": ("ward_code, age_group, sex, icd3, count(*) AS visits",
                         "ward_code, age_group, sex, icd3", "icd3 IS NOT NULL"),
    # daily counts by facility, age group and sex, sorted by facility: one facility's visits per day
    "facility_daily_counts": ("visit_date, facility_code, age_group, sex, count(*) AS visits",
                              "visit_date, facility_code, age_group, sex", None),
    # daily counts by ward, age group and sex: visits per day
    "daily_counts": ("visit_date, ward_code, age_group, sex, count(*) AS visits",
                     "visit_date, ward_code, age_group, sex", None),
    # admitted visits by admission day, Hanoi discharge day and every filter dimension: occupancy
    "stays": ("visit_date AS admit_day, DATE '1970-01-01' + CAST((epoch_us(discharged_at) + "
              f"{HANOI_OFFSET_US}) // {DAY_US} AS INTEGER) AS discharge_day, facility_code, "
              "ward_code, age_group, sex, count(*) AS stays",
              "ALL", "admitted"),
    # every visit's check-in and wait, sorted by ward in small row groups: exact percentiles
    # for one ward read only that ward's row groups
    "ward_waits": ("ward_code, visit_date, facility_code, age_group, sex, checkin_ms, "
                   "wait_minutes", None, None),
    # a repeatable ~2 % sample of the visits for percentiles over many millions of visits
    "wait_sample": ("visit_date, facility_code, ward_code, age_group, sex, checkin_ms, "
                    "wait_minutes", None, "hash(visit_key) % {modulus} = 0"),
}
SORTED = {"facility_diagnosis_counts": "facility_code", "facility_daily_counts": "facility_code",
          "ward_waits": "ward_code"}
ROW_GROUP_ROWS = 8192
EMPTY_COLUMNS: dict[str, str] = {
    "facility_diagnosis_counts": "NULL::VARCHAR AS facility_code, NULL::INTEGER AS ward_code, "
                                 "NULL::VARCHAR AS age_group, NULL::VARCHAR AS sex, "
                                 "NULL::VARCHAR AS icd3, NULL::BIGINT AS visits",
    "visit_counts": "NULL::VARCHAR AS facility_code, NULL::INTEGER AS ward_code, "
                    "NULL::VARCHAR AS age_group, NULL::VARCHAR AS sex, NULL::BOOLEAN AS insured, "
                    "NULL::BIGINT AS visits",
    "diagnosis_counts": "NULL::INTEGER AS ward_code, NULL::VARCHAR AS age_group, "
                        "NULL::VARCHAR AS sex, NULL::VARCHAR AS icd3, NULL::BIGINT AS visits",
    "facility_daily_counts": "NULL::DATE AS visit_date, NULL::VARCHAR AS facility_code, "
                             "NULL::VARCHAR AS age_group, NULL::VARCHAR AS sex, "
                             "NULL::BIGINT AS visits",
    "daily_counts": "NULL::DATE AS visit_date, NULL::INTEGER AS ward_code, "
                    "NULL::VARCHAR AS age_group, NULL::VARCHAR AS sex, NULL::BIGINT AS visits",
    "stays": "NULL::DATE AS admit_day, NULL::DATE AS discharge_day, "
             "NULL::VARCHAR AS facility_code, NULL::INTEGER AS ward_code, "
             "NULL::VARCHAR AS age_group, NULL::VARCHAR AS sex, NULL::BIGINT AS stays",
    "ward_waits": "NULL::INTEGER AS ward_code, NULL::DATE AS visit_date, "
                  "NULL::VARCHAR AS facility_code, NULL::VARCHAR AS age_group, "
                  "NULL::VARCHAR AS sex, NULL::INTEGER AS checkin_ms, NULL::DOUBLE AS wait_minutes",
    "wait_sample": "NULL::DATE AS visit_date, NULL::VARCHAR AS facility_code, "
                   "NULL::INTEGER AS ward_code, NULL::VARCHAR AS age_group, NULL::VARCHAR AS sex, "
                   "NULL::INTEGER AS checkin_ms, NULL::DOUBLE AS wait_minutes",
}


def _q(path: Path | str) -> str:
    return str(path).replace("'", "''")


def _visit_months(root: Path) -> dict[str, list[Path]]:
    folder = root / "visits"
    if not folder.is_dir():
        return {}
    out = {}
    for month_dir in sorted(folder.glob("month=*")):
        files = sorted(month_dir.glob("*.parquet"))
        if files:
            out[month_dir.name.removeprefix("month=")] = files
    return out


def _signature(files: list[Path]) -> list[list]:
    return [[f.name, (s := f.stat()).st_size, s.st_mtime_ns] for f in files]


def _read_manifest(root: Path) -> dict:
    path = root / FOLDER / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    # a manifest of another version or another set of rollups is as good as none
    ok = data.get("version") == VERSION and data.get("rollups") == sorted(ROLLUPS)
    return data if ok else {}


def fresh(root: Path) -> bool:
    """True when the rollups were built from exactly the visits files on disk now."""
    root = Path(root)
    months = _visit_months(root)
    built = _read_manifest(root).get("months", {})
    if not months or set(built) != set(months):
        return False
    try:
        return all(built[m] == _signature(files) for m, files in months.items())
    except OSError:  # a month swapped while we looked
        return False


def view_sql(root: Path, name: str) -> str:
    """The SELECT of the view `rollup_<name>`."""
    folder = Path(root) / FOLDER / name
    if next(folder.glob("month=*/*.parquet"), None) is None:
        return f"SELECT {EMPTY_COLUMNS[name]}, NULL::VARCHAR AS month WHERE false"
    return (f"SELECT * FROM read_parquet('{_q(folder / 'month=*' / '*.parquet')}', "
            "hive_partitioning = true, hive_types = {'month': VARCHAR})")


def build(root: Path | str, months: list[str] | None = None, *,
          threads: int | None = None) -> list[str]:
    """(Re)build the rollups of the given months (all months of the visits when None) and of
    every other month whose visits changed since it was built, drop the rollup months whose
    visits are gone, and update the manifest; returns the months built."""
    root = Path(root)
    on_disk = _visit_months(root)
    manifest = _read_manifest(root) or {"version": VERSION, "rollups": sorted(ROLLUPS),
                                        "months": {}}
    if months is None:
        wanted = sorted(on_disk)
        manifest["months"] = {}
    else:
        wanted = sorted((set(months) & set(on_disk)) | {
            m for m, files in on_disk.items() if manifest["months"].get(m) != _signature(files)})
    base = root / FOLDER
    base.mkdir(parents=True, exist_ok=True)
    gone = sorted(m for m in set(manifest["months"]) | _rollup_months(base) if m not in on_disk)
    if wanted:
        staging = root / "_staging" / f"rollups-{uuid.uuid4().hex[:8]}"
        staging.mkdir(parents=True)
        try:
            signatures = {m: _signature(on_disk[m]) for m in wanted}
            _write(root, staging, wanted, on_disk, threads=threads)
            for name in ROLLUPS:
                for month in wanted:
                    _swap(staging / name / f"month={month}", base / name / f"month={month}")
            manifest["months"].update(signatures)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            try:
                staging.parent.rmdir()  # only when no other writer is using it
            except OSError:
                pass
    for month in gone:
        for name in ROLLUPS:
            shutil.rmtree(base / name / f"month={month}", ignore_errors=True)
        manifest["months"].pop(month, None)
    tmp = base / f"_{MANIFEST}.{uuid.uuid4().hex[:8]}"
    tmp.write_text(json.dumps(manifest, sort_keys=True))
    tmp.replace(base / MANIFEST)
    return wanted


def _rollup_months(base: Path) -> set[str]:
    return {p.name.removeprefix("month=") for name in ROLLUPS
            for p in (base / name).glob("month=*")}


def _write(root: Path, staging: Path, months: list[str], on_disk: dict[str, list[Path]], *,
           threads: int | None) -> None:
    files = [str(f) for m in months for f in on_disk[m]]
    conn = duckdb.connect()
    try:
        conn.execute("SET enable_progress_bar = false")
        if threads:
            conn.execute(f"SET threads = {int(threads)}")
        source = (f"read_parquet([{', '.join(repr(_q(f)) for f in files)}], "
                  "hive_partitioning = true, hive_types = {'month': VARCHAR}, "
                  "union_by_name = true)")
        for name, (select, group, where) in ROLLUPS.items():
            where_sql = f"WHERE {where.format(modulus=WAIT_SAMPLE_MODULUS)}" if where else ""
            group_sql = "GROUP BY ALL" if group else ""
            order_sql = f"ORDER BY month, {SORTED[name]}" if name in SORTED else ""
            sql = f"SELECT month, {select} FROM {source} {where_sql} {group_sql} {order_sql}"
            conn.execute(f"COPY ({sql}) TO '{_q(staging / name)}' "
                         "(FORMAT PARQUET, PARTITION_BY (month), COMPRESSION snappy, "
                         f"ROW_GROUP_SIZE {ROW_GROUP_ROWS}, OVERWRITE_OR_IGNORE true)")
            for month in months:  # a month without rows still gets its (empty) folder
                (staging / name / f"month={month}").mkdir(parents=True, exist_ok=True)
    finally:
        conn.close()


def _swap(staged: Path, live: Path) -> None:
    """Put a staged month folder in place of the live one (renames on the same file system)."""
    live.parent.mkdir(parents=True, exist_ok=True)
    old = live.parent / f"_old-{live.name}-{uuid.uuid4().hex[:8]}"
    if live.exists():
        live.rename(old)
    staged.rename(live)
    shutil.rmtree(old, ignore_errors=True)
