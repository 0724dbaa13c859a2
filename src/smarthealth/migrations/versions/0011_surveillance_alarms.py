"""surveillance alarms: ward × syndrome × period × method, with expected value and threshold

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'surveillance_alarms',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('ward_code', sa.Integer(), nullable=False),
        sa.Column('syndrome', sa.String(length=40), nullable=False),
        sa.Column('frequency', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('method', sa.String(length=30), nullable=False),
        sa.Column('observed', sa.Integer(), nullable=False),
        sa.Column('expected', sa.Float(), nullable=True),
        sa.Column('threshold', sa.Float(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('run_id', sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_surveillance_alarms')),
        sa.UniqueConstraint('ward_code', 'syndrome', 'frequency', 'period_start', 'method',
                            name='uq_surveillance_alarms_period'),
    )
    with op.batch_alter_table('surveillance_alarms', schema=None) as batch_op:
        batch_op.create_index('ix_surveillance_alarms_period_start', ['period_start'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('surveillance_alarms', schema=None) as batch_op:
        batch_op.drop_index('ix_surveillance_alarms_period_start')
    op.drop_table('surveillance_alarms')
