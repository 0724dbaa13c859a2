"""`smarthealth claims ...`: export, validate, import, submit XML 130 files."""

from __future__ import annotations

import importlib

import click


@click.group()
def claims() -> None:
    """XML 130 claim files: export, validate, import, sign and submit."""


COMMAND_MODULES = ("validate_cli", "transfer_cli", "submit_cli")


def load_commands() -> click.Group:
    """Import the modules that add their commands to the `claims` group."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"smarthealth.claims.{name}")
    return claims
