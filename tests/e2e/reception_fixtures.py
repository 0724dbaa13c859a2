"""A live reception stack for browser tests: its own SQLite file, the platform server and the
BHXH simulator as subprocesses, a seeded facility with two exam rooms, and signed-in pages
(on the shared headless Chromium of tests/e2e/conftest.py).

Run `python -m tests.e2e.reception_fixtures seed` (with the stack's environment) to seed.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FACILITY = "01001"
PASSWORD = "e2e-password-123"
STAFF_CCCD = "001085000111"
# Nguyễn Văn An holds a valid BHYT card in the simulator's (shared) database.
INSURED_QR = ("001090001234|123456789|Nguyễn Văn An|01011990|Nam|"
              "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|15082021")
# Đỗ Thị Hoa also holds a card on file; only the outage test scans her (no same-day cache).
OUTAGE_QR = ("001185000777||Đỗ Thị Hoa|07071985|Nữ|Số 7 Kim Mã, Ba Đình, Hà Nội|20032022")
# Trịnh Văn Khoa's card is answered "010 expired" by the simulator in the expired-card test.
EXPIRED_QR = ("001075000555||Trịnh Văn Khoa|09091975|Nam|Số 9 Láng Hạ, Đống Đa, Hà Nội|01012022")
EXPIRED_CARD = "DN4010155555555"
INSURED = (("001090001234", "Nguyễn Văn An", date(1990, 1, 1), "0123456789"),
           ("001185000777", "Đỗ Thị Hoa", date(1985, 7, 7), "0198765432"),
           ("001075000555", "Trịnh Văn Khoa", date(1975, 9, 9), "0155555555"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@dataclass
class Stack:
    base_url: str
    sim_url: str
    env: dict[str, str]

    @property
    def printer_output(self) -> Path:
        """What the kiosk's (file) ESC/POS printer received last."""
        return Path(self.env["SMARTHEALTH_PRINTER_TARGET"])

    def _sim_post(self, path: str, body: dict[str, object]) -> None:
        request = urllib.request.Request(f"{self.sim_url}{path}", method="POST",
                                         data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5):
            pass

    def set_gateway(self, **switches: object) -> None:
        """Switch the BHXH simulator at runtime, e.g. outage=True, latency_ms=300."""
        self._sim_post("/_sim/config", switches)

    def force_result(self, card_code: str, result_code: str | None) -> None:
        """Make the simulator answer this card with a fixed result code (None: normal again)."""
        self._sim_post("/_sim/force", {"card_code": card_code, "result_code": result_code})


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


