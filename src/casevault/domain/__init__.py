"""The case model: typed records, vocabularies, data categories. No I/O.

Everything else in casevault depends on this module; it depends on nothing but
the standard library, ``pycountry`` (ISO code lists) and ``casevault.errors``.
"""

from casevault.domain.anumber import format_a_number, is_a_number, normalize_a_number
from casevault.domain.categories import (
    KEY,
    PROTECTION_APPLICATION_KINDS,
    PROTECTION_CASE_TYPES,
    DataCategory,
    field_categories,
    key_fields,
)
from casevault.domain.names import fold, name_key
from casevault.domain.protection import record_categories, reveals_protection_claim
from casevault.domain.records import (
    RECORD_TYPES,
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
    Purpose,
    Relation,
    Role,
    Sex,
    is_country_code,
    is_language_code,
)

__all__ = [
    "KEY", "PROTECTION_APPLICATION_KINDS", "PROTECTION_CASE_TYPES", "RECORD_TYPES",
    "AddressPeriod", "Agency", "Application", "ApplicationKind", "Assignment", "Attorney",
    "Capacity", "Case", "CaseStatus", "CaseType", "Charge", "Court", "Custody", "DataCategory",
    "Decision", "Document", "DocumentCategory", "Encounter", "EncounterAgency", "EncounterKind",
    "EncounterOutcome", "Facility", "Hearing", "HearingOutcome", "HearingType", "Person",
    "Purpose", "Relation", "Relative", "Representation", "Role", "Sex", "User",
    "field_categories", "fold", "format_a_number", "is_a_number", "is_country_code",
    "is_language_code", "key_fields", "name_key", "normalize_a_number", "record_categories",
    "reveals_protection_claim",
]
