"""Tables and groups of values, at the speed a leaked spreadsheet of a million rows needs.

What a row means is decided once per column, not once per cell: ``TablePlan``
says which columns are read as a known kind (names as a whole; A-numbers,
dates, phones, e-mails and addresses by their own detector with the header as
context), which go through every detector, and which only count towards
re-identification risk. Rows are then read a batch at a time, column by
column, so that a cell costs a step of a loop rather than a chain of calls:

* name cells are folded together (Arrow's string kernels for ASCII cells, the
  index's own ``fold_name`` for the others: the same normal form);
* an A-number cell already in canonical form (``A`` and nine digits) is that
  A-number: it is what the detector would find (``tests/shield/test_fastscan``
  compares the two), without preparing the text for it;
* a birth-date column holds at most some 44,000 distinct dates in 120 years,
  so each is read by the detector once (a bounded memo); so are short cells of
  unrecognised columns that repeat (a status, a court code);
* each row's values are looked up together by ``GroupMatcher``, which is
  ``EdmIndex.match_group`` with savings that do not change its answer: the
  look-up of a birth date is remembered; a row whose only hits are birth dates
  names nobody (a birth date alone never does; a test holds the confidence
  table to that); and when past the findings limit, a row whose A-number names
  one person and whose other values put nobody else forward names that person
  at the A-number's confidence, without scoring (a property test compares both
  with ``match_group``).

Past the report's findings limit nothing is built: persons and counts are
tallied. The result is the same report, finding for finding, as reading the
rows one at a time (the tests compare them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from casevault.domain.anumber import ALL_ZERO
from casevault.shield._edm_normal import fold_name
from casevault.shield._edm_score import A_NUMBER as A_NUMBER_CONFIDENCE
from casevault.shield._edm_score import (
    CONFIRMS_ONLY,
    SEED_LIMIT,
    Found,
    confidence,
    evidence_of,
)
from casevault.shield._edm_table import ORDINAL_MASK
from casevault.shield._scanreport import BLOCKING_CONFIDENCE, ScanReport
from casevault.shield.columns import ColumnGuess, identifying_columns, quasi_identifiers
from casevault.shield.detectors import Detectors
from casevault.shield.edm import (
    _ALONE,
    _MAX_NAME_PARTS,
    _SPLIT_NAME,
    EdmIndex,
    PersonMatch,
    _found,
    _scored,
)
from casevault.shield.model import Finding, Kind, Location, mask
from casevault.shield.risk import RiskCounter

Item = tuple[Kind, str, str]
"""One value a cell holds: its kind, its form as the index keys it, the text as written."""
Items = tuple[Item, ...]
Reader = Callable[[Sequence[str]], list[Items]]
"""Reads the cells of one column: what each holds (``()`` for nothing)."""
Group = Sequence[Items]
"""What one row (its cells, in column order) or one text block holds: a group to look up."""

STRONGEST: Final = (Kind.A_NUMBER, Kind.SSN, Kind.ITIN, Kind.PASSPORT, Kind.PERSON_NAME,
                    Kind.FAMILY_NAME, Kind.DATE_OF_BIRTH, Kind.EMAIL, Kind.PHONE,
                    Kind.ADDRESS, Kind.GIVEN_NAME)
"""Which kind names a finding that several identifiers of one row support."""
NORMALISED: Final = frozenset({Kind.A_NUMBER, Kind.DATE_OF_BIRTH, Kind.PHONE, Kind.EMAIL,
                               Kind.ADDRESS, Kind.PERSON_NAME, Kind.FAMILY_NAME,
                               Kind.GIVEN_NAME})
"""Kinds of recognised columns: read with their header as context (names: the whole cell)."""
NAME_KINDS: Final = frozenset({Kind.PERSON_NAME, Kind.FAMILY_NAME, Kind.GIVEN_NAME})
BATCH_ROWS: Final = 4096
"""Rows read column by column at a time: enough to spread a column's set-up over many
cells, few enough that a batch's cells stay a few megabytes of Python objects."""
MEMO_LIMIT: Final = 1 << 16
"""Entries a memo holds before it starts afresh (memory stays bounded on any column)."""
MEMO_CELL_CHARS: Final = 64
"""Longest cell of an unrecognised column that is remembered (short repeated codes)."""
_NOTHING: Final[Items] = ()
_A_NUMBER_ONLY: Final = _ALONE[Kind.A_NUMBER]
_FAMILY, _GIVEN, _NAME = Kind.FAMILY_NAME, Kind.GIVEN_NAME, Kind.PERSON_NAME
_BIRTH, _A_NUMBER = Kind.DATE_OF_BIRTH, Kind.A_NUMBER
_CANONICAL_A_NUMBER: Final = re.compile(r"A[0-9]{9}")


