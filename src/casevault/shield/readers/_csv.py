"""Delimited text (CSV, TSV, semicolon or pipe separated) as ``Sheet`` units, in bounded memory.

The dialect is judged on a bounded sample: ``csv.Sniffer``'s guess competes with
each common delimiter, and the one that splits the sample into the most
consistent rows of two or more fields wins. A sample that no delimiter splits
consistently is not a table, and is read as plain text instead.

Memory stays bounded however the file is shaped: a line, or a quoted record
whose lines add up to, more than ``max_record_chars``, a field longer than
``max_field_chars`` or a record of more than ``max_columns`` fields ends the
read with ``UnreadableFile`` (a 200 MB one-line table is refused, not loaded).
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from casevault.errors import UnreadableFile
from casevault.shield.model import Sheet
from casevault.shield.readers import _tables
from casevault.shield.readers._limits import ReadLimits
from casevault.shield.readers._text import text_stream

DELIMITERS = ",;\t|"
_MIN_CONSISTENCY = 0.8
_SAMPLE_LINES = 200


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a delimited file is written; plain data so it can be compared and shown in tests."""

    delimiter: str
    quotechar: str = '"'
    doublequote: bool = True
    escapechar: str | None = None

    def reader(self, lines: Iterator[str]) -> Iterator[list[str]]:
        return csv.reader(lines, delimiter=self.delimiter, quotechar=self.quotechar,
                          doublequote=self.doublequote, escapechar=self.escapechar, strict=False)


def sniff_dialect(sample: str, *, whole_file: bool) -> Dialect | None:
    """The dialect of a delimited sample, or None when the sample is not a table."""
    lines = sample.splitlines(keepends=True)
    if not whole_file and lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # cut off by the end of the sample
    lines = lines[:_SAMPLE_LINES]
    candidates = [*_sniffed(lines), *(Dialect(d) for d in DELIMITERS)]
    scored = [(_consistency(dialect, lines), -i, dialect) for i, dialect in enumerate(candidates)]
    best_score, _, best = max(scored, key=lambda item: (item[0], item[1]))
    return best if best_score > 0 else None


def _sniffed(lines: list[str]) -> list[Dialect]:
    try:
        found = csv.Sniffer().sniff("".join(lines), delimiters=DELIMITERS)
    except csv.Error:
        return []
    return [Dialect(found.delimiter, found.quotechar or '"', bool(found.doublequote),
                    found.escapechar)]


def _consistency(dialect: Dialect, lines: list[str]) -> float:
    """Share of sample rows with the most common field count, or more but only empty ones past
    it (0 unless that count is at least 2 and the share at least 80%)."""
    try:
        rows = [row for row in dialect.reader(iter(lines)) if row]
    except csv.Error:
        return 0.0
    if len(rows) < 2:
        return 0.0
    widths = [len(row) for row in rows]
    common = max(set(widths), key=widths.count)
    agreeing = sum(1 for row in rows if len(row) == common
                   or len(_tables.trimmed(row)) <= common < len(row))
    share = agreeing / len(rows)
    return share if common >= 2 and share >= _MIN_CONSISTENCY else 0.0


def _lines(text: IO[str], file: str, limit: int, since_record: list[int]) -> Iterator[str]:
    """Lines for the csv parser, each read with a bound, counting the characters of a record.

    A line is never handed over in pieces (the parser would end a record at each
    piece), so a line longer than ``max_record_chars`` ends the read; so does a
    quoted record whose lines add up to more. ``since_record[0]`` is reset by the
    reader at each record.
    """
    for number, line in enumerate(iter(functools.partial(text.readline, limit + 1), ""), 1):
        since_record[0] += len(line)
        if since_record[0] > limit:
            raise UnreadableFile(file, f"line {number}: a record is longer than {limit} "
                                       "characters (ReadLimits.max_record_chars)")
        yield line


def read_csv(stream: IO[bytes], file: str, encoding: str, dialect: Dialect,
             limits: ReadLimits) -> Iterator[Sheet]:
    """The file as one table (or more, if later rows are wider than the header; see ``_tables``)."""
    _hold_fields_to(limits.max_field_chars)
    text = text_stream(stream, encoding)
    try:
        since_record = [0]
        lines = _lines(text, file, limits.max_record_chars, since_record)
        rows = _records(dialect.reader(lines), since_record, file, limits)
        yield from _as_sheets(rows, file, limits)
    finally:
        text.detach()


def _hold_fields_to(limit: int) -> None:
    """The csv parser's own field limit (process-wide): raised to ours if lower, never lowered.

    A field is then bounded by ``max_field_chars``, or by another component's
    higher limit and in any case by the record limit, so memory stays bounded.
    """
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def _records(rows: Iterator[list[str]], since_record: list[int], file: str,
             limits: ReadLimits) -> Iterator[list[str]]:
    """Parsed records, each held to the column limit (the line feed holds the record limit)."""
    try:
        for row in rows:
            since_record[0] = 0
            if len(row) > limits.max_columns:
                raise UnreadableFile(file, f"a record has more than {limits.max_columns} "
                                           "fields (ReadLimits.max_columns)")
            yield row
    except csv.Error as exc:
        reason = f"not readable as delimited text ({type(exc).__name__})"
        raise UnreadableFile(file, reason) from exc


def _as_sheets(records: Iterator[list[str]], file: str, limits: ReadLimits) -> Iterator[Sheet]:
    """One table whose header is the first non-blank record, if it looks like a header."""
    yield from _tables.table(file=file, name=None, rows=records, cells_of=None, names=str,
                             limits=limits)
