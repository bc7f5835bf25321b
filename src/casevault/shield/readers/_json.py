"""JSON and JSON Lines as units, streamed: arrays of objects become tables, other values text.

A JSON document is walked, not loaded: objects and arrays are entered one
member or element at a time, and only an array's elements (and scalar values)
are decoded whole, by the standard library's C scanner, each bounded by
``max_record_chars``. So a 2 GB array of records, or ``{"data": [...]}`` around
one, reads in the memory of one record.

- A run of objects in an array (or of JSON Lines) is a table: a ``Sheet`` whose
  headers are the union of the keys in its first records (a later record with
  a new key starts a new Sheet, see ``_tables``); nested values become their
  JSON text. Rows count the records from 1 (JSON Lines: the line number).
  The Sheet is named by its JSON path (``$.data``), or None for the whole file.
- Other values become ``TextBlock`` units of ``key: value`` lines, one block per
  object (its scalar members) or per run of scalars in an array, so that values
  that belong together stay together; ``line`` and ``offset`` give where that
  object or run starts in the file (offset in characters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from casevault.errors import UnreadableFile
from casevault.shield.model import Sheet, TextBlock, Unit
from casevault.shield.readers import _tables
from casevault.shield.readers._limits import ReadLimits
from casevault.shield.readers._text import text_stream

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_CHUNK = 1 << 20
_HEADER_SAMPLE_ROWS = 1000
_LONGEST_LITERAL = len("-Infinity") + 1
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def sniff_json(sample: str, *, whole_file: bool) -> str | None:
    """``"json"``, ``"jsonl"`` or None (not JSON), judged from the start of the text."""
    text = sample.lstrip("\ufeff \t\r\n")
    if not text or text[0] not in "[{":
        return None
    try:
        _, end = _DECODER.raw_decode(text)
    except (ValueError, RecursionError):
        return None if whole_file else _plausible_start(text)
    rest = text[end:]
    following = rest.lstrip(" \t\r\n")
    if not following:
        return "json"
    if following[0] not in "[{":
        return None  # JSON, then something else: a text that happens to start with JSON
    one_per_line = "\n" not in text[:end] and "\n" in rest[:len(rest) - len(following)]
    return "jsonl" if one_per_line else "json"


def _plausible_start(text: str) -> str | None:
    """A document too big for the sample: trust it if it opens as JSON does (``{"`` or ``[1``)."""
    after = text[1:].lstrip(" \t\r\n")[:1]
    allowed = '"}' if text[0] == "{" else '"{[]-0123456789tfn'
    return "json" if after and after in allowed else None


@dataclass(frozen=True, slots=True)
class _Element:
    """One record or scalar read whole: its value, where it starts, and its number."""

    value: object
    line: int
    offset: int
    number: int
    size: int


class _Cursor:
    """The decoded text in a sliding window, read forward one JSON token or value at a time."""

    def __init__(self, text: IO[str], file: str, limits: ReadLimits) -> None:
        self._text, self.file, self.limits = text, file, limits
        self._buf, self._pos, self._eof = "", 0, False
        self._base = 0  # characters before _buf[0]
        self._line, self._counted = 1, 0  # the line at _buf[_counted]

    def where(self) -> tuple[int, int]:
        """(line, character offset) of the current position."""
        self._line += self._buf.count("\n", self._counted, self._pos)
        self._counted = self._pos
        return self._line, self._base + self._pos

    def _fill(self) -> bool:
        chunk = self._text.read(_CHUNK)
        if not chunk:
            self._eof = True
            return False
        if self._pos > _CHUNK:
            self.where()
            self._base += self._pos
            self._buf, self._pos, self._counted = self._buf[self._pos:], 0, 0
        self._buf += chunk
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end), without consuming it."""
        while True:
            match = _WHITESPACE.match(self._buf, self._pos)
            self._pos = match.end() if match else self._pos
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def take(self, expected: str) -> str:
        found = self.peek()
        if not found or found not in expected:
            raise self.error("is not valid JSON")
        self._pos += 1
        return found

    def value(self) -> tuple[object, int]:
        """The next value, decoded whole, and its length in characters."""
        if not self.peek():
            raise self.error("is not valid JSON (it ends early)")
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._eof or not _cut_short(exc, len(self._buf)):
                    self._pos = max(self._pos, min(exc.pos, len(self._buf)))
                    raise self.error("is not valid JSON") from None
            except (ValueError, RecursionError):
                raise self.error("has a JSON value it cannot decode "
                                 "(too deep, or a number too long)") from None
            else:
                if end - self._pos > self.limits.max_record_chars:
                    break
                if end < len(self._buf) or self._eof:
                    start, self._pos = self._pos, end
                    return value, end - start
            if len(self._buf) - self._pos > self.limits.max_record_chars:
                break
            self._fill()
        raise self.error(f"has a JSON value longer than {self.limits.max_record_chars} "
                         "characters (ReadLimits.max_record_chars)")

    def error(self, reason: str) -> UnreadableFile:
        """The error to raise here: the reason, at the current line."""
        line, _ = self.where()
        return UnreadableFile(self.file, f"line {line} {reason}")


def read_json(stream: IO[bytes], file: str, encoding: str, limits: ReadLimits) -> Iterator[Unit]:
    """Every top-level value of the file, walked (a file may hold several, concatenated)."""
    text = text_stream(stream, encoding)
    try:
        cursor = _Cursor(text, file, limits)
        if cursor.peek() == "\ufeff":
            cursor.take("\ufeff")
        while cursor.peek():
            yield from _walk(cursor, "$", 0)
    finally:
        text.detach()


def _walk(cursor: _Cursor, path: str, depth: int, key: str | None = None) -> Iterator[Unit]:
    if depth > cursor.limits.max_json_depth:
        raise cursor.error(f"nests JSON deeper than {cursor.limits.max_json_depth} levels "
                    "(ReadLimits.max_json_depth)")
    first = cursor.peek()
    if first == "{":
        yield from _walk_object(cursor, path, depth)
    elif first == "[":
        yield from _units(_tables.Pushback(_elements(cursor)), cursor.file,
                          None if path == "$" else path, cursor.limits, key)
    else:
        line, offset = cursor.where()
        value, _ = cursor.value()
        yield TextBlock(file=cursor.file, text=_text(value), offset=offset, line=line)


def _walk_object(cursor: _Cursor, path: str, depth: int) -> Iterator[Unit]:
    """The object's scalar members as blocks of ``key: value`` lines; nested values walked."""
    line, offset = cursor.where()
    lines = _Lines(cursor.file, line, offset, cursor.limits.max_field_chars)
    cursor.take("{")
    if cursor.peek() == "}":
        cursor.take("}")
        return
    while True:
        key, _ = cursor.value()
        if not isinstance(key, str):
            raise cursor.error("is not valid JSON (an object key is not a string)")
        key = str(key)
        cursor.take(":")
        if cursor.peek() in ("{", "["):
            yield from _walk(cursor, _child(path, key), depth + 1, key)
        else:
            value, _ = cursor.value()
            yield from lines.add(f"{key}: {_text(value)}")
        if cursor.take(",}") == "}":
            break
    yield from lines.flush()


def _elements(cursor: _Cursor) -> Iterator[_Element]:
    """The elements of the array at the cursor, each decoded whole, numbered from 1."""
    cursor.take("[")
    if cursor.peek() == "]":
        cursor.take("]")
        return
    number = 0
    while True:
        number += 1
        line, offset = cursor.where()
        value, size = cursor.value()
        yield _Element(value, line, offset, number, size)
        if cursor.take(",]") == "]":
            return


def read_json_lines(stream: IO[bytes], file: str, encoding: str,
                    limits: ReadLimits) -> Iterator[Unit]:
    """Each line one value: runs of objects as tables numbered by line, the rest as text."""
    text = text_stream(stream, encoding)
    try:
        yield from _units(_tables.Pushback(_lines(text, file, limits)), file, None, limits)
    finally:
        text.detach()


def _lines(text: IO[str], file: str, limits: ReadLimits) -> Iterator[_Element]:
    number, offset = 0, 0
    while line := text.readline(limits.max_record_chars + 1):
        number += 1
        if len(line) > limits.max_record_chars:
            raise UnreadableFile(file, f"line {number} is longer than {limits.max_record_chars} "
                                       "characters (ReadLimits.max_record_chars)")
        content = line.strip().lstrip("\ufeff")
        if content:
            try:
                value = json.loads(content)
            except (ValueError, RecursionError) as exc:
                raise UnreadableFile(file, f"line {number} is not valid JSON") from exc
            yield _Element(value, number, offset, number, len(line))
        offset += len(line)


def _units(elements: _tables.Pushback[_Element], file: str, name: str | None,
           limits: ReadLimits, key: str | None = None) -> Iterator[Unit]:
    """Runs of objects as tables; runs of other values as blocks of text (lines ``key: value``)."""
    while (first := elements.peek()) is not None:
        if _is_record(first):
            yield from _table(elements, file, name, limits)
            continue
        lines = _Lines(file, first.line, first.offset, limits.max_field_chars)
        while (element := elements.next()) is not None and not _is_record(element):
            for text in _leaves(element.value, limits.max_json_depth, file, key):
                yield from lines.add(text)
        if element is not None:
            elements.push(element)
        yield from lines.flush()


def _is_record(element: _Element) -> bool:
    return isinstance(element.value, dict) and bool(element.value)


def _table(elements: _tables.Pushback[_Element], file: str, name: str | None,
           limits: ReadLimits) -> Iterator[Sheet]:
    budget = [limits.max_field_chars]

    def within_budget(element: _Element) -> bool:
        budget[0] -= element.size
        return _is_record(element) and budget[0] >= 0

    first = elements.peek()
    sample = elements.lookahead(_HEADER_SAMPLE_ROWS, within_budget) or ([first] if first else [])
    headers: dict[str, None] = {}
    for element in sample:
        if isinstance(element.value, dict):
            headers.update(dict.fromkeys(element.value))
    records = _Records()
    yield from _tables.sheets(
        file=file, name=name, headers=tuple(headers), rows=elements,
        shape=_tables.Shape(cells=records.cells, widen=records.widen, belongs=_is_record,
                            number=lambda element: element.number),
        first_row=sample[0].number, max_columns=limits.max_columns)


class _Records:
    """Objects as rows under headers; keeps the set of the headers in use (it seldom changes)."""

    def __init__(self) -> None:
        self._headers: tuple[str, ...] = ()
        self._known: frozenset[str] = frozenset()

    def cells(self, element: _Element, headers: tuple[str, ...]) -> tuple[str, ...] | None:
        record = element.value
        if not isinstance(record, dict):
            return None
        if headers is not self._headers:
            self._headers, self._known = headers, frozenset(headers)
        if len(record) > len(headers) or not record.keys() <= self._known:
            return None
        return tuple(_text(record.get(header)) for header in headers)

    @staticmethod
    def widen(element: _Element, headers: tuple[str, ...]) -> tuple[str, ...]:
        record = element.value
        known = set(headers)
        new = [key for key in record if key not in known] if isinstance(record, dict) else []
        return (*headers, *new)


class _Lines:
    """``key: value`` lines gathered into blocks of at most ``limit`` characters."""

    def __init__(self, file: str, line: int, offset: int, limit: int) -> None:
        self._file, self._line, self._offset, self._limit = file, line, offset, limit
        self._parts: list[str] = []
        self._size = 0

    def add(self, text: str) -> Iterator[TextBlock]:
        if self._size + len(text) > self._limit:
            yield from self.flush()
        self._parts.append(text[:self._limit])
        self._size += len(self._parts[-1]) + 1

    def flush(self) -> Iterator[TextBlock]:
        if self._parts:
            yield TextBlock(file=self._file, text="\n".join(self._parts),
                            offset=self._offset, line=self._line)
            self._parts, self._size = [], 0


def _leaves(value: object, depth: int, file: str, key: str | None = None) -> Iterator[str]:
    """``key: value`` lines for every scalar inside a decoded value."""
    if depth < 0:
        raise UnreadableFile(file, "nests JSON too deeply (ReadLimits.max_json_depth)")
    if isinstance(value, dict):
        for child, item in value.items():
            yield from _leaves(item, depth - 1, file, str(child))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, depth - 1, file, key)
    elif value is not None and value != "":
        yield _text(value) if key is None else f"{key}: {_text(value)}"


def _text(value: object) -> str:
    """A JSON value as the text a person would read in a cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _cut_short(error: json.JSONDecodeError, available: int) -> bool:
    """Whether a decode failed only because the window ends inside the value (read more)."""
    return error.pos >= available - _LONGEST_LITERAL or error.msg.startswith("Unterminated string")


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.fullmatch(key) else f"{path}[{json.dumps(key)}]"
