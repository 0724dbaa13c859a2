"""emr documents: signed PDFs (immutable: a trigger refuses every UPDATE)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MESSAGE = "signed documents are immutable"


def upgrade() -> None:
    op.create_table(
        'emr_signed_documents',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('encounter_id', BIG_ID, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('facility_code', sa.String(length=5), nullable=False),
        sa.Column('file_name', sa.String(length=120), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('signer_user_id', sa.Integer(), nullable=True),
        sa.Column('signer_name', sa.String(length=120), nullable=False),
        sa.Column('certificate_serial', sa.String(length=64), nullable=False),
        sa.Column('certificate_issuer', sa.String(length=200), nullable=False),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['encounter_id'], ['emr_encounters.id'],
                                name=op.f('fk_emr_signed_documents_encounter_id_emr_encounters')),
        sa.ForeignKeyConstraint(['signer_user_id'], ['staff_users.id'],
                                name=op.f('fk_emr_signed_documents_signer_user_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_emr_signed_documents')),
        sa.UniqueConstraint('encounter_id', 'kind', 'version',
                            name=op.f('uq_emr_signed_documents_encounter_id')),
    )
    op.create_index(op.f('ix_emr_signed_documents_encounter_id'), 'emr_signed_documents',
                    ['encounter_id'])
    op.create_index('ix_emr_signed_documents_person', 'emr_signed_documents',
                    ['person_id', 'signed_at'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION emr_signed_documents_immutable() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql""")
        op.execute("""
            CREATE TRIGGER emr_signed_documents_no_update BEFORE UPDATE ON emr_signed_documents
            FOR EACH ROW EXECUTE FUNCTION emr_signed_documents_immutable()""")
    else:
        op.execute(f"""
            CREATE TRIGGER emr_signed_documents_no_update BEFORE UPDATE ON emr_signed_documents
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS emr_signed_documents_no_update ON emr_signed_documents")
        op.execute("DROP FUNCTION IF EXISTS emr_signed_documents_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS emr_signed_documents_no_update")
    op.drop_index('ix_emr_signed_documents_person', table_name='emr_signed_documents')
    op.drop_index(op.f('ix_emr_signed_documents_encounter_id'), table_name='emr_signed_documents')
    op.drop_table('emr_signed_documents')
