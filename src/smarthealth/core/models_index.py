"""Imports every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

import importlib

DOMAINS_WITH_MODELS = ("core", "registry", "identity", "insurance", "reception", "catalogue", "emr",
                       "claims", "analytics")


def import_all_models() -> None:
    for name in DOMAINS_WITH_MODELS:
        importlib.import_module(f"smarthealth.{name}.models")
