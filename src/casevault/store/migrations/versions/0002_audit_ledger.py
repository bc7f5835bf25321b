"""audit ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_ledger_checkpoints")),
        comment="Signed tree heads (C2SP tlog-checkpoint notes), kept forever.",
    )
    op.create_table(
        "ledger_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("person_id", sa.String(length=40), nullable=True),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("policy_ids", sa.Text(), nullable=False),
        sa.Column("query_hmac", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("person_prev_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_ledger_events_event_id")),
        comment="The Merkle log's leaves: one row per access decision, login, export or change.",
    )
    with op.batch_alter_table("ledger_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_events_at"), ["at"], unique=False)
        batch_op.create_index("ix_ledger_events_person_id_seq", ["person_id", "seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_events_user_id"), ["user_id"], unique=False)

    op.create_table(
        "ledger_meta",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ledger_meta")),
        comment="The log's identity: its origin line and the verifier key of its signer.",
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_nodes")),
        comment="Hashes of complete subtrees (level >= 1) covering leaves "
        "[idx * 2**level, (idx + 1) * 2**level).",
        sqlite_with_rowid=False,
    )


def downgrade() -> None:

    op.drop_table("ledger_nodes")
    op.drop_table("ledger_meta")
    with op.batch_alter_table("ledger_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_events_user_id"))
        batch_op.drop_index("ix_ledger_events_person_id_seq")
        batch_op.drop_index(batch_op.f("ix_ledger_events_at"))

    op.drop_table("ledger_events")
    op.drop_table("ledger_checkpoints")
