"""Access events in DESIGN.md's format, read from CSV or JSON Lines into typed columns.

Agencies feed their legacy systems' logs in this form, so a reader must survive bad
rows: every problem (a missing column, an unknown id, an unparseable time, a duplicate
event id) is reported with its row number and the row is left out; every other row is
kept. Problems name the row, the column and the kind of fault, never a value (a value
may be personal data).

Events are held column-wise (``EventColumns``) because the engines read columns; a
few million rows as Python objects would cost more than the analysis.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from casevault.domain.access_events import COLUMNS, AccessEvent
from casevault.errors import UnreadableFile

REQUIRED: Final = frozenset({"event_id", "at", "user_id", "action", "result"})
"""Columns without which a row cannot be analysed (the rest may be empty)."""

ACTIONS: Final = frozenset({"view", "search", "export", "print", "update", "login", "logout",
                            "break_glass"})
RESULTS: Final = frozenset({"permit", "deny"})
MAX_PROBLEMS_KEPT: Final = 10_000
"""Problems beyond this many are counted, not kept (a wholly wrong file must not eat memory)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One rejected row (``row`` counts from 1; a CSV header is row 1)."""

    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.problem}"


@dataclass(frozen=True, slots=True)
class KnownIds:
    """Ids the store knows; an event naming another is reported as an unknown id.

    ``None`` for a set means "do not check" (e.g. a feed whose case ids are not ours).
    """

    users: frozenset[str] | None = None
    persons: frozenset[str] | None = None
    cases: frozenset[str] | None = None


@dataclass(slots=True)
class EventColumns:
    """Accepted events, one list per column (``at`` as epoch seconds, UTC)."""

    event_id: list[str] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    user_id: list[str] = field(default_factory=list)
    session_id: list[str | None] = field(default_factory=list)
    device_id: list[str | None] = field(default_factory=list)
    ip: list[str | None] = field(default_factory=list)
    action: list[str] = field(default_factory=list)
    person_id: list[str | None] = field(default_factory=list)
    case_id: list[str | None] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)
    purpose: list[str | None] = field(default_factory=list)
    justification: list[str | None] = field(default_factory=list)
    result: list[str] = field(default_factory=list)
    record_count: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.event_id)

    def append(self, row: AccessEvent) -> None:
        for name in _FIELDS:
            getattr(self, name).append(getattr(row, name))


_FIELDS: Final = tuple(AccessEvent.__dataclass_fields__)


@dataclass(slots=True)
class ReadReport:
    """What a read kept and what it rejected."""

    events: EventColumns
    problems: list[RowProblem]
    rows_read: int
    rejected: int

    @property
    def kept(self) -> int:
        return len(self.events)


class _RowError(Exception):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.problem = problem


def parse_instant(text: str) -> int:
    """ISO 8601 instant to epoch seconds; an instant without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = str(value).strip()
    return text or None


def _typed(raw: Mapping[str, Any], known: KnownIds) -> AccessEvent:
    values = {name: _text(raw, name) for name in COLUMNS}
    for name in sorted(REQUIRED):
        if values[name] is None:
            raise _RowError(name, "missing value")
    try:
        ts = parse_instant(str(values["at"]))
    except ValueError:
        raise _RowError("at", "unparseable time (expected ISO 8601, e.g. "
                              "2026-03-04T09:30:00Z)") from None
    action, result = str(values["action"]), str(values["result"])
    if action not in ACTIONS:
        raise _RowError("action", f"unknown action (expected one of {sorted(ACTIONS)})")
    if result not in RESULTS:
        raise _RowError("result", "unknown result (expected permit or deny)")
    try:
        count = int(values["record_count"] or "0")
    except ValueError:
        raise _RowError("record_count", "not a whole number") from None
    for name, ids in (("user_id", known.users), ("person_id", known.persons),
                      ("case_id", known.cases)):
        value = values[name]
        if ids is not None and value is not None and value not in ids:
            raise _RowError(name, "unknown id")
    return AccessEvent(str(values["event_id"]), ts, str(values["user_id"]),
                       values["session_id"], values["device_id"], values["ip"], action,
                       values["person_id"], values["case_id"], values["categories"],
                       values["purpose"], values["justification"], result, count)


def read_rows(rows: Iterable[tuple[int, Mapping[str, Any] | _RowError]],
              known: KnownIds | None = None) -> ReadReport:
    """Type numbered raw rows; reject bad ones with their row numbers, keep the rest."""
    known = known or KnownIds()
    report = ReadReport(EventColumns(), [], 0, 0)
    seen: set[str] = set()
    for number, raw in rows:
        report.rows_read += 1
        try:
            if isinstance(raw, _RowError):
                raise raw
            event = _typed(raw, known)
            if event.event_id in seen:
                raise _RowError("event_id", "duplicate event id (an earlier row has it)")
        except _RowError as error:
            report.rejected += 1
            if len(report.problems) < MAX_PROBLEMS_KEPT:
                report.problems.append(RowProblem(number, error.column, error.problem))
            continue
        seen.add(event.event_id)
        report.events.append(event)
    return report


def _csv_rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any] | _RowError]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            yield 1, _RowError(",".join(missing), "column missing from the header")
        for number, cells in enumerate(reader, start=2):
            if len(cells) != len(header):
                yield number, _RowError("*", f"{len(cells)} cells where the header has "
                                             f"{len(header)}")
                continue
            yield number, dict(zip(header, cells, strict=True))


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any] | _RowError]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                yield number, _RowError("*", "not a JSON object")
                continue
            if not isinstance(value, dict):
                yield number, _RowError("*", "not a JSON object")
                continue
            yield number, value


def read_events(path: Path, known: KnownIds | None = None) -> ReadReport:
    """Read an access-event file (``.csv`` or ``.jsonl``/``.json``); bad rows are reported.

    A header-level fault (a column missing) is reported once as row 1; rows are then
    judged on what they have, so optional columns may be absent.
    """
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl", ".json", ".ndjson"}:
        raise UnreadableFile(path.name, "expected an access-event file ending .csv or .jsonl")
    try:
        rows = _csv_rows(path) if suffix == ".csv" else _jsonl_rows(path)
        report = read_rows(rows, known)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UnreadableFile(path.name, f"cannot be read ({type(error).__name__})") from None
    header = [p for p in report.problems if p.row == 1 and p.problem.startswith("column missing")]
    if header and report.rows_read:
        # The header line is a problem record of its own, not a data row.
        report.rows_read -= 1
        report.rejected -= 1
    return report


def write_events(path: Path, events: Iterable[AccessEvent]) -> int:
    """Write events as JSON Lines in DESIGN.md's format (times ISO 8601 UTC); returns the count."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event.to_design_row(), separators=(",", ":")) + "\n")
            count += 1
    return count


