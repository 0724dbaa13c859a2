"""catalogue: ICD-10, ICD-9-CM, technique crosswalk, drugs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 00:27:07.467968
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drugs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active_ingredient', sa.String(length=300), nullable=False),
    sa.Column('ingredient_key', sa.String(length=300), nullable=False),
    sa.Column('strength', sa.String(length=100), nullable=False),
    sa.Column('dosage_form', sa.String(length=100), nullable=False),
    sa.Column('route', sa.String(length=50), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('bhyt_covered', sa.Boolean(), nullable=False),
    sa.Column('atc', sa.String(length=10), nullable=True),
    sa.Column('search_key', sa.String(length=600), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drugs')),
    sa.UniqueConstraint('code', name=op.f('uq_drugs_code'))
    )
    with op.batch_alter_table('drugs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drugs_ingredient_key'), ['ingredient_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_drugs_search_key'), ['search_key'], unique=False)

    op.create_table('icd10_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('catalogue_version', sa.String(length=20), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('code_nodot', sa.String(length=10), nullable=False),
    sa.Column('title_vi', sa.String(length=400), nullable=False),
    sa.Column('title_en', sa.String(length=400), nullable=False),
    sa.Column('chapter', sa.String(length=10), nullable=False),
    sa.Column('chapter_title_vi', sa.String(length=200), nullable=False),
    sa.Column('group_code', sa.String(length=10), nullable=False),
    sa.Column('category_code', sa.String(length=10), nullable=False),
    sa.Column('search_key', sa.String(length=900), nullable=False),
    sa.Column('title_key', sa.String(length=400), nullable=False),
    sa.Column('not_primary', sa.Boolean(), nullable=False),
    sa.Column('female_only', sa.Boolean(), nullable=False),
    sa.Column('male_only', sa.Boolean(), nullable=False),
    sa.Column('age_rule', sa.String(length=10), nullable=True),
    sa.Column('age_min', sa.String(length=6), nullable=True),
    sa.Column('age_min_exclusive', sa.Boolean(), nullable=False),
    sa.Column('age_max', sa.String(length=6), nullable=True),
    sa.Column('dagger_asterisk', sa.String(length=1), nullable=True),
    sa.Column('is_category', sa.Boolean(), nullable=False),
    sa.Column('has_subcodes', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_icd10_codes')),
    sa.UniqueConstraint('catalogue_version', 'code_nodot', name=op.f('uq_icd10_codes_catalogue_version_code_nodot'))
    )
    with op.batch_alter_table('icd10_codes', schema=None) as batch_op:
        batch_op.create_index('ix_icd10_codes_category', ['category_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_icd10_codes_code_nodot'), ['code_nodot'], unique=False)
        batch_op.create_index('ix_icd10_codes_search_key', ['search_key'], unique=False)

    op.create_table('icd9cm_crosswalk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('equivalent_code', sa.String(length=20), nullable=False),
    sa.Column('technique_vi', sa.String(length=500), nullable=False),
    sa.Column('specialty_vi', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=5), nullable=True),
    sa.Column('klass', sa.String(length=5), nullable=True),
    sa.Column('icd9cm_code', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_icd9cm_crosswalk')),
    sa.UniqueConstraint('equivalent_code', 'icd9cm_code', name=op.f('uq_icd9cm_crosswalk_equivalent_code_icd9cm_code'))
    )
    with op.batch_alter_table('icd9cm_crosswalk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_icd9cm_crosswalk_equivalent_code'), ['equivalent_code'], unique=False)

    op.create_table('icd9cm_procedures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('title_vi', sa.String(length=400), nullable=False),
    sa.Column('chapter', sa.String(length=200), nullable=False),
    sa.Column('search_key', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_icd9cm_procedures')),
    sa.UniqueConstraint('code', name=op.f('uq_icd9cm_procedures_code'))
    )
    with op.batch_alter_table('icd9cm_procedures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_icd9cm_procedures_search_key'), ['search_key'], unique=False)

    op.create_table('drug_facility_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drug_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_drug_facility_prices_drug_id_drugs')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_drug_facility_prices_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drug_facility_prices')),
    sa.UniqueConstraint('drug_id', 'facility_id', name=op.f('uq_drug_facility_prices_drug_id_facility_id'))
    )
    with op.batch_alter_table('drug_facility_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drug_facility_prices_drug_id'), ['drug_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drug_facility_prices_facility_id'), ['facility_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('drug_facility_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drug_facility_prices_facility_id'))
        batch_op.drop_index(batch_op.f('ix_drug_facility_prices_drug_id'))

    op.drop_table('drug_facility_prices')
    with op.batch_alter_table('icd9cm_procedures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_icd9cm_procedures_search_key'))

    op.drop_table('icd9cm_procedures')
    with op.batch_alter_table('icd9cm_crosswalk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_icd9cm_crosswalk_equivalent_code'))

    op.drop_table('icd9cm_crosswalk')
    with op.batch_alter_table('icd10_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_icd10_codes_search_key')
        batch_op.drop_index(batch_op.f('ix_icd10_codes_code_nodot'))
        batch_op.drop_index('ix_icd10_codes_category')

    op.drop_table('icd10_codes')
    with op.batch_alter_table('drugs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drugs_search_key'))
        batch_op.drop_index(batch_op.f('ix_drugs_ingredient_key'))

    op.drop_table('drugs')
