"""DOCX documents: the text of every paragraph, table row, note, comment and tracked deletion.

Word keeps text in ``w:t`` runs inside ``w:p`` paragraphs; the document, its
headers, footers, footnotes, endnotes and comments are separate parts, all
read here. Text a tracked change deleted (``w:delText``) stays in the file and
is read too: a "removed" name is still published with the file. A table row
is one block (its cells' paragraphs joined by tabs) so that a person's
identifiers stay together. Files embedded in the document (a spreadsheet
pasted as an object) are read as nested members.

``line`` counts the blocks from 1 across all parts; ``offset`` is the block's
character offset in the extracted text.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from casevault.shield.model import TextBlock, Unit
from casevault.shield.readers import _xml
from casevault.shield.readers._zip import Budget, Member, Reader, nested

_MAIN = "word/document.xml"
_OTHER_PARTS = re.compile(r"word/(header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
_EMBEDDED = "word/embeddings/"
_TEXT = frozenset({"t", "delText"})
_BREAKS = {"tab": "\t", "br": "\n", "cr": "\n"}


def is_document(archive: zipfile.ZipFile) -> bool:
    return _MAIN in archive.NameToInfo


def read_docx(archive: zipfile.ZipFile, file: str, depth: int, budget: Budget,
              read: Reader) -> Iterator[Unit]:
    """The main document, then the other text parts, then embedded files."""
    parts = [_MAIN, *sorted(name for name in archive.NameToInfo if _OTHER_PARTS.fullmatch(name))]
    counter = _Counter()
    for part in parts:
        with Member(archive, archive.getinfo(part), file, budget) as source:
            for text in _blocks(source, f"{file}!{part}"):
                yield counter.block(file, text)
    for info in archive.infolist():
        if info.filename.startswith(_EMBEDDED) and not info.is_dir():
            yield from nested(archive, info, file, depth, budget, read)


class _Counter:
    def __init__(self) -> None:
        self.line, self.offset = 0, 0

    def block(self, file: str, text: str) -> TextBlock:
        self.line += 1
        block = TextBlock(file=file, text=text, offset=self.offset, line=self.line)
        self.offset += len(text) + 1
        return block


def _blocks(source: _xml.Readable, part: str) -> Iterator[str]:
    """Paragraph texts; inside a table row, the row's paragraphs as one tab-separated text."""
    runs: list[str] = []
    row: list[str] = []
    rows_open = 0
    for event, element in _xml.elements(source, part, events=("start", "end")):
        name = _xml.local(element.tag)
        if event == "start":
            if name == "tr":
                rows_open += 1
            continue
        if name in _TEXT:
            runs.append(element.text or "")
        elif name in _BREAKS:
            runs.append(_BREAKS[name])
        elif name == "p":
            text, runs = "".join(runs).strip(), []
            yield from _paragraph(text, row, rows_open)
            _clear(element)
        elif name == "tr":
            rows_open -= 1
            if rows_open == 0 and (text := "\t".join(cell for cell in row if cell)):
                yield text
            if rows_open == 0:
                row.clear()
            _clear(element)


def _paragraph(text: str, row: list[str], rows_open: int) -> Iterator[str]:
    if rows_open:
        row.append(text)
    elif text:
        yield text


def _clear(element: Element) -> None:
    element.clear()
