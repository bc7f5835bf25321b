"""Redaction by category: a record as the guard returns it (issue 4, item 5).

A ``RecordView`` holds only the fields whose category the decision permitted,
plus the record's opaque ids (``KEY`` fields, which reveal nothing about the
person). Withheld fields are absent, not ``None``: a reader cannot mistake
"withheld" for "unknown", and nothing shaped like data stands in for them.

Categories are those of ``domain.protection.record_categories``, so a value that
reveals a protection claim (an asylum application, an ``asylum_only`` case, a
document filed for such an application) counts as ``asylum`` row by row. A
record whose every non-id field is withheld is left out of a listing entirely
(``redact_all``): a list of bare ids would still say "there is something here
you may not see", which for an asylum application is the secret itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from casevault.domain import DataCategory
from casevault.domain.categories import key_fields
from casevault.domain.protection import record_categories

RECORD_NAMES: Final[Mapping[str, str]] = MappingProxyType({
    "Person": "person", "AddressPeriod": "address", "Relative": "relative", "Case": "case",
    "Hearing": "hearing", "Application": "application", "Charge": "charge",
    "Encounter": "encounter", "Document": "document", "Representation": "representation",
    "Assignment": "assignment", "Attorney": "attorney", "Court": "court",
})
"""The name each record type goes by in a view (and in API responses)."""


@dataclass(frozen=True, slots=True)
class RecordView:
    """One record, redacted: ``fields`` has only permitted fields and the record's ids."""

    kind: str
    fields: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.fields)


def redact(record: object, permitted: frozenset[DataCategory], *,
           supports_protection_claim: bool = False) -> RecordView:
    """The view of ``record`` that ``permitted`` allows (ids always kept)."""
    categories = record_categories(record, supports_protection_claim=supports_protection_claim)
    keys = key_fields(type(record))
    values = {name: getattr(record, name) for name, category in categories.items()
              if name in keys or category in permitted}
    return RecordView(RECORD_NAMES[type(record).__name__], MappingProxyType(values))


def reveals_anything(record: object, permitted: frozenset[DataCategory], *,
                     supports_protection_claim: bool = False) -> bool:
    """Whether at least one non-id field of ``record`` may be shown."""
    categories = record_categories(record, supports_protection_claim=supports_protection_claim)
    keys = key_fields(type(record))
    return any(category in permitted for name, category in categories.items()
               if name not in keys)


def redact_all(records: Iterable[object], permitted: frozenset[DataCategory], *,
               protection_documents: frozenset[str] = frozenset()) -> list[RecordView]:
    """Views of the records that reveal something permitted; the others are left out.

    ``protection_documents`` are the ids of documents filed for a protection
    application (their category is known only through that application).
    """
    views = []
    for record in records:
        supports = _document_id(record) in protection_documents
        if reveals_anything(record, permitted, supports_protection_claim=supports):
            views.append(redact(record, permitted, supports_protection_claim=supports))
    return views


def _document_id(record: object) -> str | None:
    value = getattr(record, "document_id", None)
    return value if isinstance(value, str) else None


__all__ = ["RECORD_NAMES", "RecordView", "redact", "redact_all", "reveals_anything"]
