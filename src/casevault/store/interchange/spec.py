"""The case interchange folder format, version 1 (public contract: docs/formats.md).

One file per table, CSV (UTF-8, header row) or Parquet. The columns of each file
are declared once here; the importer, the exporter, the synthetic generator and
the format documentation all read these declarations.

Columns marked ``extension`` are casevault additions to DESIGN.md's table: a
folder without them is still valid. Files marked ``extension`` likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Final

from sqlalchemy import Table

from casevault.domain import vocab
from casevault.domain.records import (
    AddressPeriod,
    Application,
    Assignment,
    Attorney,
    Case,
    Charge,
    Court,
    Document,
    Encounter,
    Facility,
    Hearing,
    Person,
    Relative,
    Representation,
    User,
)
from casevault.store import tables

FORMAT_NAME: Final = "casevault-interchange"
FORMAT_VERSION: Final = 1
MANIFEST_FILE: Final = "manifest.json"
LIST_SEPARATOR: Final = tables.LIST_SEPARATOR
CONTENT_DIR: Final = "documents"
"""Sub-folder holding the content of filed documents, one file each."""


class Kind(Enum):
    """How a column's text is checked and normalised."""

    ID = "id"              # opaque identifier: 1-40 visible characters, no spaces
    CODE = "code"          # court or facility code: 1-16 letters, digits, '-' or '_'
    TEXT = "text"          # free text, at most 500 characters, one line
    NAMES = "names"        # ';'-separated list of names
    DATE = "date"          # YYYY-MM-DD
    INSTANT = "instant"    # ISO 8601 date-time; UTC if no offset is given
    A_NUMBER = "a_number"  # any accepted writing, stored as A#########
    ENUM = "enum"          # a value of the column's closed vocabulary
    COUNTRY = "country"    # ISO 3166-1 alpha-2
    LANGUAGE = "language"  # ISO 639-3
    STATE = "state"        # US state or territory postal abbreviation
    POSTAL = "postal"      # US ZIP code, 5 digits or ZIP+4
    PHONE = "phone"        # digits with optional + ( ) - . and spaces, 7-15 digits
    EMAIL = "email"        # local@domain
    PATH = "path"          # relative path of a file inside the folder (document content)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    kind: Kind
    required: bool = False
    vocabulary: type[StrEnum] | None = None
    references: tuple[str, ...] = ()
    """Files (by name) one of whose keys this value must be; empty values are not checked."""
    extension: bool = False


