"""`smarthealth bhxh-sim`: a BHXH-compatible gateway simulator for the demo and tests."""

import click


@click.command("bhxh-sim")
@click.option("--port", default=8088, type=int)
def bhxh_sim(port: int) -> None:
    """Serve the BHXH gateway protocol from the synthetic population."""
    raise click.ClickException("not built yet")
