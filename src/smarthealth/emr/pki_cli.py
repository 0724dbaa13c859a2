"""`smarthealth pki init-demo`: the demo CA and the demo facility's signing certificates."""

from __future__ import annotations

from dataclasses import dataclass

import click
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.emr import pki

SIGNING_ROLES = frozenset({"doctor"})


@dataclass
class PkiSummary:
    ca_path: str
    facilities: int = 0
    practitioners: int = 0


async def init_demo(session: AsyncSession, *, facility_codes: list[str] | None = None
                    ) -> PkiSummary:
    """Create the demo CA, then a PKCS#12 per facility and per doctor of the given facilities.

    Every other practitioner gets one on first signing (issuing a key takes ~0.1 s).
    """
    from smarthealth.registry import lookups, users

    summary = PkiSummary(ca_path=str(pki.ensure_ca()))
    names = await lookups.facility_names(session, codes=facility_codes or [])
    for code, name in sorted(names.items()):
        pki.ensure_facility_credential(facility_code=code, facility_name=name)
        summary.facilities += 1
        for user, _ in await users.list_users(session, facility_code=code):
            if user.role in SIGNING_ROLES and user.active:
                pki.ensure_user_credential(username=user.username, full_name=user.full_name,
                                           facility_name=name)
                summary.practitioners += 1
    return summary


@click.group(name="pki")
def pki_group() -> None:
    """Demo public-key infrastructure for digital signatures (files under var/pki/)."""


@pki_group.command("init-demo")
@click.option("--facility", "facilities", multiple=True,
              help="facility code (repeatable; default: the demo hospital)")
def init_demo_command(facilities: tuple[str, ...]) -> None:
    """Create the demo root CA and certificates for facilities and their doctors."""
    from smarthealth.cli import run
    from smarthealth.core.db import get_database
    from smarthealth.synth.staff import DEMO_FACILITY

    async def _init() -> PkiSummary:
        async with get_database().session() as session:
            return await init_demo(session, facility_codes=list(facilities) or [DEMO_FACILITY])

    done = run(_init())
    click.echo(f"demo CA: {done.ca_path}; {done.facilities} facility seal(s), "
               f"{done.practitioners} practitioner certificate(s) under {pki.pki_dir()}")

