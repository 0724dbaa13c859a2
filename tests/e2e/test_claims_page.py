"""A cashier checks, then sends, an XML 130 file on /claims in headless Chromium (screenshots)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.reception_fixtures import (
    ARTIFACTS,
    FACILITY,
    PASSWORD,
    Stack,
    platform_stack,
    signed_in_page,
)

pytestmark = pytest.mark.e2e


async def _seed() -> None:
    from smarthealth.core.db import get_database
    from smarthealth.core.models_index import import_all_models
    from smarthealth.registry import users
    from smarthealth.registry.models import Facility

    import_all_models()
    async with get_database().session() as s:
        s.add(Facility(code=FACILITY, name="Bệnh viện Đa khoa Thử nghiệm", care_level="basic",
                       tier="city", province_code="01", ward_code=70,
                       ward_name="Phường Hoàn Kiếm"))
        await s.flush()
        await users.add_user(s, username="cashier1", role="cashier", password=PASSWORD,
                             facility_code=FACILITY, full_name="Lê Thu Ngân")
    await get_database().dispose()


@pytest.fixture(scope="module")
def claims_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Platform and the BHXH simulator (gateway and hub) on free ports, own SQLite."""
    with platform_stack(tmp_path_factory.mktemp("claims-e2e"),
                        seed_module="tests.e2e.test_claims_page",
                        env={"SMARTHEALTH_CLAIMS_BHXH_BASE_URL": "{sim}",
                             "SMARTHEALTH_CLAIMS_HUB_BASE_URL": "{sim}",
                             "SMARTHEALTH_CLAIMS_HUB_AUTH_BASE_URL": "{sim}"}) as stack:
        yield stack


def _files(tmp_path: Path) -> tuple[Path, Path]:
    from smarthealth.claims.xmlfile import envelope_xml
    from tests.claims.conftest import sample_episode

    good, bad = tmp_path / "hoso-01001.xml", tmp_path / "hoso-loi.xml"
    good.write_bytes(envelope_xml(sample_episode(), created=date(2026, 11, 20)))
    bad.write_bytes(envelope_xml(sample_episode(T_TONGCHI_BV="1", GIOI_TINH="1",
                                                MA_BENH_CHINH="N70.0"),
                                 created=date(2026, 11, 20)))
    return good, bad


async def test_a_cashier_checks_and_sends_a_claim_file(browser, claims_stack, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    good, bad = _files(tmp_path)
    page = await signed_in_page(browser, claims_stack, "cashier1",
                                viewport={"width": 1400, "height": 900})
    await page.goto(f"{claims_stack.base_url}/claims")
    assert "Hồ sơ giám định BHYT" in await page.inner_text("h1")

    await page.set_input_files("input[name=file]", str(bad))
    await page.click("#check")
    await page.wait_for_selector("table.problems")
    assert "chưa được gửi" in await page.inner_text("#result")
    await page.screenshot(path=str(ARTIFACTS / "claims-1-problems.png"), full_page=True)

    await page.set_input_files("input[name=file]", str(good))
    await page.click("#send")
    await page.wait_for_selector("#transaction")
    code = await page.inner_text("#transaction")
    assert code.startswith(FACILITY)
    assert code in await page.inner_text("#submissions")
    await page.screenshot(path=str(ARTIFACTS / "claims-2-sent.png"), full_page=True)

    await page.goto(f"{claims_stack.base_url}/claims?lang=en")
    assert "Accepted" in await page.inner_text("#submissions")
    await page.screenshot(path=str(ARTIFACTS / "claims-3-log-en.png"), full_page=True)


if __name__ == "__main__" and sys.argv[1:] == ["seed"]:
    asyncio.run(_seed())
