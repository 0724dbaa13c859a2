"""The department's dashboard page: filters, one panel per chart (chart, table, CSV) drawn with
plotly.js served from the installed `plotly` package (no CDN), and the outbreak alarms."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.analytics import alarms as alarm_service
from smarthealth.analytics import api, syndromes
from smarthealth.analytics.queries import AGE_GROUPS, Filters, default_filters
from smarthealth.core import i18n
from smarthealth.core.auth import Principal, allow
from smarthealth.core.deps import db_session
from smarthealth.core.errors import DomainError
from smarthealth.registry import service as registry
from smarthealth.synth import hanoi
from smarthealth.web.render import render, request_language

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(allow(*api.DASHBOARD_ROLES))]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
RECENT_ALARMS = 50

# One panel per chart: title, what it shows, and how dashboard.js draws it.
CHARTS: list[dict[str, Any]] = [
    {"name": "visits_per_day", "title": "Visits per day", "kind": "line", "x": "day",
     "y": ["visits"], "note": "All visits by Hanoi calendar day."},
    {"name": "visits_per_facility", "title": "Visits per facility", "kind": "hbar",
     "label": "facility_name", "code": "facility_code", "y": ["visits"], "limit": 20,
     "note": "The busiest facilities."},
    {"name": "visits_per_ward", "title": "Visits per ward of residence", "kind": "hbar",
     "label": "ward_name", "code": "ward_code", "y": ["visits"], "limit": 20,
     "note": "The wards with the most visits."},
    {"name": "waiting_times", "title": "Check-in and waiting times", "kind": "hbar",
     "label": "facility_name", "code": "facility_code", "y": ["wait_p50_min", "wait_p90_min"],
     "limit": 20, "sort": "wait_p90_min",
     "note": "Minutes from ticket to call, longest p90 first; kiosk check-in seconds in the "
             "table."},
    {"name": "insured_share", "title": "Visits with verified insurance", "kind": "hbar",
     "label": "facility_name", "code": "facility_code", "y": ["insured_share"], "percent": True,
     "limit": 20, "sort": "insured_share", "ascending": True,
     "note": "Share of visits whose BHYT card was verified valid, lowest first."},
    {"name": "population_coverage", "title": "Insurance coverage of the population",
     "kind": "hbar", "label": "ward_name", "code": "ward_code", "y": ["coverage"],
     "percent": True, "limit": 20, "sort": "coverage", "ascending": True,
     "note": "Insured residents per ward (seeded population), lowest first."},
    {"name": "top_diagnoses", "title": "Top diagnoses by ward and age group", "kind": "stack",
     "label": "icd3", "stack": "age_group", "y": ["visits"], "limit": 10,
     "note": "Main diagnoses (ICD-10, 3 characters), the five most frequent per ward and age "
             "group."},
    {"name": "admissions_occupancy", "title": "Admissions and bed occupancy", "kind": "combo",
     "x": "day", "y": ["admissions", "occupied"],
     "note": "Admissions per day and occupied beds at midnight."},
]
COLUMN_LABELS = {
    "day": "Day", "visits": "Visits", "facility_code": "Facility code",
    "facility_name": "Facility", "ward_code": "Ward code", "ward_name": "Ward",
    "checkin_p50_s": "Check-in p50 (s)", "checkin_p90_s": "Check-in p90 (s)",
    "wait_p50_min": "Wait p50 (min)", "wait_p90_min": "Wait p90 (min)",
    "insured_visits": "Insured visits", "insured_share": "Insured share",
    "persons": "Residents", "insured_persons": "Insured residents", "coverage": "Coverage",
    "age_group": "Age group", "icd3": "ICD-10", "rank": "Rank", "admissions": "Admissions",
    "discharges": "Discharges", "occupied": "Occupied beds", "beds": "Beds",
    "occupancy": "Occupancy",
}
METHOD_LABELS = {
    "ears_c1": "EARS C1", "ears_c2": "EARS C2", "ears_c3": "EARS C3",
    "farrington": "Farrington (1996)", "farrington_flexible": "Farrington (Noufaily 2013)",
}
SEX_LABELS = {"male": "Male", "female": "Female"}
SCRIPT_TEXTS = ("Chart", "Table", "No data for these filters.", "Loading…",
                "Could not load the data.", "Showing %(shown)s of %(total)s rows; download the "
                "CSV for all of them.", "Unknown ward", "7-day average")


@cache
def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


@router.get("/dashboard/plotly.min.js")
async def plotly_js(principal: Viewer) -> Response:
    """plotly.js from the installed Python package (the dashboard works offline)."""
    return FileResponse(_plotly_js(), media_type="text/javascript",
                        headers={"Cache-Control": "private, max-age=86400"})


def _wards() -> list[tuple[int, str]]:
    return sorted(((w.code, w.name) for w in hanoi.wards()),
                  key=lambda w: ward_sort_key(w[1]))


def ward_sort_key(name: str) -> str:
    """Sort key of a ward name without its Phường/Xã prefix and diacritics."""
    bare = name.split(" ", 1)[1] if name.startswith(("Phường ", "Xã ")) else name
    return unicodedata.normalize("NFD", bare.replace("Đ", "D").replace("đ", "d")) \
        .encode("ascii", "ignore").decode().lower()


def _count_text(value: int, lang: str) -> str:
    """1.234 in Vietnamese, 1,234 in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def _filter_values(filters: Filters) -> dict[str, Any]:
    return {k: v for k, v in api.filters_dict(filters).items() if v is not None}


