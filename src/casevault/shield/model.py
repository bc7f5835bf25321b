"""What the shield's parts hand each other: units of content, locations, matches, findings.

Readers turn a file into a stream of ``Sheet`` (a table: headers and rows of
text) and ``TextBlock`` (running text with its page and offset) units, in
bounded memory. Detectors find ``Match``es in one piece of text. The exact data
match turns normalised values into person ids. The scanner combines them into
``Finding``s, which carry a masked preview and never the value in clear.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What a detector recognised (the ``kind`` of a scan report finding)."""

    A_NUMBER = "a_number"
    SSN = "ssn"
    ITIN = "itin"
    PASSPORT = "passport"
    DATE_OF_BIRTH = "date_of_birth"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    PERSON_NAME = "person_name"
    FAMILY_NAME = "family_name"
    GIVEN_NAME = "given_name"
    NATIONALITY = "nationality"
    FACILITY = "facility"
    REIDENTIFICATION_RISK = "reidentification_risk"


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file: sheet/row/column for tables, page/offset (and line) for text."""

    file: str
    sheet: str | None = None
    row: int | None = None
    """1-based row as a spreadsheet shows it (the header is row 1), or the CSV line."""
    column: str | None = None
    """The column's header, or its letter/number when there is no header."""
    page: int | None = None
    offset: int | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, str | int]:
        return {k: v for k, v in (("sheet", self.sheet), ("row", self.row),
                                  ("column", self.column), ("page", self.page),
                                  ("offset", self.offset), ("line", self.line))
                if v is not None}


@dataclass(slots=True)
class Sheet:
    """One table: a CSV/TSV file, one XLSX worksheet, or an array of JSON objects.

    ``rows`` is consumed once, lazily (readers stream); each row has one text per
    header (missing cells are empty strings). ``first_row`` is the row number of
    the first data row as ``Location.row`` counts.
    """

    file: str
    name: str | None
    headers: tuple[str, ...]
    rows: Iterator[tuple[str, ...]]
    first_row: int = 2
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Running text (a line, paragraph or page) with where it starts."""

    file: str
    text: str
    page: int | None = None
    offset: int = 0
    line: int | None = None


Unit = Sheet | TextBlock


@dataclass(frozen=True, slots=True)
class Match:
    """A detector's hit in one text: the span, the kind, how sure, and the normal form.

    ``normalized`` is the value in the form the exact data match indexes (an
    A-number as ``A`` + nine digits, a date as ISO, a phone as digits, a name
    folded); it stays in memory and is never printed.
    """

    kind: Kind
    start: int
    end: int
    confidence: float
    normalized: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of a scan report (DESIGN.md): no value in clear, only a masked preview."""

    kind: Kind
    location: Location
    confidence: float
    masked_preview: str
    matched_person_id: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


def mask(value: str, *, keep: int = 2) -> str:
    """A preview that shows the shape, not the value: ``Ga****`` / ``A12*******``."""
    visible = value[:keep] if len(value) > 2 * keep else value[:1]
    return visible + "*" * max(len(value) - len(visible), 1)


__all__ = ["Finding", "Kind", "Location", "Match", "Sheet", "TextBlock", "Unit", "mask"]
