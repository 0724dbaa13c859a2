"""Browser tests: the app served by uvicorn in a subprocess on the test database, and headless
Chromium driven by Playwright (async API, sharing the tests' event loop)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not start in {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server(database) -> Iterator[str]:  # noqa: ANN001
    """Base URL of the app served by uvicorn on a free port, on the same database as the tests
    (the environment set by tests/conftest.py is passed through). Data a test wants the browser
    to see must be committed first; the tables are still wiped after every test."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(os.environ["SMARTHEALTH_VAR_DIR"]) / f"live-server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "smarthealth.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=dict(os.environ), cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    """Headless Chromium for the whole run; skipped when the machine has no Chromium."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser) -> AsyncIterator[object]:  # noqa: ANN001
    """A fresh browser context (no cookies) and page per test, 1400x900."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900},
                                        locale="vi-VN")
    page = await context.new_page()
    yield page
    await context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where browser tests save screenshots (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
