"""The scanner: a file in, a verdict and findings out (issue 6, items 3 to 6).

A table is read the way a person reads a leaked spreadsheet: the columns are
classified once from their headers and a sample of values (``columns``); then
each row's identifying cells are normalised and looked up together in the exact
data match (``edm``), so that "GARCIA, MARIA / 03/12/1990 / A-123-456-789" in
one row is one finding naming one person. Cells of columns that were not
recognised go through the detectors. Running text is scanned line by line with
the detectors, and the values of one block are looked up together.

A table with no identifying column is measured for re-identification risk over
its quasi-identifiers (``risk``) and blocked when k is below the threshold.

Findings carry a masked preview and the matched person id, never the value.
The verdict is ``block`` if anything personal was found: a match with a person
of this system, an identifier of someone who is not (nothing personal is
published, whoever it is about), or a re-identifiable table.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal

from casevault.errors import InvalidValue
from casevault.shield.columns import (
    SAMPLE_ROWS,
    ColumnGuess,
    identifying_columns,
    infer_columns,
    quasi_identifiers,
)
from casevault.shield.detectors import Detectors, default_detectors
from casevault.shield.edm import EdmIndex, PersonMatch, normalize
from casevault.shield.model import Finding, Kind, Location, Sheet, TextBlock, mask
from casevault.shield.readers import ReadLimits, read_units
from casevault.shield.risk import DEFAULT_K, RiskCounter, RiskReport

Verdict = Literal["pass", "block"]
REPORT_VERSION: Final = "cv-scan-report/1"
MAX_FINDINGS: Final = 10_000
"""Findings kept in a report; beyond it they are counted, not listed."""
BLOCKING_CONFIDENCE: Final = 0.5
STRONGEST: Final = (Kind.A_NUMBER, Kind.SSN, Kind.ITIN, Kind.PASSPORT, Kind.PERSON_NAME,
                    Kind.FAMILY_NAME, Kind.DATE_OF_BIRTH, Kind.EMAIL, Kind.PHONE,
                    Kind.ADDRESS, Kind.GIVEN_NAME)
"""Which kind names a finding that several identifiers of one row support."""


@dataclass
class ScanReport:
    """One file's verdict (DESIGN.md's scan report), with counts for the command line."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    more_findings: int = 0
    persons: set[str] = field(default_factory=set)
    risks: list[RiskReport] = field(default_factory=list)
    k_threshold: int = DEFAULT_K
    bytes_read: int = 0
    seconds: float = 0.0
    blocking: int = 0
    """Findings at or above ``BLOCKING_CONFIDENCE``, listed or not."""

    @property
    def verdict(self) -> Verdict:
        risky = any(r.blocks(self.k_threshold) for r in self.risks)
        return "block" if self.blocking or risky else "pass"

    def add(self, finding: Finding) -> None:
        if finding.matched_person_id is not None:
            self.persons.add(finding.matched_person_id)
        if finding.confidence >= BLOCKING_CONFIDENCE:
            self.blocking += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)
        else:
            self.more_findings += 1

    def as_json(self, *, with_person_ids: bool) -> dict[str, Any]:
        """DESIGN.md's scan report; person ids only when the caller was allowed to see them."""
        return {
            "version": REPORT_VERSION, "file": self.file, "verdict": self.verdict,
            "findings": [_finding_json(f, with_person_ids=with_person_ids)
                         for f in self.findings],
            "more_findings": self.more_findings, "persons_matched": len(self.persons),
            "reidentification": [
                {"columns": list(r.columns), "rows": r.rows, "k": r.k,
                 "unique_share": round(r.unique_share, 4), "blocks": r.blocks(self.k_threshold)}
                for r in self.risks],
        }


