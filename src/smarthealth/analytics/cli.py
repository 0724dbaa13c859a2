"""`smarthealth analytics ...` and `smarthealth surveillance ...`."""

from __future__ import annotations

import importlib

import click


@click.group()
def analytics() -> None:
    """Columnar (Parquet) extract of the platform's data for the department's dashboards."""


@click.group()
def surveillance() -> None:
    """Outbreak detection per ward and syndrome (EARS C1-C3, Farrington, Noufaily)."""


COMMAND_MODULES = ("extract_cli", "surveillance_cli", "alarms_cli")


def load_commands() -> list[click.Group]:
    """Import the modules that add their commands to the two groups."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"smarthealth.analytics.{name}")
    return [analytics, surveillance]
