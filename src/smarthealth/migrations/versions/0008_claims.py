"""claims: episodes imported from or exported to XML 130 files

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'claims_episodes',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('facility_code', sa.String(length=5), nullable=False),
        sa.Column('ma_lk', sa.String(length=100), nullable=False),
        sa.Column('encounter_id', BIG_ID, nullable=False),
        sa.Column('person_id', BIG_ID, nullable=False),
        sa.Column('direction', sa.String(length=10), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('extras', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('exported_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['encounter_id'], ['emr_encounters.id'],
                                name=op.f('fk_claims_episodes_encounter_id_emr_encounters')),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'],
                                name=op.f('fk_claims_episodes_person_id_persons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claims_episodes')),
        sa.UniqueConstraint('facility_code', 'ma_lk', name=op.f('uq_claims_episodes_facility_code_ma_lk')),
    )
    op.create_index(op.f('ix_claims_episodes_encounter_id'), 'claims_episodes', ['encounter_id'])
    op.create_index(op.f('ix_claims_episodes_person_id'), 'claims_episodes', ['person_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_claims_episodes_person_id'), table_name='claims_episodes')
    op.drop_index(op.f('ix_claims_episodes_encounter_id'), table_name='claims_episodes')
    op.drop_table('claims_episodes')
