"""Tables of the ``watch`` analyses (issue 7).

Misuse alerts and the cases privacy officers work them in: one case per staff member
under review (alerts about them are grouped into their open case), a state that moves
open -> investigating -> substantiated / unfounded, and notes. Every step is also a
ledger event (``event_id`` names it), so the log shows who moved which case when.

They live on the one schema ``metadata`` (``tables.py`` imports this module at its end), in a
file of their own so that each analysis's storage reads in one place.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text

from casevault.store.tables import ID, metadata

watch_cases = Table(
    "watch_cases", metadata,
    Column("watch_case_id", String(24), primary_key=True),
    Column("user_id", ID, nullable=False),
    Column("state", String(16), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("officer_id", ID),
    Column("event_id", String(36), nullable=False),
    Index("ix_watch_cases_user_id_state", "user_id", "state"),
    sqlite_with_rowid=False,
    comment="A privacy officer's case about one staff member's alerts (ids only).",
)

watch_alerts = Table(
    "watch_alerts", metadata,
    Column("alert_id", String(24), primary_key=True),
    Column("watch_case_id", String(24), ForeignKey("watch_cases.watch_case_id"), nullable=False,
           index=True),
    Column("detector", String(40), nullable=False),
    Column("user_id", ID, nullable=False),
    Column("person_ids", Text, nullable=False),
    Column("event_ids", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("severity", String(8), nullable=False),
    Column("summary", Text, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
    comment="Alerts filed into cases (DESIGN.md's alert format; ;-separated id lists).",
)

watch_case_steps = Table(
    "watch_case_steps", metadata,
    Column("watch_case_id", String(24), ForeignKey("watch_cases.watch_case_id"),
           primary_key=True),
    Column("step", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("officer_id", ID),
    Column("state", String(16), nullable=False),
    Column("note", Text),
    Column("event_id", String(36), nullable=False),
    sqlite_with_rowid=False,
    comment="Each step of a case: its new state, the officer, their note, its ledger event.",
)