def _query_string(filters: Filters) -> str:
    return urlencode(_filter_values(filters))


async def _alarms(session: AsyncSession, filters: Filters, lang: str, syndrome: str | None,
                  method: str | None) -> tuple[list[dict[str, Any]], int]:
    """Alarms for the panel: within the dates and ward of the filters (newest first), and how
    many match in all."""
    window = {"date_from": filters.date_from - timedelta(days=6) if filters.date_from else None,
              "date_to": filters.date_to, "ward": filters.ward, "syndrome": syndrome,
              "method": method}
    stored = await alarm_service.list_alarms(session, **window, limit=RECENT_ALARMS)
    total = await alarm_service.count_alarms(session, **window)
    definitions = syndromes.load().syndromes
    rows = []
    for a in stored:
        known = definitions.get(a.syndrome)
        days = 6 if a.frequency == 52 else 0
        rows.append({"period_start": a.period_start,
                     "period_end": a.period_start + timedelta(days=days),
                     "weekly": a.frequency == 52, "ward_code": a.ward_code,
                     "ward_name": api.ward_name(a.ward_code) or str(a.ward_code),
                     "syndrome": known.name(lang) if known else a.syndrome,
                     "method": METHOD_LABELS.get(a.method, a.method), "observed": a.observed,
                     "expected": a.expected, "threshold": a.threshold})
    return rows, total


@router.get("/dashboard")
async def dashboard(request: Request, principal: Viewer, session: Session) -> Response:
    """The dashboard: filters, charts with tables and CSV, and the outbreak alarms."""
    lang = request_language(request)
    error = None
    syndrome = method = None
    try:
        filters = api.parse_filters(request.query_params, principal)
        syndrome, method = api.alarm_choice(request.query_params)
        if "from" not in request.query_params and "to" not in request.query_params:
            window = await run_in_threadpool(lambda: default_filters(api.extract_cursor()))
            filters = replace(filters, date_from=window.date_from, date_to=window.date_to)
    except DomainError as exc:
        error = exc.message_vi if lang == "vi" else exc.message_en
        filters = Filters(facility=principal.facility_scope())
    facilities = (await registry.list_facilities(session, active=True, page_size=1000)).items
    if principal.facility_scope():
        facilities = [f for f in facilities if f.code == principal.facility_code]
    alarms, alarm_total = ([], 0)
    if principal.city_wide:
        alarms, alarm_total = await _alarms(session, filters, lang, syndrome, method)
    gettext = i18n.translations(lang).gettext
    return render(request, "analytics/dashboard.html", {
        "filters": filters, "error": error, "charts": CHARTS, "query": _query_string(filters),
        "filters_query": _filter_values(filters),
        "facilities": facilities, "wards": _wards(), "age_groups": AGE_GROUPS,
        "sexes": SEX_LABELS, "city_wide": principal.city_wide, "alarms": alarms,
        "alarm_total": alarm_total, "alarm_total_text": _count_text(alarm_total, lang),
        "alarm_syndrome": syndrome, "alarm_method": method,
        "syndromes": [(s.key, s.name(lang)) for s in syndromes.load().syndromes.values()],
        "methods": METHOD_LABELS,
        "column_labels": {k: gettext(v) for k, v in COLUMN_LABELS.items()},
        "script_texts": {t: gettext(t) for t in SCRIPT_TEXTS},
    })
