"""Tables of the ``share`` analyses (issue 9).

Data-sharing agreements, privacy-loss budgets, extracts, revocations.

They live on the one schema ``metadata`` (``tables.py`` imports this module at its end), in a
file of their own so that each analysis's storage reads in one place.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from casevault.store.tables import CODE, ID, metadata

share_agreements = Table(
    "share_agreements", metadata,
    Column("agreement_id", ID, primary_key=True),
    Column("recipient_user_id", ID, ForeignKey("accounts.user_id"), nullable=False, index=True),
    Column("legal_basis", Text, nullable=False),
    Column("purposes", Text, nullable=False),
    Column("categories", Text, nullable=False),
    Column("kinds", Text, nullable=False),
    Column("max_rows", Integer, nullable=False),
    Column("max_disclosures", Integer, nullable=False),
    Column("period_days", Integer, nullable=False),
    Column("epsilon_budget", Float, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("created_by", ID, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", ID),
    Column("approved_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", String(24)),
    comment="Data-sharing agreements: who may receive what, why, how much and until when.",
)

share_consents = Table(
    "share_consents", metadata,
    Column("consent_id", ID, primary_key=True),
    Column("person_id", ID, ForeignKey("persons.person_id"), nullable=False, index=True),
    Column("category", CODE, nullable=False),
    Column("recipient_user_id", ID, ForeignKey("accounts.user_id"), nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("evidence_document_id", ID),
    Column("recorded_by", ID, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
    comment="A person's written consent to disclose one category (asylum) to one recipient.",
)

share_disclosures = Table(
    "share_disclosures", metadata,
    Column("disclosure_id", ID, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("agreement_id", ID, ForeignKey("share_agreements.agreement_id")),
    Column("user_id", ID, nullable=False),
    Column("recipient_user_id", ID, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("epsilon", Float, nullable=False),
    Index("ix_share_disclosures_recipient_user_id_at", "recipient_user_id", "at"),
    Index("ix_share_disclosures_agreement_id_at", "agreement_id", "at"),
    comment="Each disclosure's limits bookkeeping (volume, frequency, privacy loss spent).",
)

share_budgets = Table(
    "share_budgets", metadata,
    Column("user_id", ID, ForeignKey("accounts.user_id"), primary_key=True),
    Column("epsilon_total", Float, nullable=False),
    Column("set_by", ID, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
    comment="An analyst's lifetime privacy-loss budget (a default applies when absent).",
)

share_revocations = Table(
    "share_revocations", metadata,
    Column("revocation_id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("accounts.user_id"), nullable=False, index=True),
    Column("revoked_by", ID, nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
    Column("reason", String(24), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("inventory_sha256", String(64)),
    Column("certified_by", ID),
    Column("certified_at", DateTime(timezone=True)),
    Column("certificate_sha256", String(64)),
    Column("accepted_by", ID),
    Column("accepted_at", DateTime(timezone=True)),
    comment="Revocations of outside parties and the certification of their deletion.",
)
