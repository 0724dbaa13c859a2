"""`smarthealth surveillance run`: detect outbreaks in the extract and store new alarms."""

from __future__ import annotations

import time
from pathlib import Path

import click

from smarthealth.analytics.cli import surveillance

METHOD_CHOICES = ("ears_c1", "ears_c2", "ears_c3", "farrington", "farrington_flexible")


@surveillance.command("run")
@click.option("--method", "methods", multiple=True, type=click.Choice(METHOD_CHOICES),
              help="detection method (repeat for several; default farrington_flexible)")
@click.option("--weeks", default=8, type=click.IntRange(min=1), show_default=True,
              help="store alarms of the last N periods (older ones were stored by earlier runs)")
@click.option("--frequency", default="52", type=click.Choice(["52", "365"]), show_default=True,
              help="52 weekly, 365 daily counts")
@click.option("--root", default=None, type=click.Path(file_okay=False),
              help="Parquet root (default: SMARTHEALTH_ANALYTICS_DIR or var/analytics)")
@click.option("--syndromes", "syndromes_file", default=None, type=click.Path(dir_okay=False),
              help="syndrome definitions (default: the shipped syndromes.toml)")
def run_command(methods: tuple[str, ...], weeks: int, frequency: str, root: str | None,
                syndromes_file: str | None) -> None:
    """Counts per ward × syndrome → detection → new alarms stored and sent to the outbox.
    Re-running stores nothing twice."""
    from smarthealth.analytics import alarms, syndromes
    from smarthealth.analytics.api import open_extract
    from smarthealth.cli import run
    from smarthealth.core.db import get_database

    began = time.perf_counter()
    definitions = syndromes.load(Path(syndromes_file)) if syndromes_file else syndromes.load()
    conn = open_extract(Path(root) if root else None)
    series, found = alarms.detect_alarms(conn, syndromes=definitions,
                                         methods=methods or alarms.DEFAULT_METHODS,
                                         frequency=int(frequency), last_periods=weeks)

    async def _store() -> int:
        async with get_database().session() as session:
            return len(await alarms.store_alarms(session, alarms=found, syndromes=definitions))

    new = run(_store())
    click.echo(f"{len(series.keys):,} series × {len(series.period_starts):,} periods; "
               f"{len(found):,} alarms in the last {weeks} periods, {new:,} new "
               f"({time.perf_counter() - began:.1f} s)")
