"""Tables of field encryption and erasure (issue 10): wrapped data keys, erasures, rotations.

``person_keys`` holds each person's data key wrapped by the key-encryption key
(which is never in the database). Erasing a person deletes their row: with it
goes the only way to read their encrypted fields. Backups carry wrapped keys so a
restored database can be read, and ``casevault restore`` shreds again every person
erased after the backup was taken (``erasures`` of the live database plus the
erasure register next to the KEK); see ``docs/dev/encryption.md``.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, LargeBinary, String, Table, Text

from casevault.store.tables import ID, metadata

person_keys = Table(
    "person_keys", metadata,
    Column("person_id", ID, primary_key=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("kek_id", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True)),
    sqlite_with_rowid=False,
    comment="Each person's data key, wrapped by the key-encryption key (AES-256-GCM, "
            "person id as associated data).",
)

key_meta = Table(
    "key_meta", metadata,
    Column("name", String(32), primary_key=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("kek_id", String(40), nullable=False),
    sqlite_with_rowid=False,
    comment="Database-wide keys (the blind-index key), wrapped by the key-encryption key.",
)

erasures = Table(
    "erasures", metadata,
    Column("erasure_id", String(36), primary_key=True),
    Column("person_id", ID, nullable=False),
    Column("state", String(12), nullable=False),
    Column("basis", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", ID, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("approved_by", ID),
    Column("erased_at", DateTime(timezone=True)),
    Index("ix_erasures_person_id", "person_id"),
    comment="Erasure requests (two privacy officers) and completed crypto-shreddings.",
)

key_rotations = Table(
    "key_rotations", metadata,
    Column("rotation_id", String(36), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("target_kek_id", String(40)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    comment="Key rotations in progress or done; an unfinished one is resumed, not restarted.",
)
