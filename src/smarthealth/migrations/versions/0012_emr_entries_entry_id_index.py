"""emr_entries: drop the index on entry_id alone (the unique (entry_id, version) index leads
with entry_id and serves the same lookups; one index less to update per entry written)

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_emr_entries_entry_id', table_name='emr_entries')


def downgrade() -> None:
    op.create_index('ix_emr_entries_entry_id', 'emr_entries', ['entry_id'], unique=False)
