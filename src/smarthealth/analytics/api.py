"""Dashboard data as JSON or CSV, one route per chart, and the surveillance alarms.

The department's analysts and admins see the whole city; a facility_admin sees only their own
facility (the facility filter is forced to it).
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.analytics import alarms as alarm_service
from smarthealth.analytics import schema, store, syndromes
from smarthealth.analytics.queries import AGE_GROUPS, DASHBOARD_QUERIES, SEXES, Filters, Result
from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import db_session
from smarthealth.core.errors import InvalidInput, NotFound
from smarthealth.registry import lookups
from smarthealth.synth import hanoi

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

DASHBOARD_ROLES = (Role.department_analyst, Role.admin, Role.facility_admin)
CITY_ROLES = (Role.department_analyst, Role.admin)
Viewer = Annotated[Principal, Depends(allow(*DASHBOARD_ROLES))]
CityViewer = Annotated[Principal, Depends(allow(*CITY_ROLES))]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
METHODS = ("ears_c1", "ears_c2", "ears_c3", "farrington", "farrington_flexible")
MAX_ALARMS = 2000


class InvalidFilter(InvalidInput):
    code = "invalid_filter"


# --- the extract: one DuckDB connection per process and root, a cursor per request ---------

_lock = threading.Lock()
_connections: dict[tuple[str, tuple[str, ...]], Any] = {}


def _analytics_root() -> Path:
    from smarthealth.analytics.config import get_analytics_settings

    return get_analytics_settings().root()


def open_extract(root: Path | None = None) -> Any:
    """A DuckDB connection with the extract's views."""
    return store.connect(root or _analytics_root())


def extract_cursor() -> Any:
    """A cursor on the cached connection, rebuilt when a dataset gets its first files."""
    root = _analytics_root()
    key = (str(root), tuple(t for t in schema.TABLES if store.has_files(root, t)))
    with _lock:
        conn = _connections.get(key)
        if conn is None:
            _connections.clear()
            conn = _connections[key] = open_extract(root)
        return conn.cursor()


# --- filters -----------------------------------------------------------------------------

def _bad(field: str, en: str, vi: str, value: Any) -> InvalidFilter:
    return InvalidFilter(f"Invalid filter {field}: {en}", f"Bộ lọc {field} không hợp lệ: {vi}",
                         details={"field": field, "value": value})


