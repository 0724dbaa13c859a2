"""POST /api/insurance/eligibility and the insurance service, against the live simulator."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from smarthealth.core.db import get_database
from smarthealth.core.models import AuditEntry
from smarthealth.insurance import service
from smarthealth.insurance.config import BhxhSettings
from smarthealth.insurance.gateway import BhxhGateway, set_gateway
from smarthealth.insurance.models import EligibilityCheck
from tests.conftest import auth
from tests.insurance.conftest import STAFF, TODAY, add_person

URL = "/api/insurance/eligibility"
BODY = {"card_number": "DN4010120878811", "full_name": "Nguyễn Văn An",
        "birth_date": "1990-05-03", "facility_code": "01001"}


def make_gateway(sim, **overrides) -> BhxhGateway:
    return BhxhGateway(BhxhSettings(base_url=sim.url, breaker_failures=100,
                                    **({"staff_name": STAFF["staff_name"],
                                        "staff_cccd": STAFF["staff_cccd"]} | overrides)))


@pytest.fixture
async def live(sim) -> AsyncIterator[BhxhGateway]:
    """The process's gateway pointed at the simulator."""
    gateway = make_gateway(sim)
    set_gateway(gateway)
    yield gateway
    set_gateway(None)
    await gateway.aclose()


@pytest.fixture
async def desk(make_facility, token_for) -> str:
    await make_facility("01001")
    return await token_for("receptionist", "01001")


async def test_valid_card_is_valid_with_card_facts_from_bhxh(client, live, desk):
    person_id, _ = await add_person(cards=[{"five_years_date": TODAY - timedelta(days=10)}])
    response = await client.post(URL, json=BODY, headers=auth(desk))
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["decision"], data["result_code"], data["source"]) == ("valid", "000", "live")
    assert (data["benefit_level"], data["benefit_rate"]) == (4, 80)
    assert data["registered_facility_code"] == "01001"
    assert data["valid_to"] == (TODAY + timedelta(days=265)).isoformat()
    assert data["five_years_date"] == (TODAY - timedelta(days=10)).isoformat()
    assert data["person_id"] == person_id
    assert data["message_vi"] and data["message_en"]


async def test_repeat_check_the_same_day_comes_from_the_cache(client, live, desk, sim):
    await add_person()
    await client.post(URL, json=BODY, headers=auth(desk))
    second = (await client.post(URL, json=BODY, headers=auth(desk))).json()
    assert (second["source"], second["decision"]) == ("cache", "valid")
    assert sim.simulator.stats["card_checks"] == 1


async def test_another_process_reuses_todays_logged_answer(client, live, desk, sim):
    await add_person()
    await client.post(URL, json=BODY, headers=auth(desk))
    other_process = make_gateway(sim)
    async with get_database().session() as session:
        result = await service.check_eligibility(
            session, card_number=BODY["card_number"], full_name=BODY["full_name"],
            birth_date=TODAY.replace(year=1990, month=5, day=3), facility_code="01001",
            gateway=other_process, **STAFF)
    await other_process.aclose()
    assert (result.source, result.result_code) == ("cache", "000")
    assert sim.simulator.stats["card_checks"] == 1


async def test_gateway_outage_gives_unverified_with_the_card_on_file(client, live, desk, sim):
    await add_person()
    sim.simulator.config.outage = True
    data = (await client.post(URL, json=BODY, headers=auth(desk))).json()
    assert (data["decision"], data["source"], data["result_code"]) == (
        "unverified", "unavailable", None)
    assert (data["card_number"], data["benefit_rate"]) == ("DN4010120878811", 80)


async def test_retry_later_answer_is_unverified_with_the_card_on_file(client, live, desk, sim):
    await add_person()
    sim.simulator.config.forced["DN4010120878811"] = "101"
    data = (await client.post(URL, json=BODY, headers=auth(desk))).json()
    assert (data["decision"], data["result_code"], data["source"]) == ("unverified", "101", "live")
    assert (data["card_number"], data["registered_facility_code"]) == ("DN4010120878811", "01001")


async def test_expired_card_is_invalid(client, live, desk):
    await add_person(cards=[{"valid_from": TODAY - timedelta(days=400),
                             "valid_to": TODAY - timedelta(days=1)}])
    data = (await client.post(URL, json=BODY, headers=auth(desk))).json()
    assert (data["decision"], data["result_code"]) == ("invalid", "010")


async def test_old_card_expired_new_card_issued_reports_the_new_card(client, live, desk):
    await add_person(cards=[
        {"valid_from": TODAY - timedelta(days=400), "valid_to": TODAY - timedelta(days=1)},
        {"code": "HT3010120878811", "valid_from": TODAY, "facility": "01002"}])
    data = (await client.post(URL, json=BODY, headers=auth(desk))).json()
    assert (data["decision"], data["result_code"]) == ("valid_with_warning", "003")
    assert (data["card_number"], data["benefit_rate"], data["registered_facility_code"]) == (
        "HT3010120878811", 95, "01002")


