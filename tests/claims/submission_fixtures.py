"""Fixtures of the submission tests: the BHXH/hub simulator over real HTTP and sample files.

Import the fixture functions into a test module; they register as `sim`, `claims_settings`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from smarthealth.claims import submit
from smarthealth.claims.config import ClaimsSettings
from smarthealth.claims.xmlfile import envelope_xml
from smarthealth.insurance.simserver import SimulatorServer
from smarthealth.insurance.simulator import SimConfig, create_simulator_app
from tests.claims.conftest import sample_episode


@pytest.fixture(scope="module", name="claims_sim_server")
def _claims_sim_server() -> Iterator[SimulatorServer]:
    server = SimulatorServer(create_simulator_app(SimConfig())).start()
    yield server
    server.stop()


@pytest.fixture(name="sim")
def _claims_sim(claims_sim_server: SimulatorServer) -> Iterator[SimulatorServer]:
    """The simulator with its switches reset."""
    claims_sim_server.simulator.config.outage = False
    state = claims_sim_server.app.state.claims_sim
    state.forced, state.require_signature = None, True
    state.transactions.clear()
    claims_sim_server.simulator.stats.clear()
    yield claims_sim_server


@pytest.fixture(name="claims_settings")
def _claims_settings(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> ClaimsSettings:
    """Submission settings pointing at the simulator (the process-wide settings patched)."""
    chosen = ClaimsSettings(bhxh_base_url=sim.url, hub_base_url=sim.url,
                            hub_auth_base_url=sim.url, timeout_seconds=2.0)
    monkeypatch.setattr(submit, "get_claims_settings", lambda: chosen)
    return chosen


def envelope(**overrides: object) -> bytes:
    """A valid sample episode as an unsigned GIAMDINHHS file."""
    return envelope_xml(sample_episode(**overrides), created=date(2026, 11, 20))