def _date(params: Any, field: str) -> date | None:
    value = (params.get(field) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _bad(field, "use a date as YYYY-MM-DD.", "ngày phải có dạng YYYY-MM-DD.",
                   value) from exc


def parse_filters(params: Any, principal: Principal) -> Filters:
    """Filters from query parameters; a facility-bound principal gets their facility forced."""
    date_from, date_to = _date(params, "from"), _date(params, "to")
    if date_from and date_to and date_from > date_to:
        raise _bad("from", "the start is after the end.", "ngày bắt đầu sau ngày kết thúc.",
                   params.get("from"))
    facility = (params.get("facility") or "").strip() or None
    if facility is not None and not (len(facility) == 5 and facility.isdigit()):
        raise _bad("facility", "a facility code has 5 digits.", "mã cơ sở gồm 5 chữ số.",
                   facility)
    if facility is not None:
        principal.require_facility(facility)
    facility = principal.facility_scope() or facility
    ward_text = (params.get("ward") or "").strip()
    if ward_text and not ward_text.isdigit():
        raise _bad("ward", "a ward code is a number.", "mã phường/xã là một số.", ward_text)
    age_group = (params.get("age_group") or "").strip() or None
    if age_group is not None and age_group not in AGE_GROUPS:
        raise _bad("age_group", f"use one of {', '.join(AGE_GROUPS)}.",
                   f"chọn một trong {', '.join(AGE_GROUPS)}.", age_group)
    sex = (params.get("sex") or "").strip() or None
    if sex is not None and sex not in SEXES:
        raise _bad("sex", "use male or female.", "chọn male hoặc female.", sex)
    return Filters(date_from=date_from, date_to=date_to, facility=facility,
                   ward=int(ward_text) if ward_text else None, age_group=age_group, sex=sex)


def filters_dict(filters: Filters) -> dict[str, Any]:
    return {"from": filters.date_from, "to": filters.date_to, "facility": filters.facility,
            "ward": filters.ward, "age_group": filters.age_group, "sex": filters.sex}


# --- charts ------------------------------------------------------------------------------

def ward_name(code: int | None) -> str | None:
    ward = hanoi.ward_by_code().get(code) if code is not None else None
    return ward.name if ward else None


async def with_names(session: AsyncSession, result: Result) -> Result:
    """The result with a name column after each facility_code and ward_code column."""
    columns, rows = list(result.columns), [list(r) for r in result.rows]
    for code_column, name_column in (("facility_code", "facility_name"),
                                     ("ward_code", "ward_name")):
        if code_column not in columns or name_column in columns:
            continue
        at = columns.index(code_column)
        codes = [r[at] for r in rows]
        if code_column == "facility_code":
            names = await lookups.facility_names(session, codes=codes)
            labels = [names.get(c) for c in codes]
        else:
            labels = [ward_name(c) for c in codes]
        columns.insert(at + 1, name_column)
        for row, label in zip(rows, labels, strict=True):
            row.insert(at + 1, label)
    return Result(columns=columns, rows=[tuple(r) for r in rows])


async def chart_data(session: AsyncSession, *, chart: str, filters: Filters) -> Result:
    """One chart's rows from the extract, with facility and ward names."""
    query = DASHBOARD_QUERIES.get(chart)
    if query is None:
        raise NotFound(f"No chart named {chart!r}.", f"Không có biểu đồ tên {chart!r}.",
                       details={"charts": sorted(DASHBOARD_QUERIES)})
    result = await run_in_threadpool(lambda: query(extract_cursor(), filters))
    return await with_names(session, result)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def csv_response(result: Result, filename: str) -> Response:
    """UTF-8 CSV with a byte-order mark (spreadsheets then read Vietnamese correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(result.columns)
    writer.writerows([[_plain(v) for v in row] for row in result.rows])
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise _bad("format", "use json or csv.", "chọn json hoặc csv.", fmt)
    return fmt == "csv"


# --- alarms ------------------------------------------------------------------------------

def alarm_rows(stored: list[Any], lang: str = "en") -> Result:
    """Stored alarms as a table with ward and syndrome names."""
    definitions = syndromes.load().syndromes
    columns = ["period_start", "ward_code", "ward_name", "syndrome", "syndrome_name",
               "frequency", "method", "observed", "expected", "threshold", "created_at"]
    rows = []
    for a in stored:
        known = definitions.get(a.syndrome)
        rows.append((a.period_start, a.ward_code, ward_name(a.ward_code), a.syndrome,
                     known.name(lang) if known else a.syndrome, a.frequency, a.method,
                     a.observed, a.expected, a.threshold, a.created_at.isoformat()))
    return Result(columns=columns, rows=rows)


def alarm_choice(params: Any) -> tuple[str | None, str | None]:
    """The syndrome and method filters of the alarm list."""
    syndrome = (params.get("syndrome") or "").strip() or None
    if syndrome is not None and syndrome not in syndromes.load().syndromes:
        raise _bad("syndrome", "unknown syndrome.", "hội chứng không có trong cấu hình.",
                   syndrome)
    method = (params.get("method") or "").strip() or None
    if method is not None and method not in METHODS:
        raise _bad("method", f"use one of {', '.join(METHODS)}.",
                   f"chọn một trong {', '.join(METHODS)}.", method)
    return syndrome, method


async def find_alarms(session: AsyncSession, params: Any) -> list[Any]:
    """Stored alarms matching the query parameters from, to, ward, syndrome, method."""
    date_from, date_to = _date(params, "from"), _date(params, "to")
    ward_text = (params.get("ward") or "").strip()
    if ward_text and not ward_text.isdigit():
        raise _bad("ward", "a ward code is a number.", "mã phường/xã là một số.", ward_text)
    syndrome, method = alarm_choice(params)
    return await alarm_service.list_alarms(
        session, date_from=date_from, date_to=date_to, ward=int(ward_text) if ward_text else None,
        syndrome=syndrome, method=method, limit=MAX_ALARMS)


def ward_weeks(ward: int, *, date_from: date | None, date_to: date | None) -> dict[str, Any]:
    """Weekly counts of every syndrome in one ward (from the extract)."""
    from smarthealth.analytics.counts import count_matrix

    series = count_matrix(extract_cursor(), syndromes=syndromes.load(), frequency=52,
                          start=date_from, end=date_to, wards=[ward], only_ward=ward)
    return {"weeks": [d.isoformat() for d in series.period_starts],
            "counts": {syndrome: series.counts[i].astype(int).tolist()
                       for i, (_, syndrome) in enumerate(series.keys)
                       if series.counts[i].any()}}


@router.get("/surveillance/{ward}")
async def get_ward_surveillance(ward: int, request: Request, principal: CityViewer,
                                session: Session) -> Response:
    """One ward's weekly counts per syndrome and its stored weekly alarms (?from=&to=)."""
    date_from, date_to = _date(request.query_params, "from"), _date(request.query_params, "to")
    if hanoi.ward_by_code().get(ward) is None:
        raise NotFound("No such ward.", "Không có xã/phường này.", details={"ward": ward})
    weeks = await run_in_threadpool(ward_weeks, ward, date_from=date_from, date_to=date_to)
    lang = "vi" if request.query_params.get("lang") == "vi" else "en"
    stored = await alarm_service.list_alarms(session, ward=ward, date_from=date_from,
                                             date_to=date_to, limit=MAX_ALARMS)
    definitions = syndromes.load().syndromes
    return JSONResponse({
        "ward_code": ward, "ward_name": ward_name(ward), **weeks,
        "names": {key: s.name(lang) for key, s in definitions.items()},
        "alarms": [{"period_start": a.period_start.isoformat(), "syndrome": a.syndrome,
                    "method": a.method, "observed": a.observed, "expected": a.expected,
                    "threshold": a.threshold} for a in stored if a.frequency == 52]})


@router.get("/alarms")
async def get_alarms(request: Request, principal: CityViewer, session: Session) -> Response:
    """Outbreak alarms by ward, syndrome and period (JSON, or CSV with ?format=csv)."""
    lang = request.query_params.get("lang", "en")
    result = alarm_rows(await find_alarms(session, request.query_params),
                        "vi" if lang == "vi" else "en")
    if _wants_csv(request):
        return csv_response(result, "surveillance_alarms.csv")
    return JSONResponse({"chart": "alarms", "columns": result.columns,
                         "rows": [[_plain(v) for v in r] for r in result.rows]})


@router.get("/{chart}")
async def get_chart(chart: str, request: Request, principal: Viewer,
                    session: Session) -> Response:
    """One dashboard chart's data: ?from=&to=&facility=&ward=&age_group=&sex=&format=json|csv."""
    filters = parse_filters(request.query_params, principal)
    as_csv = _wants_csv(request)
    result = await chart_data(session, chart=chart, filters=filters)
    if as_csv:
        return csv_response(result, f"{chart}.csv")
    return JSONResponse({"chart": chart, "filters": {k: _plain(v) for k, v in
                                                     filters_dict(filters).items()},
                         "columns": result.columns,
                         "rows": [[_plain(v) for v in r] for r in result.rows]})
