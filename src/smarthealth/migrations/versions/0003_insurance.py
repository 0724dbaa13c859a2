"""insurance: eligibility check log (also the cross-process same-day cache)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "eligibility_checks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("check_date", sa.Date(), nullable=False),
        sa.Column("card_code", sa.String(length=20), nullable=True),
        sa.Column("cccd", sa.String(length=12), nullable=True),
        sa.Column("person_id", BigId, nullable=True),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("birth_date", sa.String(length=10), nullable=False),
        sa.Column("facility_code", sa.String(length=5), nullable=False),
        sa.Column("staff_cccd", sa.String(length=12), nullable=True),
        sa.Column("result_code", sa.String(length=3), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_checks")),
    )
    with op.batch_alter_table("eligibility_checks", schema=None) as batch_op:
        batch_op.create_index("ix_eligibility_checks_card_day", ["card_code", "check_date"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_eligibility_checks_person_id"), ["person_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_eligibility_checks_facility_code"),
                              ["facility_code"], unique=False)


def downgrade() -> None:
    op.drop_table("eligibility_checks")