# --- the plan: how each column of a table is read ----------------------------------------

@dataclass(frozen=True, slots=True)
class TablePlan:
    """How each column of a table is read: normalised as a known kind, detected, or only
    counted for re-identification risk."""

    file: str
    name: str | None
    headers: tuple[str, ...]
    known: tuple[tuple[int, Kind], ...]
    unknown: tuple[int, ...]
    identifying: tuple[ColumnGuess, ...]
    quasi: tuple[ColumnGuess, ...]

    @classmethod
    def of(cls, file: str, name: str | None, headers: Sequence[str],
           guesses: Sequence[ColumnGuess]) -> TablePlan:
        identifying = identifying_columns(guesses)
        known = tuple((g.index, g.kind) for g in guesses
                      if g.kind is not None and g.kind in NORMALISED)
        known_indexes = {index for index, _ in known}
        # Nationality, facility, sex, city and the like are read for risk, not for identifiers.
        unknown = tuple(g.index for g in guesses if g.index not in known_indexes
                        and not g.quasi_identifier)
        width = max(len(headers), *(g.index + 1 for g in guesses), 0)
        padded = tuple(headers) + ("",) * (width - len(headers))
        return cls(file, name, padded, known, unknown, tuple(identifying),
                   tuple(quasi_identifiers(guesses)))

    @property
    def measures_risk(self) -> bool:
        """A table without identifying columns is measured on its quasi-identifiers."""
        return not self.identifying and bool(self.quasi)

    @property
    def needed(self) -> tuple[int, ...]:
        """The columns a scan reads (the others are never looked at)."""
        risk = tuple(g.index for g in self.quasi) if self.measures_risk else ()
        return tuple(sorted({*(i for i, _ in self.known), *self.unknown, *risk}))


# --- column readers ----------------------------------------------------------------------

def _names_reader(kind: Kind) -> Reader:
    """A name column: the whole cell is one name, folded as the index folds it."""
    fold_words = _word_folder()

    def read(cells: Sequence[str]) -> list[Items]:
        out: list[Items] = []
        for cell, folded in zip(cells, _fold_ascii(cells), strict=True):
            text = cell.strip()
            normal = fold_words(text) if folded is None and text else folded
            out.append(((kind, normal, text),) if normal else _NOTHING)
        return out

    return read


def _word_folder() -> Callable[[str], str]:
    """``fold_name`` of a text that is not ASCII, a word at a time, each distinct word once.

    Folding (decomposition, dropping accents, case folding, spelling out ø and
    the like) maps each character on its own, and blanks fold to the separator,
    so a text folds as its words do, joined by one space (a property test holds
    the two equal). Names repeat words (García, María) far more than whole cells.
    """
    memo: dict[str, str] = {}

    def fold_words(text: str) -> str:
        folded = []
        for word in text.split():
            normal = memo.get(word)
            if normal is None:
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                normal = memo[word] = fold_name(word)
            if normal:
                folded.append(normal)
        return " ".join(folded)

    return fold_words


