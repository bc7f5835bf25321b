"""The case model of an immigration court as plain typed records.

Each field declares its data category next to its type; that declaration is the
only one in the code base (``field_categories`` reads it; ``docs/schema.md`` is
generated from it). Records are immutable values with no I/O: the store builds
them from rows, the synthetic generator builds them from seeds.

Dates are ``datetime.date``; instants are timezone-aware UTC ``datetime``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from casevault.domain.categories import (
    CASE,
    CONTACT,
    DOCUMENT,
    FAMILY,
    IDENTITY,
    KEY,
    LAW_ENFORCEMENT,
)
from casevault.domain.vocab import (
    Agency,
    ApplicationKind,
    Capacity,
    CaseStatus,
    CaseType,
    Custody,
    Decision,
    DocumentCategory,
    EncounterAgency,
    EncounterKind,
    EncounterOutcome,
    HearingOutcome,
    HearingType,
    Relation,
    Role,
    Sex,
)


@dataclass(frozen=True, slots=True)
class Person:
    """A respondent. Persons loaded from anonymised public data have no names."""

    person_id: Annotated[str, IDENTITY, KEY]
    a_number: Annotated[str | None, IDENTITY]
    family_name: Annotated[str | None, IDENTITY]
    given_name: Annotated[str | None, IDENTITY]
    other_names: Annotated[tuple[str, ...], IDENTITY]
    date_of_birth: Annotated[date | None, IDENTITY]
    sex: Annotated[Sex | None, IDENTITY]
    nationality: Annotated[str | None, IDENTITY]
    language: Annotated[str | None, CASE]
    address: Annotated[str | None, CONTACT]
    city: Annotated[str | None, CONTACT]
    state: Annotated[str | None, CONTACT]
    postal_code: Annotated[str | None, CONTACT]
    phone: Annotated[str | None, CONTACT]
    email: Annotated[str | None, CONTACT]


@dataclass(frozen=True, slots=True)
class AddressPeriod:
    """One past or current address of a person (address history)."""

    person_id: Annotated[str, IDENTITY, KEY]
    address: Annotated[str, CONTACT]
    city: Annotated[str | None, CONTACT]
    state: Annotated[str | None, CONTACT]
    postal_code: Annotated[str | None, CONTACT]
    valid_from: Annotated[date, CONTACT]
    valid_to: Annotated[date | None, CONTACT]


@dataclass(frozen=True, slots=True)
class Relative:
    """A family link between two respondents (both are persons in the system)."""

    person_id: Annotated[str, FAMILY, KEY]
    relative_id: Annotated[str, FAMILY, KEY]
    relation: Annotated[Relation, FAMILY]


@dataclass(frozen=True, slots=True)
class Court:
    """An immigration court (EOIR base city)."""

    court_code: Annotated[str, CASE, KEY]
    name: Annotated[str, CASE]
    city: Annotated[str | None, CASE]
    state: Annotated[str | None, CASE]


@dataclass(frozen=True, slots=True)
class Facility:
    """A detention facility, heard by one court."""

    facility_code: Annotated[str, CASE, KEY]
    name: Annotated[str, CASE]
    city: Annotated[str | None, CASE]
    state: Annotated[str | None, CASE]
    court_code: Annotated[str | None, CASE]


@dataclass(frozen=True, slots=True)
class Case:
    """A case in immigration court. A rider's case names its lead case."""

    case_id: Annotated[str, CASE, KEY]
    person_id: Annotated[str, CASE, KEY]
    court_code: Annotated[str, CASE]
    case_type: Annotated[CaseType, CASE]
    status: Annotated[CaseStatus, CASE]
    custody: Annotated[Custody, CASE]
    facility_code: Annotated[str | None, CASE]
    opened_on: Annotated[date, CASE]
    closed_on: Annotated[date | None, CASE]
    lead_case_id: Annotated[str | None, FAMILY]


@dataclass(frozen=True, slots=True)
class Attorney:
    """A directory entry of an attorney or accredited representative.

    Names are absent only for attorneys known from anonymised public data.
    """

    attorney_id: Annotated[str, CASE, KEY]
    family_name: Annotated[str | None, CASE]
    given_name: Annotated[str | None, CASE]
    organization: Annotated[str | None, CASE]
    bar_state: Annotated[str | None, CASE]


