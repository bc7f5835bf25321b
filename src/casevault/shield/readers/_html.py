"""HTML (and other markup, such as XML) as the text a reader of the page would see.

The standard library's ``html.parser`` is used because it only tokenises: it
runs no script, fetches nothing and resolves no external entity. Scripts and
styles are dropped; text is cut into blocks at block-level elements (a table
row stays one block, its cells separated by tabs, so that a person's name and
date of birth stay together); attributes a person can read or a form carries
(``alt``, ``title``, ``value``, ``mailto:`` links, …) are kept as text too.
The parser's own buffer is bounded: a construct it cannot close within
``max_record_chars`` (an unterminated comment, say) ends the read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import IO

from casevault.errors import UnreadableFile
from casevault.shield.model import TextBlock
from casevault.shield.readers._limits import ReadLimits
from casevault.shield.readers._text import text_stream

_CHUNK = 64 * 1024
_SPACES = re.compile(r"[^\S\t]+")  # runs of white space other than the tab between cells
_HIDDEN = frozenset({"script", "style", "template", "noscript"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "option", "p", "pre", "section", "table", "tbody",
    "thead", "tfoot", "title", "tr", "ul",
})
_CELLS = frozenset({"td", "th"})
_READABLE_ATTRIBUTES = frozenset({"alt", "title", "value", "placeholder", "aria-label",
                                  "content", "label"})
_LINK_SCHEMES = ("mailto:", "tel:")


class _TextParser(HTMLParser):
    """Collects visible text into blocks; ``blocks`` is emptied by the reader after each feed."""

    def __init__(self, file: str, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.file, self.limit = file, limit
        self.blocks: list[TextBlock] = []
        self._parts: list[str] = []
        self._size = 0
        self._hidden = 0
        self._line = 1
        self._offset = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
            return
        self._boundary(tag)
        for name, value in attrs:
            if value and (name in _READABLE_ATTRIBUTES or name.startswith("data-")
                          or (name == "href" and value.lower().startswith(_LINK_SCHEMES))):
                self._add(f" {value} ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in _BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._add(data)

    def _boundary(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.flush()
        elif tag in _CELLS and self._parts:
            self._add("\t")

    def _add(self, text: str) -> None:
        if not self._parts:
            self._line = self.getpos()[0]
        if self._size + len(text) > self.limit:
            self.flush()
        self._parts.append(text)
        self._size += len(text)

    def flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self._parts)).strip()
        if text:
            self.blocks.append(TextBlock(file=self.file, text=text, offset=self._offset,
                                         line=self._line))
            self._offset += len(text) + 1
        self._parts, self._size = [], 0


def read_html(stream: IO[bytes], file: str, encoding: str,
              limits: ReadLimits) -> Iterator[TextBlock]:
    """Text blocks of a markup file, fed to the parser in bounded chunks."""
    text = text_stream(stream, encoding)
    parser = _TextParser(file, limits.max_field_chars)
    try:
        while chunk := text.read(_CHUNK):
            parser.feed(chunk)
            if len(parser.rawdata) > limits.max_record_chars:
                raise UnreadableFile(file, "has a markup construct longer than "
                                     f"{limits.max_record_chars} characters "
                                     "(ReadLimits.max_record_chars)")
            yield from _taken(parser)
        parser.close()
        parser.flush()
        yield from _taken(parser)
    finally:
        text.detach()


def _taken(parser: _TextParser) -> Iterator[TextBlock]:
    blocks, parser.blocks = parser.blocks, []
    yield from blocks