def _fold_ascii(cells: Sequence[str]) -> list[str | None]:
    """``fold_name`` of each ASCII cell by Arrow's string kernels (None for the others).

    For ASCII text ``fold_name`` is lower case, runs of anything but letters and
    digits as one space, trimmed; leading and trailing blanks fold away, so the
    raw cell folds as its stripped text does.
    """
    try:
        column = pa.array(cells, type=pa.string())
    except (UnicodeEncodeError, pa.ArrowException):  # lone surrogates from a JSON escape
        return [None] * len(cells)
    folded = pc.utf8_trim(pc.replace_substring_regex(pc.utf8_lower(column), "[^0-9a-z]+", " "),
                          " ")
    kept = pc.if_else(pc.string_is_ascii(column), folded, pa.scalar(None, pa.string()))
    result: list[str | None] = kept.to_pylist()
    return result


def _detected_items(detectors: Detectors, header: str) -> Callable[[str], Items]:
    """A stripped cell of a recognised column, read by its own detector with the header."""
    find = detectors.find_all

    def items(text: str) -> Items:
        return tuple((m.kind, m.normalized, text[m.start:m.end])
                     for m in find(text, header=header))

    return items


def _known_reader(detectors: Detectors, header: str) -> Reader:
    items = _detected_items(detectors, header)

    def read(cells: Sequence[str]) -> list[Items]:
        out: list[Items] = []
        for cell in cells:
            text = cell.strip()
            out.append(items(text) if text else _NOTHING)
        return out

    return read


def _a_number_reader(detectors: Detectors, header: str) -> Reader:
    """An A-number column: canonical cells as they are, any other writing by the detector."""
    items = _detected_items(detectors, header)
    canonical = _CANONICAL_A_NUMBER.fullmatch

    def read(cells: Sequence[str]) -> list[Items]:
        out: list[Items] = []
        for cell in cells:
            text = cell.strip()
            if not text:
                out.append(_NOTHING)
            elif canonical(text) is not None and text != ALL_ZERO:
                out.append(((_A_NUMBER, text, text),))
            else:
                out.append(items(text))
        return out

    return read


def _remembering(read_cell: Callable[[str], Items], *, longest: int | None = None) -> Reader:
    """A reader that reads each distinct cell once (cells longer than ``longest`` every time)."""
    memo: dict[str, Items] = {}

    def read(cells: Sequence[str]) -> list[Items]:
        out: list[Items] = []
        for cell in cells:
            items = memo.get(cell)
            if items is None:
                items = read_cell(cell)
                if longest is None or len(cell) <= longest:
                    if len(memo) >= MEMO_LIMIT:
                        memo.clear()
                    memo[cell] = items
            out.append(items)
        return out

    return read


def _date_cell(detectors: Detectors, header: str) -> Callable[[str], Items]:
    items = _detected_items(detectors, header)

    def read_cell(cell: str) -> Items:
        text = cell.strip()
        return items(text) if text else _NOTHING

    return read_cell


def _unknown_cell(detectors: Detectors, header: str) -> Callable[[str], Items]:
    """A cell of an unrecognised column: every detector, names keyed as the index keys them."""
    find = detectors.find_all

    def read_cell(text: str) -> Items:
        if not text or text.isspace():
            return _NOTHING
        found = []
        for match in find(text, header=header):
            span = text[match.start:match.end]
            found.append((match.kind, indexed_form(match.kind, match.normalized, span), span))
        return tuple(found)

    return read_cell


