"""Redaction: only permitted categories come back, withheld fields are absent, ids stay."""

from __future__ import annotations

from datetime import date

import pytest

from casevault.access.redaction import redact, redact_all
from casevault.domain import DataCategory
from casevault.domain.records import Application, Case, Document, Person
from casevault.domain.vocab import (
    ApplicationKind,
    CaseStatus,
    CaseType,
    Custody,
    DocumentCategory,
    Sex,
)

IDENTITY = frozenset({DataCategory.IDENTITY})
CASE = frozenset({DataCategory.CASE})
ASYLUM_AND_CASE = frozenset({DataCategory.CASE, DataCategory.ASYLUM})


def _person() -> Person:
    return Person(person_id="P1", a_number="A000000001", family_name="Testperson",
                  given_name="Synthetic", other_names=(), date_of_birth=date(1990, 1, 1),
                  sex=Sex("X"), nationality="MX", language="spa", address="1 Test Way",
                  city="Testville", state="NY", postal_code="10001", phone="555-0100",
                  email="synthetic@example.test")


def _case(case_type: str) -> Case:
    return Case(case_id="C1", person_id="P1", court_code="NYC", case_type=CaseType(case_type),
                status=CaseStatus("pending"), custody=Custody("released"), facility_code=None,
                opened_on=date(2026, 1, 1), closed_on=None, lead_case_id=None)


def _application(kind: str) -> Application:
    return Application(application_id=f"AP-{kind}", case_id="C1", kind=ApplicationKind(kind),
                       filed_on=date(2026, 2, 1), decision=None, decided_on=None)


def test_identity_only_keeps_exactly_the_identity_fields() -> None:
    view = redact(_person(), IDENTITY)
    assert set(view) == {"person_id", "a_number", "family_name", "given_name", "other_names",
                         "date_of_birth", "sex", "nationality"}
    assert view["family_name"] == "Testperson"


def test_withheld_fields_are_absent_not_none() -> None:
    view = redact(_person(), CASE)
    assert set(view) == {"person_id", "language"}
    with pytest.raises(KeyError):
        view["address"]


def test_nothing_permitted_leaves_only_the_opaque_id() -> None:
    assert redact(_person(), frozenset()).as_dict() == {"person_id": "P1"}


@pytest.mark.parametrize(("case_type", "shows_type"), [
    ("removal", True), ("asylum_only", False), ("withholding_only", False),
    ("credible_fear_review", False), ("bond", True),
])
def test_a_protection_case_type_is_asylum_information(case_type: str, shows_type: bool) -> None:
    view = redact(_case(case_type), CASE)
    assert ("case_type" in view) is shows_type
    assert view["status"] == "pending"
    assert "case_type" in redact(_case(case_type), ASYLUM_AND_CASE)


def test_protection_applications_are_left_out_of_a_listing_without_asylum() -> None:
    applications = [_application(k) for k in ("asylum", "cancellation", "cat", "withholding")]
    assert [v["kind"] for v in redact_all(applications, CASE)] == ["cancellation"]
    assert len(redact_all(applications, ASYLUM_AND_CASE)) == 4


def test_a_document_filed_for_an_asylum_application_needs_asylum() -> None:
    document = Document(document_id="D1", case_id="C1", category=DocumentCategory("declaration"),
                        title="Declaration", filed_on=date(2026, 2, 2), filed_by=None,
                        application_id="AP-asylum", media_type=None, content=None)
    documents = frozenset({DataCategory.DOCUMENT})
    assert redact_all([document], documents, protection_documents=frozenset({"D1"})) == []
    assert len(redact_all([document], documents)) == 1
    both = documents | {DataCategory.ASYLUM}
    assert redact_all([document], both, protection_documents=frozenset({"D1"}))[0]["title"] == (
        "Declaration")
