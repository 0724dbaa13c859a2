"""`smarthealth seed` from the command line, as `make run` calls it."""

import os
import subprocess
import sys

from sqlalchemy import func, select

from smarthealth.identity.models import Person


def _seed(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarthealth.cli", "seed", *args],
                          capture_output=True, text=True, env=os.environ, timeout=300)


async def test_seed_fills_an_empty_database_and_if_empty_leaves_it_alone(session):
    first = _seed("--people", "300", "--seed", "3", "--if-empty")
    assert first.returncode == 0, first.stderr
    assert "300 people" in first.stdout
    again = _seed("--people", "300", "--seed", "3", "--if-empty")
    assert again.returncode == 0, again.stderr
    assert "already seeded" in again.stdout
    assert await session.scalar(select(func.count()).select_from(Person)) == 300


async def test_seed_refuses_a_database_that_already_has_facilities(make_facility):
    await make_facility(code="01001")
    result = _seed("--people", "10")
    assert result.returncode != 0
    assert "--if-empty" in result.stderr
