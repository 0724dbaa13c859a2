"""The BHXH gateway client against the simulator over real HTTP (insurance.md §4)."""

import asyncio
from datetime import date, timedelta

import pytest

from smarthealth.insurance import tables
from smarthealth.insurance.config import BhxhSettings
from smarthealth.insurance.gateway import BhxhGateway, CardQuery, GatewayUnavailable
from tests.insurance.conftest import STAFF, TODAY, add_person

REFERENCE_CODES = ["000", "001", "002", "003", "004", "010", "050", "051", "052", "053", "054",
                   "055", "060", "061", "070", "100", "101", "110", "120", "121", "122", "123",
                   "124", "130", "205", "401", "500"]
DECISIONS = {"valid", "valid_with_warning", "invalid", "retry_later"}
EXPIRED = {"valid_from": TODAY - timedelta(days=400), "valid_to": TODAY - timedelta(days=35)}


def query(code: str = "DN4010120878811", name: str = "Nguyễn Văn An",
          birth: date | str = date(1990, 5, 3), **staff: str) -> CardQuery:
    return CardQuery(code, name, birth, **(STAFF | staff))


def test_every_reference_result_code_has_a_decision_and_two_messages():
    for code in REFERENCE_CODES:
        entry = tables.result_code(code)
        assert entry.decision in DECISIONS and entry.message_vi and entry.message_en, code
    assert set(tables.result_codes()) == set(REFERENCE_CODES)


def test_unknown_result_code_means_retry_later_not_a_block():
    assert tables.result_code("999").decision == "retry_later"


async def test_valid_card_with_matching_name_and_birth_date_is_valid(gateway):
    await add_person()
    answer = await gateway.check_card(query(), on=TODAY)
    assert (answer.result_code, answer.decision, answer.source) == ("000", "valid", "live")
    assert answer.field("maDKBD") == "01001"
    assert answer.date_field("gtTheDen") == TODAY + timedelta(days=265)


SCENARIOS = [
    # (result code, cards of the person, query overrides, simulator config)
    ("001", [{"code": "QN5970120878811"}], {"code": "QN5970120878811"}, {}),
    ("002", [{"code": "CA5980120878811"}], {"code": "CA5980120878811"}, {}),
    ("003", [EXPIRED, {"code": "DN4010120878899", "valid_from": TODAY}], {}, {}),
    ("004", [{}, {"code": "DN4010120878899", "valid_from": TODAY + timedelta(days=1)}], {}, {}),
    ("010", [EXPIRED], {}, {}),
    ("050", [{}], {"code": "DN4010999999999"}, {}),
    ("051", [{}], {"code": "DN40101208788"}, {}),
    ("052", [{}], {"code": "DN4990120878811"}, {}),
    ("053", [{}], {"code": "DN7010120878811"}, {}),
    ("054", [{}], {"staff_cccd": "12345"}, {}),
    ("055", [{}], {"staff_name": "Người Khác"}, {"registered_staff": {
        STAFF["staff_cccd"]: STAFF["staff_name"]}}),
    ("060", [{}], {"name": "Trần Văn An"}, {}),
    ("061", [{}], {"name": "Nguyễn Văn Anh"}, {}),
    ("070", [{}], {"birth": date(1990, 5, 4)}, {}),
    ("110", [{"status": "withdrawn"}], {}, {}),
    ("120", [{"status": "reduced"}], {}, {}),
    ("121", [{"status": "reduced_province"}], {}, {}),
    ("122", [{"status": "reduced_in_province"}], {}, {}),
    ("123", [{"status": "reduced_reenrolled"}], {}, {}),
    ("124", [{"status": "reduced_stopped"}], {}, {}),
    ("205", [{}], {"birth": "born yesterday"}, {}),
]


