"""Invariant 5 (8 CFR 208.6): what reveals a claim for asylum or protection.

A record's declared categories say what a field usually holds; some values
reveal more. A case of type ``asylum_only`` reveals a claim through its type; an
application of kind ``asylum`` reveals it through every field (when it was filed,
how it was decided); a document filed in support of such an application reveals
it through its title and content. Those fields become category ``asylum``.
"""

from __future__ import annotations

from collections.abc import Mapping

from casevault.domain.categories import (
    ASYLUM,
    PROTECTION_APPLICATION_KINDS,
    PROTECTION_CASE_TYPES,
    DataCategory,
    field_categories,
    key_fields,
)
from casevault.domain.records import Application, Case, Document


def reveals_protection_claim(record: object, *, supports_protection_claim: bool = False) -> bool:
    """Whether this record, by its values, shows that its person sought protection.

    ``supports_protection_claim`` is for documents, whose link to a claim is
    known only through the application they were filed for.
    """
    if isinstance(record, Application):
        return record.kind in PROTECTION_APPLICATION_KINDS
    if isinstance(record, Case):
        return record.case_type in PROTECTION_CASE_TYPES
    if isinstance(record, Document):
        return supports_protection_claim
    return False


def _revealing_fields(record: object) -> frozenset[str]:
    if isinstance(record, Case):
        return frozenset({"case_type"})
    return frozenset(field_categories(type(record))) - key_fields(type(record))


def record_categories(
    record: object, *, supports_protection_claim: bool = False
) -> Mapping[str, DataCategory]:
    """Categories of one record's fields after the 8 CFR 208.6 escalation."""
    declared = field_categories(type(record))
    if not reveals_protection_claim(record, supports_protection_claim=supports_protection_claim):
        return declared
    revealing = _revealing_fields(record)
    return {name: (ASYLUM if name in revealing else c) for name, c in declared.items()}
