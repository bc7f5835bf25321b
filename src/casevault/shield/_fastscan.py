"""Large CSV files, read in byte ranges by Arrow and scanned on every core (issue 6 throughput).

The row reader (``readers._csv``) hands a table over a Python tuple at a time,
through the csv module and a few generators: some 2-4 us a row, against under
1 us for Arrow's CSV reader (``bench/bench_scan.py`` prints both). And one
process uses one core. So once ``read_units`` has read a file as a CSV table
(its header, its first rows) and the scanner has planned its columns, the rest
of the file may be read here instead, in ranges of about ``FastCsv.chunk_bytes``
that end at line breaks:

* A range without a quote character (nor an escape character, a lone carriage
  return or a byte-order mark) is plain delimited lines, which Arrow's CSV
  reader parses as the csv module would: into exactly the same strings. Any
  other range, and any range Arrow refuses (a short or long row, bytes that are
  not UTF-8), is parsed by the csv module with the file's own dialect and
  decoding, and proven to end at a record boundary: a sentinel line after it
  must come back as a record of its own (a range that cuts a quoted field in
  two ends the fast path). Either way rows are padded to the header's width as
  the reader pads them.
* The reader's limits hold: a range is never longer than ``max_record_chars``
  plus one line, no line may be longer than that limit, and no field longer
  than the csv module's field limit; a range that would cross one, or a row
  wider than the header (which the reader would start a new table with), ends
  the fast path, and the file is scanned by the row reader from where the plan
  left it, as if this module did not exist. So do files that are not UTF-8 or
  Windows-1252 text, or are smaller than ``FastCsv.min_bytes``.
* The first rows parsed here must equal the rows the reader gave the plan.

Ranges are scanned by ``TableScanner`` (the same code as the row path), in this
process or, with ``FastCsv.workers`` > 1, in worker processes forked after the
index is loaded (its arrays are shared, not copied or reloaded; a worker
touches no database connection it inherits, and exits without finalising
them, as multiprocessing's workers do). Each range
comes back as a partial ``ScanReport`` with rows numbered from 0, absorbed in
file order, so the report is the same as a single-process scan, finding for
finding. A table measured for re-identification risk is scanned in this
process: its counter must see every row.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from casevault.shield._scanreport import MAX_FINDINGS, ScanReport
from casevault.shield._tablescan import BATCH_ROWS, TableScanner
from casevault.shield.model import Sheet
from casevault.shield.readers import _csv, _json, _text
from casevault.shield.readers._limits import MIB, ReadLimits
from casevault.shield.risk import RiskReport

_FAST_ENCODINGS: Final = frozenset({"utf-8", "utf-8-sig", _text.FALLBACK_ENCODING})
_ARROW_ENCODINGS: Final = frozenset({"utf-8", "utf-8-sig"})
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_PDF_MAGIC: Final = b"%PDF-"
_SENTINEL: Final = "\x00casevault-range-end\x00"
"""A line after a range's text: a record of its own only if the range ended between records."""


@dataclass(frozen=True, slots=True)
class FastCsv:
    """How (and whether) large CSV files take the columnar path."""

    workers: int = 1
    """Processes that scan ranges; 1 scans them in this process (no fork)."""
    chunk_bytes: int = 4 * MIB
    min_bytes: int = 1 * MIB
    """Smaller files are read by the row reader: Arrow would save milliseconds."""
    enabled: bool = True


class _NotFast(Exception):
    """This file (or range) is not one the columnar path reads exactly as the row reader."""


@dataclass(frozen=True, slots=True)
class CsvSource:
    """A CSV file as the row reader reads it: encoding, dialect, where the data rows start."""

    path: Path
    encoding: str
    dialect: _csv.Dialect
    width: int
    data_start: int
    size: int
    field_limit: int
    record_limit: int
    max_columns: int


@dataclass(frozen=True, slots=True)
class FastResult:
    """A table scanned: its findings and counts, and its risk when it was measured."""

    report: ScanReport
    risk: RiskReport | None