@dataclass(frozen=True, slots=True)
class Representation:
    """An appearance (EOIR-28) of an attorney of record on a case, start to end."""

    case_id: Annotated[str, CASE, KEY]
    attorney_id: Annotated[str, CASE, KEY]
    started_on: Annotated[date, CASE]
    ended_on: Annotated[date | None, CASE]


@dataclass(frozen=True, slots=True)
class Hearing:
    """A calendar entry: master or individual calendar, or a bond hearing."""

    hearing_id: Annotated[str, CASE, KEY]
    case_id: Annotated[str, CASE, KEY]
    scheduled_at: Annotated[datetime, CASE]
    hearing_type: Annotated[HearingType, CASE]
    judge_user_id: Annotated[str | None, CASE]
    outcome: Annotated[HearingOutcome | None, CASE]
    interpreter_language: Annotated[str | None, CASE]
    adjournment_reason: Annotated[str | None, CASE]


@dataclass(frozen=True, slots=True)
class Application:
    """An application for relief. Protection kinds are escalated to ``asylum``."""

    application_id: Annotated[str, CASE, KEY]
    case_id: Annotated[str, CASE, KEY]
    kind: Annotated[ApplicationKind, CASE]
    filed_on: Annotated[date, CASE]
    decision: Annotated[Decision | None, CASE]
    decided_on: Annotated[date | None, CASE]


@dataclass(frozen=True, slots=True)
class Charge:
    """A charge of removability (INA section) lodged in a case."""

    charge_id: Annotated[str, CASE, KEY]
    case_id: Annotated[str, CASE, KEY]
    charge: Annotated[str, CASE]
    status: Annotated[str | None, CASE]


@dataclass(frozen=True, slots=True)
class Encounter:
    """A contact of the person with law enforcement."""

    encounter_id: Annotated[str, LAW_ENFORCEMENT, KEY]
    person_id: Annotated[str, LAW_ENFORCEMENT, KEY]
    agency: Annotated[EncounterAgency, LAW_ENFORCEMENT]
    occurred_on: Annotated[date, LAW_ENFORCEMENT]
    kind: Annotated[EncounterKind, LAW_ENFORCEMENT]
    outcome: Annotated[EncounterOutcome, LAW_ENFORCEMENT]


@dataclass(frozen=True, slots=True)
class Document:
    """A filing in the record of proceedings; ``content`` is the filed file itself."""

    document_id: Annotated[str, DOCUMENT, KEY]
    case_id: Annotated[str, DOCUMENT, KEY]
    category: Annotated[DocumentCategory, DOCUMENT]
    title: Annotated[str, DOCUMENT]
    filed_on: Annotated[date, DOCUMENT]
    filed_by: Annotated[str | None, DOCUMENT]
    application_id: Annotated[str | None, DOCUMENT]
    media_type: Annotated[str | None, DOCUMENT]
    content: Annotated[bytes | None, DOCUMENT]


@dataclass(frozen=True, slots=True)
class User:
    """A staff directory entry and account holder; contact fields are the staff member's."""

    user_id: Annotated[str, IDENTITY, KEY]
    family_name: Annotated[str, IDENTITY]
    given_name: Annotated[str, IDENTITY]
    role: Annotated[Role, CASE]
    agency: Annotated[Agency, CASE]
    office_code: Annotated[str | None, CASE]
    address: Annotated[str | None, CONTACT]
    city: Annotated[str | None, CONTACT]
    state: Annotated[str | None, CONTACT]
    postal_code: Annotated[str | None, CONTACT]
    phone: Annotated[str | None, CONTACT]
    email: Annotated[str | None, CONTACT]
    active_from: Annotated[date, CASE]
    active_to: Annotated[date | None, CASE]


@dataclass(frozen=True, slots=True)
class Assignment:
    """A staff member's assignment to a case in a capacity, start to end."""

    user_id: Annotated[str, CASE, KEY]
    case_id: Annotated[str, CASE, KEY]
    capacity: Annotated[Capacity, CASE]
    started_on: Annotated[date, CASE]
    ended_on: Annotated[date | None, CASE]


RECORD_TYPES: tuple[type, ...] = (
    Person, AddressPeriod, Relative, Court, Facility, Case, Attorney, Representation,
    Hearing, Application, Charge, Encounter, Document, User, Assignment,
)
