"""The /claims page: upload, see problems or send, and the log with transaction codes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from smarthealth.claims import pages
from smarthealth.core.auth import Role
from tests.claims.conftest import FACILITY
from tests.claims.submission_fixtures import (  # noqa: F401 - fixtures
    _claims_settings,
    _claims_sim,
    _claims_sim_server,
    envelope,
)
from tests.conftest import auth


@pytest.fixture(scope="module")
def page_app():  # noqa: ANN201
    """The app with the claims pages (included here until app.py includes the router)."""
    from smarthealth.app import create_app

    app = create_app()
    if not any(getattr(r, "path", None) == "/claims" for r in app.routes):
        app.include_router(pages.router)
    return app


@pytest.fixture
async def web(page_app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=page_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _upload(data: bytes, action: str) -> dict:
    return {"files": {"file": ("hs.xml", data, "application/xml")},
            "data": {"target": "bhxh", "action": action}}


async def test_the_page_is_vietnamese_and_english(web, make_facility, token_for):
    await make_facility(code=FACILITY)
    headers = auth(await token_for("cashier", FACILITY))
    vi = await web.get("/claims", headers=headers)
    assert vi.status_code == 200
    assert "Hồ sơ giám định BHYT (XML 130)" in vi.text and "Chưa có lần gửi nào." in vi.text
    en = await web.get("/claims?lang=en", headers=headers)
    assert "Insurance claims (XML 130)" in en.text and "Check and send" in en.text


async def test_checking_a_bad_file_lists_its_problems_and_sends_nothing(web, sim, claims_settings,
                                                                        make_facility,
                                                                        token_for):
    await make_facility(code=FACILITY)
    headers = auth(await token_for("cashier", FACILITY))
    checked = await web.post("/claims", headers=headers, **_upload(b"<GIAMDINHHS>", "submit"))
    assert checked.status_code == 200
    assert "Tệp có 1 lỗi và chưa được gửi." in checked.text
    assert "Tệp không phải XML hợp lệ" in checked.text
    assert sim.simulator.stats["claims_claim"] == 0


async def test_a_good_file_is_checked_then_sent_and_its_transaction_code_shown(
        web, sim, claims_settings, make_facility, token_for):
    await make_facility(code=FACILITY)
    headers = auth(await token_for("facility_admin", FACILITY))
    checked = await web.post("/claims?lang=en", headers=headers, **_upload(envelope(), "check"))
    assert "No problems found" in checked.text, checked.text[-3000:]
    assert sim.simulator.stats["claims_claim"] == 0
    sent = await web.post("/claims?lang=en", headers=headers, **_upload(envelope(), "submit"))
    (code,) = list(sim.app.state.claims_sim.transactions)
    assert f'<strong id="transaction">{code}</strong>' in sent.text
    assert sent.text.count(code) == 2  # the result and the log table


async def test_an_outage_is_shown_plainly(web, sim, claims_settings, make_facility, token_for):
    await make_facility(code=FACILITY)
    sim.simulator.config.outage = True
    headers = auth(await token_for("cashier", FACILITY))
    sent = await web.post("/claims", headers=headers, **_upload(envelope(), "submit"))
    assert "Không kết nối được cổng tiếp nhận hồ sơ" in sent.text
    assert "Chưa gửi được" in sent.text  # the logged attempt in the table


async def test_only_cashiers_facility_admins_and_admins_reach_the_page(web, make_facility,
                                                                        token_for):
    await make_facility(code=FACILITY)
    anonymous = await web.get("/claims", headers={"accept": "text/html"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    for role in Role:
        headers = auth(await token_for(role.value, FACILITY))
        got = await web.get("/claims", headers=headers)
        posted = await web.post("/claims", headers=headers, **_upload(b"<x/>", "check"))
        expected = 200 if role in pages.SUBMITTERS else 403
        assert (got.status_code, posted.status_code) == (expected, expected), role
