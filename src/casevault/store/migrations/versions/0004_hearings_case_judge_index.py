"""hearings case judge index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hearings_case_id"))
        batch_op.create_index(
            "ix_hearings_case_id_judge_user_id", ["case_id", "judge_user_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.drop_index("ix_hearings_case_id_judge_user_id")
        batch_op.create_index(batch_op.f("ix_hearings_case_id"), ["case_id"], unique=False)
