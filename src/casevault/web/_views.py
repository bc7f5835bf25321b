"""Records as the console shows them: every declared field, permitted ones with their values.

A field of a category the decision withheld is shown as "withheld: <category>",
never as an empty cell, so nobody mistakes a withheld address for a person
without one. A field whose category *was* permitted but is still absent was
escalated to ``asylum`` by the 8 CFR 208.6 rule (the type of a protection case);
it is shown only as "not shown", exactly as much as the API's absent field says
(the one documented leak, docs/dev/access.md), and no more. Records the guard left
out of a listing are simply not there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from types import MappingProxyType
from typing import Any, Final

from casevault.access.redaction import RECORD_NAMES, RecordView
from casevault.domain import RECORD_TYPES, DataCategory, field_categories

RECORD_TYPE_OF: Final[Mapping[str, type]] = MappingProxyType({
    RECORD_NAMES[t.__name__]: t for t in RECORD_TYPES if t.__name__ in RECORD_NAMES})
"""The domain type behind each view kind, whose declarations say every field's category."""

HIDDEN_FIELDS: Final = frozenset({"content", "media_type"})
"""Document contents are fetched one by one, not listed."""

NOT_RECORDED: Final = "—"
NOT_SHOWN: Final = "not shown"


@dataclass(frozen=True, slots=True)
class Cell:
    """One field of one record: its value, or why it is not shown."""

    label: str
    text: str
    withheld: str | None = None
    """The withheld category, when the decision did not cover this field's."""
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Shown:
    """One record ready for a template: its kind and its cells in declaration order."""

    kind: str
    cells: tuple[Cell, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(cell.label for cell in self.cells)


def label(name: str) -> str:
    """``date_of_birth`` -> ``Date of birth``."""
    return name.replace("_", " ").capitalize()


def shown(view: RecordView, permitted: frozenset[DataCategory], *, links: Links) -> Shown:
    """Every declared field of ``view``'s record type, in order, as the reader may see it."""
    declared = field_categories(RECORD_TYPE_OF[view.kind])
    cells = []
    for name, category in declared.items():
        if name in HIDDEN_FIELDS:
            continue
        if name in view:
            cells.append(Cell(label(name), _text(view[name]), href=links.of(name, view[name])))
        elif category not in permitted:
            cells.append(Cell(label(name), f"withheld: {category.value}",
                              withheld=category.value))
        else:
            cells.append(Cell(label(name), NOT_SHOWN))
    return Shown(view.kind, tuple(cells))


def shown_all(views: Iterable[RecordView], permitted: frozenset[DataCategory], *,
              links: Links) -> tuple[Shown, ...]:
    return tuple(shown(view, permitted, links=links) for view in views)


def withheld(permitted: frozenset[DataCategory]) -> tuple[str, ...]:
    """The categories a decision did not cover, for the page's summary line."""
    return tuple(sorted(c.value for c in DataCategory if c not in permitted))


def _text(value: Any) -> str:
    if value is None or value == ():
        return NOT_RECORDED
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Links:
    """Where an id leads: to the purpose prompt of that record, never straight to its data."""

    prefix: str

    def of(self, name: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            return None
        if name in {"person_id", "relative_id"}:
            return f"{self.prefix}/persons/{value}"
        if name in {"case_id", "lead_case_id"}:
            return f"{self.prefix}/cases/{value}"
        return None


__all__ = ["NOT_RECORDED", "NOT_SHOWN", "Cell", "Links", "Shown", "label", "shown",
           "shown_all", "withheld"]
