"""The health department's analyst opens the dashboard, filters to the ward of an injected
outbreak and sees its alarm (headless Chromium; synthetic history with known truth)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.reception_fixtures import ARTIFACTS, ROOT, Stack, _spawn, _wait_http, free_port

pytestmark = pytest.mark.e2e
ANALYST, PASSWORD = "soyte", "smarthealth-demo"  # the seed's demo department_analyst
METHOD = "ears_c2"  # fast on two years; farrington_flexible needs five years of history
SYNDROME_VI = {"dengue": "Sốt xuất huyết Dengue", "hfmd": "Tay chân miệng",
               "ili": "Hội chứng cúm", "measles": "Sởi", "diarrhoea": "Tiêu chảy"}


@pytest.fixture(scope="module")
def dashboard_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Seeded platform (facilities, demo accounts), two years of synthetic history with
    injected outbreaks in its analytics directory, the surveillance run, and the server."""
    var = tmp_path_factory.mktemp("dashboard-e2e")
    extract = var / "analytics"
    port = free_port()
    env = {**os.environ, "SMARTHEALTH_VAR_DIR": str(var),
           "SMARTHEALTH_DATABASE_URL": f"sqlite+aiosqlite:///{var / 'e2e.db'}",
           "SMARTHEALTH_DATABASE_SCHEMA": "", "SMARTHEALTH_COOKIE_SECURE": "false",
           "SMARTHEALTH_ANALYTICS_DIR": str(extract)}
    cli = [str(Path(sys.executable).parent / "smarthealth")]

    def step(*args: str) -> None:
        done = subprocess.run([*cli, *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{args}: {done.stderr[-2000:]}"

    step("migrate")
    step("seed", "--people", "0", "--no-history")
    step("synth", "history", "--years", "2", "--visits-per-day", "1500", "--seed", "7",
         "--start", "2024-11-01", "--outbreaks", "4", "--jobs", "1", "--out", str(extract))
    step("surveillance", "run", "--method", METHOD, "--weeks", "120")
    server = _spawn([*cli, "serve", "--port", str(port), "--no-access-log"], env,
                    var / "server.log")
    try:
        _wait_http(f"http://127.0.0.1:{port}/health", server)
        yield Stack(f"http://127.0.0.1:{port}", "", env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _biggest_outbreak(stack: Stack) -> dict[str, str]:
    truth = Path(stack.env["SMARTHEALTH_ANALYTICS_DIR"]) / "truth.csv"
    with truth.open(encoding="utf-8") as f:
        return max(csv.DictReader(f), key=lambda row: int(row["extra_cases"]))


async def _sign_in(browser, stack: Stack, username: str = ANALYST):  # noqa: ANN001, ANN202
    context = await browser.new_context(viewport={"width": 1440, "height": 1000},
                                        locale="vi-VN")
    page = await context.new_page()
    await page.goto(f"{stack.base_url}/login?lang=vi&next=/dashboard")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return page


async def _charts_drawn(page) -> None:  # noqa: ANN001
    await page.wait_for_selector("#dashboard[data-ready=true]", timeout=60_000)
    assert await page.locator(".chart-panel[data-loaded=error]").count() == 0


async def test_analyst_filters_to_the_outbreak_ward_and_sees_its_alarm(dashboard_stack,
                                                                       browser):
    outbreak = _biggest_outbreak(dashboard_stack)
    ward, syndrome = outbreak["ward_code"], outbreak["syndrome"]
    first_week = date.fromisoformat(outbreak["first_week"])
    last_week = date.fromisoformat(outbreak["last_week"])
    page = await _sign_in(browser, dashboard_stack)
    if not page.url.endswith("/dashboard"):
        await page.goto(f"{dashboard_stack.base_url}/dashboard")
    await _charts_drawn(page)
    assert await page.inner_text("h1") == "Bảng điều hành Sở Y tế"
    assert await page.locator(".chart-panel .plot .main-svg").count() >= 8
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "dashboard-city-vi.png", full_page=True)

    await page.select_option("select[name=ward]", ward)
    await page.fill("input[name=from]", (first_week - timedelta(weeks=4)).isoformat())
    await page.fill("input[name=to]", (last_week + timedelta(weeks=4)).isoformat())
    await page.click("form.dash-filters button[type=submit]")
    await page.wait_for_url(f"**ward={ward}**")
    await _charts_drawn(page)
    alarms = page.locator("#alarms table tbody tr")
    rows = [await alarms.nth(i).inner_text() for i in range(await alarms.count())]
    weeks = {(first_week + timedelta(weeks=n)).strftime("%d/%m – ")
             + (first_week + timedelta(weeks=n, days=6)).strftime("%d/%m/%Y")
             for n in range((last_week - first_week).days // 7 + 1)}
    hits = [r for r in rows if SYNDROME_VI[syndrome] in r and any(w in r for w in weeks)]
    assert hits, f"no {syndrome} alarm in weeks {sorted(weeks)} of ward {ward}: {rows}"
    assert outbreak["ward_name"] in await page.inner_text("#alarms")
    assert await page.get_attribute("#ward-chart", "data-loaded") == "true"
    assert await page.locator("#ward-chart .main-svg").count() >= 1
    await page.locator("#alarms").scroll_into_view_if_needed()
    await page.screenshot(path=ARTIFACTS / "dashboard-outbreak-ward-vi.png", full_page=True)

    panel = page.locator("#panel-visits_per_day")
    await panel.locator("button.view-table").click()
    assert await panel.locator(".table-area table tbody tr").count() > 0
    assert await panel.locator(".chart-area").is_hidden()
    csv_link = await panel.locator("a.csv").get_attribute("href")
    assert f"ward={ward}" in csv_link and "format=csv" in csv_link
    await panel.screenshot(path=ARTIFACTS / "dashboard-table-vi.png")

    await page.click("text=English")
    await page.wait_for_url("**lang=en**")
    await _charts_drawn(page)
    assert await page.inner_text("h1") == "Health department dashboard"
    assert "Outbreak alarms" in await page.inner_text("#alarms")
    await page.screenshot(path=ARTIFACTS / "dashboard-outbreak-ward-en.png", full_page=True)
    await page.context.close()


async def test_facility_admin_sees_only_their_hospital(dashboard_stack, browser):
    page = await _sign_in(browser, dashboard_stack, "bv_admin")  # the demo hospital, 01013
    await page.goto(f"{dashboard_stack.base_url}/dashboard?lang=en")
    await _charts_drawn(page)
    assert await page.locator("#alarms").count() == 0
    assert await page.locator("select[name=facility]").is_disabled()
    facilities = page.locator("#panel-visits_per_facility")
    await facilities.locator("button.view-table").click()
    rows = facilities.locator(".table-area tbody tr")
    assert await rows.count() == 1 and "01013" in await rows.first.inner_text()
    await page.screenshot(path=ARTIFACTS / "dashboard-facility-admin-en.png", full_page=True)
    await page.context.close()
