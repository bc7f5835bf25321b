"""misuse alerts and their investigation cases (issue 7)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22

Cases of misuse alerts (``watch_cases``), the alerts filed into them (``watch_alerts``) and
each step a privacy officer took (``watch_case_steps``); see ``store/tables_watch.py``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_cases",
        sa.Column("watch_case_id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.String(length=40), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("watch_case_id", name=op.f("pk_watch_cases")),
        comment="A privacy officer's case about one staff member's alerts (ids only).",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_watch_cases_user_id_state", "watch_cases", ["user_id", "state"])
    op.create_table(
        "watch_alerts",
        sa.Column("alert_id", sa.String(length=24), nullable=False),
        sa.Column("watch_case_id", sa.String(length=24), nullable=False),
        sa.Column("detector", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("person_ids", sa.Text(), nullable=False),
        sa.Column("event_ids", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["watch_case_id"], ["watch_cases.watch_case_id"],
                                name=op.f("fk_watch_alerts_watch_case_id_watch_cases")),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_watch_alerts")),
        comment="Alerts filed into cases (DESIGN.md's alert format; ;-separated id lists).",
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_watch_alerts_watch_case_id"), "watch_alerts", ["watch_case_id"])
    op.create_table(
        "watch_case_steps",
        sa.Column("watch_case_id", sa.String(length=24), nullable=False),
        sa.Column("step", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["watch_case_id"], ["watch_cases.watch_case_id"],
                                name=op.f("fk_watch_case_steps_watch_case_id_watch_cases")),
        sa.PrimaryKeyConstraint("watch_case_id", "step", name=op.f("pk_watch_case_steps")),
        comment="Each step of a case: its new state, the officer, their note, its ledger event.",
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("watch_case_steps")
    op.drop_index(op.f("ix_watch_alerts_watch_case_id"), table_name="watch_alerts")
    op.drop_table("watch_alerts")
    op.drop_index("ix_watch_cases_user_id_state", table_name="watch_cases")
    op.drop_table("watch_cases")
