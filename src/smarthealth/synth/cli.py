"""`smarthealth seed`: the synthetic Hanoi demo."""

from __future__ import annotations

from datetime import date, datetime

import click


@click.command()
@click.option("--people", default=20000, type=click.IntRange(min=0), show_default=True,
              help="number of residents")
@click.option("--seed", "seed_value", default=1, type=int, show_default=True,
              help="the same seed (and --as-of day) gives the same data")
@click.option("--as-of", "as_of", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="reference day for ages and card validity (default: today in Hanoi)")
@click.option("--if-empty", is_flag=True,
              help="do nothing when the database already holds facilities")
@click.option("--chunk", default=10_000, type=click.IntRange(min=100), show_default=True,
              help="people generated and inserted per transaction")
@click.option("--history/--no-history", default=True, show_default=True,
              help="two years of past visits (seasonal diseases, chronic care)")
def seed(people: int, seed_value: int, as_of: datetime | None, if_empty: bool, chunk: int,
         history: bool) -> None:
    """Seed synthetic Hanoi: facilities, staff, residents, BHYT cards and past visits."""
    from smarthealth.cli import run
    from smarthealth.core.db import get_database
    from smarthealth.synth.seed import already_seeded, seed_hanoi
    from smarthealth.synth.staff import DEMO_ACCOUNTS, DEMO_PASSWORD

    database = get_database()

    async def _seed() -> str:
        existing = await already_seeded(database)
        if existing:
            if if_empty:
                return (f"synthetic Hanoi demo already seeded ({existing} facilities); "
                        "nothing to do")
            raise click.ClickException(
                f"the database already holds {existing} facilities; seed an empty database "
                "or pass --if-empty")
        on: date | None = as_of.date() if as_of is not None else None
        done = await seed_hanoi(database, people=people, seed=seed_value, on=on, chunk=chunk,
                                progress=True)
        from smarthealth.catalogue.loaders import load_defaults
        from smarthealth.emr.pki_cli import init_demo
        from smarthealth.synth.history import seed_history
        from smarthealth.synth.staff import DEMO_FACILITY

        async with database.session() as session:  # ICD-10, ICD-9-CM and the demo drug list
            loaded = await load_defaults(session)
        past = await seed_history(database, seed=seed_value, on=on) if history else None
        async with database.session() as session:  # demo CA and the demo hospital's certificates
            certs = await init_demo(session, facility_codes=[DEMO_FACILITY])
        return (f"seeded synthetic Hanoi: {done.facilities} facilities "
                f"({done.stations} health stations), {done.practitioners} practitioners, "
                f"{done.staff_users} staff accounts, {done.people} people, "
                f"{done.cards} BHYT cards in {done.seconds:.1f} s; demo CA with "
                f"{certs.practitioners} doctor certificate(s) under var/pki; catalogues: "
                + ", ".join(f"{r.kind} {r.total}" for r in loaded)
                + (f"; {past.encounters} past visits in {past.seconds:.1f} s" if past else "")
                + "\n"
                f"demo accounts (password {DEMO_PASSWORD}): "
                + ", ".join(f"{user} ({role})" for user, role, _, _ in DEMO_ACCOUNTS))

    click.echo(run(_seed()))


@click.group("synth")
def synth_group() -> None:
    """Synthetic data written straight to files (no database)."""


@synth_group.command("history")
@click.option("--years", default=2, type=click.IntRange(min=1), show_default=True)
@click.option("--visits-per-day", "visits_per_day", default=5000.0,
              type=click.FloatRange(min=0), show_default=True,
              help="average visits per day across the city")
@click.option("--out", "out", default=None, type=click.Path(file_okay=False),
              help="Parquet root (default: the analytics directory, SMARTHEALTH_ANALYTICS_DIR)")
@click.option("--seed", "seed_value", default=1, type=int, show_default=True)
@click.option("--start", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="first day (default: the first of this month, `years` years ago)")
@click.option("--outbreaks", default=10, type=click.IntRange(min=0), show_default=True,
              help="injected outbreaks, listed in truth.csv")
@click.option("--jobs", default=2, type=click.IntRange(min=1), show_default=True,
              help="months drawn in parallel processes")
def history_command(years: int, visits_per_day: float, out: str | None, seed_value: int,
                    start: datetime | None, outbreaks: int, jobs: int) -> None:
    """Write a multi-year synthetic visit history to Parquet (visits, diagnoses, admissions)."""
    from pathlib import Path

    from smarthealth.analytics.config import get_analytics_settings
    from smarthealth.analytics.synth_history import write_history

    root = Path(out) if out else get_analytics_settings().root()
    result = write_history(out=root, years=years, visits_per_day=visits_per_day,
                           seed=seed_value, start=start.date() if start else None,
                           outbreaks=outbreaks, jobs=jobs, progress=True)
    click.echo(f"{result.visits:,} visits and {result.diagnoses:,} diagnoses in "
               f"{result.months} months written to {result.out} in {result.seconds:.1f} s "
               f"({result.rows_per_second:,.0f} rows/s); {result.outbreaks} injected "
               f"outbreaks in {result.out / 'truth.csv'}")
