"""The relational schema (SQLAlchemy Core); ``docs/schema.md`` describes each column.

Tables mirror the domain records one to one, plus ``person_names`` (one row per
name a person is known by, keyed for look-up). Constraints are declared here
and checked by the database as a second line of defence; importers check them
first so that errors name the file, line and column.

Tables with short rows and text keys are ``WITHOUT ROWID`` on SQLite: the row lives
in its primary-key B-tree, so each insert updates one tree fewer (documents, whose
rows carry content, keep their rowid).

Instants are stored as UTC (``timestamptz`` on PostgreSQL, naive UTC text on
SQLite); dates as ``date``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

LIST_SEPARATOR = ";"
"""How list values (a person's other names) are joined in one column, and in interchange files."""

ID = String(40)
CODE = String(16)
SEALED = LargeBinary
"""A field encrypted under its person's data key (``casevault.store.sealed``)."""
BLIND_INDEX = String(32)
"""A keyed hash (HMAC-SHA-256, 128 bits, hex) of a normalised value, for exact look-up."""


def _id(name: str, *, primary_key: bool = False) -> Column[str]:
    return Column(name, ID, primary_key=primary_key, nullable=False)


def _ref(name: str, target: str, *, nullable: bool = False, deferred: bool = False) -> Column[str]:
    return Column(
        name,
        ID,
        ForeignKey(target, deferrable=deferred or None, initially="DEFERRED" if deferred else None),
        nullable=nullable,
    )


courts = Table(
    "courts", metadata,
    Column("court_code", CODE, primary_key=True),
    Column("name", Text, nullable=False),
    Column("city", Text),
    Column("state", String(2)),
    sqlite_with_rowid=False,
)

facilities = Table(
    "facilities", metadata,
    Column("facility_code", CODE, primary_key=True),
    Column("name", Text, nullable=False),
    Column("city", Text),
    Column("state", String(2)),
    Column("court_code", CODE, ForeignKey("courts.court_code")),
    sqlite_with_rowid=False,
)

persons = Table(
    "persons", metadata,
    _id("person_id", primary_key=True),
    # Personal fields are AES-256-GCM ciphertexts under the person's data key
    # (casevault.store.sealed); look-ups go through keyed blind indexes.
    Column("a_number", SEALED),
    Column("family_name", SEALED),
    Column("given_name", SEALED),
    Column("other_names", SEALED),
    Column("name_key", Text, index=True),
    Column("date_of_birth", SEALED),
    Column("sex", String(1)),
    Column("nationality", String(2)),
    Column("language", String(3)),
    Column("address", SEALED),
    Column("city", SEALED),
    Column("state", SEALED),
    Column("postal_code", SEALED),
    Column("phone", SEALED),
    Column("email", SEALED),
    Column("a_number_bidx", BLIND_INDEX, unique=True),
    Column("dob_bidx", BLIND_INDEX, index=True),
    sqlite_with_rowid=False,
)

person_names = Table(
    "person_names", metadata,
    _ref("person_id", "persons.person_id"),
    Column("name_key", Text, nullable=False),
    Index("ix_person_names_name_key_person_id", "name_key", "person_id", unique=True),
)

person_addresses = Table(
    "person_addresses", metadata,
    Column("person_id", ID, ForeignKey("persons.person_id"), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("address", SEALED, nullable=False),
    Column("city", SEALED),
    Column("state", SEALED),
    Column("postal_code", SEALED),
    Column("valid_to", Date),
    sqlite_with_rowid=False,
)

relatives = Table(
    "relatives", metadata,
    Column("person_id", ID, ForeignKey("persons.person_id"), primary_key=True),
    Column("relative_id", ID, ForeignKey("persons.person_id"), primary_key=True, index=True),
    Column("relation", SEALED, nullable=False),
    sqlite_with_rowid=False,
)

attorneys = Table(
    "attorneys", metadata,
    _id("attorney_id", primary_key=True),
    Column("family_name", Text),  # null only for attorneys of anonymised public data
    Column("given_name", Text),
    Column("organization", Text),
    Column("bar_state", String(2)),
    sqlite_with_rowid=False,
)

users = Table(
    "users", metadata,
    _id("user_id", primary_key=True),
    Column("family_name", Text, nullable=False),
    Column("given_name", Text, nullable=False),
    Column("role", String(24), nullable=False),
    Column("agency", String(8), nullable=False),
    Column("office_code", CODE, index=True),
    Column("address", Text),
    Column("city", Text),
    Column("state", String(2)),
    Column("postal_code", String(10)),
    Column("phone", String(32)),
    Column("email", Text),
    Column("active_from", Date, nullable=False),
    Column("active_to", Date),
    sqlite_with_rowid=False,
)

cases = Table(
    "cases", metadata,
    _id("case_id", primary_key=True),
    Column("person_id", ID, ForeignKey("persons.person_id"), nullable=False, index=True),
    Column("court_code", CODE, ForeignKey("courts.court_code"), nullable=False, index=True),
    Column("case_type", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("custody", String(16), nullable=False),
    Column("facility_code", CODE, ForeignKey("facilities.facility_code")),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    _ref("lead_case_id", "cases.case_id", nullable=True, deferred=True),
    sqlite_with_rowid=False,
)

representations = Table(
    "representations", metadata,
    Column("case_id", ID, ForeignKey("cases.case_id"), primary_key=True),
    Column("attorney_id", ID, ForeignKey("attorneys.attorney_id"), primary_key=True, index=True),
    Column("started_on", Date, primary_key=True),
    Column("ended_on", Date),
    sqlite_with_rowid=False,
)

hearings = Table(
    "hearings", metadata,
    _id("hearing_id", primary_key=True),
    Column("case_id", ID, ForeignKey("cases.case_id"), nullable=False),
    Column("scheduled_at", DateTime(timezone=True), nullable=False, index=True),
    Column("hearing_type", String(16), nullable=False),
    Column("judge_user_id", ID, ForeignKey("users.user_id"), index=True),
    Column("outcome", String(16)),
    Column("interpreter_language", String(3)),
    Column("adjournment_reason", Text),
    # "Is this case on this judge's calendar?" is asked on every guarded read: answer it
    # from one index entry, whatever the size of the judge's calendar.
    Index("ix_hearings_case_id_judge_user_id", "case_id", "judge_user_id"),
    sqlite_with_rowid=False,
)

applications = Table(
    "applications", metadata,
    _id("application_id", primary_key=True),
    Column("case_id", ID, ForeignKey("cases.case_id"), nullable=False, index=True),
    # Sealed: an application's kind and outcome can reveal a protection claim (asylum).
    Column("kind", SEALED, nullable=False),
    Column("filed_on", SEALED, nullable=False),
    Column("decision", SEALED),
    Column("decided_on", SEALED),
    sqlite_with_rowid=False,
)

charges = Table(
    "charges", metadata,
    _id("charge_id", primary_key=True),
    Column("case_id", ID, ForeignKey("cases.case_id"), nullable=False, index=True),
    Column("charge", Text, nullable=False),
    Column("status", Text),
    sqlite_with_rowid=False,
)

encounters = Table(
    "encounters", metadata,
    _id("encounter_id", primary_key=True),
    Column("person_id", ID, ForeignKey("persons.person_id"), nullable=False, index=True),
    Column("agency", SEALED, nullable=False),
    Column("occurred_on", SEALED, nullable=False),
    Column("kind", SEALED, nullable=False),
    Column("outcome", SEALED, nullable=False),
    sqlite_with_rowid=False,
)

documents = Table(
    "documents", metadata,
    _id("document_id", primary_key=True),
    Column("case_id", ID, ForeignKey("cases.case_id"), nullable=False, index=True),
    Column("category", String(24), nullable=False),
    Column("title", SEALED, nullable=False),
    Column("filed_on", Date, nullable=False),
    Column("filed_by", ID),
    Column("application_id", ID, ForeignKey("applications.application_id")),
    Column("media_type", String(80)),
    Column("content_sha256", String(64)),
    Column("content", LargeBinary),
)

assignments = Table(
    "assignments", metadata,
    Column("user_id", ID, ForeignKey("users.user_id"), primary_key=True),
    Column("case_id", ID, ForeignKey("cases.case_id"), primary_key=True, index=True),
    Column("capacity", String(16), primary_key=True),
    Column("started_on", Date, primary_key=True),
    Column("ended_on", Date),
    sqlite_with_rowid=False,
)

# --- The audit ledger (owned by casevault.audit; declared here with the rest of the schema) ---

ledger_events = Table(
    "ledger_events", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("action", String(24), nullable=False),
    Column("result", String(8), nullable=False),
    Column("user_id", ID, index=True),
    Column("session_id", String(64)),
    Column("device_id", String(64)),
    Column("ip", String(45)),
    Column("person_id", ID),
    Column("case_id", ID),
    Column("categories", Text, nullable=False),
    Column("purpose", String(24)),
    Column("justification", Text),
    Column("record_count", Integer, nullable=False),
    Column("policy_ids", Text, nullable=False),
    Column("query_hmac", String(64)),
    Column("detail", Text, nullable=False),
    Column("person_prev_hash", LargeBinary(32)),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Index("ix_ledger_events_person_id_seq", "person_id", "seq"),
    comment="The Merkle log's leaves: one row per access decision, login, export or change.",
)

ledger_nodes = Table(
    "ledger_nodes", metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
    comment="Hashes of complete subtrees (level >= 1) covering leaves "
            "[idx * 2**level, (idx + 1) * 2**level).",
)

ledger_checkpoints = Table(
    "ledger_checkpoints", metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False),
    comment="Signed tree heads (C2SP tlog-checkpoint notes), kept forever.",
)

ledger_meta = Table(
    "ledger_meta", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Text, nullable=False),
    comment="The log's identity: its origin line and the verifier key of its signer.",
)

# --- the guard's own records (issue 4): accounts, approvals, sessions, break-glass ----------

accounts = Table(
    "accounts", metadata,
    _ref("user_id", "users.user_id"),
    Column("state", String(12), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("totp_secret", String(64)),
    Column("outside_party", Boolean, nullable=False),
    Column("training_valid_until", Date),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("user_id"),
    sqlite_with_rowid=False,
    comment="Sign-in credentials and lifecycle state of a user (one account per user).",
)

account_approvals = Table(
    "account_approvals", metadata,
    _id("approval_id", primary_key=True),
    _ref("user_id", "accounts.user_id"),
    Column("approved_by", ID, nullable=False),
    Column("purposes", Text, nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("review_due_on", Date, nullable=False),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", String(24)),
    Index("ix_account_approvals_user_id_expires_on", "user_id", "expires_on"),
    sqlite_with_rowid=False,
    comment="A data owner's approval of an account: purposes, legal basis, expiry, review.",
)

sessions = Table(
    "sessions", metadata,
    Column("session_id", String(64), primary_key=True),
    _ref("user_id", "accounts.user_id"),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("device_id", String(64), nullable=False),
    Column("ip", String(45)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("mfa_verified_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", String(24)),
    Index("ix_sessions_user_id", "user_id"),
    sqlite_with_rowid=False,
    comment="Sign-in sessions, bound to a device id; only a hash of the bearer token is kept.",
)

break_glass_grants = Table(
    "break_glass_grants", metadata,
    _id("grant_id", primary_key=True),
    _ref("user_id", "accounts.user_id"),
    Column("session_id", String(64), nullable=False),
    Column("record_kind", String(8), nullable=False),
    Column("record_id", ID, nullable=False),
    Column("reason", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("reviewed_by", ID),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("review_outcome", String(16)),
    Column("review_note", Text),
    Index("ix_break_glass_grants_user_id_record_id", "user_id", "record_id"),
    comment="Emergency access windows; each is an alert until a privacy officer reviews it.",
)

# --- the shield's publication gate (issue 6) ---------------------------------------------

publication_approvals = Table(
    "publication_approvals", metadata,
    Column("file_sha256", String(64), nullable=False),
    _ref("approved_by", "accounts.user_id"),
    Column("approved_at", DateTime(timezone=True), nullable=False),
    Column("justification", Text, nullable=False),
    Column("event_id", String(36), nullable=False),
    PrimaryKeyConstraint("file_sha256", "approved_by"),
    comment="Privacy officers' releases of one exact blocked file (two different ones needed).",
)

LOAD_ORDER: tuple[Table, ...] = (
    courts, facilities, persons, person_names, person_addresses, relatives, attorneys, users,
    cases, representations, hearings, applications, charges, encounters, documents, assignments,
)
"""Tables in an order in which every reference points to an earlier table."""

# Tables owned by the layer-4 analyses live beside this file, one module each, on the same
# metadata; importing them here keeps ``metadata`` (and the schema test) complete.
from casevault.store import (  # noqa: E402, F401
    tables_breach,
    tables_keys,
    tables_share,
    tables_watch,
)
