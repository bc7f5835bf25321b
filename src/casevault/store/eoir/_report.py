"""What an EOIR import did: rows read and loaded per file, and every problem met.

The release is known to be dirty (NUL bytes, shifted rows, duplicated ids,
impossible dates), so the importer never stops for a bad row. Instead each file
gets a tally of problems by kind with the first few line numbers, so a user can
open the file at those lines and see for themselves. Line numbers are what a
text editor shows (the header is line 1). No field values appear here: the
report may be shown or logged, and values of a person's fields must not be.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

REPORT_FORMAT: Final = "casevault-eoir-import-report"
REPORT_VERSION: Final = 1
SAMPLE_LINES: Final = 5
PROGRESS_EVERY: Final = 100_000

Progress = Callable[[str, int], None]


class Problem(StrEnum):
    """Kinds of problem, with what the importer did about each."""

    FIELD_COUNT = "field_count"                    # row skipped: too many or too few tabs
    BLANK_LINE = "blank_line"                      # line skipped
    BAD_ID = "bad_id"                              # row skipped: its id is blank or not a number
    DUPLICATE = "duplicate"                        # row skipped: an earlier row had its id
    UNKNOWN_CASE = "unknown_case"                  # row skipped: its IDNCASE was not loaded
    BAD_DATE = "bad_date"                          # date emptied; row skipped if required
    MISSING_DATE = "missing_date"                  # row skipped: a required date is blank
    MISSING_VALUE = "missing_value"                # row skipped: a required value is blank
    NO_OPEN_DATE = "no_open_date"                  # case skipped: no date it could be opened on
    BAD_TIME = "bad_time"                          # hearing kept at midnight
    UNMAPPED_CASE_TYPE = "unmapped_case_type"      # case kept as removal
    UNMAPPED_CUSTODY = "unmapped_custody"          # case kept as never_detained
    UNMAPPED_COURT = "unmapped_court"              # code ignored (court UNKNOWN if no other)
    UNMAPPED_NATIONALITY = "unmapped_nationality"  # nationality emptied
    UNMAPPED_LANGUAGE = "unmapped_language"        # language emptied
    UNMAPPED_HEARING_TYPE = "unmapped_hearing_type"  # hearing kept as master
    UNMAPPED_APPLICATION = "unmapped_application"  # row skipped: no casevault kind
    UNMAPPED_DECISION = "unmapped_decision"        # decision emptied
    INVALID_STATE = "invalid_state"                # state emptied
    INVALID_POSTAL_CODE = "invalid_postal_code"    # postal code emptied
    NUL_BYTES = "nul_bytes"                        # NUL bytes removed, line kept
    LATIN1 = "latin1"                              # line was not UTF-8: decoded as Latin-1


@dataclass(frozen=True, slots=True)
class FileReport:
    """One file of the release: whether it was there, what was read, what went wrong.

    ``skipped_because`` is set when the whole file could not be used (a column
    the importer needs is missing); the rest of the import went on without it.
    """

    name: str
    present: bool
    rows_read: int = 0
    rows_loaded: int = 0
    problems: Mapping[str, int] = field(default_factory=dict)
    sample_lines: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    skipped_because: str | None = None

    def summary(self) -> str:
        """One line for a terminal: counts, then each problem with its first lines."""
        if not self.present:
            return f"{self.name}: absent"
        if self.skipped_because is not None:
            return f"{self.name}: not imported ({self.skipped_because})"
        text = f"{self.name}: {self.rows_read} rows read, {self.rows_loaded} loaded"
        details = [
            f"{kind} {count} ({_lines(self.sample_lines.get(kind, ()), count)})"
            for kind, count in sorted(self.problems.items())
        ]
        return text + ("; " + "; ".join(details) if details else "")


def _lines(sample: tuple[int, ...], count: int) -> str:
    text = ("line " if len(sample) == 1 else "lines ") + ", ".join(map(str, sample))
    return text + (", ..." if count > len(sample) else "")


@dataclass(frozen=True, slots=True)
class EoirImportReport:
    """The outcome of one import: a report per file and the rows written per table."""

    files: tuple[FileReport, ...]
    rows_written: Mapping[str, int]

    def file(self, name: str) -> FileReport:
        """The report of one file by its release name (``Lookup/`` files with that prefix)."""
        for report in self.files:
            if report.name.lower() == name.lower():
                return report
        raise KeyError(name)

    def summary_lines(self) -> list[str]:
        """Lines for the command line: one per file, then one with the table totals."""
        written = ", ".join(f"{table} {count}" for table, count in self.rows_written.items())
        return [report.summary() for report in self.files] + [f"written: {written}"]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form carrying a version marker (STYLE.md: stored formats are versioned)."""
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "files": [
                {
                    "name": r.name, "present": r.present, "rows_read": r.rows_read,
                    "rows_loaded": r.rows_loaded, "problems": dict(r.problems),
                    "sample_lines": {k: list(v) for k, v in r.sample_lines.items()},
                    "skipped_because": r.skipped_because,
                }
                for r in self.files
            ],
            "rows_written": dict(self.rows_written),
        }


class Tally:
    """The mutable counterpart of a ``FileReport`` while a file is being read.

    A problem is counted once per line, however many fields of the line show it,
    so counts read as "rows with this problem".
    """

    def __init__(self, name: str, progress: Progress | None = None) -> None:
        self.name = name
        self.rows_read = 0
        self.rows_loaded = 0
        self._progress = progress
        self._counts: Counter[str] = Counter()
        self._samples: dict[str, list[int]] = {}
        self._last_line: dict[str, int] = {}

    def note(self, problem: Problem, line: int) -> None:
        """Count ``problem`` on ``line`` (once per line) and keep the line if among the first."""
        if self._last_line.get(problem) == line:
            return
        self._last_line[problem] = line
        self._counts[problem] += 1
        samples = self._samples.setdefault(problem, [])
        if len(samples) < SAMPLE_LINES:
            samples.append(line)

    def row_read(self) -> None:
        self.rows_read += 1
        if self._progress is not None and self.rows_read % PROGRESS_EVERY == 0:
            self._progress(self.name, self.rows_read)

    def done(self) -> None:
        """Tell the progress callback the file is finished."""
        if self._progress is not None:
            self._progress(self.name, self.rows_read)

    def freeze(self, *, skipped_because: str | None = None) -> FileReport:
        return FileReport(
            name=self.name,
            present=True,
            rows_read=self.rows_read,
            rows_loaded=self.rows_loaded,
            problems={str(kind): count for kind, count in sorted(self._counts.items())},
            sample_lines={str(kind): tuple(lines) for kind, lines in sorted(self._samples.items())},
            skipped_because=skipped_because,
        )
