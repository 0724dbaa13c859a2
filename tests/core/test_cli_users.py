"""Operators bootstrap staff accounts from the command line."""

import os
import subprocess
import sys

from tests.conftest import auth


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarthealth.cli", *args], input=stdin,
                          capture_output=True, text=True, env=os.environ, timeout=120)


async def test_user_add_reads_the_password_from_stdin_and_the_account_signs_in(client,
                                                                               make_facility):
    await make_facility(code="01001")
    added = _cli("user", "add", "letan9", "--role", "receptionist", "--facility", "01001",
                 "--password-stdin", stdin="a-long-password\n")
    assert added.returncode == 0, added.stderr
    response = await client.post("/api/auth/token",
                                 data={"username": "letan9", "password": "a-long-password"})
    assert response.status_code == 200
    assert response.json()["facility_code"] == "01001"


async def test_user_add_refuses_a_facility_role_without_a_facility():
    result = _cli("user", "add", "bacsi9", "--role", "doctor", "--password-stdin",
                  stdin="a-long-password\n")
    assert result.returncode == 2
    assert "facility" in result.stderr


async def test_user_list_shows_accounts_and_disable_stops_their_tokens(client, make_facility):
    await make_facility(code="01001")
    _cli("user", "add", "root9", "--role", "admin", "--password-stdin", stdin="a-long-password\n")
    token = (await client.post("/api/auth/token", data={"username": "root9",
                                                        "password": "a-long-password"})).json()
    listing = _cli("user", "list")
    assert "root9" in listing.stdout and "active" in listing.stdout
    assert _cli("user", "disable", "root9").returncode == 0
    from smarthealth.registry import users

    users.forget_cached_activity()
    response = await client.get("/api/registry/facilities",
                                headers=auth(token["access_token"]))
    assert response.status_code == 401
