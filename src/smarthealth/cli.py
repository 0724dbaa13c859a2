"""The `smarthealth` command: serve, migrate, seed, user, audit, and each domain's tools."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

import click

from smarthealth.core.auth import Role


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run one coroutine with the process's database, disposing of it afterwards."""
    from smarthealth.core.db import get_database

    async def _wrapped() -> Any:
        try:
            return await coro
        finally:
            await get_database().dispose()

    return asyncio.run(_wrapped())


def fail(exc: Exception) -> None:
    from smarthealth.core.errors import DomainError

    if isinstance(exc, DomainError):
        click.echo(f"error: {exc.message_en} / {exc.message_vi}", err=True)
        sys.exit(2)
    raise exc


@click.group()
def main() -> None:
    """SmartHealth Hanoi command line."""


@main.command()
def migrate() -> None:
    """Bring the database schema to the latest Alembic revision."""
    from smarthealth.core import migrate as migrations
    from smarthealth.core.settings import get_settings

    migrations.upgrade()
    click.echo(f"database at revision {migrations.head_revision()} "
               f"({get_settings().resolved_database_url().split('://')[0]})")


@main.command()
@click.option("--host", default=None, help="default: SMARTHEALTH_HOST or 127.0.0.1")
@click.option("--port", default=None, type=int, help="default: SMARTHEALTH_PORT or 8000")
@click.option("--workers", default=1, type=int)
@click.option("--access-log/--no-access-log", default=True, help="one log line per request")
def serve(host: str | None, port: int | None, workers: int, access_log: bool) -> None:
    """Serve the platform (migrations must have run)."""
    import uvicorn

    from smarthealth.core.settings import get_settings

    settings = get_settings()
    uvicorn.run("smarthealth.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, log_level="info",
                access_log=access_log, proxy_headers=False)


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--facility", "facility_code", default=None, help="5-character BHYT facility code")
@click.option("--full-name", default="")
@click.option("--cccd", default=None, help="needed for staff who look up BHYT cards")
@click.option("--password-stdin", is_flag=True, required=True,
              help="read the password from standard input")
def user_add(username: str, role: str, facility_code: str | None, full_name: str,
             cccd: str | None, password_stdin: bool) -> None:
    """Create a staff account; the password is read from standard input."""
    from smarthealth.core.audit import Actor, record
    from smarthealth.core.db import get_database
    from smarthealth.registry import users

    password = sys.stdin.readline().rstrip("\r\n")

    async def _add() -> None:
        async with get_database().session() as session:
            created = await users.add_user(session, username=username, role=role,
                                           password=password, facility_code=facility_code,
                                           full_name=full_name, cccd=cccd)
            await record(session, actor=Actor(name="cli", role="operator"), action="create",
                         entity_type="staff_user", entity_id=created.id,
                         details={"username": username, "role": role,
                                  "facility_code": facility_code})

    try:
        run(_add())
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    click.echo(f"created {username} ({role}{', ' + facility_code if facility_code else ''})")


@user.command("list")
@click.option("--facility", "facility_code", default=None)
def user_list(facility_code: str | None) -> None:
    """List staff accounts."""
    from smarthealth.core.db import get_database
    from smarthealth.registry import users

    async def _list() -> list:
        async with get_database().session() as session:
            return await users.list_users(session, facility_code=facility_code)

    for account, code in run(_list()):
        state = "active" if account.active else "disabled"
        click.echo(f"{account.username:<24} {account.role:<20} {code or '-':<6} {state:<9} "
                   f"{account.full_name}")


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable a staff account (its tokens stop working within seconds)."""
    from smarthealth.core.audit import Actor, record
    from smarthealth.core.db import get_database
    from smarthealth.registry import users

    async def _disable() -> None:
        async with get_database().session() as session:
            account = await users.set_active(session, username=username, active=False)
            await record(session, actor=Actor(name="cli", role="operator"), action="disable",
                         entity_type="staff_user", entity_id=account.id)

    try:
        run(_disable())
    except Exception as exc:  # noqa: BLE001
        fail(exc)
    click.echo(f"disabled {username}")


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Seal pending entries, then check the hash chain; exit 1 naming each broken entry."""
    from smarthealth.core import audit as audit_log
    from smarthealth.core.db import get_database

    async def _verify() -> tuple[int, list, tuple[int, str]]:
        async with get_database().session() as session:
            await audit_log.seal(session)
        async with get_database().session() as session:
            checked, problems = await audit_log.verify(session)
            return checked, problems, await audit_log.head(session)

    checked, problems, (head_seq, head_hash) = run(_verify())
    for problem in problems:
        click.echo(f"entry {problem.seq}: {problem.problem}")
    if problems:
        click.echo(f"audit chain BROKEN: {len(problems)} problem(s) in {checked} entries")
        sys.exit(1)
    click.echo(f"audit chain intact: {checked} entries; head {head_seq} {head_hash} "
               "(keep this line outside the database to detect truncation)")


def _register_domain_commands() -> None:
    """Domain command groups live beside their domains."""
    from smarthealth.catalogue.cli import catalogue
    from smarthealth.emr.pki_cli import pki_group
    from smarthealth.insurance.cli import bhxh_sim
    from smarthealth.synth.cli import seed, synth_group

    main.add_command(seed)
    main.add_command(synth_group)
    main.add_command(bhxh_sim)
    main.add_command(pki_group)
    main.add_command(catalogue)
    from smarthealth.analytics.cli import load_commands as analytics_commands
    from smarthealth.claims.cli import load_commands as claims_commands

    main.add_command(claims_commands())
    for group in analytics_commands():
        main.add_command(group)


_register_domain_commands()

if __name__ == "__main__":
    main()
