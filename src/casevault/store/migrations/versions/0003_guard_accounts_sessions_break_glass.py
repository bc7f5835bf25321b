"""guard accounts sessions break glass

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("outside_party", sa.Boolean(), nullable=False),
        sa.Column("training_valid_until", sa.Date(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_accounts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_accounts")),
        comment="Sign-in credentials and lifecycle state of a user (one account per user).",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "account_approvals",
        sa.Column("approval_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("approved_by", sa.String(length=40), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("review_due_on", sa.Date(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts.user_id"], name=op.f("fk_account_approvals_user_id_accounts")
        ),
        sa.PrimaryKeyConstraint("approval_id", name=op.f("pk_account_approvals")),
        comment="A data owner's approval of an account: purposes, legal basis, expiry, review.",
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("account_approvals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_approvals_user_id_expires_on", ["user_id", "expires_on"], unique=False
        )

    op.create_table(
        "break_glass_grants",
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("record_kind", sa.String(length=8), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("reviewed_by", sa.String(length=40), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_outcome", sa.String(length=16), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts.user_id"], name=op.f("fk_break_glass_grants_user_id_accounts")
        ),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_break_glass_grants")),
        comment="Emergency access windows; each is an alert until a privacy officer reviews it.",
    )
    with op.batch_alter_table("break_glass_grants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_break_glass_grants_user_id_record_id", ["user_id", "record_id"], unique=False
        )

    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mfa_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts.user_id"], name=op.f("fk_sessions_user_id_accounts")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sessions_token_hash")),
        comment="Sign-in sessions, bound to a device id; only a hash of the bearer token is kept.",
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_user_id", ["user_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_user_id")

    op.drop_table("sessions")
    with op.batch_alter_table("break_glass_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_break_glass_grants_user_id_record_id")

    op.drop_table("break_glass_grants")
    with op.batch_alter_table("account_approvals", schema=None) as batch_op:
        batch_op.drop_index("ix_account_approvals_user_id_expires_on")

    op.drop_table("account_approvals")
    op.drop_table("accounts")
