"""analytics: the Parquet extract's runs and months

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'analytics_extract_runs',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('mode', sa.String(length=12), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('position', BIG_ID, nullable=False),
        sa.Column('months', sa.JSON(), nullable=False),
        sa.Column('rows', BIG_ID, nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_extract_runs')),
    )
    op.create_table(
        'analytics_extract_months',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('run_id', BIG_ID, nullable=False),
        sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_analytics_extract_months')),
    )


def downgrade() -> None:
    op.drop_table('analytics_extract_months')
    op.drop_table('analytics_extract_runs')