async def test_malformed_card_is_rejected_locally_with_the_gateway_code(client, live, desk, sim):
    data = (await client.post(URL, json=BODY | {"card_number": "DN7010120878811"},
                              headers=auth(desk))).json()
    assert (data["decision"], data["result_code"], data["source"]) == ("invalid", "053", "local")
    assert sim.simulator.stats["card_checks"] == 0


async def test_cccd_finds_the_card_on_file(client, live, desk):
    await add_person()
    body = {k: v for k, v in BODY.items() if k != "card_number"} | {"cccd": "001090000123"}
    data = (await client.post(URL, json=body, headers=auth(desk))).json()
    assert (data["decision"], data["card_number"]) == ("valid", "DN4010120878811")


async def test_cccd_without_a_card_on_file_is_unverified_not_blocked(client, live, desk):
    body = {k: v for k, v in BODY.items() if k != "card_number"} | {"cccd": "001090000999"}
    data = (await client.post(URL, json=body, headers=auth(desk))).json()
    assert (data["decision"], data["source"], data["action"]) == (
        "unverified", "local", "enter_card")


async def test_cccd_is_sent_as_card_code_when_the_setting_allows(client, desk, sim):
    await add_person(cards=[])
    gateway = make_gateway(sim, cccd_as_card_code=True)
    set_gateway(gateway)
    try:
        body = {k: v for k, v in BODY.items() if k != "card_number"} | {"cccd": "001090000123"}
        data = (await client.post(URL, json=body, headers=auth(desk))).json()
    finally:
        set_gateway(None)
        await gateway.aclose()
    assert data["result_code"] == "050"  # the simulator accepts a CCCD and finds no card


async def test_staff_identity_comes_from_the_signed_in_user(client, live, desk, sim):
    await add_person()
    sim.simulator.config.registered_staff = {STAFF["staff_cccd"]: STAFF["staff_name"]}
    from smarthealth.core.auth import issue_token
    from smarthealth.registry import users

    async with get_database().session() as session:
        user = await users.add_user(session, username="lan", role="receptionist",
                                    password="password123", facility_code="01001",
                                    full_name="Trần Thị Khác", cccd="001190000777")
    token = issue_token(user_id=user.id, username="lan", role="receptionist",
                        facility_code="01001")
    data = (await client.post(URL, json=BODY, headers=auth(token))).json()
    assert (data["result_code"], data["decision"]) == ("054", "unverified")


async def test_other_facility_is_forbidden(client, live, make_facility, token_for):
    await make_facility("01002")
    token = await token_for("receptionist", "01002")
    response = await client.post(URL, json=BODY, headers=auth(token))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["kiosk", "doctor", "nurse", "cashier", "facility_admin"])
async def test_facility_roles_may_check_their_own_facility(client, live, make_facility,
                                                            token_for, role):
    await make_facility("01001")
    await add_person()
    response = await client.post(URL, json=BODY, headers=auth(await token_for(role, "01001")))
    assert response.json()["decision"] == "valid"


async def test_pharmacist_may_not_check_eligibility(client, live, make_facility, token_for):
    await make_facility("01001")
    response = await client.post(URL, json=BODY,
                                 headers=auth(await token_for("pharmacist", "01001")))
    assert response.status_code == 403


async def test_missing_card_and_cccd_is_a_clear_422(client, live, desk):
    body = {k: v for k, v in BODY.items() if k != "card_number"}
    response = await client.post(URL, json=body, headers=auth(desk))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


async def test_check_is_audited_and_logged(client, live, desk):
    person_id, _ = await add_person()
    await client.post(URL, json=BODY, headers=auth(desk))
    async with get_database().session() as session:
        entry = await session.scalar(select(AuditEntry).where(
            AuditEntry.action == "check_eligibility"))
        logged = await session.scalar(select(EligibilityCheck))
    assert entry.patient_id == person_id and entry.details["decision"] == "valid"
    assert (logged.result_code, logged.source, logged.facility_code) == ("000", "live", "01001")


async def test_card_lookups_for_other_domains(session):
    person_id, _ = await add_person(cards=[
        {"valid_from": TODAY - timedelta(days=400), "valid_to": TODAY - timedelta(days=1)},
        {"code": "HT3010120878822"}])
    assert (await service.card_for_person(session, person_id=person_id)).code == \
        "HT3010120878822"
    assert await service.person_id_for_card(session, code="DN 4 01 0120878811") == person_id
    assert await service.person_id_for_card(session, code="0120878822") == person_id
    assert await service.person_id_for_card(session, code="XX") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3), max_leaves=6)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={
        "card_number": st.one_of(st.text(max_size=50), st.integers(), st.none()),
        "cccd": st.one_of(st.text(alphabet="0123456789 x", max_size=16), st.none()),
        "full_name": st.text(max_size=130), "birth_date": st.one_of(
            st.text(max_size=12), st.dates().map(str), st.integers()),
        "facility_code": st.sampled_from(["01001", "01002", "0100", "ABCDE", ""]),
    }))


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
async def test_eligibility_endpoint_never_answers_500(client, live, desk, body):
    response = await client.post(URL, json=body, headers=auth(desk))
    assert response.status_code in (200, 403, 422), response.text
