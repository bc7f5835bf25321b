"""Data categories: declared once per field, read by the guard, the shield and the docs.

A field's category is written next to the field as ``Annotated[type, Category]``
in ``records.py``; ``field_categories`` reads those declarations back. Opaque ids
additionally carry ``KEY``: they identify a record without revealing anything
about the person and are never redacted.

Some records reveal a protection claim only through a value; ``protection.py``
escalates those fields to ``asylum`` row by row.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from casevault.domain.vocab import ApplicationKind, CaseType


class DataCategory(StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    FAMILY = "family"
    ASYLUM = "asylum"
    LAW_ENFORCEMENT = "law_enforcement"
    CASE = "case"
    DOCUMENT = "document"


class _KeyMarker:
    """Marks an opaque identifier field: kept in every redacted view."""

    def __repr__(self) -> str:
        return "KEY"


KEY: Final = _KeyMarker()

IDENTITY: Final = DataCategory.IDENTITY
CONTACT: Final = DataCategory.CONTACT
FAMILY: Final = DataCategory.FAMILY
ASYLUM: Final = DataCategory.ASYLUM
LAW_ENFORCEMENT: Final = DataCategory.LAW_ENFORCEMENT
CASE: Final = DataCategory.CASE
DOCUMENT: Final = DataCategory.DOCUMENT

PROTECTION_APPLICATION_KINDS: Final = frozenset(
    {ApplicationKind.ASYLUM, ApplicationKind.WITHHOLDING, ApplicationKind.CAT}
)
"""Application kinds that are a claim for asylum or protection."""

PROTECTION_CASE_TYPES: Final = frozenset(
    {
        CaseType.CREDIBLE_FEAR_REVIEW,
        CaseType.REASONABLE_FEAR_REVIEW,
        CaseType.ASYLUM_ONLY,
        CaseType.WITHHOLDING_ONLY,
    }
)
"""Case types whose mere existence reveals a protection claim."""


_CATEGORIES: dict[type, Mapping[str, DataCategory]] = {}
_KEYS: dict[type, frozenset[str]] = {}


def field_categories(record_type: type) -> Mapping[str, DataCategory]:
    """The declared category of every field of a record class, in field order."""
    cached = _CATEGORIES.get(record_type)
    if cached is None:
        cached = _CATEGORIES[record_type] = _declared_categories(record_type)
    return cached


def key_fields(record_type: type) -> frozenset[str]:
    """Fields marked ``KEY``: opaque ids kept in every view."""
    cached = _KEYS.get(record_type)
    if cached is None:
        cached = _KEYS[record_type] = _declared_keys(record_type)
    return cached


def _declared_categories(record_type: type[Any]) -> Mapping[str, DataCategory]:
    hints = typing.get_type_hints(record_type, include_extras=True)
    categories: dict[str, DataCategory] = {}
    for record_field in dataclasses.fields(record_type):
        declared = [m for m in getattr(hints[record_field.name], "__metadata__", ())
                    if isinstance(m, DataCategory)]
        if len(declared) != 1:
            msg = f"{record_type.__name__}.{record_field.name} must declare exactly one category"
            raise TypeError(msg)
        categories[record_field.name] = declared[0]
    return categories


def _declared_keys(record_type: type[Any]) -> frozenset[str]:
    hints = typing.get_type_hints(record_type, include_extras=True)
    return frozenset(
        record_field.name
        for record_field in dataclasses.fields(record_type)
        if any(m is KEY for m in getattr(hints[record_field.name], "__metadata__", ()))
    )
