"""Closed vocabularies of the case model (DESIGN.md, "Vocabularies").

Values are the interchange spelling. ``docs/formats.md`` may add values, never
rename them. Nationality and language are ISO code lists, checked with
``is_country_code`` and ``is_language_code`` rather than enumerated here.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

import pycountry


class Sex(StrEnum):
    F = "F"
    M = "M"
    X = "X"
    U = "U"


class CaseType(StrEnum):
    REMOVAL = "removal"
    CREDIBLE_FEAR_REVIEW = "credible_fear_review"
    REASONABLE_FEAR_REVIEW = "reasonable_fear_review"
    ASYLUM_ONLY = "asylum_only"
    WITHHOLDING_ONLY = "withholding_only"
    BOND = "bond"
    RESCISSION = "rescission"


class CaseStatus(StrEnum):
    PENDING = "pending"
    CLOSED = "closed"
    APPEALED = "appealed"
    ADMINISTRATIVELY_CLOSED = "administratively_closed"


class Custody(StrEnum):
    DETAINED = "detained"
    RELEASED = "released"
    NEVER_DETAINED = "never_detained"


class HearingType(StrEnum):
    MASTER = "master"
    INDIVIDUAL = "individual"
    BOND = "bond"


class HearingOutcome(StrEnum):
    COMPLETED = "completed"
    ADJOURNED = "adjourned"
    CONTINUED = "continued"


class ApplicationKind(StrEnum):
    ASYLUM = "asylum"
    WITHHOLDING = "withholding"
    CAT = "cat"
    CANCELLATION = "cancellation"
    ADJUSTMENT = "adjustment"
    VOLUNTARY_DEPARTURE = "voluntary_departure"
    BOND = "bond"  # added in interchange 1.0 (docs/formats.md): custody redetermination


class Decision(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    ABANDONED = "abandoned"


class EncounterAgency(StrEnum):
    CBP = "CBP"
    ICE = "ICE"
    LOCAL_POLICE = "local_police"
    STATE_POLICE = "state_police"
    OTHER = "other"


class EncounterKind(StrEnum):
    APPREHENSION = "apprehension"
    ARREST = "arrest"
    TRAFFIC_STOP = "traffic_stop"
    CHECK_IN = "check_in"
    OTHER = "other"


class EncounterOutcome(StrEnum):
    RELEASED = "released"
    DETAINED = "detained"
    CHARGED = "charged"
    NO_ACTION = "no_action"


class DocumentCategory(StrEnum):
    NOTICE_TO_APPEAR = "notice_to_appear"
    APPLICATION = "application"
    EVIDENCE = "evidence"
    MOTION = "motion"
    BRIEF = "brief"
    DECISION = "decision"
    TRANSCRIPT = "transcript"
    DECLARATION = "declaration"


class Relation(StrEnum):
    SPOUSE = "spouse"
    PARTNER = "partner"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER = "other"


class Role(StrEnum):
    JUDGE = "judge"
    CLERK = "clerk"
    COURT_ADMIN = "court_admin"
    DHS_COUNSEL = "dhs_counsel"
    ATTORNEY = "attorney"
    PRIVACY_OFFICER = "privacy_officer"
    ANALYST = "analyst"
    EXTERNAL_ADVISOR = "external_advisor"
    EFFICIENCY_REVIEWER = "efficiency_reviewer"  # added (docs/formats.md): aggregates only
    RESPONDENT = "respondent"  # added (docs/formats.md): a respondent's own account


class Agency(StrEnum):
    EOIR = "EOIR"
    ICE = "ICE"
    CBP = "CBP"
    USCIS = "USCIS"
    PRIVATE = "PRIVATE"
    OTHER = "OTHER"


class Capacity(StrEnum):
    JUDGE = "judge"
    CLERK = "clerk"
    COURT_ADMIN = "court_admin"
    DHS_COUNSEL = "dhs_counsel"
    INTERPRETER = "interpreter"


class Purpose(StrEnum):
    ADJUDICATION = "adjudication"
    CASE_PROCESSING = "case_processing"
    REPRESENTATION = "representation"
    APPEAL_REVIEW = "appeal_review"
    LITIGATION = "litigation"
    COMPLIANCE_AUDIT = "compliance_audit"
    BREACH_RESPONSE = "breach_response"
    STATISTICS = "statistics"
    SELF_SERVICE = "self_service"
    EMERGENCY = "emergency"


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def _language_codes() -> frozenset[str]:
    return frozenset(language.alpha_3 for language in pycountry.languages)


def is_country_code(code: str) -> bool:
    """ISO 3166-1 alpha-2, upper case (``MX``)."""
    return code in _country_codes()


def is_language_code(code: str) -> bool:
    """ISO 639-3, lower case (``spa``, ``mam``)."""
    return code in _language_codes()
