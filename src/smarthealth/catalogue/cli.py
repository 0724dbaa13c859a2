"""`smarthealth catalogue load icd10|icd9|drugs|services [--file PATH] [--facility CODE]`."""

from __future__ import annotations

from pathlib import Path

import click

from smarthealth.catalogue.schemas import LoadResult


@click.group()
def catalogue() -> None:
    """Clinical catalogues: ICD-10, ICD-9-CM, drugs, facility price lists."""


async def _load(kind: str, path: Path | None, facility_code: str | None) -> LoadResult:
    from smarthealth.catalogue import imports, loaders
    from smarthealth.core.audit import Actor
    from smarthealth.core.db import get_database

    actor = Actor(name="cli", role="operator")
    async with get_database().session() as session:
        if kind == "icd10":
            return await loaders.load_icd10(session, path=path)
        if kind == "icd9":
            return await loaders.load_icd9(session, path=path)
        if kind == "drugs" and facility_code:
            return await imports.load_drug_prices(session, facility_code=facility_code,
                                                  path=path or loaders.DRUGS_FILE, actor=actor)
        if kind == "drugs":
            return await loaders.load_drugs(session, path=path)
        return await imports.load_services(session, facility_code=facility_code or "",
                                           path=path, actor=actor)


@catalogue.command("load")
@click.argument("kind", type=click.Choice(["icd10", "icd9", "drugs", "services", "all"]))
@click.option("--file", "path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="CSV (optionally .gz); default: the file shipped with the platform")
@click.option("--facility", "facility_code", default=None,
              help="services: the facility whose price list this is; drugs: load that "
                   "facility's prices (CSV code,price) instead of the drug list")
def load(kind: str, path: Path | None, facility_code: str | None) -> None:
    """Load (upsert) a catalogue; running it again changes nothing."""
    from smarthealth.cli import fail, run

    if kind == "services" and not facility_code:
        raise click.UsageError("services need --facility CODE")
    if kind == "all" and (path or facility_code):
        raise click.UsageError("'all' loads the shipped files only")
    kinds = ["icd10", "icd9", "drugs"] if kind == "all" else [kind]
    for one in kinds:
        try:
            result = run(_load(one, path, facility_code))
        except Exception as exc:  # noqa: BLE001
            fail(exc)
        click.echo(f"{result.kind}: {result.total} rows, {result.created} created, "
                   f"{result.updated} updated")
