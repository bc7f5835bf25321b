"""Which reader a file needs, told from its content (never its name), and the error boundary.

A leaked spreadsheet is as likely to be called ``report.txt`` as ``people.csv``,
so the format is judged from magic bytes and a bounded sample of the content:
ZIP containers (then XLSX, DOCX or a plain archive by their parts), PDF, then
for text: JSON, JSON Lines, markup, delimited tables, else plain text. Known
formats without text (images, legacy Office, other archives) and binary junk
end with ``UnsupportedFormat`` / ``UnreadableFile``.

Every reader runs behind one boundary: whatever a library raises on a broken
file becomes ``UnreadableFile`` naming the file and the kind of failure (never
the library's message, which may quote content), including when it is raised
while a consumer iterates a ``Sheet``'s rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeVar

from casevault.errors import UnreadableFile, UnsupportedFormat
from casevault.shield.model import Sheet, Unit
from casevault.shield.readers import _csv, _docx, _html, _json, _pdf, _text, _xlsx, _zip
from casevault.shield.readers._limits import ReadLimits

T = TypeVar("T")

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_PDF_MAGIC = b"%PDF-"
_PDF_SEARCH = 1024
_KNOWN_BINARY = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "a legacy Office file (.xls/.doc); save it as .xlsx/.docx"),
    (b"\x89PNG", "an image (PNG); text in images is not read"),
    (b"\xff\xd8\xff", "an image (JPEG); text in images is not read"),
    (b"GIF8", "an image (GIF); text in images is not read"),
    (b"II*\x00", "an image (TIFF); text in images is not read"),
    (b"MM\x00*", "an image (TIFF); text in images is not read"),
    (b"\x1f\x8b", "gzip-compressed; decompress it first"),
    (b"BZh", "bzip2-compressed; decompress it first"),
    (b"\xfd7zXZ\x00", "xz-compressed; decompress it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; repack it as ZIP"),
    (b"Rar!\x1a\x07", "a RAR archive; repack it as ZIP"),
    (b"SQLite format 3\x00", "an SQLite database; export its tables as CSV"),
    (b"PAR1", "a Parquet file; export it as CSV"),
)


_DEFAULT_LIMITS = ReadLimits()


def read_units(path: Path, *, limits: ReadLimits = _DEFAULT_LIMITS) -> Iterator[Unit]:
    """The units of the file at ``path``, streamed; see the package docstring."""
    file = str(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UnreadableFile(file, f"cannot be opened ({reason})") from exc
    with stream:
        budget = _zip.Budget(limits=limits, file=file)
        yield from _read(stream, file, 0, budget)


def _read(stream: IO[bytes], file: str, depth: int, budget: _zip.Budget) -> Iterator[Unit]:
    """One file or archive member: sniffed, then read behind the error boundary."""

    def read(member: IO[bytes], name: str, member_depth: int) -> Iterator[Unit]:
        return _read(member, name, member_depth, budget)

    for unit in _guarded(_by_content(stream, file, depth, budget, read), file):
        if isinstance(unit, Sheet):
            unit.rows = _guarded(unit.rows, unit.file)
        yield unit


def _guarded(items: Iterator[T], file: str) -> Iterator[T]:
    """``items``, with any failure other than ``UnreadableFile`` turned into one."""
    try:
        yield from items
    except UnreadableFile:
        raise
    except Exception as exc:  # the boundary: a broken file must never crash a scan
        raise UnreadableFile(file, f"could not be read ({type(exc).__name__})") from exc


def _by_content(stream: IO[bytes], file: str, depth: int, budget: _zip.Budget,
                read: _zip.Reader) -> Iterator[Unit]:
    limits = budget.limits
    sample = stream.read(limits.sample_bytes)
    whole = len(sample) < limits.sample_bytes
    stream.seek(0)
    if sample.startswith(_ZIP_MAGIC):
        yield from _container(stream, file, depth, budget, read)
    elif _PDF_MAGIC in sample[:_PDF_SEARCH]:
        yield from _pdf.read_pdf(stream, file, limits)
    else:
        _refuse_binary(sample, file)
        yield from _textual(stream, file, sample, whole, limits)


def _container(stream: IO[bytes], file: str, depth: int, budget: _zip.Budget,
               read: _zip.Reader) -> Iterator[Unit]:
    with _zip.open_zip(stream, file, budget.limits) as archive:
        if _xlsx.is_workbook(archive):
            yield from _xlsx.read_xlsx(archive, stream, file, depth, budget, read)
        elif _docx.is_document(archive):
            yield from _docx.read_docx(archive, file, depth, budget, read)
        else:
            yield from _zip.read_archive(archive, file, depth, budget, read)


def _refuse_binary(sample: bytes, file: str) -> None:
    for magic, what in _KNOWN_BINARY:
        if sample.startswith(magic):
            raise UnsupportedFormat(file, f"is {what}")


def _textual(stream: IO[bytes], file: str, sample: bytes, whole: bool,
             limits: ReadLimits) -> Iterator[Unit]:
    encoding = _text.sniff_encoding(sample, whole_file=whole)
    if _text.looks_binary(sample, encoding):
        raise UnsupportedFormat(file, "is binary content of no kind the scanner reads "
                                      "(text, CSV, JSON, HTML, PDF, XLSX, DOCX, ZIP)")
    text = _text.decode_sample(sample, encoding)
    kind = _json.sniff_json(text, whole_file=whole)
    if kind == "json":
        yield from _json.read_json(stream, file, encoding, limits)
    elif kind == "jsonl":
        yield from _json.read_json_lines(stream, file, encoding, limits)
    elif text.lstrip("\ufeff \t\r\n").startswith("<"):
        yield from _html.read_html(stream, file, encoding, limits)
    elif (dialect := _csv.sniff_dialect(text, whole_file=whole)) is not None:
        yield from _csv.read_csv(stream, file, encoding, dialect, limits)
    else:
        yield from _text.read_text(stream, file, encoding, limits)


__all__ = ["read_units"]
