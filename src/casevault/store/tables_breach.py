"""Tables of the ``breach`` analyses (issue 8).

Incidents, their timeline, affected people, rows left for manual review, case holds, notices,
traced downloads.

They live on the one schema ``metadata`` (``tables.py`` imports this module at its end), in a
file of their own so that each analysis's storage reads in one place. Nothing here holds a
value of the leaked file in clear: affected people are ids with the *kinds* of identifier
exposed, unresolved rows a masked preview, downloads an encrypted client address (and a keyed
hash of it, to group by address without decrypting). No foreign key points at ``accounts``
(guard tests empty that table; an incident outlives an account).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from casevault.store.tables import ID, metadata

INCIDENT_ID = String(40)

breach_incidents = Table(
    "breach_incidents", metadata,
    Column("incident_id", INCIDENT_ID, primary_key=True),
    Column("version", String(24), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", ID, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("file_bytes", BigInteger, nullable=False),
    Column("where_url", Text),
    Column("posted_at", DateTime(timezone=True)),
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True)),
    Column("clocks", Text, nullable=False),
    Column("mentions_protection", Boolean, nullable=False),
    Column("affected_count", Integer, nullable=False),
    Column("unresolved_count", Integer, nullable=False),
    Column("event_id", String(36), nullable=False),
    comment="A leaked file taken up as a breach: its timeline and the clocks that apply.",
)

breach_steps = Table(
    "breach_steps", metadata,
    Column("incident_id", INCIDENT_ID, ForeignKey("breach_incidents.incident_id"),
           primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("step", String(40), nullable=False),
    Column("user_id", ID),
    Column("detail", Text, nullable=False),
    Column("event_id", String(36)),
    comment="The incident's timeline: each step taken (ids and counts only), with its event.",
)

breach_affected = Table(
    "breach_affected", metadata,
    Column("incident_id", INCIDENT_ID, ForeignKey("breach_incidents.incident_id"),
           primary_key=True),
    Column("person_id", ID, ForeignKey("persons.person_id"), primary_key=True),
    Column("kinds", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("asylum_exposed", Boolean, nullable=False),
    comment="A person the leaked file names (exact data match): kinds exposed, confidence.",
)

breach_unresolved = Table(
    "breach_unresolved", metadata,
    Column("incident_id", INCIDENT_ID, ForeignKey("breach_incidents.incident_id"),
           primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("location", Text, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("masked_preview", Text, nullable=False),
    Column("reviewed", Boolean, nullable=False),
    comment="Identifiers in the file that matched nobody here: masked, for manual review.",
)

case_holds = Table(
    "case_holds", metadata,
    Column("hold_id", String(32), primary_key=True),
    Column("incident_id", INCIDENT_ID, ForeignKey("breach_incidents.incident_id"),
           nullable=False),
    Column("case_id", ID, ForeignKey("cases.case_id"), nullable=False),
    Column("person_id", ID, ForeignKey("persons.person_id"), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("placed_by", ID, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("cleared_at", DateTime(timezone=True)),
    Column("cleared_by", ID),
    Column("clear_reason", Text),
    Column("clear_event_id", String(36)),
    Index("ix_case_holds_case_id_cleared_at", "case_id", "cleared_at"),
    Index("ix_case_holds_incident_id", "incident_id"),
    comment="'Disclosure under review': blocks removal-related outcomes until cleared.",
)

breach_notices = Table(
    "breach_notices", metadata,
    Column("notice_id", String(32), primary_key=True),
    Column("incident_id", INCIDENT_ID, ForeignKey("breach_incidents.incident_id"),
           nullable=False),
    Column("recipient_kind", String(10), nullable=False),
    Column("recipient_id", ID, nullable=False),
    Column("person_id", ID, ForeignKey("persons.person_id"), nullable=False),
    Column("language", String(3), nullable=False),
    Column("status", String(12), nullable=False),
    Column("status_at", DateTime(timezone=True), nullable=False),
    Column("batch", Text, nullable=False),
    Column("page", Integer, nullable=False),
    Index("ix_breach_notices_incident_id_recipient_kind", "incident_id", "recipient_kind"),
    comment="One notice to an affected person or their attorney of record; mailing status.",
)

breach_downloads = Table(
    "breach_downloads", metadata,
    Column("incident_id", INCIDENT_ID, ForeignKey("breach_incidents.incident_id"),
           primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("client_sealed", LargeBinary, nullable=False),
    Column("client_key", String(64), nullable=False),
    Column("network", String(64)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("user_agent", Text, nullable=False),
    Index("ix_breach_downloads_incident_id_client_key", "incident_id", "client_key"),
    comment="A request for the leaked file in the exposure window; the client address sealed.",
)

__all__ = ["breach_affected", "breach_downloads", "breach_incidents", "breach_notices",
           "breach_steps", "breach_unresolved", "case_holds"]