@pytest.mark.parametrize(("result_code", "cards", "overrides", "config"), SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
async def test_simulator_answers_and_client_maps_each_result_code(
        gateway, sim, result_code, cards, overrides, config):
    await add_person(cards=cards)
    for name, value in config.items():
        setattr(sim.simulator.config, name, value)
    answer = await gateway.check_card(query(**overrides), on=TODAY)
    entry = tables.result_code(result_code)
    assert (answer.result_code, answer.decision) == (result_code, entry.decision)
    assert (answer.message_vi, answer.message_en) == (entry.message_vi, entry.message_en)


async def test_new_card_code_is_returned_with_003(gateway):
    await add_person(cards=[EXPIRED, {"code": "DN4010120878899", "valid_from": TODAY}])
    answer = await gateway.check_card(query(), on=TODAY)
    assert answer.field("maTheMoi") == "DN4010120878899"


async def test_child_under_six_without_a_card_looked_up_by_cccd_is_130(gateway):
    await add_person(birth_date=TODAY - timedelta(days=700), cccd="001224000321", cards=[])
    answer = await gateway.check_card(query(code="001224000321",
                                            birth=TODAY - timedelta(days=700)), on=TODAY)
    assert (answer.result_code, answer.decision) == ("130", "valid_with_warning")


@pytest.mark.parametrize("forced", ["100", "101", "500", "401"])
async def test_server_side_codes_mean_retry_later(gateway, sim, forced):
    await add_person()
    sim.simulator.config.forced["DN4010120878811"] = forced
    answer = await gateway.check_card(query(), on=TODAY)
    assert (answer.result_code, answer.decision) == (forced, "retry_later")


async def test_retry_class_answer_is_retried_once(gateway, sim):
    await add_person()
    sim.simulator.config.forced["DN4010120878811"] = "101"
    await gateway.check_card(query(), on=TODAY)
    assert sim.simulator.stats["card_checks"] == 2


async def test_token_is_taken_once_and_reused(gateway, sim):
    await add_person()
    await asyncio.gather(*(gateway.check_card(query(name=f"Tên {i}"), on=TODAY)
                           for i in range(5)))
    assert sim.simulator.stats["token_calls"] == 1


async def test_rejected_token_is_refreshed_once(gateway, sim):
    await add_person()
    await gateway.token()
    sim.simulator.tokens.clear()
    answer = await gateway.check_card(query(), on=TODAY)
    assert answer.result_code == "000"
    assert sim.simulator.stats["token_calls"] == 2


async def test_same_day_repeat_comes_from_the_cache(gateway, sim):
    await add_person()
    first = await gateway.check_card(query(), on=TODAY)
    second = await gateway.check_card(query(name="nguyễn  văn an"), on=TODAY)
    assert (first.source, second.source, second.result_code) == ("live", "cache", "000")
    assert sim.simulator.stats["card_checks"] == 1


async def test_cache_is_per_day(gateway, sim):
    await add_person()
    await gateway.check_card(query(), on=TODAY - timedelta(days=1))
    assert (await gateway.check_card(query(), on=TODAY)).source == "live"


async def test_retry_later_answers_are_not_cached(gateway, sim):
    await add_person()
    sim.simulator.config.forced["DN4010120878811"] = "101"
    await gateway.check_card(query(), on=TODAY)
    sim.simulator.config.forced.clear()
    assert (await gateway.check_card(query(), on=TODAY)).source == "live"


async def test_slow_gateway_times_out_as_unavailable(sim):
    await add_person()
    client = BhxhGateway(BhxhSettings(base_url=sim.url, timeout_seconds=0.05, retries=0))
    sim.simulator.config.latency_ms = 400
    with pytest.raises(GatewayUnavailable):
        await client.check_card(query(), on=TODAY)
    await client.aclose()


async def test_circuit_breaker_opens_after_consecutive_failures_and_recovers(gateway, sim):
    await add_person()
    await gateway.token()
    sim.simulator.config.outage = True
    for _ in range(3):
        with pytest.raises(GatewayUnavailable):
            await gateway.check_card(query(), on=TODAY)
    assert gateway.breaker.state == "open"
    calls = sim.simulator.stats["card_checks"]
    with pytest.raises(GatewayUnavailable) as info:
        await gateway.check_card(query(), on=TODAY)
    assert info.value.details == {"circuit": "open"}
    assert sim.simulator.stats["card_checks"] == calls
    sim.simulator.config.outage = False
    while gateway.breaker.state == "open":
        await asyncio.sleep(0.05)
    assert (await gateway.check_card(query(), on=TODAY)).result_code == "000"
    assert gateway.breaker.state == "closed"


async def test_outage_flipped_through_the_admin_endpoint(gateway, sim):
    import httpx

    await add_person()
    async with httpx.AsyncClient(base_url=sim.url) as admin:
        await admin.post("/_sim/config", json={"outage": True})
        with pytest.raises(GatewayUnavailable):
            await gateway.check_card(query(), on=TODAY)
        await admin.post("/_sim/config", json={"outage": False})
        await admin.post("/_sim/force", json={"card_code": "DN4010120878811",
                                              "result_code": "110"})
    assert (await gateway.check_card(query(name="Nguyen"), on=TODAY)).result_code == "110"


async def test_json_body_and_year_only_birth_date_are_accepted(sim):
    await add_person()
    client = BhxhGateway(BhxhSettings(base_url=sim.url, body_format="json"))
    answer = await client.check_card(query(birth="1990"), on=TODAY)
    await client.aclose()
    assert answer.result_code == "000"


async def test_visit_history_uses_lskcb2025(gateway, sim):
    await add_person()
    body = await gateway.visit_history(query())
    assert body["maKetQua"] == "000" and body["dsLichSuKCB2025"] == []
    assert sim.simulator.stats["history_calls"] == 1


async def test_whole_check_is_bounded_by_the_deadline(sim):
    await add_person()
    client = BhxhGateway(BhxhSettings(base_url=sim.url, timeout_seconds=2.0,
                                      deadline_seconds=0.1))
    sim.simulator.config.latency_ms = 400
    with pytest.raises(GatewayUnavailable) as info:
        await client.check_card(query(), on=TODAY)
    await client.aclose()
    assert info.value.details == {"reason": "deadline"}


async def test_cancelled_trial_call_does_not_jam_the_half_open_breaker(gateway, sim):
    await add_person()
    gateway.breaker.opened_at = gateway.breaker.clock() - 10  # open long enough: half-open
    sim.simulator.config.latency_ms = 300
    task = asyncio.create_task(gateway.check_card(query(), on=TODAY))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    sim.simulator.config.latency_ms = 0
    assert (await gateway.check_card(query(), on=TODAY)).result_code == "000"


@pytest.mark.parametrize("preload", [False, True])
async def test_register_lookups_by_code_bhxh_number_and_cccd(gateway, sim, preload):
    import httpx

    await add_person(cards=[EXPIRED, {"code": "DN4010120878899", "valid_from": TODAY}])
    await add_person(full_name="Lê Thị Bé", cccd="001224000999",
                     birth_date=TODAY - timedelta(days=300), cards=[])
    sim.simulator.config.preload = preload
    try:
        async with httpx.AsyncClient(base_url=sim.url) as admin:
            assert (await admin.post("/_sim/reload")).json() == {"cards": 2 if preload else 0}
        answers = [await gateway.check_card(q, on=TODAY) for q in (
            query(), query(code="0120878899"), query(code="DN4010999999999"),
            query(code="001224000999", name="Lê Thị Bé", birth=TODAY - timedelta(days=300)))]
    finally:
        sim.simulator.config.preload = False
    assert [a.result_code for a in answers] == ["003", "000", "050", "130"]
    assert answers[0].field("maTheMoi") == "DN4010120878899"