def scan_csv(path: Path, sheet: Sheet, sample: Sequence[tuple[str, ...]],
             new_table: Callable[[], TableScanner], options: FastCsv,
             limits: ReadLimits) -> FastResult | None:
    """The table of a CSV file scanned on the columnar path, or None if it does not apply.

    ``sheet`` is the table ``read_units`` read from ``path`` and ``sample`` its
    first rows, already taken from it; ``new_table`` makes a scanner of the
    table. Rows are numbered as the sheet numbers them. None leaves the whole
    table to the row reader.
    """
    if not options.enabled or sheet.file != str(path) or sheet.name is not None:
        return None
    try:
        source = csv_source(path, sheet, limits)
        if source is None or source.size - source.data_start < options.min_bytes:
            return None
        table = new_table()
        runner = _Ranges(source, table)
        progress = _Progress(len(sample), sheet.first_row)
        workers = _workers(options, table)
        if workers > 1:
            with _in_processes(runner, progress, options.chunk_bytes, workers) as results:
                report = _merged(results, progress, sample, str(path))
        else:
            with _collector_spared():
                report = _merged(_here(runner, progress, options.chunk_bytes), progress, sample,
                                 str(path))
    except (_NotFast, OSError):  # the row reader reads the table, or says why it cannot
        return None
    return FastResult(report, table.risk.report() if table.risk is not None else None)


def _workers(options: FastCsv, table: TableScanner) -> int:
    """Processes to use: one when the table's risk counter must see every row, or no fork."""
    if table.risk is not None or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, options.workers)


# --- is it a CSV file, and where do its data rows start ------------------------------------------

def csv_source(path: Path, sheet: Sheet, limits: ReadLimits) -> CsvSource | None:
    """How the row reader reads ``path``: the same sniffing, in the same order, as
    ``readers._dispatch`` (None when it reads it as anything but a delimited table)."""
    with path.open("rb") as stream:
        sample = stream.read(limits.sample_bytes)
        size = stream.seek(0, io.SEEK_END)
    whole = len(sample) < limits.sample_bytes
    if sample.startswith(_ZIP_MAGIC) or _PDF_MAGIC in sample[:1024]:
        return None
    encoding = _text.sniff_encoding(sample, whole_file=whole)
    if encoding not in _FAST_ENCODINGS or _text.looks_binary(sample, encoding):
        return None
    text = _text.decode_sample(sample, encoding)
    if _json.sniff_json(text, whole_file=whole) is not None \
            or text.lstrip("\ufeff \t\r\n").startswith("<"):
        return None
    dialect = _csv.sniff_dialect(text, whole_file=whole)
    width = len(sheet.headers)
    if dialect is None or width < 2 or len(dialect.delimiter) != 1:
        return None
    record_limit = limits.max_record_chars
    start = _data_start(path, encoding, dialect, sheet.first_row - 1, record_limit)
    return CsvSource(path, encoding, dialect, width, start, size, csv.field_size_limit(),
                     record_limit, limits.max_columns)


def _data_start(path: Path, encoding: str, dialect: _csv.Dialect, records: int,
                limit: int) -> int:
    """The byte offset after the first ``records`` records (blank lines and the header)."""
    consumed = [0]
    with path.open("rb") as stream:

        def lines() -> Iterator[str]:
            first = True
            while line := stream.readline(limit + 1):
                if len(line) > limit or line.count(b"\r") != line.count(b"\r\n"):
                    raise _NotFast
                consumed[0] += len(line)
                yield _decode(line, encoding, at_start=first)
                first = False

        reader = dialect.reader(lines())
        try:
            for _ in range(records):
                next(reader)
        except (StopIteration, csv.Error) as exc:
            raise _NotFast from exc
    return consumed[0]


def _decode(data: bytes, encoding: str, *, at_start: bool) -> str:
    """Bytes as the reader's text stream decodes them (a BOM is dropped only at the start)."""
    if encoding == "utf-8-sig" and not at_start:
        encoding = "utf-8"
    return codecs.decode(data, encoding, _text.FALLBACK_ERRORS)


