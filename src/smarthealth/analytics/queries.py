"""The department's dashboard queries: plain functions over a DuckDB connection whose views
(visits, diagnoses, prescriptions, population, beds) read the Parquet extract.

Every query takes the same Filters, binds every value as a parameter, and returns columns and
rows. DASHBOARD_QUERIES maps chart names to the functions (the API and bench/analytics.py use it).

When the pre-aggregated rollups (analytics/rollups.py) are fresh, the heavy queries read them
instead of the raw visits where the filters allow (monthly rollups for the whole months inside
the date range plus the raw visits of the partial months at its ends; daily rollups for any
range) and give the same figures; otherwise they read the raw visits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from smarthealth.analytics import store

AGE_GROUPS = ("0-4", "5-14", "15-24", "25-49", "50-64", "65+")
SEXES = ("male", "female")
TOP_DIAGNOSES_PER_GROUP = 5
HANOI_OFFSET_US = 7 * 3600 * 1_000_000  # Asia/Ho_Chi_Minh is UTC+7 all year (no DST)
DAY_US = 86_400 * 1_000_000
QUANTILE_SAMPLE_ROWS = 2_000_000
RAW_SCAN_ROWS = 20_000_000  # exact percentiles scan at most this many visits of the date range
MIN_SAMPLE_VALUES = 2_000  # ... unless the wait_sample rollup holds fewer matching visits
DEFAULT_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Filters:
    """What the dashboard's filter form selects; None means "all"."""

    date_from: date | None = None
    date_to: date | None = None
    facility: str | None = None
    ward: int | None = None
    age_group: str | None = None
    sex: str | None = None


@dataclass
class Result:
    """A chart's data: column names and rows of plain values."""

    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, clause: str, **params: Any) -> None:
        self.clauses.append(clause)
        self.params.update(params)

    def sql(self) -> str:
        return ("WHERE " + " AND ".join(self.clauses)) if self.clauses else ""


def _where(filters: Filters, *, dates: bool = True, facility: bool = True,
           extra: str | None = None) -> _Where:
    """The WHERE clause of the filters over a table with the visit columns."""
    where = _Where()
    if extra:
        where.add(extra)
    if dates and filters.date_from is not None:
        where.add("visit_date >= $date_from", date_from=filters.date_from)
    if dates and filters.date_to is not None:
        where.add("visit_date <= $date_to", date_to=filters.date_to)
    if facility and filters.facility is not None:
        where.add("facility_code = $facility", facility=filters.facility)
    if filters.ward is not None:
        where.add("ward_code = $ward", ward=filters.ward)
    if filters.age_group is not None:
        where.add("age_group = $age_group", age_group=filters.age_group)
    if filters.sex is not None:
        where.add("sex = $sex", sex=filters.sex)
    return where


def _run(conn: Any, sql: str, params: dict[str, Any]) -> Result:
    cursor = conn.execute(sql, params) if params else conn.execute(sql)
    columns = [d[0] for d in cursor.description]
    return Result(columns=columns, rows=[tuple(r) for r in cursor.fetchall()])


def _full_months(filters: Filters) -> tuple[str | None, str | None] | None:
    """The whole months inside the date range as first and last "YYYY-MM" (None: unbounded),
    or None when the range holds no whole month."""
    lo = hi = None
    if filters.date_from is not None:
        day = filters.date_from
        if day.day != 1:
            day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        lo = f"{day:%Y-%m}"
    if filters.date_to is not None:
        day = filters.date_to
        if (day + timedelta(days=1)).day != 1:
            day = day.replace(day=1) - timedelta(days=1)
        hi = f"{day:%Y-%m}"
    if lo is not None and hi is not None and lo > hi:
        return None
    return lo, hi