def column_readers(plan: TablePlan, detectors: Detectors,
                   by_kind: Mapping[Kind, Detectors]) -> list[tuple[int, Reader]]:
    """A reader per column the scan reads, in the order their values make a row's group."""
    readers: list[tuple[int, Reader]] = []
    for index, kind in plan.known:
        header = plan.headers[index]
        if kind in NAME_KINDS:
            reader = _names_reader(kind)
        elif kind is Kind.A_NUMBER:
            reader = _a_number_reader(by_kind[kind], header)
        elif kind is Kind.DATE_OF_BIRTH:
            reader = _remembering(_date_cell(by_kind[kind], header))
        else:
            reader = _known_reader(by_kind[kind], header)
        readers.append((index, reader))
    for index in plan.unknown:
        readers.append((index, _remembering(_unknown_cell(detectors, plan.headers[index]),
                                            longest=MEMO_CELL_CHARS)))
    return readers


# --- exact data match of one group ---------------------------------------------------------

class GroupMatcher:
    """``EdmIndex.match_group`` for a whole scan: same answers, less work per group.

    Birth dates are few and repeat, so their look-ups are remembered; a group
    whose only hits are birth dates names nobody (``CONFIRMS_ONLY`` kinds never
    score alone), so it is answered before the evidence is gathered; and
    ``strong`` answers a group whose A-number alone puts a person forward without
    scoring it. The index's table is taken once, at the start of the scan.
    """

    __slots__ = ("_hash", "_memo", "_table")

    def __init__(self, index: EdmIndex) -> None:
        # The shield's own index, read only: ``match_group``'s table and keyed hash.
        self._table = index._table
        self._hash = index._hasher.hash
        self._memo: dict[str, list[Found]] = {}

    def match(self, group: Group) -> list[PersonMatch]:
        """The persons the group names, most certain first: ``match_group`` of its values."""
        found, dates_only, _ = self._found(group)
        if dates_only:
            return []
        return _scored(self._table.persons, evidence_of(found), kinds_of(group))

    def strong(self, group: Group) -> list[tuple[str, float]]:
        """The persons the group names at a blocking confidence, in no order (for tallies)."""
        found, dates_only, a_person = self._found(group)
        if dates_only:
            return []
        person_id = self._table.persons.person_id
        if a_person is not None and _puts_forward_only(found, a_person):
            return [(person_id(a_person), A_NUMBER_CONFIDENCE)]
        present = kinds_of(group)
        return [(person_id(ordinal), sure) for ordinal, seen in evidence_of(found).items()
                if (sure := confidence(seen, present)) >= BLOCKING_CONFIDENCE]

    def _found(self, group: Group) -> tuple[list[Found], bool, int | None]:
        """What each value of the group matched, in ``match_group``'s order; whether all of
        it is birth dates (which name nobody); the person the A-number alone names, if any.

        A-numbers and birth dates are looked up here (every row has them), the rest
        by the index's own ``_found``. Hot loop: kinds compared as module constants.
        """
        table, hash_of, dates = self._table, self._hash, self._memo
        found: list[Found] = []
        dates_only, a_person = True, None
        families: list[str] = []
        givens: list[str] = []
        for items in group:
            for kind, value, _ in items:
                if kind is _FAMILY:
                    families.append(value)
                elif kind is _GIVEN:
                    givens.append(value)
                elif kind is _BIRTH:
                    found += dates.get(value) or self._date(value)
                elif kind is _A_NUMBER:
                    if hits := table.lookup(hash_of(kind, value)):
                        found.append((_A_NUMBER_ONLY, hits, False, False))
                        dates_only = False
                        if len(hits) == 1:
                            a_person = hits[0]
                elif more := _found(table, hash_of, _ALONE[kind], kind, value):
                    found += more
                    dates_only = False
        for family in families[:_MAX_NAME_PARTS]:
            for given in givens[:_MAX_NAME_PARTS]:
                if more := _found(table, hash_of, _SPLIT_NAME, _NAME, f"{family} {given}"):
                    found += more
                    dates_only = False
        return found, dates_only, a_person

    def _date(self, value: str) -> list[Found]:
        found = self._memo.get(value)
        if found is None:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[value] = _found(self._table, self._hash, _ALONE[Kind.DATE_OF_BIRTH],
                                               Kind.DATE_OF_BIRTH, value)
        return found