# --- ranges ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Job:
    start: int
    end: int
    finding_limit: int
    head: int
    """How many first rows to hand back, to be compared with the plan's sample."""


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A range's rows: how many, the first ones (to check), and the needed columns a batch
    of ``BATCH_ROWS`` at a time (numbered from 0 in the range), so that the cells of a
    4 MB range are never all Python objects at once."""

    rows: int
    head: list[tuple[str, ...]]
    batches: Iterator[tuple[int, dict[int, list[str]]]]


@dataclass(slots=True)
class _Done:
    report: ScanReport
    rows: int
    head: list[tuple[str, ...]] = field(default_factory=list)


def _boundaries(source: CsvSource, chunk_bytes: int) -> Iterator[tuple[int, int]]:
    """Ranges of about ``chunk_bytes`` from the data start, each ending after a line break."""
    step = max(1, min(chunk_bytes, source.record_limit // 2))
    start = source.data_start
    with source.path.open("rb") as stream:
        while start < source.size:
            target = start + step
            if target >= source.size:
                yield start, source.size
                return
            stream.seek(target)
            rest = stream.readline(source.record_limit + 1)
            if len(rest) > source.record_limit:
                raise _NotFast
            yield start, target + len(rest)
            start = target + len(rest)


class _Ranges:
    """Parses and scans one range of the file (in this process or in a worker)."""

    def __init__(self, source: CsvSource, table: TableScanner) -> None:
        self.source = source
        self.table = table
        self._names = [str(i) for i in range(source.width)]

    def run(self, job: _Job) -> _Done | None:
        """The range scanned, or None when it is not one this path reads exactly."""
        try:
            with self.source.path.open("rb") as stream:
                stream.seek(job.start)
                data = stream.read(job.end - job.start)
            parsed = self._parse(data, job.head, at_start=job.start == 0)
        except (_NotFast, OSError):  # the row reader reads it, or says why it cannot
            return None
        report = ScanReport(file=str(self.source.path), finding_limit=job.finding_limit)
        for first, columns in parsed.batches:
            count = min(BATCH_ROWS, parsed.rows - first)
            self.table.scan_columns(columns, count, first, report)
        return _Done(report, parsed.rows, parsed.head)

    def _parse(self, data: bytes, head: int, *, at_start: bool) -> _Parsed:
        if len(data) > self.source.record_limit and \
                max(map(len, data.split(b"\n"))) + 1 > self.source.record_limit:
            raise _NotFast
        if self._plain(data):
            try:
                return self._arrow(data, head)
            except (pa.ArrowException, UnicodeError):
                pass  # a short or long row, or bytes that are not UTF-8: the csv module decides
        return self._csv(data, head, at_start=at_start)

    def _plain(self, data: bytes) -> bool:
        """Whether the range is plain delimited lines: nothing the two parsers could differ on."""
        dialect = self.source.dialect
        return (self.source.encoding in _ARROW_ENCODINGS
                and dialect.quotechar.encode() not in data
                and (dialect.escapechar is None or dialect.escapechar.encode() not in data)
                and data.count(b"\r") == data.count(b"\r\n")
                and not data.startswith(codecs.BOM_UTF8))

    def _arrow(self, data: bytes, head: int) -> _Parsed:
        names = self._names
        table = pa_csv.read_csv(
            pa.BufferReader(data),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False,
                                            block_size=len(data) + 1),
            parse_options=pa_csv.ParseOptions(
                delimiter=self.source.dialect.delimiter, quote_char=False, double_quote=False,
                escape_char=False, newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=True))
        for column in table.columns:
            longest = pc.max(pc.binary_length(column)).as_py()
            if longest is not None and longest > self.source.field_limit:
                raise _NotFast  # the csv module would refuse the field
        first = table.slice(0, head)
        rows = list(zip(*(column.to_pylist() for column in first.columns), strict=True))
        needed = self.table.plan.needed
        batches = ((start, {i: table.column(i).slice(start, BATCH_ROWS).to_pylist()
                            for i in needed})
                   for start in range(0, table.num_rows, BATCH_ROWS))
        return _Parsed(table.num_rows, rows, batches)

    def _csv(self, data: bytes, head: int, *, at_start: bool) -> _Parsed:
        source = self.source
        text = _decode(data, source.encoding, at_start=at_start)
        lines = list(io.StringIO(text, newline=""))
        reader = source.dialect.reader(iter([*lines, _SENTINEL]))
        try:
            records = list(reader)
        except csv.Error as exc:
            raise _NotFast from exc
        if not records or records[-1] != [_SENTINEL]:
            raise _NotFast  # the range ended inside a quoted field
        rows = [_fitted(record, source.width, source.max_columns) for record in records[:-1]]
        needed = self.table.plan.needed
        batches = ((start, {i: [row[i] for row in rows[start:start + BATCH_ROWS]]
                            for i in needed})
                   for start in range(0, len(rows), BATCH_ROWS))
        return _Parsed(len(rows), rows[:head], batches)


def _fitted(record: list[str], width: int, max_columns: int) -> tuple[str, ...]:
    """The record padded to ``width`` as the reader pads it; wider ones end the fast path."""
    if len(record) > max_columns:
        raise _NotFast  # the reader refuses the file
    if len(record) == width:
        return tuple(record)
    if len(record) > width:
        end = len(record)
        while end > width and not record[end - 1]:
            end -= 1
        if end > width:
            raise _NotFast  # the reader would start another table here
        return tuple(record[:width])
    return (*record, *([""] * (width - len(record))))


# --- running the ranges, in order --------------------------------------------------------------

class _Progress:
    """What the parent has merged so far, hence what the next range must hand back."""

    def __init__(self, sample_rows: int, first_row: int) -> None:
        self.findings = 0
        self.rows = 0
        self.sample_rows = sample_rows
        self.first_row = first_row

    def job(self, start: int, end: int) -> _Job:
        """A range's job: at most the findings still to be listed, the sample rows unchecked."""
        return _Job(start, end, max(0, MAX_FINDINGS - self.findings),
                    max(0, self.sample_rows - self.rows))


