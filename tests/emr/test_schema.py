"""emr_entries as migrated matches its model (0012 dropped the index on entry_id alone: the
unique (entry_id, version) index serves lookups by entry_id)."""

from __future__ import annotations

from sqlalchemy import inspect

from smarthealth.core.db import get_database


async def test_the_entries_table_matches_its_migrations() -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from smarthealth.core.db import Base

    def _diff(connection):  # noqa: ANN001, ANN202
        context = MigrationContext.configure(connection)
        return [d for d in compare_metadata(context, Base.metadata) if "emr_entries" in repr(d)]

    async with get_database().engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_entries_are_found_by_entry_id_through_the_unique_index() -> None:
    def _indexes(connection):  # noqa: ANN001, ANN202
        found = inspect(connection)
        return ([i["column_names"] for i in found.get_indexes("emr_entries")]
                + [u["column_names"] for u in found.get_unique_constraints("emr_entries")])

    async with get_database().engine.connect() as conn:
        columns = await conn.run_sync(_indexes)
    assert ["entry_id"] not in columns and ["entry_id", "version"] in columns