def kinds_of(group: Group) -> set[Kind]:
    """The kinds of the values a group holds (``match_group``'s ``present``)."""
    return {kind for items in group for kind, _, _ in items}


def _puts_forward_only(found: list[Found], person: int) -> bool:
    """Whether no hit of the group puts anyone but ``person`` forward, when an A-number named
    ``person`` alone (``evidence_of``'s seeding rule: the rarest value, here the first that
    one person has, and any other shared by at most ``SEED_LIMIT`` persons that is not a
    birth date).

    Then the group names that person with the A-number's confidence and nobody else,
    whatever else matched: the scoring can be skipped. That is most rows of a leaked
    table of this system's people.
    """
    rarest = True
    for kinds, hits, _, _ in found:
        if len(hits) == 1 and rarest:
            rarest = False
        elif len(hits) > SEED_LIMIT or kinds <= CONFIRMS_ONLY:
            continue  # it only confirms persons others put forward
        for ordinal in hits:
            if ordinal & ORDINAL_MASK != person:
                return False
    return True


# --- one group's findings ------------------------------------------------------------------

Cells = dict[Kind, tuple[int, str]]
"""Where a row's first value of each kind was: column (or offset in a text) and the text."""


def report_group(matcher: GroupMatcher | None, group: Group, cells: Cells, where: Location,
                 headers: Sequence[str] | None, report: ScanReport) -> None:
    """One row or text block: the persons it names, else the identifiers of nobody here."""
    matched = matcher.match(group) if matcher is not None else []
    strong = [m for m in matched if m.confidence >= BLOCKING_CONFIDENCE]
    for person in strong:
        report.add(_person_finding(person, cells, where, headers))
    if strong:
        return
    for kind, sure in unmatched(group):
        index, text = cells[kind]
        report.add(Finding(kind, _at(where, index, headers), sure, mask(text)))


def count_group(matcher: GroupMatcher | None, group: Group, report: ScanReport) -> None:
    """``report_group`` past the findings limit: the same persons and counts, nothing built."""
    strong = matcher.strong(group) if matcher is not None else []
    for person_id, sure in strong:
        report.count(sure, person_id)
    if not strong:
        found, blocking = _unmatched_counts(frozenset(kinds_of(group)))
        report.tally(found, blocking)


_UNMATCHED_CONFIDENCE: Final[dict[Kind, float]] = {
    Kind.A_NUMBER: 0.9, Kind.SSN: 0.9, Kind.ITIN: 0.9, Kind.PASSPORT: 0.7,
    Kind.DATE_OF_BIRTH: 0.45, Kind.EMAIL: 0.35, Kind.PHONE: 0.3, Kind.ADDRESS: 0.35,
    Kind.PERSON_NAME: 0.3, Kind.FAMILY_NAME: 0.3, Kind.GIVEN_NAME: 0.2,
}
"""Confidence of an identifier that matched nobody of this system.

Government identifiers block whoever they belong to. Names, phones, e-mails and
addresses alone do not: a court publishes its staff directory. A birth date
next to a name does (``_NAMED_BIRTH``): that is someone's identity.
"""
_NAMED_BIRTH: Final = 0.7
_UNMATCHED: dict[frozenset[Kind], list[tuple[Kind, float]]] = {}
"""``unmatched`` by the kinds present: a table's rows have few combinations."""


def unmatched(group: Group) -> list[tuple[Kind, float]]:
    """The identifiers of a group that matched nobody, strongest first, with their confidence."""
    return _unmatched_of(frozenset(kinds_of(group)))


def _unmatched_of(present: frozenset[Kind]) -> list[tuple[Kind, float]]:
    found = _UNMATCHED.get(present)
    if found is None:
        named = not present.isdisjoint(NAME_KINDS)
        found = _UNMATCHED[present] = [
            (kind, _NAMED_BIRTH if kind is Kind.DATE_OF_BIRTH and named
             else _UNMATCHED_CONFIDENCE[kind])
            for kind in STRONGEST if kind in present and kind in _UNMATCHED_CONFIDENCE]
    return found


