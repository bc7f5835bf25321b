"""publication approvals

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "publication_approvals",
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("approved_by", sa.String(length=40), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["accounts.user_id"],
            name=op.f("fk_publication_approvals_approved_by_accounts"),
        ),
        sa.PrimaryKeyConstraint(
            "file_sha256", "approved_by", name=op.f("pk_publication_approvals")
        ),
        comment="Privacy officers' releases of one exact blocked file (two different ones needed).",
    )


def downgrade() -> None:

    op.drop_table("publication_approvals")
