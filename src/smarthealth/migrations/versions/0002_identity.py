"""identity: birth-date precision, other identifiers, person merges

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date_precision", sa.String(length=5),
                                      server_default="day", nullable=False))

    op.create_table(
        "person_identifiers",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_person_identifiers_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_identifiers")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_person_identifiers_kind_value")),
    )
    with op.batch_alter_table("person_identifiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_identifiers_person_id"), ["person_id"],
                              unique=False)

    op.create_table(
        "person_merges",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("keep_id", BigId, nullable=False),
        sa.Column("merge_id", BigId, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("merged_by", sa.String(length=100), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_by", sa.String(length=100), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["keep_id"], ["persons.id"],
                                name=op.f("fk_person_merges_keep_id_persons")),
        sa.ForeignKeyConstraint(["merge_id"], ["persons.id"],
                                name=op.f("fk_person_merges_merge_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )
    with op.batch_alter_table("person_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_merges_keep_id"), ["keep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_merges_merge_id"), ["merge_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_merges_merge_id"))
        batch_op.drop_index(batch_op.f("ix_person_merges_keep_id"))
    op.drop_table("person_merges")
    with op.batch_alter_table("person_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_identifiers_person_id"))
    op.drop_table("person_identifiers")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("birth_date_precision")