def _rolled(conn: Any, filters: Filters, name: str, keys: str, *,
            raw_extra: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """Rows (keys..., n) counting the matching visits from the monthly rollup `name` for the
    whole months of the range and from the raw visits for the days outside them; None when the
    rollup is not available or the range holds no whole month."""
    span = _full_months(filters)
    if span is None or not store.has_rollup(conn, name):
        return None
    lo, hi = span
    rolled = _where(filters, dates=False)
    if lo is not None:
        rolled.add("month >= $month_lo", month_lo=lo)
    if hi is not None:
        rolled.add("month <= $month_hi", month_hi=hi)
    sql = f"SELECT {keys}, visits AS n FROM rollup_{name} {rolled.sql()}"
    params = dict(rolled.params)
    if filters.date_from is not None or filters.date_to is not None:
        raw = _where(filters, extra=raw_extra)
        outside = [c for c, m in (("month < $month_lo", lo), ("month > $month_hi", hi)) if m]
        raw.add("(" + " OR ".join(outside) + ")")
        sql += f" UNION ALL SELECT {keys}, count(*) AS n FROM visits {raw.sql()} GROUP BY ALL"
        params.update(raw.params)
    return sql, params


def visits_per_day(conn: Any, filters: Filters) -> Result:
    """Visits per Hanoi calendar day."""
    where = _where(filters)
    name = ("daily_counts" if filters.facility is None else
            "facility_daily_counts" if filters.ward is None else None)
    if name is not None and store.has_rollup(conn, name):
        return _run(conn, "SELECT visit_date AS day, CAST(sum(visits) AS BIGINT) AS visits "
                          f"FROM rollup_{name} {where.sql()} "
                          "GROUP BY visit_date ORDER BY visit_date", where.params)
    return _run(conn, f"SELECT visit_date AS day, count(*) AS visits FROM visits {where.sql()} "
                      "GROUP BY visit_date ORDER BY visit_date", where.params)


def _visits_by(conn: Any, filters: Filters, column: str) -> Result:
    """Visits per value of `column`, busiest first (rollups when they answer the filters)."""
    rolled = _rolled(conn, filters, "visit_counts", column)
    if rolled is not None:
        return _run(conn, f"SELECT {column}, CAST(sum(n) AS BIGINT) AS visits "
                          f"FROM ({rolled[0]}) GROUP BY {column} "
                          f"ORDER BY visits DESC, {column}", rolled[1])
    where = _where(filters)
    return _run(conn, f"SELECT {column}, count(*) AS visits FROM visits "
                      f"{where.sql()} GROUP BY {column} ORDER BY visits DESC, {column}",
                where.params)


def visits_per_facility(conn: Any, filters: Filters) -> Result:
    """Visits per facility, busiest first."""
    return _visits_by(conn, filters, "facility_code")


def visits_per_ward(conn: Any, filters: Filters) -> Result:
    """Visits per patient's residence ward (NULL: ward unknown), busiest first."""
    return _visits_by(conn, filters, "ward_code")


def _filter_columns(filters: Filters, *columns: str) -> list[str]:
    """facility_code, the columns the filters use, and the given ones (a sample reads no more)."""
    used = {"visit_date": filters.date_from is not None or filters.date_to is not None,
            "ward_code": filters.ward is not None, "age_group": filters.age_group is not None,
            "sex": filters.sex is not None}
    return ["facility_code", *(c for c, on in used.items() if on), *columns]


def _quantile_sample(conn: Any, where: _Where, *, table: str = "visits") -> str:
    """A SAMPLE clause keeping about QUANTILE_SAMPLE_ROWS of the matching visits when more
    match (exact percentiles sort every value: seconds on 100 million rows); "" otherwise."""
    sql = f"SELECT count(*) FROM {table} {where.sql()}"
    matching = (conn.execute(sql, where.params) if where.params else conn.execute(sql)) \
        .fetchone()[0]
    if matching <= QUANTILE_SAMPLE_ROWS:
        return ""
    return f"USING SAMPLE {100.0 * QUANTILE_SAMPLE_ROWS / matching:.6f}% (system, 7)"


def _range_rows(conn: Any, filters: Filters) -> int:
    """How many visits the date range holds (whole-month counts come from the Parquet footers)."""
    where = _where(Filters(date_from=filters.date_from, date_to=filters.date_to))
    sql = f"SELECT count(*) FROM visits {where.sql()}"
    return (conn.execute(sql, where.params) if where.params else conn.execute(sql)).fetchone()[0]


def waiting_times(conn: Any, filters: Filters) -> Result:
    """Kiosk check-in duration (seconds) and wait from ticket to call (minutes), p50 and p90:
    exact up to QUANTILE_SAMPLE_ROWS matching visits, else on a sample. With the rollups: one
    ward's are exact from `ward_waits` (sorted by ward); otherwise on `wait_sample` (about 2 % of
    the visits) also when the date range holds more than RAW_SCAN_ROWS visits and at least
    MIN_SAMPLE_VALUES sampled visits match. Without them, on a repeatable block sample."""
    where = _where(filters)
    source: str | None = None
    sample: str | None = None
    if filters.ward is not None and store.has_rollup(conn, "ward_waits"):
        sample = _quantile_sample(conn, where, table="rollup_ward_waits")  # every visit
        source = "rollup_ward_waits" if not sample else None
    if source is None and store.has_rollup(conn, "wait_sample"):
        if _range_rows(conn, filters) > RAW_SCAN_ROWS:
            sql = f"SELECT count(*) FROM rollup_wait_sample {where.sql()}"
            sampled = (conn.execute(sql, where.params) if where.params
                       else conn.execute(sql)).fetchone()[0]
            if sampled >= MIN_SAMPLE_VALUES:
                source = "rollup_wait_sample"
        if source is None:
            sample = sample if sample is not None else _quantile_sample(conn, where)
            source = "rollup_wait_sample" if sample else None
    if source is None:
        sample = sample if sample is not None else _quantile_sample(conn, where)
        columns = ", ".join(_filter_columns(filters, "checkin_ms", "wait_minutes"))
        source = f"(SELECT {columns} FROM visits {sample})"
    return _run(conn, f"""
        SELECT facility_code,
               round(quantile_cont(checkin_ms, 0.5) / 1000.0, 2) AS checkin_p50_s,
               round(quantile_cont(checkin_ms, 0.9) / 1000.0, 2) AS checkin_p90_s,
               round(quantile_cont(wait_minutes, 0.5), 1) AS wait_p50_min,
               round(quantile_cont(wait_minutes, 0.9), 1) AS wait_p90_min
        FROM {source}
        {where.sql()}
        GROUP BY facility_code ORDER BY facility_code""", where.params)


def insured_share(conn: Any, filters: Filters) -> Result:
    """Share of visits whose BHYT coverage was verified valid, per facility."""
    rolled = _rolled(conn, filters, "visit_counts", "facility_code, insured")
    if rolled is not None:
        return _run(conn, f"""
            SELECT facility_code, visits, insured_visits,
                   round(insured_visits / visits, 4) AS insured_share
            FROM (SELECT facility_code, CAST(sum(n) AS BIGINT) AS visits,
                         CAST(coalesce(sum(n) FILTER (WHERE insured), 0) AS BIGINT)
                             AS insured_visits
                  FROM ({rolled[0]}) GROUP BY facility_code)
            ORDER BY facility_code""", rolled[1])
    where = _where(filters)
    return _run(conn, f"""
        SELECT facility_code, count(*) AS visits,
               count(*) FILTER (WHERE insured) AS insured_visits,
               round(count(*) FILTER (WHERE insured) / count(*), 4) AS insured_share
        FROM visits {where.sql()}
        GROUP BY facility_code ORDER BY facility_code""", where.params)


def population_coverage(conn: Any, filters: Filters) -> Result:
    """BHYT coverage of the seeded population per ward (date and facility do not apply)."""
    where = _where(filters, dates=False, facility=False)
    return _run(conn, f"""
        SELECT ward_code, sum(persons) AS persons, sum(insured_persons) AS insured_persons,
               round(sum(insured_persons) / nullif(sum(persons), 0), 4) AS coverage
        FROM population {where.sql()}
        GROUP BY ward_code ORDER BY ward_code""", where.params)


def top_diagnoses(conn: Any, filters: Filters) -> Result:
    """The most frequent main diagnoses (3-character ICD-10) per ward and age group."""
    rolled = _rolled(conn, filters, "diagnosis_counts" if filters.facility is None
                     else "facility_diagnosis_counts", "ward_code, age_group, icd3",
                     raw_extra="icd3 IS NOT NULL")
    if rolled is not None:
        return _run(conn, f"""
            SELECT ward_code, age_group, icd3, visits, rank FROM (
                SELECT ward_code, age_group, icd3, CAST(sum(n) AS BIGINT) AS visits,
                       row_number() OVER (PARTITION BY ward_code, age_group
                                          ORDER BY sum(n) DESC, icd3) AS rank
                FROM ({rolled[0]})
                GROUP BY ward_code, age_group, icd3)
            WHERE rank <= $top
            ORDER BY ward_code NULLS LAST, age_group, rank""",
                    {**rolled[1], "top": TOP_DIAGNOSES_PER_GROUP})
    where = _where(filters, extra="icd3 IS NOT NULL")
    where.params["top"] = TOP_DIAGNOSES_PER_GROUP
    return _run(conn, f"""
        SELECT ward_code, age_group, icd3, visits, rank FROM (
            SELECT ward_code, age_group, icd3, count(*) AS visits,
                   row_number() OVER (PARTITION BY ward_code, age_group
                                      ORDER BY count(*) DESC, icd3) AS rank
            FROM visits {where.sql()}
            GROUP BY ward_code, age_group, icd3)
        WHERE rank <= $top
        ORDER BY ward_code NULLS LAST, age_group, rank""", where.params)


def admissions_occupancy(conn: Any, filters: Filters) -> Result:
    """Admissions, discharges and occupied beds per day (midnight census: admitted on or before
    the day and not yet discharged on it), against the beds of the facility or of the city;
    without an end date, up to the last admission."""
    rolled = store.has_rollup(conn, "stays")
    where = _where(filters, dates=False, extra=None if rolled else "admitted")
    if filters.date_to is not None:
        where.add(f"{'admit_day' if rolled else 'visit_date'} <= $date_to",
                  date_to=filters.date_to)
    if rolled:  # admitted visits already counted per admission and discharge day
        stays, count = "SELECT admit_day, discharge_day, stays FROM rollup_stays", "sum(stays)"
    else:
        stays, count = ("SELECT visit_date AS admit_day, DATE '1970-01-01' + "
                        "CAST((epoch_us(discharged_at) + $offset) // $day AS INTEGER) "
                        "AS discharge_day FROM visits", "count(*)")
    beds = _Where()
    if filters.facility is not None:
        beds.add("facility_code = $facility", facility=filters.facility)
    params = {**where.params, **beds.params, "lo": filters.date_from, "hi": filters.date_to,
              **({} if rolled else {"offset": HANOI_OFFSET_US, "day": DAY_US})}
    return _run(conn, f"""
        WITH stays AS ({stays} {where.sql()}),
        moves AS (
            SELECT admit_day AS day, {count} AS admissions, 0 AS discharges
            FROM stays GROUP BY admit_day
            UNION ALL
            SELECT discharge_day, 0, {count} FROM stays
            WHERE discharge_day IS NOT NULL GROUP BY discharge_day),
        daily AS (
            SELECT day, sum(admissions) AS admissions, sum(discharges) AS discharges
            FROM moves GROUP BY day),
        span AS (
            SELECT min(day) AS first_day,
                   coalesce(CAST($hi AS DATE), max(day) FILTER (WHERE admissions > 0)) AS last_day
            FROM daily),
        days AS (
            SELECT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE)
                   AS day FROM span WHERE first_day IS NOT NULL),
        census AS (
            SELECT days.day, coalesce(daily.admissions, 0) AS admissions,
                   coalesce(daily.discharges, 0) AS discharges,
                   sum(coalesce(daily.admissions, 0) - coalesce(daily.discharges, 0))
                       OVER (ORDER BY days.day) AS occupied
            FROM days LEFT JOIN daily USING (day)),
        capacity AS (SELECT sum(beds) AS beds FROM beds {beds.sql()})
        SELECT day, CAST(admissions AS BIGINT) AS admissions,
               CAST(discharges AS BIGINT) AS discharges, CAST(occupied AS BIGINT) AS occupied,
               CAST(capacity.beds AS BIGINT) AS beds,
               round(occupied / nullif(capacity.beds, 0), 4) AS occupancy
        FROM census, capacity
        WHERE $lo IS NULL OR day >= CAST($lo AS DATE)
        ORDER BY day""", params)


def default_filters(conn: Any, *, days: int = DEFAULT_WINDOW_DAYS) -> Filters:
    """The dashboard's opening window: the last `days` days up to the newest visit (read from the
    Parquet statistics, no scan)."""
    newest = conn.execute("SELECT max(visit_date) FROM visits").fetchone()[0]
    if newest is None:
        return Filters()
    return Filters(date_from=newest - timedelta(days=days - 1), date_to=newest)


Query = Callable[[Any, Filters], Result]

DASHBOARD_QUERIES: dict[str, Query] = {
    "visits_per_day": visits_per_day,
    "visits_per_facility": visits_per_facility,
    "visits_per_ward": visits_per_ward,
    "waiting_times": waiting_times,
    "insured_share": insured_share,
    "population_coverage": population_coverage,
    "top_diagnoses": top_diagnoses,
    "admissions_occupancy": admissions_occupancy,
}

