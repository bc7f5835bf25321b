"""initial schema: case records core

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "attorneys",
        sa.Column("attorney_id", sa.String(length=40), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=True),
        sa.Column("given_name", sa.Text(), nullable=True),
        sa.Column("organization", sa.Text(), nullable=True),
        sa.Column("bar_state", sa.String(length=2), nullable=True),
        sa.PrimaryKeyConstraint("attorney_id", name=op.f("pk_attorneys")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "courts",
        sa.Column("court_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.PrimaryKeyConstraint("court_code", name=op.f("pk_courts")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "persons",
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("a_number", sa.String(length=10), nullable=True),
        sa.Column("family_name", sa.Text(), nullable=True),
        sa.Column("given_name", sa.Text(), nullable=True),
        sa.Column("other_names", sa.Text(), nullable=True),
        sa.Column("name_key", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("language", sa.String(length=3), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_persons")),
        sa.UniqueConstraint("a_number", name=op.f("uq_persons_a_number")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_persons_date_of_birth"), ["date_of_birth"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_persons_name_key"), ["name_key"], unique=False)

    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("agency", sa.String(length=8), nullable=False),
        sa.Column("office_code", sa.String(length=16), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_office_code"), ["office_code"], unique=False)

    op.create_table(
        "encounters",
        sa.Column("encounter_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_encounters_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("encounter_id", name=op.f("pk_encounters")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_encounters_person_id"), ["person_id"], unique=False)

    op.create_table(
        "facilities",
        sa.Column("facility_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("court_code", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["court_code"], ["courts.court_code"], name=op.f("fk_facilities_court_code_courts")
        ),
        sa.PrimaryKeyConstraint("facility_code", name=op.f("pk_facilities")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "person_addresses",
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_person_addresses_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", "valid_from", name=op.f("pk_person_addresses")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "person_names",
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_person_names_person_id_persons")
        ),
    )
    with op.batch_alter_table("person_names", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_names_name_key_person_id", ["name_key", "person_id"], unique=True
        )

    op.create_table(
        "relatives",
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("relative_id", sa.String(length=40), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_relatives_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["relative_id"], ["persons.person_id"], name=op.f("fk_relatives_relative_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", "relative_id", name=op.f("pk_relatives")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("relatives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relatives_relative_id"), ["relative_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("court_code", sa.String(length=16), nullable=False),
        sa.Column("case_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("custody", sa.String(length=16), nullable=False),
        sa.Column("facility_code", sa.String(length=16), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("lead_case_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["court_code"], ["courts.court_code"], name=op.f("fk_cases_court_code_courts")
        ),
        sa.ForeignKeyConstraint(
            ["facility_code"],
            ["facilities.facility_code"],
            name=op.f("fk_cases_facility_code_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_case_id"],
            ["cases.case_id"],
            name=op.f("fk_cases_lead_case_id_cases"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.person_id"], name=op.f("fk_cases_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_cases")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_court_code"), ["court_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_person_id"), ["person_id"], unique=False)

    op.create_table(
        "applications",
        sa.Column("application_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_applications_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_applications")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_case_id"), ["case_id"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("capacity", sa.String(length=16), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_assignments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "case_id", "capacity", "started_on", name=op.f("pk_assignments")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "charges",
        sa.Column("charge_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("charge", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_charges_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("charge_id", name=op.f("pk_charges")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charges_case_id"), ["case_id"], unique=False)

    op.create_table(
        "hearings",
        sa.Column("hearing_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hearing_type", sa.String(length=16), nullable=False),
        sa.Column("judge_user_id", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("interpreter_language", sa.String(length=3), nullable=True),
        sa.Column("adjournment_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_hearings_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["judge_user_id"], ["users.user_id"], name=op.f("fk_hearings_judge_user_id_users")
        ),
        sa.PrimaryKeyConstraint("hearing_id", name=op.f("pk_hearings")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hearings_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_hearings_judge_user_id"), ["judge_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_hearings_scheduled_at"), ["scheduled_at"], unique=False
        )

    op.create_table(
        "representations",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("attorney_id", sa.String(length=40), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attorney_id"],
            ["attorneys.attorney_id"],
            name=op.f("fk_representations_attorney_id_attorneys"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_representations_case_id_cases")
        ),
        sa.PrimaryKeyConstraint(
            "case_id", "attorney_id", "started_on", name=op.f("pk_representations")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("representations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_representations_attorney_id"), ["attorney_id"], unique=False
        )

    op.create_table(
        "documents",
        sa.Column("document_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("filed_by", sa.String(length=40), nullable=True),
        sa.Column("application_id", sa.String(length=40), nullable=True),
        sa.Column("media_type", sa.String(length=80), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.application_id"],
            name=op.f("fk_documents_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_documents_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_case_id"), ["case_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_case_id"))

    op.drop_table("documents")
    with op.batch_alter_table("representations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_representations_attorney_id"))

    op.drop_table("representations")
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hearings_scheduled_at"))
        batch_op.drop_index(batch_op.f("ix_hearings_judge_user_id"))
        batch_op.drop_index(batch_op.f("ix_hearings_case_id"))

    op.drop_table("hearings")
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charges_case_id"))

    op.drop_table("charges")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_case_id"))

    op.drop_table("assignments")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_case_id"))

    op.drop_table("applications")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_person_id"))
        batch_op.drop_index(batch_op.f("ix_cases_court_code"))

    op.drop_table("cases")
    with op.batch_alter_table("relatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relatives_relative_id"))

    op.drop_table("relatives")
    with op.batch_alter_table("person_names", schema=None) as batch_op:
        batch_op.drop_index("ix_person_names_name_key_person_id")

    op.drop_table("person_names")
    op.drop_table("person_addresses")
    op.drop_table("facilities")
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounters_person_id"))

    op.drop_table("encounters")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_office_code"))

    op.drop_table("users")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_name_key"))
        batch_op.drop_index(batch_op.f("ix_persons_date_of_birth"))

    op.drop_table("persons")
    op.drop_table("courts")
    op.drop_table("attorneys")
