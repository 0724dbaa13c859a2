"""Insurance test helpers: a live BHXH simulator over real HTTP and a synthetic population."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta

import pytest

from smarthealth.core.db import get_database
from smarthealth.identity.models import Person
from smarthealth.insurance import service
from smarthealth.insurance.config import BhxhSettings
from smarthealth.insurance.gateway import BhxhGateway
from smarthealth.insurance.models import BhytCard
from smarthealth.insurance.simserver import SimulatorServer
from smarthealth.insurance.simulator import SimConfig, create_simulator_app

TODAY = service.today()  # the platform day (Asia/Ho_Chi_Minh)
STAFF = {"staff_name": "Nguyễn Thị Lan", "staff_cccd": "001190000001"}


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimulatorServer]:
    """One simulator per test run, in its own thread and event loop."""
    server = SimulatorServer(create_simulator_app(SimConfig())).start()
    yield server
    server.stop()


@pytest.fixture
def sim(sim_server: SimulatorServer) -> Iterator[SimulatorServer]:
    """The simulator with its switches reset before each test."""
    config = sim_server.simulator.config
    config.latency_ms, config.error_rate, config.outage = 0.0, 0.0, False
    config.registered_staff, config.accept_cccd = None, True
    config.forced.clear()
    sim_server.simulator.stats.clear()
    yield sim_server


@pytest.fixture
async def gateway(sim: SimulatorServer) -> AsyncIterator[BhxhGateway]:
    client = BhxhGateway(BhxhSettings(base_url=sim.url, timeout_seconds=2.0, retries=1,
                                      breaker_failures=3, breaker_cooldown_seconds=0.2))
    yield client
    await client.aclose()


async def add_person(*, full_name: str = "Nguyễn Văn An", birth_date: date = date(1990, 5, 3),
                     cccd: str | None = "001090000123", sex: str = "male",
                     cards: list[dict] | None = None) -> tuple[int, list[str]]:
    """A person with cards (committed so that the simulator's thread sees them)."""
    async with get_database().session() as session:
        person = Person(cccd=cccd, full_name=full_name, name_key=full_name.lower(),
                        birth_date=birth_date, sex=sex)
        session.add(person)
        await session.flush()
        codes = []
        for spec in cards if cards is not None else [{}]:
            code = spec.get("code", "DN4010120878811")
            session.add(BhytCard(
                person_id=person.id, code=code, group_code=code[:2],
                benefit_level=int(code[2]), province_code=code[3:5],
                social_insurance_number=code[5:],
                registered_facility_code=spec.get("facility", "01001"),
                valid_from=spec.get("valid_from", TODAY - timedelta(days=100)),
                valid_to=spec.get("valid_to", TODAY + timedelta(days=265)),
                five_years_date=spec.get("five_years_date"),
                status=spec.get("status", "active")))
            codes.append(code)
        return person.id, codes
