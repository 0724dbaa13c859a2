"""`smarthealth surveillance detect`: outbreak detection on any counts CSV (no database)."""

from __future__ import annotations

import sys
import time

import click

from smarthealth.analytics.cli import surveillance

METHOD_CHOICES = ("ears_c1", "ears_c2", "ears_c3", "farrington", "farrington_flexible")


@surveillance.command("detect")
@click.option("--input", "input_path", required=True,
              type=click.Path(exists=True, dir_okay=False),
              help="CSV with series_id,period_index,date,count (periods consecutive from 1)")
@click.option("--frequency", required=True, type=click.Choice(["12", "52", "365"]),
              help="periods per year: 12 monthly, 52 weekly, 365 daily")
@click.option("--method", required=True, type=click.Choice(METHOD_CHOICES))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="CSV to write (series_id,period_index,method,expected,threshold,alarm); "
                   "'-' for standard output")
def detect_command(input_path: str, frequency: str, method: str, out_path: str) -> None:
    """Run one detection method on every series; one output row per evaluated period."""
    from smarthealth.analytics.surveillance import MonthlyNotSupported, detect, first_evaluated
    from smarthealth.analytics.surveillance.io import InputError, read_counts, write_alarms

    freq = int(frequency)
    try:
        first_evaluated(method=method, frequency=freq)
    except MonthlyNotSupported as exc:
        raise click.UsageError(str(exc)) from None
    try:
        table = read_counts(input_path)
    except InputError as exc:
        raise click.ClickException(f"{input_path}: {exc}") from None
    start = time.perf_counter()
    detection = detect(table.counts, frequency=freq, method=method)
    seconds = time.perf_counter() - start
    if out_path == "-":
        rows = write_alarms(sys.stdout, table, detection, method=method)
    else:
        with open(out_path, "w", encoding="utf-8", newline="") as handle:
            rows = write_alarms(handle, table, detection, method=method)
    alarms = int((detection.alarm == 1).sum())
    click.echo(f"{method}: {len(table.series_ids)} series, {rows} evaluated periods, "
               f"{alarms} alarms in {seconds:.2f} s"
               + ("" if out_path == "-" else f" -> {out_path}"), err=True)
