"""Dashboard API and page: JSON and CSV per chart, filters, errors in both languages, roles."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from smarthealth.analytics import alarms, api, syndromes
from smarthealth.core.db import get_database
from tests.analytics.dashboard_fixtures import build_small
from tests.conftest import auth


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    return build_small(tmp_path_factory.mktemp("extract"))


@pytest.fixture(autouse=True)
def use_extract(extract, monkeypatch):  # noqa: ANN001
    monkeypatch.setattr(api, "_analytics_root", lambda: extract)


async def test_analyst_gets_a_chart_as_json_with_names(client, token_for, make_facility):
    await make_facility(code="01001", name="Bệnh viện Xanh Pôn")
    token = await token_for("department_analyst")
    response = await client.get("/api/analytics/visits_per_facility", headers=auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["columns"] == ["facility_code", "facility_name", "visits"]
    assert body["rows"] == [["01001", "Bệnh viện Xanh Pôn", 4], ["01002", None, 2]]


async def test_filters_reach_the_query(client, token_for):
    token = await token_for("admin")
    response = await client.get(
        "/api/analytics/visits_per_day?from=2026-03-02&to=2026-04-30&ward=70&sex=&age_group=",
        headers=auth(token))
    assert response.json()["rows"] == [["2026-03-02", 2]]
    assert response.json()["filters"]["ward"] == 70
    wards = await client.get("/api/analytics/visits_per_ward?sex=male&age_group=65%2B",
                             headers=auth(token))
    assert wards.json()["rows"] == [[70, "Phường Hoàn Kiếm", 1], [None, None, 1]]


async def test_csv_download_has_a_header_and_every_row(client, token_for):
    token = await token_for("department_analyst")
    response = await client.get("/api/analytics/admissions_occupancy?format=csv&facility=01001"
                                "&from=2026-03-02&to=2026-03-03", headers=auth(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="admissions_occupancy.csv"' in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["day", "admissions", "discharges", "occupied", "beds", "occupancy"],
        ["2026-03-02", "1", "0", "2", "30", "0.0667"], ["2026-03-03", "0", "2", "0", "30", "0.0"]]


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01", "from"), ("from=2026-04-01&to=2026-03-01", "from"),
    ("facility=12", "facility"), ("ward=abc", "ward"), ("age_group=3-7", "age_group"),
    ("sex=x", "sex"), ("format=xml", "format")])
async def test_bad_filters_are_a_structured_422_in_both_languages(client, token_for, query,
                                                                  field):
    token = await token_for("department_analyst")
    response = await client.get(f"/api/analytics/visits_per_day?{query}", headers=auth(token))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_filter" and error["details"]["field"] == field
    assert error["message_vi"].startswith("Bộ lọc") and error["message_en"].startswith("Invalid")


async def test_unknown_chart_is_404(client, token_for):
    token = await token_for("department_analyst")
    response = await client.get("/api/analytics/nothing_here", headers=auth(token))
    assert response.status_code == 404
    assert "visits_per_day" in response.json()["error"]["details"]["charts"]


async def test_facility_admin_sees_only_their_facility(client, token_for, make_facility):
    await make_facility(code="01002", name="Trạm Y tế")
    token = await token_for("facility_admin", "01002")
    own = await client.get("/api/analytics/visits_per_facility", headers=auth(token))
    assert own.json()["rows"] == [["01002", "Trạm Y tế", 2]]
    assert own.json()["filters"]["facility"] == "01002"
    other = await client.get("/api/analytics/visits_per_day?facility=01001", headers=auth(token))
    assert other.status_code == 403
    alarm_list = await client.get("/api/analytics/alarms", headers=auth(token))
    assert alarm_list.status_code == 403


async def test_clinical_staff_cannot_read_the_dashboard(client, token_for, make_facility):
    await make_facility(code="01001")
    token = await token_for("doctor", "01001")
    assert (await client.get("/api/analytics/visits_per_day",
                             headers=auth(token))).status_code == 403
    assert (await client.get("/dashboard", headers=auth(token))).status_code == 403


async def _store_alarm(ward: int = 70) -> None:
    async with get_database().session() as s:
        await alarms.store_alarms(s, syndromes=syndromes.load(), alarms=[alarms.Alarm(
            ward_code=ward, syndrome="dengue", frequency=52, period_start=date(2026, 3, 30),
            method="farrington_flexible", observed=25, expected=2.4, threshold=7.0)])


async def test_alarms_api_lists_stored_alarms_with_names_and_filters(client, token_for):
    await _store_alarm(70)
    await _store_alarm(4)
    token = await token_for("department_analyst")
    response = await client.get("/api/analytics/alarms?ward=70&lang=vi", headers=auth(token))
    body = response.json()
    assert response.status_code == 200
    assert len(body["rows"]) == 1
    row = dict(zip(body["columns"], body["rows"][0], strict=True))
    assert (row["period_start"], row["ward_name"], row["syndrome_name"], row["observed"],
            row["expected"], row["threshold"], row["method"]) == (
        "2026-03-30", "Phường Hoàn Kiếm", "Sốt xuất huyết Dengue", 25, 2.4, 7.0,
        "farrington_flexible")
    bad = await client.get("/api/analytics/alarms?method=magic", headers=auth(token))
    assert bad.status_code == 422
    listed = await client.get("/api/analytics/alarms?format=csv", headers=auth(token))
    assert listed.text.count("dengue") == 2


async def test_dashboard_page_in_vietnamese_and_english_shows_the_alarm(client, token_for):
    await _store_alarm(70)
    token = await token_for("department_analyst")
    vi = await client.get("/dashboard?ward=70", headers=auth(token))
    assert vi.status_code == 200
    assert "Bảng điều hành Sở Y tế" in vi.text and "Cảnh báo dịch" in vi.text
    assert "Sốt xuất huyết Dengue" in vi.text and "Phường Hoàn Kiếm" in vi.text
    assert "/dashboard/plotly.min.js" in vi.text and "cdn" not in vi.text.lower()
    en = await client.get("/dashboard?lang=en&ward=4", headers=auth(token))
    assert "Health department dashboard" in en.text
    assert "No outbreak alarm for these filters." in en.text
    bad = await client.get("/dashboard?lang=en&from=yesterday", headers=auth(token))
    assert bad.status_code == 200 and "Invalid filter from" in bad.text


async def test_dashboard_alarm_panel_filters_by_syndrome_and_method_and_counts(client,
                                                                               token_for):
    for ward in (70, 4, 8):
        await _store_alarm(ward)
    token = await token_for("department_analyst")
    page = await client.get("/dashboard?lang=en&syndrome=dengue&method=farrington_flexible",
                            headers=auth(token))
    assert page.text.count('class="observed"') == 3
    assert '<strong id="kpi-alarms">3</strong>' in page.text
    none = await client.get("/dashboard?lang=en&syndrome=measles", headers=auth(token))
    assert "No outbreak alarm for these filters." in none.text
    assert '<strong id="kpi-alarms">0</strong>' in none.text
    assert await _count(ward=4) == 1 and await _count() == 3


async def _count(**filters) -> int:
    async with get_database().session() as s:
        return await alarms.count_alarms(s, **filters)


async def test_plotly_is_served_from_the_installed_package(client, token_for):
    token = await token_for("department_analyst")
    response = await client.get("/dashboard/plotly.min.js", headers=auth(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert b"plotly.js" in response.content[:2000]


async def test_facility_admin_page_is_locked_to_their_facility_without_alarms(client, token_for,
                                                                              make_facility):
    await make_facility(code="01002", name="Trạm Y tế Phường Ba Đình")
    await _store_alarm(70)
    token = await token_for("facility_admin", "01002")
    page = await client.get("/dashboard?lang=en", headers=auth(token))
    assert page.status_code == 200
    assert "Your facility only." in page.text
    assert '<select name="facility" disabled>' in page.text
    assert 'id="alarms"' not in page.text
    assert "facility=01002" in page.text  # the charts' API and CSV links carry the facility


async def test_the_page_opens_on_the_last_year_of_data_and_an_emptied_date_means_all(
        client, token_for):
    token = await token_for("department_analyst")
    page = await client.get("/dashboard", headers=auth(token))
    assert 'name="from" value="2025-04-02"' in page.text
    assert 'name="to" value="2026-04-01"' in page.text
    assert "visits_per_day?format=csv&amp;from=2025-04-02&amp;to=2026-04-01" in page.text
    everything = await client.get("/dashboard?from=&to=", headers=auth(token))
    assert 'name="from" value=""' in everything.text


async def test_ward_surveillance_gives_weekly_counts_and_the_ward_alarms(client, token_for,
                                                                         make_facility):
    await make_facility(code="01002")
    await _store_alarm(70)
    token = await token_for("department_analyst")
    response = await client.get("/api/analytics/surveillance/70?lang=vi", headers=auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["ward_name"] == "Phường Hoàn Kiếm"
    assert body["weeks"][:2] == ["2026-02-23", "2026-03-02"]
    assert body["counts"] == {"dengue": [0, 1, 0, 0, 0, 0], "ili": [0, 1, 0, 0, 0, 0],
                              "diarrhoea": [0, 1, 0, 0, 0, 0]}
    assert body["names"]["dengue"] == "Sốt xuất huyết Dengue"
    assert body["alarms"] == [{"period_start": "2026-03-30", "syndrome": "dengue",
                               "method": "farrington_flexible", "observed": 25,
                               "expected": 2.4, "threshold": 7.0}]
    assert (await client.get("/api/analytics/surveillance/123456",
                             headers=auth(token))).status_code == 404
    admin = await token_for("facility_admin", "01002")
    assert (await client.get("/api/analytics/surveillance/70",
                             headers=auth(admin))).status_code == 403


async def test_a_fresh_install_without_an_extract_still_serves_the_page_and_charts(
        client, token_for, monkeypatch, tmp_path):
    monkeypatch.setattr(api, "_analytics_root", lambda: tmp_path)
    token = await token_for("department_analyst")
    assert (await client.get("/dashboard", headers=auth(token))).status_code == 200
    chart = await client.get("/api/analytics/top_diagnoses", headers=auth(token))
    assert chart.status_code == 200 and chart.json()["rows"] == []
    ward = await client.get("/api/analytics/surveillance/70", headers=auth(token))
    assert ward.json()["weeks"] == [] and ward.json()["counts"] == {}
