"""Test set-up: a clean schema per run on SQLite or PostgreSQL (SMARTHEALTH_DATABASE_URL)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="smarthealth-test-"))
os.environ["SMARTHEALTH_VAR_DIR"] = str(_TMP)
os.environ.setdefault("SMARTHEALTH_SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ["SMARTHEALTH_COOKIE_SECURE"] = "false"
_URL = os.environ.get("SMARTHEALTH_DATABASE_URL", "")
_SCHEMA = f"sh_test_{uuid.uuid4().hex[:10]}" if _URL.startswith("postgresql") else ""
if _SCHEMA:
    os.environ["SMARTHEALTH_DATABASE_SCHEMA"] = _SCHEMA

import httpx  # noqa: E402
from sqlalchemy import delete, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from smarthealth.core import migrate  # noqa: E402
from smarthealth.core.db import Base, get_database  # noqa: E402
from smarthealth.core.models_index import import_all_models  # noqa: E402
from smarthealth.core.settings import get_settings  # noqa: E402

import_all_models()


@pytest.fixture(scope="session", autouse=True)
async def database() -> AsyncIterator[None]:
    """Create the run's own schema (PostgreSQL) or file (SQLite) and migrate it once."""
    db = get_database()
    if _SCHEMA:
        async with db.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{_SCHEMA}"'))
    await migrate.upgrade_async(db.engine)
    yield
    if _SCHEMA:
        async with db.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{_SCHEMA}" CASCADE'))
    await db.dispose()


async def _wipe() -> None:
    from smarthealth.reception.flows import drain_late_checks

    await drain_late_checks()  # a late BHXH answer must not write while the tables are wiped
    db = get_database()
    async with db.engine.begin() as conn:
        if db.kind == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(delete(table))
    from smarthealth.registry import users

    users.forget_cached_activity()


@pytest.fixture(autouse=True)
async def clean_tables() -> AsyncIterator[None]:
    """Every test starts from empty tables."""
    yield
    await _wipe()


@pytest.fixture
async def session() -> AsyncIterator[AsyncSession]:
    """A session whose work is committed when the test's block ends."""
    async with get_database().session() as s:
        yield s


@pytest.fixture(scope="session")
def app():  # noqa: ANN201
    from smarthealth.app import create_app

    return create_app()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # noqa: ANN001
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def settings():  # noqa: ANN201
    return get_settings()


FacilityFactory = Callable[..., Awaitable[object]]


@pytest.fixture
def make_facility() -> FacilityFactory:
    """Create a facility directly through the registry tables (for tests of other domains)."""
    from smarthealth.registry.models import Facility

    async def _make(code: str = "01001", name: str = "Bệnh viện Thử nghiệm",
                    care_level: str = "basic", tier: str = "city", ward_code: int | None = 70
                    ) -> Facility:
        async with get_database().session() as s:
            facility = Facility(code=code, name=name, care_level=care_level, tier=tier,
                                province_code="01", ward_code=ward_code,
                                ward_name="Phường Hoàn Kiếm")
            s.add(facility)
        return facility

    return _make


@pytest.fixture
def token_for() -> Callable[..., Awaitable[str]]:
    """A bearer token for a new staff user with the given role (and facility)."""
    from smarthealth.core.auth import issue_token
    from smarthealth.registry import users

    counter = {"n": 0}

    async def _token(role: str, facility_code: str | None = None) -> str:
        counter["n"] += 1
        async with get_database().session() as s:
            user = await users.add_user(s, username=f"{role}{counter['n']}", role=role,
                                        password="password123", facility_code=facility_code,
                                        full_name=f"Test {role}")
        return issue_token(user_id=user.id, username=user.username, role=role,
                           facility_code=facility_code if role not in
                           ("admin", "department_analyst") else None)

    return _token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
