"""breach incidents, affected people, case holds, notices, traced downloads (issue 8)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breach_incidents",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=24), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("where_url", sa.Text(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clocks", sa.Text(), nullable=False),
        sa.Column("mentions_protection", sa.Boolean(), nullable=False),
        sa.Column("affected_count", sa.Integer(), nullable=False),
        sa.Column("unresolved_count", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_breach_incidents")),
        comment="A leaked file taken up as a breach: its timeline and the clocks that apply.",
    )
    op.create_table(
        "breach_affected",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("asylum_exposed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["breach_incidents.incident_id"],
            name=op.f("fk_breach_affected_incident_id_breach_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_breach_affected_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("incident_id", "person_id", name=op.f("pk_breach_affected")),
        comment="A person the leaked file names (exact data match): kinds exposed, confidence.",
    )
    op.create_table(
        "breach_downloads",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("client_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("network", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("user_agent", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["breach_incidents.incident_id"],
            name=op.f("fk_breach_downloads_incident_id_breach_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "seq", name=op.f("pk_breach_downloads")),
        comment="A request for the leaked file in the exposure window; the client address sealed.",
    )
    op.create_index(
        "ix_breach_downloads_incident_id_client_key",
        "breach_downloads",
        ["incident_id", "client_key"],
        unique=False,
    )
    op.create_table(
        "breach_notices",
        sa.Column("notice_id", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["breach_incidents.incident_id"],
            name=op.f("fk_breach_notices_incident_id_breach_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_breach_notices_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_breach_notices")),
        comment="One notice to an affected person or their attorney of record; mailing status.",
    )
    op.create_index(
        "ix_breach_notices_incident_id_recipient_kind",
        "breach_notices",
        ["incident_id", "recipient_kind"],
        unique=False,
    )
    op.create_table(
        "breach_steps",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["breach_incidents.incident_id"],
            name=op.f("fk_breach_steps_incident_id_breach_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "seq", name=op.f("pk_breach_steps")),
        comment="The incident's timeline: each step taken (ids and counts only), with its event.",
    )
    op.create_table(
        "breach_unresolved",
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("masked_preview", sa.Text(), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["breach_incidents.incident_id"],
            name=op.f("fk_breach_unresolved_incident_id_breach_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "seq", name=op.f("pk_breach_unresolved")),
        comment="Identifiers in the file that matched nobody here: masked, for manual review.",
    )
    op.create_table(
        "case_holds",
        sa.Column("hold_id", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_by", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=40), nullable=True),
        sa.Column("clear_reason", sa.Text(), nullable=True),
        sa.Column("clear_event_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_case_holds_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["breach_incidents.incident_id"],
            name=op.f("fk_case_holds_incident_id_breach_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_case_holds_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_case_holds")),
        comment="'Disclosure under review': blocks removal-related outcomes until cleared.",
    )
    op.create_index(
        "ix_case_holds_case_id_cleared_at", "case_holds", ["case_id", "cleared_at"], unique=False
    )
    op.create_index("ix_case_holds_incident_id", "case_holds", ["incident_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_holds_incident_id", table_name="case_holds")
    op.drop_index("ix_case_holds_case_id_cleared_at", table_name="case_holds")
    op.drop_table("case_holds")
    op.drop_table("breach_unresolved")
    op.drop_table("breach_steps")
    op.drop_index("ix_breach_notices_incident_id_recipient_kind", table_name="breach_notices")
    op.drop_table("breach_notices")
    op.drop_index("ix_breach_downloads_incident_id_client_key", table_name="breach_downloads")
    op.drop_table("breach_downloads")
    op.drop_table("breach_affected")
    op.drop_table("breach_incidents")
