"""claims submissions: every file sent to BHXH or the Hanoi hub and its answer

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'claims_submissions',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('target', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('facility_code', sa.String(length=5), nullable=False),
        sa.Column('ma_lk', sa.String(length=1000), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('ma_ket_qua', sa.String(length=20), nullable=True),
        sa.Column('ma_giao_dich', sa.String(length=100), nullable=True),
        sa.Column('thoi_gian_tiep_nhan', sa.String(length=20), nullable=True),
        sa.Column('thong_diep', sa.Text(), nullable=True),
        sa.Column('response', sa.JSON(), nullable=True),
        sa.Column('submitted_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claims_submissions')),
    )
    op.create_index('ix_claims_submissions_facility_sent', 'claims_submissions',
                    ['facility_code', 'sent_at'])
    op.create_index('ix_claims_submissions_transaction', 'claims_submissions', ['ma_giao_dich'])
    op.create_index(op.f('ix_claims_submissions_sha256'), 'claims_submissions', ['sha256'])


def downgrade() -> None:
    op.drop_index(op.f('ix_claims_submissions_sha256'), table_name='claims_submissions')
    op.drop_index('ix_claims_submissions_transaction', table_name='claims_submissions')
    op.drop_index('ix_claims_submissions_facility_sent', table_name='claims_submissions')
    op.drop_table('claims_submissions')