def _unmatched_counts(present: frozenset[Kind]) -> tuple[int, int]:
    """How many findings ``unmatched`` gives for these kinds, and how many of them block."""
    found = _unmatched_of(present)
    return len(found), sum(1 for _, sure in found if sure >= BLOCKING_CONFIDENCE)


def _person_finding(person: PersonMatch, cells: Cells, where: Location,
                    headers: Sequence[str] | None) -> Finding:
    kind = next((k for k in STRONGEST if k in person.kinds and k in cells),
                next(iter(sorted(person.kinds))))
    index, text = cells.get(kind, (None, ""))
    return Finding(kind, _at(where, index, headers), person.confidence, mask(text or "?"),
                   matched_person_id=person.person_id,
                   detail={"identifiers": ",".join(sorted(k.value for k in person.kinds))})


def _at(where: Location, index: int | None, headers: Sequence[str] | None) -> Location:
    if headers is None or index is None:
        return where
    column = headers[index] if index < len(headers) and headers[index] else str(index + 1)
    return Location(where.file, sheet=where.sheet, row=where.row, column=column)


def indexed_form(kind: Kind, normalized: str, span: str) -> str:
    """A detected name in the form the index keys it (which spells out letters such as ø)."""
    if kind in NAME_KINDS:
        return fold_name(span) or normalized
    return normalized


# --- a table, a batch of rows at a time --------------------------------------------------------

class TableScanner:
    """One table's rows, read column by column, each row's values looked up as one group."""

    def __init__(self, plan: TablePlan, detectors: Detectors, by_kind: Mapping[Kind, Detectors],
                 matcher: GroupMatcher | None) -> None:
        self.plan = plan
        self._readers = column_readers(plan, detectors, by_kind)
        self._matcher = matcher
        self._risk_columns = tuple(g.index for g in plan.quasi) if plan.measures_risk else ()
        # Rows handed to the counter hold the quasi-identifier columns only, in order.
        self.risk = (RiskCounter([plan.headers[i] for i in self._risk_columns],
                                 range(len(self._risk_columns)))
                     if self._risk_columns else None)

    def scan_rows(self, rows: Sequence[Sequence[str]], first_number: int,
                  report: ScanReport) -> None:
        """A batch of rows (each as wide as the headers), the first numbered ``first_number``."""
        if rows:
            columns = {index: [row[index] for row in rows] for index in self.plan.needed}
            self.scan_columns(columns, len(rows), first_number, report)

    def scan_columns(self, columns: Mapping[int, Sequence[str]], count: int, first_number: int,
                     report: ScanReport) -> None:
        """A batch of ``count`` rows given as its ``plan.needed`` columns."""
        if self.risk is not None:
            self.risk.add_all(zip(*(columns[index] for index in self._risk_columns),
                                  strict=True))
        if not self._readers:
            return
        indexes = [index for index, _ in self._readers]
        read = [reader(columns[index]) for index, reader in self._readers]
        matcher, plan = self._matcher, self.plan
        full = report.full
        for offset, row in enumerate(zip(*read, strict=True)):
            if not any(row):
                continue
            if full:
                count_group(matcher, row, report)
                continue
            cells: Cells = {}
            for index, items in zip(indexes, row, strict=True):
                for kind, _, span in items:
                    cells.setdefault(kind, (index, span))
            where = Location(plan.file, sheet=plan.name, row=first_number + offset)
            report_group(matcher, row, cells, where, plan.headers, report)
            full = report.full


__all__ = ["BATCH_ROWS", "NAME_KINDS", "NORMALISED", "STRONGEST", "GroupMatcher", "TablePlan",
           "TableScanner", "column_readers", "count_group", "indexed_form", "report_group",
           "unmatched"]
