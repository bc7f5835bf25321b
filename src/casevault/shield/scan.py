"""The scanner: a file in, a verdict and findings out (issue 6, items 3 to 6).

A table is read the way a person reads a leaked spreadsheet: the columns are
classified once from their headers and a sample of values (``columns``); then
each row's identifying cells are normalised and looked up together in the exact
data match (``edm``), so that "FAMILY, Given / birth date / A-number" in
one row is one finding naming one person. Cells of columns that were not
recognised go through the detectors. Running text is scanned line by line with
the detectors, and the values of one block are looked up together.

A table with no identifying column is measured for re-identification risk over
its quasi-identifiers (``risk``) and blocked when k is below the threshold.

Findings carry a masked preview and the matched person id, never the value.
The verdict is ``block`` if anything personal was found: a match with a person
of this system, an identifier of someone who is not (nothing personal is
published, whoever it is about), or a re-identifiable table.

Speed (issue 6 asks for 50 MB/s over a million indexed persons) comes from
reading tables a batch of rows at a time, column by column (``_tablescan``),
and from reading large CSV files in byte ranges with Arrow, on several cores
when ``FastCsv.workers`` says so (``_fastscan``). Neither changes a report:
the tests compare them finding for finding with the row-by-row reading.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from datetime import date
from itertools import chain, islice
from pathlib import Path

from casevault.shield._fastscan import FastCsv, scan_csv
from casevault.shield._scanreport import (
    BLOCKING_CONFIDENCE,
    MAX_FINDINGS,
    REPORT_VERSION,
    ScanReport,
    Verdict,
)
from casevault.shield._tablescan import (
    BATCH_ROWS,
    NAME_KINDS,
    NORMALISED,
    STRONGEST,
    GroupMatcher,
    TablePlan,
    TableScanner,
    count_group,
    indexed_form,
    report_group,
)
from casevault.shield.columns import SAMPLE_ROWS, infer_columns
from casevault.shield.detectors import Detectors, default_detectors
from casevault.shield.edm import EdmIndex
from casevault.shield.model import Location, Sheet, TextBlock
from casevault.shield.readers import ReadLimits, read_units
from casevault.shield.risk import DEFAULT_K


class Scanner:
    """Scans files against one exact-data-match index (or none: detectors and risk only).

    ``fast`` says how large CSV files are read (``FastCsv``: Arrow in byte
    ranges, on ``workers`` processes; ``FastCsv(enabled=False)`` reads every
    table row by row). A scanner holds no state between files.
    """

    def __init__(self, index: EdmIndex | None, *, detectors: Detectors | None = None,
                 k_threshold: int = DEFAULT_K, limits: ReadLimits | None = None,
                 today: date | None = None, fast: FastCsv | None = None) -> None:
        self._index = index
        self._detectors = detectors or Detectors(default_detectors(today=today))
        # A recognised column is read by its own detector only (the header is its context).
        self._by_kind = {kind: Detectors([d for d in self._detectors.detectors if d.kind == kind])
                         for kind in NORMALISED - NAME_KINDS}
        self._k = k_threshold
        self._limits = limits or ReadLimits()
        self._today = today
        self._fast = fast or FastCsv()

    def scan(self, path: Path) -> ScanReport:
        """Scan one file; ``UnreadableFile`` (and kin) if it cannot be read at all."""
        started = time.perf_counter()
        report = ScanReport(file=str(path), k_threshold=self._k)
        matcher = GroupMatcher(self._index) if self._index is not None else None
        units = read_units(path, limits=self._limits)
        try:
            for unit in units:
                if isinstance(unit, Sheet):
                    if self._scan_sheet(unit, path, matcher, report):
                        break  # the columnar path read the rest of the file
                else:
                    self._scan_text(unit, matcher, report)
        finally:
            if isinstance(units, Generator):  # stop reading (and close the file) at once
                units.close()
        report.bytes_read = path.stat().st_size
        report.seconds = time.perf_counter() - started
        return report

    # --- tables -----------------------------------------------------------------------

    def _scan_sheet(self, sheet: Sheet, path: Path, matcher: GroupMatcher | None,
                    report: ScanReport) -> bool:
        """One table; True when the columnar path read it, and with it the whole file."""
        sample = list(islice(sheet.rows, SAMPLE_ROWS))
        guesses = infer_columns(sheet.headers, sample, today=self._today)
        plan = TablePlan.of(sheet.file, sheet.name, sheet.headers, guesses)

        def new_table() -> TableScanner:
            return TableScanner(plan, self._detectors, self._by_kind, matcher)

        fast = scan_csv(path, sheet, sample, new_table, self._fast, self._limits)
        if fast is not None:
            report.absorb(fast.report)
            if fast.risk is not None:
                report.risks.append(fast.risk)
            return True
        table = new_table()
        number = sheet.first_row
        for batch in _batches(chain(sample, sheet.rows), BATCH_ROWS):
            table.scan_rows(batch, number, report)
            number += len(batch)
        if table.risk is not None:
            report.risks.append(table.risk.report())
        return False

    # --- running text -------------------------------------------------------------------

    def _scan_text(self, block: TextBlock, matcher: GroupMatcher | None,
                   report: ScanReport) -> None:
        matches = self._detectors.find_all(block.text)
        if not matches:
            return
        text = block.text
        group = (tuple((m.kind, indexed_form(m.kind, m.normalized, text[m.start:m.end]),
                        text[m.start:m.end]) for m in matches),)
        if report.full:
            count_group(matcher, group, report)
            return
        cells = {m.kind: (m.start, text[m.start:m.end]) for m in reversed(matches)}
        where = Location(block.file, page=block.page, offset=block.offset, line=block.line)
        report_group(matcher, group, cells, where, None, report)


def _batches(rows: Iterator[tuple[str, ...]], size: int) -> Iterator[list[tuple[str, ...]]]:
    while batch := list(islice(rows, size)):
        yield batch


__all__ = ["BLOCKING_CONFIDENCE", "MAX_FINDINGS", "REPORT_VERSION", "STRONGEST", "FastCsv",
           "ScanReport", "Scanner", "Verdict"]
