"""Every field declares one data category; protection claims escalate to ``asylum``."""

import dataclasses
from datetime import date

import pytest

from casevault.domain import (
    PROTECTION_APPLICATION_KINDS,
    PROTECTION_CASE_TYPES,
    RECORD_TYPES,
    Application,
    ApplicationKind,
    Case,
    CaseStatus,
    CaseType,
    Custody,
    DataCategory,
    Document,
    DocumentCategory,
    Encounter,
    Person,
    Relative,
    field_categories,
    key_fields,
    record_categories,
    reveals_protection_claim,
)

ASYLUM = DataCategory.ASYLUM


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda t: t.__name__)
def test_every_field_declares_exactly_one_category(record_type: type) -> None:
    categories = field_categories(record_type)
    assert list(categories) == [f.name for f in dataclasses.fields(record_type)]
    assert all(isinstance(c, DataCategory) for c in categories.values())


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda t: t.__name__)
def test_every_record_has_a_key(record_type: type) -> None:
    assert key_fields(record_type)


def test_contact_fields_of_a_person_are_contact() -> None:
    categories = field_categories(Person)
    for name in ("address", "city", "state", "postal_code", "phone", "email"):
        assert categories[name] is DataCategory.CONTACT
    for name in ("a_number", "family_name", "given_name", "date_of_birth"):
        assert categories[name] is DataCategory.IDENTITY


def test_family_links_and_encounters_have_their_own_categories() -> None:
    assert set(field_categories(Relative).values()) == {DataCategory.FAMILY}
    assert set(field_categories(Encounter).values()) == {DataCategory.LAW_ENFORCEMENT}
    assert field_categories(Case)["lead_case_id"] is DataCategory.FAMILY


def _application(kind: ApplicationKind) -> Application:
    return Application("AP1", "C1", kind, date(2024, 1, 2), None, None)


def _case(case_type: CaseType) -> Case:
    return Case("C1", "P1", "AAA", case_type, CaseStatus.PENDING, Custody.RELEASED, None,
                date(2024, 1, 1), None, None)


@pytest.mark.parametrize("kind", list(ApplicationKind))
def test_protection_applications_are_asylum_in_every_non_key_field(kind: ApplicationKind) -> None:
    categories = record_categories(_application(kind))
    protective = kind in {ApplicationKind.ASYLUM, ApplicationKind.WITHHOLDING, ApplicationKind.CAT}
    assert (kind in PROTECTION_APPLICATION_KINDS) is protective
    for name in ("kind", "filed_on", "decision", "decided_on"):
        assert (categories[name] is ASYLUM) is protective
    assert categories["application_id"] is DataCategory.CASE
    assert categories["case_id"] is DataCategory.CASE


@pytest.mark.parametrize("case_type", list(CaseType))
def test_protection_case_types_escalate_only_the_type(case_type: CaseType) -> None:
    categories = record_categories(_case(case_type))
    protective = case_type in {CaseType.ASYLUM_ONLY, CaseType.WITHHOLDING_ONLY,
                               CaseType.CREDIBLE_FEAR_REVIEW, CaseType.REASONABLE_FEAR_REVIEW}
    assert (case_type in PROTECTION_CASE_TYPES) is protective
    assert (categories["case_type"] is ASYLUM) is protective
    assert categories["court_code"] is DataCategory.CASE


def test_document_supporting_a_claim_is_asylum() -> None:
    document = Document("D1", "C1", DocumentCategory.DECLARATION, "Declaration", date(2024, 1, 3),
                        None, "AP1", "text/plain", b"x")
    assert not reveals_protection_claim(document)
    assert record_categories(document)["title"] is DataCategory.DOCUMENT
    escalated = record_categories(document, supports_protection_claim=True)
    assert escalated["title"] is ASYLUM
    assert escalated["content"] is ASYLUM
    assert escalated["document_id"] is DataCategory.DOCUMENT
