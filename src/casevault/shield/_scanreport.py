"""The scan report (DESIGN.md): one file's verdict, its findings and what was counted.

It lives apart from the scanner because three parts fill it: the table and text
scanning of ``_tablescan``, the scanner itself, and the parallel CSV path of
``_fastscan``, whose worker processes each return a partial report for a stretch
of rows that the parent absorbs in file order. One definition keeps one rule for
the findings limit: the first ``MAX_FINDINGS`` are listed, the rest counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from casevault.shield.model import Finding
from casevault.shield.risk import DEFAULT_K, RiskReport

Verdict = Literal["pass", "block"]
REPORT_VERSION: Final = "cv-scan-report/1"
MAX_FINDINGS: Final = 10_000
"""Findings kept in a report; beyond it they are counted, not listed."""
BLOCKING_CONFIDENCE: Final = 0.5


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
    finding_limit: int = MAX_FINDINGS
    """Findings listed before the rest are only counted (a worker's partial report may
    need fewer than ``MAX_FINDINGS``: the parent lists only what it still lacks)."""

    @property
    def verdict(self) -> Verdict:
        risky = any(r.blocks(self.k_threshold) for r in self.risks)
        return "block" if self.blocking or risky else "pass"

    @property
    def full(self) -> bool:
        """Whether further findings are only counted: callers then skip building them."""
        return len(self.findings) >= self.finding_limit

    def add(self, finding: Finding) -> None:
        if finding.matched_person_id is not None:
            self.persons.add(finding.matched_person_id)
        if finding.confidence >= BLOCKING_CONFIDENCE:
            self.blocking += 1
        if len(self.findings) < self.finding_limit:
            self.findings.append(finding)
        else:
            self.more_findings += 1

    def count(self, confidence: float, person_id: str | None = None) -> None:
        """``add`` for a finding past the limit, without building it (a million-row leak
        has a million findings; only the first ``finding_limit`` are ever shown)."""
        if person_id is not None:
            self.persons.add(person_id)
        if confidence >= BLOCKING_CONFIDENCE:
            self.blocking += 1
        self.more_findings += 1

    def tally(self, findings: int, blocking: int) -> None:
        """``count`` of several findings of nobody here at once (``blocking`` of them block)."""
        self.blocking += blocking
        self.more_findings += findings

    def absorb(self, part: ScanReport, *, row_offset: int = 0) -> None:
        """Take in a partial report of later rows (their numbers shifted by ``row_offset``)
        as if its findings had been added here, in order."""
        self.persons |= part.persons
        self.blocking += part.blocking
        self.more_findings += part.more_findings
        room = max(0, self.finding_limit - len(self.findings))
        listed = part.findings[:room]
        self.more_findings += len(part.findings) - len(listed)
        if row_offset:
            listed = [_moved(finding, row_offset) for finding in listed]
        self.findings.extend(listed)

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


def _moved(finding: Finding, rows: int) -> Finding:
    where = finding.location
    if where.row is None:
        return finding
    return replace(finding, location=replace(where, row=where.row + rows))


def _finding_json(finding: Finding, *, with_person_ids: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {"kind": finding.kind.value, "location": finding.location.as_dict(),
                             "confidence": round(finding.confidence, 3),
                             "masked_preview": finding.masked_preview}
    if finding.matched_person_id is not None:
        shown["matched_person_id"] = (finding.matched_person_id if with_person_ids
                                      else "(withheld: scan with --identify)")
    return shown


__all__ = ["BLOCKING_CONFIDENCE", "MAX_FINDINGS", "REPORT_VERSION", "ScanReport", "Verdict"]
