"""`smarthealth analytics extract`: the Parquet extract (incremental through the outbox)."""

from __future__ import annotations

from pathlib import Path

import click

from smarthealth.analytics.cli import analytics


@analytics.command("extract")
@click.option("--full", is_flag=True, help="extract every month again, whatever changed")
@click.option("--out", "out", default=None, type=click.Path(file_okay=False),
              help="Parquet root (default: SMARTHEALTH_ANALYTICS_DIR or var/analytics)")
@click.option("--quiet", is_flag=True, help="print only the summary line")
def extract_command(full: bool, out: str | None, quiet: bool) -> None:
    """Write visits, diagnoses, prescriptions, check-ins, admissions, coverage checks,
    population and beds to Parquet, partitioned by month, without personal identifiers."""
    from smarthealth.analytics.extract import run_extract
    from smarthealth.cli import run
    from smarthealth.core.db import get_database

    async def _run():  # noqa: ANN202
        database = get_database()
        try:
            return await run_extract(database, root=Path(out) if out else None, full=full,
                                     progress=not quiet)
        finally:
            await database.dispose()

    result = run(_run())
    tables = ", ".join(f"{name} {count:,}" for name, count in sorted(result.rows.items()))
    click.echo(f"{result.mode} extract: {result.events:,} events, {len(result.months)} months "
               f"rewritten, {result.total_rows:,} rows ({tables}) in {result.seconds:.1f} s "
               f"({result.rows_per_second:,.0f} rows/s)")