@dataclass(frozen=True, slots=True)
class FileSpec:
    name: str
    table: Table
    record_type: type
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    extension: bool = False
    date_ranges: tuple[tuple[str, str], ...] = field(default=())
    """(start, end) column pairs where end, if given, must not precede start."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.extension)


def _c(name: str, kind: Kind, *, required: bool = False, vocabulary: type[StrEnum] | None = None,
       references: tuple[str, ...] = (), extension: bool = False) -> ColumnSpec:
    return ColumnSpec(name, kind, required, vocabulary, references, extension)


COURTS = FileSpec("courts", tables.courts, Court, (
    _c("court_code", Kind.CODE, required=True),
    _c("name", Kind.TEXT, required=True),
    _c("city", Kind.TEXT),
    _c("state", Kind.STATE),
), key=("court_code",), extension=True)

FACILITIES = FileSpec("facilities", tables.facilities, Facility, (
    _c("facility_code", Kind.CODE, required=True),
    _c("name", Kind.TEXT, required=True),
    _c("city", Kind.TEXT),
    _c("state", Kind.STATE),
    _c("court_code", Kind.CODE, references=("courts",)),
), key=("facility_code",), extension=True)

PERSONS = FileSpec("persons", tables.persons, Person, (
    _c("person_id", Kind.ID, required=True),
    _c("a_number", Kind.A_NUMBER, required=True),
    _c("family_name", Kind.TEXT, required=True),
    _c("given_name", Kind.TEXT),
    _c("other_names", Kind.NAMES),
    _c("date_of_birth", Kind.DATE),
    _c("sex", Kind.ENUM, vocabulary=vocab.Sex),
    _c("nationality", Kind.COUNTRY),
    _c("language", Kind.LANGUAGE),
    _c("address", Kind.TEXT),
    _c("city", Kind.TEXT),
    _c("state", Kind.STATE),
    _c("postal_code", Kind.POSTAL),
    _c("phone", Kind.PHONE),
    _c("email", Kind.EMAIL),
), key=("person_id",))

ADDRESSES = FileSpec("addresses", tables.person_addresses, AddressPeriod, (
    _c("person_id", Kind.ID, required=True, references=("persons",)),
    _c("address", Kind.TEXT, required=True),
    _c("city", Kind.TEXT),
    _c("state", Kind.STATE),
    _c("postal_code", Kind.POSTAL),
    _c("valid_from", Kind.DATE, required=True),
    _c("valid_to", Kind.DATE),
), key=("person_id", "valid_from"), extension=True, date_ranges=(("valid_from", "valid_to"),))

RELATIVES = FileSpec("relatives", tables.relatives, Relative, (
    _c("person_id", Kind.ID, required=True, references=("persons",)),
    _c("relative_id", Kind.ID, required=True, references=("persons",)),
    _c("relation", Kind.ENUM, required=True, vocabulary=vocab.Relation),
), key=("person_id", "relative_id"))

ATTORNEYS = FileSpec("attorneys", tables.attorneys, Attorney, (
    _c("attorney_id", Kind.ID, required=True),
    _c("family_name", Kind.TEXT, required=True),
    _c("given_name", Kind.TEXT, required=True),
    _c("organization", Kind.TEXT),
    _c("bar_state", Kind.STATE),
), key=("attorney_id",))

USERS = FileSpec("users", tables.users, User, (
    _c("user_id", Kind.ID, required=True),
    _c("family_name", Kind.TEXT, required=True),
    _c("given_name", Kind.TEXT, required=True),
    _c("role", Kind.ENUM, required=True, vocabulary=vocab.Role),
    _c("agency", Kind.ENUM, required=True, vocabulary=vocab.Agency),
    _c("office_code", Kind.CODE),
    _c("address", Kind.TEXT),
    _c("city", Kind.TEXT),
    _c("state", Kind.STATE),
    _c("postal_code", Kind.POSTAL),
    _c("phone", Kind.PHONE),
    _c("email", Kind.EMAIL),
    _c("active_from", Kind.DATE, required=True),
    _c("active_to", Kind.DATE),
), key=("user_id",), date_ranges=(("active_from", "active_to"),))

CASES = FileSpec("cases", tables.cases, Case, (
    _c("case_id", Kind.ID, required=True),
    _c("person_id", Kind.ID, required=True, references=("persons",)),
    _c("court_code", Kind.CODE, required=True, references=("courts",)),
    _c("case_type", Kind.ENUM, required=True, vocabulary=vocab.CaseType),
    _c("status", Kind.ENUM, required=True, vocabulary=vocab.CaseStatus),
    _c("custody", Kind.ENUM, required=True, vocabulary=vocab.Custody),
    _c("facility_code", Kind.CODE, references=("facilities",)),
    _c("opened_on", Kind.DATE, required=True),
    _c("closed_on", Kind.DATE),
    _c("lead_case_id", Kind.ID, references=("cases",), extension=True),
), key=("case_id",), date_ranges=(("opened_on", "closed_on"),))

REPRESENTATIONS = FileSpec("representations", tables.representations, Representation, (
    _c("case_id", Kind.ID, required=True, references=("cases",)),
    _c("attorney_id", Kind.ID, required=True, references=("attorneys",)),
    _c("started_on", Kind.DATE, required=True),
    _c("ended_on", Kind.DATE),
), key=("case_id", "attorney_id", "started_on"), date_ranges=(("started_on", "ended_on"),))

HEARINGS = FileSpec("hearings", tables.hearings, Hearing, (
    _c("hearing_id", Kind.ID, required=True),
    _c("case_id", Kind.ID, required=True, references=("cases",)),
    _c("scheduled_at", Kind.INSTANT, required=True),
    _c("hearing_type", Kind.ENUM, required=True, vocabulary=vocab.HearingType),
    _c("judge_user_id", Kind.ID, references=("users",)),
    _c("outcome", Kind.ENUM, vocabulary=vocab.HearingOutcome),
    _c("interpreter_language", Kind.LANGUAGE, extension=True),
    _c("adjournment_reason", Kind.TEXT, extension=True),
), key=("hearing_id",))

APPLICATIONS = FileSpec("applications", tables.applications, Application, (
    _c("application_id", Kind.ID, required=True),
    _c("case_id", Kind.ID, required=True, references=("cases",)),
    _c("kind", Kind.ENUM, required=True, vocabulary=vocab.ApplicationKind),
    _c("filed_on", Kind.DATE, required=True),
    _c("decision", Kind.ENUM, vocabulary=vocab.Decision),
    _c("decided_on", Kind.DATE),
), key=("application_id",), date_ranges=(("filed_on", "decided_on"),))

CHARGES = FileSpec("charges", tables.charges, Charge, (
    _c("charge_id", Kind.ID, required=True),
    _c("case_id", Kind.ID, required=True, references=("cases",)),
    _c("charge", Kind.TEXT, required=True),
    _c("status", Kind.TEXT),
), key=("charge_id",), extension=True)

ENCOUNTERS = FileSpec("encounters", tables.encounters, Encounter, (
    _c("encounter_id", Kind.ID, required=True),
    _c("person_id", Kind.ID, required=True, references=("persons",)),
    _c("agency", Kind.ENUM, required=True, vocabulary=vocab.EncounterAgency),
    _c("occurred_on", Kind.DATE, required=True),
    _c("kind", Kind.ENUM, required=True, vocabulary=vocab.EncounterKind),
    _c("outcome", Kind.ENUM, required=True, vocabulary=vocab.EncounterOutcome),
), key=("encounter_id",))

DOCUMENTS = FileSpec("documents", tables.documents, Document, (
    _c("document_id", Kind.ID, required=True),
    _c("case_id", Kind.ID, required=True, references=("cases",)),
    _c("category", Kind.ENUM, required=True, vocabulary=vocab.DocumentCategory),
    _c("title", Kind.TEXT, required=True),
    _c("filed_on", Kind.DATE, required=True),
    _c("filed_by", Kind.ID, references=("users", "attorneys"), extension=True),
    _c("application_id", Kind.ID, references=("applications",), extension=True),
    _c("media_type", Kind.TEXT, extension=True),
    _c("content_path", Kind.PATH, extension=True),
), key=("document_id",))

ASSIGNMENTS = FileSpec("assignments", tables.assignments, Assignment, (
    _c("user_id", Kind.ID, required=True, references=("users",)),
    _c("case_id", Kind.ID, required=True, references=("cases",)),
    _c("capacity", Kind.ENUM, required=True, vocabulary=vocab.Capacity),
    _c("started_on", Kind.DATE, required=True),
    _c("ended_on", Kind.DATE),
), key=("user_id", "case_id", "capacity", "started_on"), date_ranges=(("started_on", "ended_on"),))

FILES: Final[tuple[FileSpec, ...]] = (
    COURTS, FACILITIES, PERSONS, ADDRESSES, RELATIVES, ATTORNEYS, USERS, CASES,
    REPRESENTATIONS, HEARINGS, APPLICATIONS, CHARGES, ENCOUNTERS, DOCUMENTS, ASSIGNMENTS,
)
"""Every file, in load order: references point only to earlier files or to the file itself."""

FILES_BY_NAME: Final = {spec.name: spec for spec in FILES}
FILES_BY_RECORD: Final = {spec.record_type: spec for spec in FILES}
