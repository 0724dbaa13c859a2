"""reception: visits, queue tickets and per-room daily ticket counters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 23:51:13.633005
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_counters',
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('queue_date', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['clinic_rooms.id'], name=op.f('fk_ticket_counters_room_id_clinic_rooms')),
    sa.PrimaryKeyConstraint('room_id', 'queue_date', name=op.f('pk_ticket_counters'))
    )
    op.create_table('visits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('queue_date', sa.Date(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('priority_group', sa.String(length=30), nullable=True),
    sa.Column('scan_source', sa.String(length=30), nullable=True),
    sa.Column('coverage_decision', sa.String(length=30), nullable=False),
    sa.Column('insurance_verified', sa.Boolean(), nullable=False),
    sa.Column('card_number', sa.String(length=15), nullable=True),
    sa.Column('coverage', sa.JSON(), nullable=False),
    sa.Column('eligibility_query', sa.JSON(), nullable=True),
    sa.Column('recheck_attempts', sa.Integer(), nullable=False),
    sa.Column('next_recheck_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('scan_received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checkin_ms', sa.Integer(), nullable=True),
    sa.Column('checked_in_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_visits_facility_id_facilities')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_visits_person_id_persons')),
    sa.ForeignKeyConstraint(['room_id'], ['clinic_rooms.id'], name=op.f('fk_visits_room_id_clinic_rooms')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_visits_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('facility_id', 'idempotency_key', name=op.f('uq_visits_facility_id_idempotency_key'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_visits_unverified', ['insurance_verified', 'next_recheck_at'], unique=False)

    op.create_table('queue_tickets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('visit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('queue_date', sa.Date(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('display', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('priority_group', sa.String(length=30), nullable=True),
    sa.Column('priority_rank', sa.Integer(), nullable=False),
    sa.Column('order_key', sa.BigInteger(), nullable=False),
    sa.Column('recalls', sa.Integer(), nullable=False),
    sa.Column('return_to_ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_queue_tickets_facility_id_facilities')),
    sa.ForeignKeyConstraint(['return_to_ticket_id'], ['queue_tickets.id'], name=op.f('fk_queue_tickets_return_to_ticket_id_queue_tickets')),
    sa.ForeignKeyConstraint(['room_id'], ['clinic_rooms.id'], name=op.f('fk_queue_tickets_room_id_clinic_rooms')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_queue_tickets_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_tickets')),
    sa.UniqueConstraint('room_id', 'queue_date', 'number', name=op.f('uq_queue_tickets_room_id_queue_date_number')),
    sa.UniqueConstraint('token', name=op.f('uq_queue_tickets_token'))
    )
    with op.batch_alter_table('queue_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_tickets_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index('ix_queue_tickets_room_day_status', ['room_id', 'queue_date', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_tickets_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('queue_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_tickets_visit_id'))
        batch_op.drop_index('ix_queue_tickets_room_day_status')
        batch_op.drop_index(batch_op.f('ix_queue_tickets_facility_id'))

    op.drop_table('queue_tickets')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_unverified')
        batch_op.drop_index(batch_op.f('ix_visits_person_id'))
        batch_op.drop_index(batch_op.f('ix_visits_facility_id'))

    op.drop_table('visits')
    op.drop_table('ticket_counters')
