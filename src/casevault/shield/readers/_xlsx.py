"""XLSX workbooks: every worksheet (hidden ones too) as tables, plus the text hidden around them.

openpyxl's reader, in read-only mode, reads what is hard to get right: the
manifest, the workbook (sheet names, states and parts, the 1900/1904 date
system) and the styles (which cells are dates). The worksheet and shared-string
parts, where the bulk is, are read by ``_sheetxml`` from ``zip.Member`` streams,
so their decompression is counted against the limits. Formulas are never
evaluated: a formula cell reads as the value Excel cached when it last saved
the file (the value a person opening the file sees, and the only copy of data
pulled from other workbooks), or as its formula text (``=A2&" "&B2``) when there
is no cached value. Hidden rows and columns are read like any other; so are
cell comments, threaded comments, cached values of external links, and files
embedded in the workbook (read as nested members).

A gap of more than ``_LONGEST_FILLED_GAP`` empty rows starts a new ``Sheet``
(same name) at the next row, so that ``first_row`` stays true without yielding
a million empty rows for a hostile ``r="1048576"``.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Collection, Iterator
from typing import IO, Any, cast

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import ARC_STYLE, SHARED_STRINGS
from openpyxl.xml.functions import fromstring

from casevault.errors import ArchiveRefused
from casevault.shield.model import TextBlock, Unit
from casevault.shield.readers import _sheetxml, _tables, _xml
from casevault.shield.readers._zip import Budget, Member, Reader, check_declared, nested

_LONGEST_FILLED_GAP = 1000
_NOTES = {
    "xl/comments": frozenset({"comment"}),
    "xl/threadedComments/": frozenset({"threadedComment"}),
    "xl/externalLinks/externalLink": frozenset({"row"}),
}
_EMBEDDED = "xl/embeddings/"
_STREAMED = ("xl/worksheets/", _EMBEDDED, "xl/media/")


def is_workbook(archive: zipfile.ZipFile) -> bool:
    return "xl/workbook.xml" in archive.NameToInfo


def read_xlsx(archive: zipfile.ZipFile, stream: IO[bytes], file: str, depth: int,
              budget: Budget, read: Reader) -> Iterator[Unit]:
    """Worksheets in workbook order, then notes, then embedded files."""
    _check_parts(archive, file, budget)
    stream.seek(0)
    with warnings.catch_warnings(action="ignore"):
        workbook = _Workbook(stream, archive, file, budget)
    for name, state, part in workbook.sheets:
        yield from _tables.table(
            file=file, name=name, rows=workbook.rows(part), cells_of=_cells, number=_number,
            names=get_column_letter, limits=budget.limits, hidden=state != "visible")
    yield from _notes(archive, file, budget)
    for info in archive.infolist():
        if info.filename.startswith(_EMBEDDED) and not info.is_dir():
            yield from nested(archive, info, file, depth, budget, read)


def _cells(row: _sheetxml.Row) -> list[str]:
    return row.cells


def _number(row: _sheetxml.Row) -> int:
    return row.number


def _check_parts(archive: zipfile.ZipFile, file: str, budget: Budget) -> None:
    """Parts openpyxl loads whole must be small; all are counted against the file's budget."""
    limits = budget.limits
    for info in archive.infolist():
        check_declared(info, file, limits)
        if info.filename.startswith(_STREAMED):
            continue
        if info.file_size > limits.max_xml_part_bytes:
            raise ArchiveRefused(file, f"part {info.filename!r} is larger than "
                                       f"{limits.max_xml_part_bytes} bytes "
                                       "(ReadLimits.max_xml_part_bytes)")
        budget.spend(info.file_size)


class _Workbook:
    """What the worksheets need: their names, states and parts, shared strings, date styles."""

    def __init__(self, stream: IO[bytes], archive: zipfile.ZipFile, file: str,
                 budget: Budget) -> None:
        self._archive, self._file, self._budget = archive, file, budget
        reader = ExcelReader(stream, read_only=True, data_only=True, keep_links=False)
        reader.read_manifest()
        reader.read_workbook()
        self.epoch = reader.wb.epoch
        self.sheets = [(sheet.name, sheet.state or "visible", rel.target)
                       for sheet, rel in reader.parser.find_sheets()
                       if "worksheet" in rel.Type and rel.target in archive.NameToInfo]
        self.date_styles = _date_styles(archive)
        parts = [str(override.PartName).lstrip("/") for override in reader.package.Override
                 if override.ContentType == SHARED_STRINGS]
        self.strings = self._shared_strings(parts[0]) if parts else []

    def _shared_strings(self, part: str) -> list[str]:
        if part not in self._archive.NameToInfo:
            return []
        info = self._archive.getinfo(part)
        with Member(self._archive, info, self._file, self._budget) as source:
            return _sheetxml.shared_strings(source, f"{self._file}!{part}", _limit(self._budget))

    def rows(self, part: str) -> Iterator[_sheetxml.Row]:
        """A worksheet's rows as text, numbered as Excel numbers them; small gaps filled."""
        limits = self._budget.limits
        info = self._archive.getinfo(part)
        with Member(self._archive, info, self._file, self._budget) as source:
            last = 0
            for row in _sheetxml.sheet_rows(
                    source, f"{self._file}!{part}", self.strings, self.date_styles, self.epoch,
                    max_text=limits.max_field_chars, max_columns=limits.max_columns):
                if last < row.number - 1 <= last + _LONGEST_FILLED_GAP:
                    for empty in range(last + 1, row.number):
                        yield _sheetxml.Row(empty, [])
                last = row.number
                yield row


def _limit(budget: Budget) -> int:
    return budget.limits.max_field_chars


def _date_styles(archive: zipfile.ZipFile) -> Collection[int]:
    """Indexes of the cell styles whose number format is a date or time (openpyxl decides)."""
    if ARC_STYLE not in archive.NameToInfo:
        return frozenset()
    stylesheet = Stylesheet.from_tree(cast("Any", fromstring(archive.read(ARC_STYLE))))
    found: Collection[int] = vars(stylesheet).get("date_formats", frozenset())
    return found


def _notes(archive: zipfile.ZipFile, file: str, budget: Budget) -> Iterator[TextBlock]:
    """Comments, threaded comments and external-link caches, one block per note or row."""
    for info in archive.infolist():
        names = next((names for prefix, names in _NOTES.items()
                      if info.filename.startswith(prefix)), None)
        if names is None:
            continue
        part = f"{file}!{info.filename}"
        with Member(archive, info, file, budget) as source:
            for text in _xml.records(source, part, names):
                yield TextBlock(file=part, text=text)


