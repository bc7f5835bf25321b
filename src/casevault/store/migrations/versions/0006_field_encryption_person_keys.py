"""per-person data keys, encrypted fields, blind indexes, erasure, retention (issue 10)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

Personal columns of persons, address history, relatives, encounters, documents and
applications (whose kind and outcome can reveal a protection claim)
become ciphertext (bytes); A-number and date of birth are looked up through blind
indexes. Clear values cannot be converted here (the key-encryption key is not the
migration's to hold), so a database that already holds persons is refused with
what to do: export with the previous release, upgrade an empty database, import.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SEALED: dict[str, tuple[str, ...]] = {
    "persons": ("a_number", "family_name", "given_name", "other_names", "date_of_birth",
                "address", "city", "state", "postal_code", "phone", "email"),
    "person_addresses": ("address", "city", "state", "postal_code"),
    "relatives": ("relation",),
    "encounters": ("agency", "occurred_on", "kind", "outcome"),
    "documents": ("title",),
    "applications": ("kind", "filed_on", "decision", "decided_on"),
}
_NOT_NULL = {("person_addresses", "address"), ("relatives", "relation"), ("documents", "title"),
             ("encounters", "agency"), ("encounters", "occurred_on"), ("encounters", "kind"),
             ("encounters", "outcome"), ("applications", "kind"),
             ("applications", "filed_on")}
_WITHOUT_ROWID = {"persons", "person_addresses", "relatives", "encounters", "applications"}


def _refuse_clear_data() -> None:
    connection = op.get_bind()
    for table in _SEALED:
        if connection.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
            msg = (f"cannot encrypt existing rows of {table} during the upgrade: export the "
                   "database with the previous release (casevault export), upgrade an empty "
                   "database (casevault init), then import the export")
            raise RuntimeError(msg)


def _create_key_tables() -> None:
    op.create_table(
        "person_keys",
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_keys")),
        comment="Each person's data key, wrapped by the key-encryption key (AES-256-GCM, "
                "person id as associated data).",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "key_meta",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_meta")),
        comment="Database-wide keys (the blind-index key), wrapped by the key-encryption key.",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "erasures",
        sa.Column("erasure_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=40), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("erasure_id", name=op.f("pk_erasures")),
        comment="Erasure requests (two privacy officers) and completed crypto-shreddings.",
    )
    op.create_index("ix_erasures_person_id", "erasures", ["person_id"])
    op.create_table(
        "key_rotations",
        sa.Column("rotation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("target_kek_id", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("rotation_id", name=op.f("pk_key_rotations")),
        comment="Key rotations in progress or done; an unfinished one is resumed, not restarted.",
    )


def upgrade() -> None:
    _refuse_clear_data()
    _create_key_tables()
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in _SEALED.items():
        options = {"recreate": "always", "table_kwargs": {"sqlite_with_rowid": False}} \
            if sqlite and table in _WITHOUT_ROWID else {}
        with op.batch_alter_table(table, **options) as batch:  # type: ignore[arg-type]
            if table == "persons":
                batch.drop_constraint("uq_persons_a_number", type_="unique")
                batch.drop_index("ix_persons_date_of_birth")
                batch.add_column(sa.Column("a_number_bidx", sa.String(length=32)))
                batch.add_column(sa.Column("dob_bidx", sa.String(length=32)))
            for column in columns:
                batch.alter_column(column, type_=sa.LargeBinary(),
                                   existing_nullable=(table, column) not in _NOT_NULL,
                                   postgresql_using=f"convert_to({column}::text, 'UTF8')")
            if table == "persons":
                batch.create_unique_constraint("uq_persons_a_number_bidx", ["a_number_bidx"])
                batch.create_index("ix_persons_dob_bidx", ["dob_bidx"])


def downgrade() -> None:
    msg = "field encryption cannot be downgraded: export, then import into the older release"
    raise NotImplementedError(msg)
