"""data-sharing agreements, privacy budgets, extracts, revocations (issue 9)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22

Agreements (recipient, legal basis, purposes, categories, limits, dates, approver),
written consents for asylum disclosures, the disclosure bookkeeping behind volume,
frequency and privacy-loss limits, analysts' budgets, and revocations with their
deletion certification.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_agreements",
        sa.Column("agreement_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_user_id", sa.String(length=40), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("max_rows", sa.Integer(), nullable=False),
        sa.Column("max_disclosures", sa.Integer(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("epsilon_budget", sa.Float(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=40), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["accounts.user_id"],
            name=op.f("fk_share_agreements_recipient_user_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", name=op.f("pk_share_agreements")),
        comment="Data-sharing agreements: who may receive what, why, how much and until when.",
    )
    op.create_index(
        op.f("ix_share_agreements_recipient_user_id"),
        "share_agreements",
        ["recipient_user_id"],
        unique=False,
    )
    op.create_table(
        "share_budgets",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("epsilon_total", sa.Float(), nullable=False),
        sa.Column("set_by", sa.String(length=40), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts.user_id"], name=op.f("fk_share_budgets_user_id_accounts")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_share_budgets")),
        comment="An analyst's lifetime privacy-loss budget (a default applies when absent).",
    )
    op.create_table(
        "share_consents",
        sa.Column("consent_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("recipient_user_id", sa.String(length=40), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("evidence_document_id", sa.String(length=40), nullable=True),
        sa.Column("recorded_by", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_share_consents_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_user_id"],
            ["accounts.user_id"],
            name=op.f("fk_share_consents_recipient_user_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("consent_id", name=op.f("pk_share_consents")),
        comment="A person's written consent to disclose one category (asylum) to one recipient.",
    )
    op.create_index(
        op.f("ix_share_consents_person_id"), "share_consents", ["person_id"], unique=False
    )
    op.create_table(
        "share_revocations",
        sa.Column("revocation_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("revoked_by", sa.String(length=40), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("inventory_sha256", sa.String(length=64), nullable=True),
        sa.Column("certified_by", sa.String(length=40), nullable=True),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=True),
        sa.Column("accepted_by", sa.String(length=40), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["accounts.user_id"], name=op.f("fk_share_revocations_user_id_accounts")
        ),
        sa.PrimaryKeyConstraint("revocation_id", name=op.f("pk_share_revocations")),
        comment="Revocations of outside parties and the certification of their deletion.",
    )
    op.create_index(
        op.f("ix_share_revocations_user_id"), "share_revocations", ["user_id"], unique=False
    )
    op.create_table(
        "share_disclosures",
        sa.Column("disclosure_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("agreement_id", sa.String(length=40), nullable=True),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_user_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["share_agreements.agreement_id"],
            name=op.f("fk_share_disclosures_agreement_id_share_agreements"),
        ),
        sa.PrimaryKeyConstraint("disclosure_id", name=op.f("pk_share_disclosures")),
        sa.UniqueConstraint("event_id", name=op.f("uq_share_disclosures_event_id")),
        comment="Each disclosure's limits bookkeeping (volume, frequency, privacy loss spent).",
    )
    op.create_index(
        "ix_share_disclosures_agreement_id_at",
        "share_disclosures",
        ["agreement_id", "at"],
        unique=False,
    )
    op.create_index(
        "ix_share_disclosures_recipient_user_id_at",
        "share_disclosures",
        ["recipient_user_id", "at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_share_disclosures_recipient_user_id_at", table_name="share_disclosures")
    op.drop_index("ix_share_disclosures_agreement_id_at", table_name="share_disclosures")
    op.drop_table("share_disclosures")
    op.drop_index(op.f("ix_share_revocations_user_id"), table_name="share_revocations")
    op.drop_table("share_revocations")
    op.drop_index(op.f("ix_share_consents_person_id"), table_name="share_consents")
    op.drop_table("share_consents")
    op.drop_table("share_budgets")
    op.drop_index(op.f("ix_share_agreements_recipient_user_id"), table_name="share_agreements")
    op.drop_table("share_agreements")