@contextmanager
def platform_stack(var: Path, *, seed_module: str, env: dict[str, str]) -> Iterator[Stack]:
    """Migrated platform (`smarthealth serve`) seeded by `python -m <seed_module> seed`, and the
    BHXH simulator, on free ports with their own SQLite file in `var`. In `env` values,
    "{sim}" stands for the simulator's base URL."""
    port, sim_port = free_port(), free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    full_env = {**os.environ, "SMARTHEALTH_VAR_DIR": str(var),
                "SMARTHEALTH_DATABASE_URL": f"sqlite+aiosqlite:///{var / 'e2e.db'}",
                "SMARTHEALTH_DATABASE_SCHEMA": "", "SMARTHEALTH_COOKIE_SECURE": "false",
                **{key: value.replace("{sim}", sim_url) for key, value in env.items()}}
    cli = [str(Path(sys.executable).parent / "smarthealth")]
    subprocess.run([*cli, "migrate"], env=full_env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", seed_module, "seed"], env=full_env, cwd=ROOT,
                   check=True)
    sim = _spawn([*cli, "bhxh-sim", "--port", str(sim_port)], full_env, var / "sim.log")
    server = _spawn([*cli, "serve", "--port", str(port)], full_env, var / "server.log")
    try:
        _wait_http(f"{sim_url}/_sim/stats", sim)
        _wait_http(f"http://127.0.0.1:{port}/health", server)
        yield Stack(f"http://127.0.0.1:{port}", sim_url, full_env)
    finally:
        for process in (server, sim):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def reception_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Migrated, seeded platform + BHXH simulator on free ports (SQLite in a temp folder)."""
    var = tmp_path_factory.mktemp("reception-e2e")
    with platform_stack(var, seed_module="tests.e2e.reception_fixtures", env={
            "SMARTHEALTH_BHXH_BASE_URL": "{sim}",
            "SMARTHEALTH_BHXH_STAFF_NAME": "Kiosk Tiếp Đón",
            "SMARTHEALTH_BHXH_STAFF_CCCD": STAFF_CCCD,
            "SMARTHEALTH_BHXH_BREAKER_COOLDOWN_SECONDS": "1", "SMARTHEALTH_PRINTER_KIND": "file",
            "SMARTHEALTH_PRINTER_TARGET": str(var / "printer.bin")}) as stack:
        yield stack


async def signed_in_page(browser: object, stack: Stack, username: str, *, lang: str = "vi",
                         viewport: dict[str, int] | None = None) -> object:
    """A new page (own context) signed in through the real /login form (async Playwright)."""
    context = await browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                        locale="vi-VN")
    page = await context.new_page()
    await page.goto(f"{stack.base_url}/login?lang={lang}")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return page


async def _seed() -> None:
    from smarthealth.core.db import get_database
    from smarthealth.core.models_index import import_all_models
    from smarthealth.identity.models import Person
    from smarthealth.identity.names import name_key
    from smarthealth.insurance.models import BhytCard
    from smarthealth.registry import users
    from smarthealth.registry.models import ClinicRoom, Facility, Service

    import_all_models()
    today = date.today()
    async with get_database().session() as s:
        facility = Facility(code=FACILITY, name="Bệnh viện Đa khoa Thử nghiệm", care_level="basic",
                            tier="city", province_code="01", ward_code=70,
                            ward_name="Phường Hoàn Kiếm")
        s.add(facility)
        await s.flush()
        rooms = [ClinicRoom(facility_id=facility.id, code=code, name=name, kind=kind)
                 for code, name, kind in (("PK01", "Phòng khám Nội 1", "exam"),
                                          ("PK02", "Phòng khám Nhi", "exam"),
                                          ("XN01", "Phòng xét nghiệm", "lab"))]
        s.add_all(rooms)
        await s.flush()
        s.add_all([
            Service(facility_id=facility.id, code="02.1896", name="Khám Nội tổng quát",
                    kind="exam", price_bhyt=38700, price_service=150000, room_id=rooms[0].id),
            Service(facility_id=facility.id, code="03.1896", name="Khám Nhi", kind="exam",
                    price_bhyt=38700, price_service=150000, room_id=rooms[1].id),
        ])
        for cccd, name, born, sin in INSURED:
            person = Person(cccd=cccd, full_name=name, name_key=name_key(name), birth_date=born,
                            sex="male" if cccd[3] in "02" else "female")
            s.add(person)
            await s.flush()
            s.add(BhytCard(person_id=person.id, code=f"DN401{sin}", group_code="DN",
                           benefit_level=4, province_code="01", social_insurance_number=sin,
                           registered_facility_code=FACILITY,
                           valid_from=today - timedelta(days=200),
                           valid_to=today + timedelta(days=200)))
        for username, role in (("kiosk1", "kiosk"), ("doctor1", "doctor"),
                               ("reception1", "receptionist")):
            await users.add_user(s, username=username, role=role, password=PASSWORD,
                                 facility_code=FACILITY, full_name=f"E2E {role}",
                                 cccd=STAFF_CCCD if role == "receptionist" else None)
    await get_database().dispose()


if __name__ == "__main__" and sys.argv[1:] == ["seed"]:
    asyncio.run(_seed())
