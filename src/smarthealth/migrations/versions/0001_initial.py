"""core, registry, identity and insurance tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 23:34:40.283183
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=40), nullable=True),
    sa.Column('facility_code', sa.String(length=5), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity_type', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=True),
    sa.Column('patient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source_ip', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_entries_seq'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_facility_code'), ['facility_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_patient_id'), ['patient_id'], unique=False)

    op.create_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('care_level', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.String(length=20), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('ward_code', sa.Integer(), nullable=True),
    sa.Column('ward_name', sa.String(length=120), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('code', name=op.f('uq_facilities_code'))
    )
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facilities_ward_code'), ['ward_code'], unique=False)

    op.create_table('outbox_consumers',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('position', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_outbox_consumers'))
    )
    op.create_table('outbox_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', sa.String(length=80), nullable=False),
    sa.Column('aggregate_type', sa.String(length=60), nullable=False),
    sa.Column('aggregate_id', sa.String(length=80), nullable=False),
    sa.Column('facility_code', sa.String(length=5), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events'))
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_events_topic'), ['topic'], unique=False)

    op.create_table('persons',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('cccd', sa.String(length=12), nullable=True),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=6), nullable=False),
    sa.Column('phone', sa.String(length=15), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('ward_code', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['persons.id'], name=op.f('fk_persons_merged_into_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('cccd', name=op.f('uq_persons_cccd'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_birth_date'), ['birth_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_ward_code'), ['ward_code'], unique=False)

    op.create_table('bhyt_cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('group_code', sa.String(length=2), nullable=False),
    sa.Column('benefit_level', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('social_insurance_number', sa.String(length=10), nullable=False),
    sa.Column('registered_facility_code', sa.String(length=5), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('five_years_date', sa.Date(), nullable=True),
    sa.Column('area_code', sa.String(length=2), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_bhyt_cards_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bhyt_cards')),
    sa.UniqueConstraint('code', name=op.f('uq_bhyt_cards_code'))
    )
    with op.batch_alter_table('bhyt_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bhyt_cards_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bhyt_cards_social_insurance_number'), ['social_insurance_number'], unique=False)

    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_departments_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('facility_id', 'code', name=op.f('uq_departments_facility_id_code'))
    )
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departments_facility_id'), ['facility_id'], unique=False)

    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('cccd', sa.String(length=12), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_staff_users_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_users_facility_id'), ['facility_id'], unique=False)

    op.create_table('clinic_rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_clinic_rooms_department_id_departments')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_clinic_rooms_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_rooms')),
    sa.UniqueConstraint('facility_id', 'code', name=op.f('uq_clinic_rooms_facility_id_code'))
    )
    with op.batch_alter_table('clinic_rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinic_rooms_facility_id'), ['facility_id'], unique=False)

    op.create_table('practitioners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('specialty', sa.String(length=120), nullable=True),
    sa.Column('certificate_number', sa.String(length=30), nullable=False),
    sa.Column('health_id', sa.String(length=10), nullable=True),
    sa.Column('cccd', sa.String(length=12), nullable=True),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_practitioners_facility_id_facilities')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_practitioners_staff_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practitioners')),
    sa.UniqueConstraint('certificate_number', name=op.f('uq_practitioners_certificate_number'))
    )
    with op.batch_alter_table('practitioners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practitioners_facility_id'), ['facility_id'], unique=False)

    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('price_bhyt', sa.Integer(), nullable=False),
    sa.Column('price_service', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_services_facility_id_facilities')),
    sa.ForeignKeyConstraint(['room_id'], ['clinic_rooms.id'], name=op.f('fk_services_room_id_clinic_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('facility_id', 'code', name=op.f('uq_services_facility_id_code'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_facility_id'), ['facility_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_facility_id'))

    op.drop_table('services')
    with op.batch_alter_table('practitioners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practitioners_facility_id'))

    op.drop_table('practitioners')
    with op.batch_alter_table('clinic_rooms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinic_rooms_facility_id'))

    op.drop_table('clinic_rooms')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_users_facility_id'))

    op.drop_table('staff_users')
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_departments_facility_id'))

    op.drop_table('departments')
    with op.batch_alter_table('bhyt_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bhyt_cards_social_insurance_number'))
        batch_op.drop_index(batch_op.f('ix_bhyt_cards_person_id'))

    op.drop_table('bhyt_cards')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_ward_code'))
        batch_op.drop_index(batch_op.f('ix_persons_phone'))
        batch_op.drop_index(batch_op.f('ix_persons_name_key'))
        batch_op.drop_index(batch_op.f('ix_persons_birth_date'))

    op.drop_table('persons')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_events_topic'))

    op.drop_table('outbox_events')
    op.drop_table('outbox_consumers')
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facilities_ward_code'))

    op.drop_table('facilities')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_patient_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_facility_code'))

    op.drop_table('audit_entries')