def _finding_json(finding: Finding, *, with_person_ids: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {"kind": finding.kind.value, "location": finding.location.as_dict(),
                             "confidence": round(finding.confidence, 3),
                             "masked_preview": finding.masked_preview}
    if finding.matched_person_id is not None:
        shown["matched_person_id"] = (finding.matched_person_id if with_person_ids
                                      else "(withheld: scan with --identify)")
    return shown


class Scanner:
    """Scans files against one exact-data-match index (or none: detectors and risk only)."""

    def __init__(self, index: EdmIndex | None, *, detectors: Detectors | None = None,
                 k_threshold: int = DEFAULT_K, limits: ReadLimits | None = None,
                 today: date | None = None) -> None:
        self._index = index
        self._detectors = detectors or Detectors(default_detectors(today=today))
        # A recognised column is read by its own detector only (the header is its context).
        self._by_kind = {kind: Detectors([d for d in self._detectors.detectors if d.kind == kind])
                         for kind in _NORMALISED - _NAME_KINDS}
        self._k = k_threshold
        self._limits = limits or ReadLimits()
        self._today = today

    def scan(self, path: Path) -> ScanReport:
        """Scan one file; ``UnreadableFile`` (and kin) if it cannot be read at all."""
        started = time.perf_counter()
        report = ScanReport(file=str(path), k_threshold=self._k)
        for unit in read_units(path, limits=self._limits):
            if isinstance(unit, Sheet):
                self._scan_sheet(unit, report)
            else:
                self._scan_text(unit, report)
        report.bytes_read = path.stat().st_size
        report.seconds = time.perf_counter() - started
        return report

    # --- tables -----------------------------------------------------------------------

    def _scan_sheet(self, sheet: Sheet, report: ScanReport) -> None:
        sample: list[tuple[str, ...]] = []
        for row in sheet.rows:
            sample.append(row)
            if len(sample) >= SAMPLE_ROWS:
                break
        guesses = infer_columns(sheet.headers, sample, today=self._today)
        plan = _SheetPlan.of(sheet, guesses)
        risk = (RiskCounter(sheet.headers, [g.index for g in plan.quasi])
                if not plan.identifying and plan.quasi else None)
        for number, row in enumerate(_chain(sample, sheet.rows), start=sheet.first_row):
            self._scan_row(plan, number, row, report)
            if risk is not None:
                risk.add(row)
        if risk is not None:
            report.risks.append(risk.report())

    def _scan_row(self, plan: _SheetPlan, number: int, row: Sequence[str],
                  report: ScanReport) -> None:
        values: list[tuple[Kind, str]] = []
        cells: dict[Kind, tuple[int, str]] = {}
        for index, kind in plan.known:
            text = row[index].strip() if index < len(row) else ""
            if not text:
                continue
            if kind in _NAME_KINDS:  # the column says it is a name: the whole cell is one
                normal = _normal(kind, text)
                if normal is not None:
                    values.append((kind, normal))
                    cells.setdefault(kind, (index, text))
                continue
            for match in self._by_kind[kind].find_all(text, header=plan.headers[index]):
                values.append((match.kind, match.normalized))
                cells.setdefault(match.kind, (index, text[match.start:match.end]))
        for index in plan.unknown:
            text = row[index] if index < len(row) else ""
            if not text or text.isspace():
                continue
            for match in self._detectors.find_all(text, header=plan.headers[index]):
                values.append((match.kind, _indexed_form(match.kind, match.normalized,
                                                         text[match.start:match.end])))
                cells.setdefault(match.kind, (index, text[match.start:match.end]))
        if values:
            where = Location(plan.file, sheet=plan.name, row=number)
            self._report_values(values, cells, where, plan.headers, report)

    # --- running text -------------------------------------------------------------------

    def _scan_text(self, block: TextBlock, report: ScanReport) -> None:
        matches = self._detectors.find_all(block.text)
        if not matches:
            return
        values = [(m.kind, _indexed_form(m.kind, m.normalized, block.text[m.start:m.end]))
                  for m in matches]
        cells = {m.kind: (m.start, block.text[m.start:m.end]) for m in reversed(matches)}
        where = Location(block.file, page=block.page, offset=block.offset, line=block.line)
        self._report_values(values, cells, where, None, report)

    # --- one row or block: exact data match, then what is left -------------------------

    def _report_values(self, values: list[tuple[Kind, str]],
                       cells: dict[Kind, tuple[int, str]], where: Location,
                       headers: Sequence[str] | None, report: ScanReport) -> None:
        matched = self._index.match_group(values) if self._index is not None else []
        strong = [m for m in matched if m.confidence >= BLOCKING_CONFIDENCE]
        for person in strong:
            report.add(_person_finding(person, cells, where, headers))
        if strong:
            return
        for kind, confidence in _unmatched(values):
            index, text = cells[kind]
            report.add(Finding(kind, _at(where, index, headers), confidence, mask(text)))


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
_NAMES: Final = frozenset({Kind.PERSON_NAME, Kind.FAMILY_NAME, Kind.GIVEN_NAME})


def _unmatched(values: Iterable[tuple[Kind, str]]) -> list[tuple[Kind, float]]:
    """The identifiers of a row that matched nobody, strongest first, with their confidence."""
    present = {kind for kind, _ in values}
    named = bool(present & _NAMES)
    return [(kind, _NAMED_BIRTH if kind is Kind.DATE_OF_BIRTH and named
             else _UNMATCHED_CONFIDENCE[kind])
            for kind in STRONGEST if kind in present and kind in _UNMATCHED_CONFIDENCE]


def _person_finding(person: PersonMatch, cells: dict[Kind, tuple[int, str]],
                    where: Location, headers: Sequence[str] | None) -> Finding:
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


def _indexed_form(kind: Kind, normalized: str, span: str) -> str:
    """A detected name in the form the index keys it (which spells out letters such as ø)."""
    if kind in _NAME_KINDS:
        return _normal(kind, span) or normalized
    return normalized


def _normal(kind: Kind, text: str) -> str | None:
    try:
        return normalize(kind, text)
    except InvalidValue:
        return None


def _chain(first: list[tuple[str, ...]],
           rest: Iterator[tuple[str, ...]]) -> Iterator[tuple[str, ...]]:
    yield from first
    yield from rest


@dataclass(frozen=True, slots=True)
class _SheetPlan:
    """How each column of a sheet is read: normalised as a known kind, or detected."""

    file: str
    name: str | None
    headers: tuple[str, ...]
    known: tuple[tuple[int, Kind], ...]
    unknown: tuple[int, ...]
    identifying: tuple[ColumnGuess, ...]
    quasi: tuple[ColumnGuess, ...]

    @classmethod
    def of(cls, sheet: Sheet, guesses: Sequence[ColumnGuess]) -> _SheetPlan:
        identifying = identifying_columns(guesses)
        known = tuple((g.index, g.kind) for g in guesses
                      if g.kind is not None and g.kind in _NORMALISED)
        known_indexes = {index for index, _ in known}
        # Nationality, facility, sex, city and the like are read for risk, not for identifiers.
        unknown = tuple(g.index for g in guesses if g.index not in known_indexes
                        and not g.quasi_identifier)
        width = max(len(sheet.headers), *(g.index + 1 for g in guesses), 0)
        headers = tuple(sheet.headers) + ("",) * (width - len(sheet.headers))
        return cls(sheet.file, sheet.name, headers, known, unknown, tuple(identifying),
                   tuple(quasi_identifiers(guesses)))


_NORMALISED: Final = frozenset({Kind.A_NUMBER, Kind.DATE_OF_BIRTH, Kind.PHONE, Kind.EMAIL,
                                Kind.ADDRESS, Kind.PERSON_NAME, Kind.FAMILY_NAME,
                                Kind.GIVEN_NAME})
"""Kinds of recognised columns: read with their header as context (names: the whole cell)."""
_NAME_KINDS: Final = frozenset({Kind.PERSON_NAME, Kind.FAMILY_NAME, Kind.GIVEN_NAME})

__all__ = ["BLOCKING_CONFIDENCE", "MAX_FINDINGS", "REPORT_VERSION", "ScanReport", "Scanner",
           "Verdict"]
