"""Reception test helpers: a clinic with rooms and services, kiosk tokens, CCCD QR payloads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest

from smarthealth.core.db import get_database
from smarthealth.insurance.config import BhxhSettings
from smarthealth.insurance.gateway import BhxhGateway, set_gateway
from smarthealth.reception import lookup, queues
from smarthealth.reception import service as reception
from smarthealth.reception.config import get_reception_settings
from smarthealth.registry.models import ClinicRoom, Service
from tests.conftest import auth
from tests.insurance.conftest import add_person, sim, sim_server  # noqa: F401 - fixtures

STAFF = {"staff_name": "Nguyễn Thị Lan", "staff_cccd": "001190000001"}


@dataclass
class Clinic:
    facility_code: str
    rooms: dict[str, int]


def qr(cccd: str, name: str = "Nguyễn Văn An", birth: date = date(1990, 5, 3),
       sex: str = "Nam") -> str:
    """The CCCD card's QR text: cccd|old id|name|ddmmyyyy|sex|address|issue date."""
    return (f"{cccd}||{name}|{birth:%d%m%Y}|{sex}|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|"
            "01012021")


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture(autouse=True)
def fresh_reception_state() -> Iterator[None]:
    """Ids restart in every test, so nothing cached in memory may survive one."""
    settings = get_reception_settings()
    saved = settings.estimate_cache_seconds, settings.directory_cache_seconds
    settings.estimate_cache_seconds = settings.directory_cache_seconds = 0.0
    lookup.forget()
    queues.forget_estimates()
    reception._last_reset.clear()
    yield
    settings.estimate_cache_seconds, settings.directory_cache_seconds = saved


@pytest.fixture
async def bhxh(sim) -> AsyncIterator[BhxhGateway]:  # noqa: F811
    """The process's gateway client pointed at the live simulator."""
    client = BhxhGateway(BhxhSettings(base_url=sim.url, timeout_seconds=2.0, retries=0,
                                      breaker_failures=100, breaker_cooldown_seconds=0.1,
                                      **STAFF))
    set_gateway(client)
    yield client
    set_gateway(None)
    await client.aclose()


async def make_clinic(make_facility, code: str = "01001") -> Clinic:  # noqa: ANN001
    facility = await make_facility(code=code)
    rooms: dict[str, int] = {}
    async with get_database().session() as s:
        for room_code, name, kind in (("PK01", "Phòng khám Nội 1", "exam"),
                                      ("PK02", "Phòng khám Nhi", "exam"),
                                      ("XN01", "Phòng xét nghiệm", "lab")):
            room = ClinicRoom(facility_id=facility.id, code=room_code, name=name, kind=kind)
            s.add(room)
            await s.flush()
            rooms[room_code] = room.id
        s.add(Service(facility_id=facility.id, code="KB01", name="Khám Nội", kind="exam",
                      price_bhyt=39000, price_service=100000, room_id=rooms["PK01"]))
        s.add(Service(facility_id=facility.id, code="KB02", name="Khám Nhi", kind="exam",
                      price_bhyt=39000, price_service=100000, room_id=rooms["PK02"]))
    return Clinic(code, rooms)


@pytest.fixture
async def clinic(make_facility) -> Clinic:  # noqa: ANN001
    return await make_clinic(make_facility)


async def post_checkin(client: httpx.AsyncClient, token: str, scan: str, *,
                       idempotency_key: str | None = None, facility_code: str = "01001",
                       service_code: str | None = None, priority: str | None = None
                       ) -> httpx.Response:
    return await client.post("/api/reception/check-ins", headers=auth(token), json={
        "scan": scan, "facility_code": facility_code, "service_code": service_code,
        "idempotency_key": idempotency_key or key(), "priority": priority})


def cccd_of(i: int) -> str:
    """A valid Hanoi-born male CCCD for 1990 with a running number."""
    return f"00109{i:07d}"


__all__ = ["add_person", "qr", "post_checkin", "cccd_of", "make_clinic", "Clinic", "STAFF"]