Results = Iterator[_Done | None]


def _here(runner: _Ranges, progress: _Progress, chunk_bytes: int) -> Results:
    for start, end in _boundaries(runner.source, chunk_bytes):
        yield runner.run(progress.job(start, end))


@contextmanager
def _collector_spared() -> Iterator[None]:
    """The objects that exist now left out of garbage collection while a table is scanned.

    A scan allocates a million short-lived tuples; each collection they trigger
    would walk every object of the process (modules, country lists, the index's
    directory), which made up a quarter of the scan's time. Nothing is leaked:
    the objects are handed back to the collector afterwards.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


_WORKER: list[_Ranges] = []
"""The range scanner of a worker process (inherited through fork, set by ``_start``)."""


def _start(runner: _Ranges) -> None:
    """Worker set-up: what was inherited is frozen (the collector never walks it, and so
    never writes to the pages shared with the parent)."""
    gc.freeze()
    _WORKER[:] = [runner]


def _run(job: _Job) -> _Done | None:
    return _WORKER[0].run(job)


@contextmanager
def _in_processes(runner: _Ranges, progress: _Progress, chunk_bytes: int,
                  workers: int) -> Iterator[Results]:
    """Ranges scanned by forked workers, ``2 * workers`` in flight, handed back in order.

    Forked, the workers share the parent's index arrays page for page (nothing
    is pickled but jobs and partial reports). Leaving the block (at the end, on
    a range the path cannot read, on an error) cancels what has not started.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start, initargs=(runner,))

    def results() -> Results:
        pending: deque[Future[_Done | None]] = deque()
        for start, end in _boundaries(runner.source, chunk_bytes):
            pending.append(pool.submit(_run, progress.job(start, end)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    try:
        yield results()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _merged(results: Results, progress: _Progress, sample: Sequence[tuple[str, ...]],
            file: str) -> ScanReport:
    """The ranges' reports absorbed in file order; their first rows checked against the sample."""
    report = ScanReport(file=file)
    for done in results:
        if done is None:
            raise _NotFast
        checked = min(len(done.head), len(sample) - progress.rows)
        if checked > 0 and done.head[:checked] != list(sample[progress.rows:progress.rows
                                                               + checked]):
            raise _NotFast
        report.absorb(done.report, row_offset=progress.first_row + progress.rows)
        progress.rows += done.rows
        progress.findings = len(report.findings)
    if progress.rows < len(sample):
        raise _NotFast
    return report


__all__ = ["CsvSource", "FastCsv", "FastResult", "csv_source", "scan_csv"]
