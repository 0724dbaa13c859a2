"""`smarthealth seed`."""

import click


@click.command()
@click.option("--people", default=20000, type=int)
@click.option("--seed", "seed_value", default=1, type=int)
@click.option("--if-empty", is_flag=True)
def seed(people: int, seed_value: int, if_empty: bool) -> None:
    """Seed the synthetic Hanoi demo."""
    raise click.ClickException("not built yet")
