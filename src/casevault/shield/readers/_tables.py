"""Tables: tell a header row from data, and turn a stream of rows into ``Sheet`` units.

Two rules keep a table reader from hiding data. A first row is taken as a header
only when it looks like one (names, not numbers, dates or e-mail addresses);
otherwise the columns are numbered and the first row is scanned as data. And no
cell is ever dropped: a row wider than the headers ends the current ``Sheet``
and a new one, with the extra columns named, starts at that row (rows are
padded to the header length; trailing empty cells are ignored). A consumer must
finish (or abandon) a ``Sheet``'s rows before asking for the next unit; the
readers drain what it left.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from casevault.errors import UnreadableFile
from casevault.shield.model import Sheet
from casevault.shield.readers._limits import ReadLimits

R = TypeVar("R")

_DATA_LIKE = re.compile(r"\d.*\d.*\d|@")
_LONGEST_HEADER = 64
_SAMPLE_ROWS = 50


def _data_like(cell: str) -> bool:
    return len(cell) > _LONGEST_HEADER or _DATA_LIKE.search(cell) is not None


def looks_like_header(first: Sequence[str], following: Sequence[Sequence[str]] = ()) -> bool:
    """Whether ``first`` is a header row, judged by its cells and the rows after it.

    A header has at least one cell, unique non-empty cells and none that look like
    data (three digits, an ``@``, more than 64 characters). The rows after it
    then vote, column by column: a column whose values mostly have digits or one
    fixed length, unlike the candidate cell, says "header"; one whose values look
    like the candidate says "data". A tie keeps the header, as most files have one.
    """
    cells = [cell.strip() for cell in first]
    filled = [cell for cell in cells if cell]
    if not filled or len(set(filled)) != len(filled) or any(map(_data_like, filled)):
        return False
    rows = [row for row in following[:_SAMPLE_ROWS] if any(cell.strip() for cell in row)]
    return sum(_column_vote(cell, [row[i].strip() for row in rows if i < len(row)])
               for i, cell in enumerate(cells) if cell) >= 0


def _column_vote(head: str, values: list[str]) -> int:
    """+1 if the values differ in kind from ``head`` (so it is a name), -1 if alike, 0 if unsure."""
    values = [value for value in values if value]
    if len(values) < 2:
        return 0
    digits = sum(1 for value in values if any(ch.isdigit() for ch in value))
    if digits * 2 > len(values):
        return 1
    lengths = {len(value) for value in values}
    if len(lengths) == 1:
        return 1 if len(head) not in lengths else -1
    return 0


def trimmed(cells: Sequence[str]) -> Sequence[str]:
    """The cells without trailing empty ones (they carry nothing and must not widen a table)."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells if end == len(cells) else cells[:end]


class Pushback(Generic[R]):
    """An iterator that can take items back: the row that did not fit, or a look-ahead sample."""

    def __init__(self, items: Iterator[R]) -> None:
        self._items = items
        self._held: deque[R] = deque()

    def next(self) -> R | None:
        if self._held:
            return self._held.popleft()
        return next(self._items, None)

    def stream(self) -> Iterator[R]:
        """The items from here on, at C speed once the held ones are taken (lazily, so that
        whatever is not taken before a row is pushed back stays held)."""
        return itertools.chain(self._drain(), self._items)

    def _drain(self) -> Iterator[R]:
        while self._held:
            yield self._held.popleft()

    def push(self, item: R) -> None:
        self._held.appendleft(item)

    def peek(self) -> R | None:
        item = self.next()
        if item is not None:
            self.push(item)
        return item

    def lookahead(self, count: int, keep: Callable[[R], bool]) -> list[R]:
        """Up to ``count`` next items while ``keep`` holds for them; they stay to be read."""
        taken: list[R] = []
        kept = 0
        while len(taken) < count and (item := self.next()) is not None:
            taken.append(item)
            if not keep(item):
                break
            kept += 1
        self._held.extendleft(reversed(taken))
        return taken[:kept]


@dataclass(frozen=True, slots=True)
class Shape(Generic[R]):
    """How rows of type ``R`` make a table.

    ``cells`` gives a row's texts under the headers, or None when it needs more
    columns (``widen`` then gives the headers of the next Sheet); ``belongs`` says
    whether an item is a row of this table at all (JSON: only objects are);
    ``number``, when given, is an item's own row number, and a gap in the numbers
    starts a new Sheet so that ``first_row`` stays true.
    """

    cells: Callable[[R, tuple[str, ...]], tuple[str, ...] | None]
    widen: Callable[[R, tuple[str, ...]], tuple[str, ...]]
    belongs: Callable[[R], bool] | None = None
    number: Callable[[R], int] | None = None


def sheets(
    *,
    file: str,
    name: str | None,
    headers: tuple[str, ...],
    rows: Pushback[R],
    shape: Shape[R],
    first_row: int,
    hidden: bool = False,
    max_columns: int,
) -> Iterator[Sheet]:
    """Sheets over ``rows`` until an item that does not belong (left in ``rows``) or the end.

    One Sheet, or one more each time a row needs more columns (or, with numbered
    rows, skips a number).
    """
    while True:
        if len(headers) > max_columns:
            raise UnreadableFile(file, f"a table is wider than {max_columns} columns "
                                       "(ReadLimits.max_columns)")
        counter = [0]
        sheet_rows = _fitting(rows, headers, shape, counter)
        yield Sheet(file=file, name=name, headers=headers, rows=sheet_rows,
                    first_row=first_row, hidden=hidden)
        for _ in sheet_rows:  # what the consumer left unread
            pass
        following = rows.peek()
        if following is None or (shape.belongs is not None and not shape.belongs(following)):
            return
        first_row = shape.number(following) if shape.number else first_row + counter[0]
        headers = shape.widen(following, headers)


def _fitting(rows: Pushback[R], headers: tuple[str, ...], shape: Shape[R],
             counter: list[int]) -> Iterator[tuple[str, ...]]:
    """The rows that fit ``headers``; the first that does not is pushed back. Hot loop: lean."""
    fit, belongs, number_of = shape.cells, shape.belongs, shape.number
    expected: int | None = None
    for row in rows.stream():
        cells = None if belongs is not None and not belongs(row) else fit(row, headers)
        if number_of is not None:
            number = number_of(row)
            if expected is not None and number != expected:
                cells = None
            expected = number + 1
        if cells is None:
            rows.push(row)
            return
        counter[0] += 1
        yield cells


def _fit(row: Sequence[str], width: int) -> tuple[str, ...] | None:
    """The row padded to ``width`` cells, or None if it has a non-empty cell beyond them."""
    if len(row) == width:
        return tuple(row)
    if len(row) > width:
        row = trimmed(row)
        if len(row) > width:
            return None
    return (*row, *([""] * (width - len(row))))


def _texts_of(cells_of: Callable[[R], Sequence[str]] | None) -> Callable[[R], Sequence[str]]:
    """``cells_of``, or for rows that are their own cells, the identity."""
    if cells_of is not None:
        return cells_of
    return cast("Callable[[R], Sequence[str]]", _identity)


def _identity(row: Sequence[str]) -> Sequence[str]:
    return row


def positional(names: Callable[[int], str], cells_of: Callable[[R], Sequence[str]] | None,
               number: Callable[[R], int] | None = None) -> Shape[R]:
    """The shape of CSV and worksheet rows: cells by position; extra columns named by ``names``.

    ``cells_of`` gives a row's cells; None when the row is its cells (CSV, the hot case).
    """

    texts_of = _texts_of(cells_of)

    def cells(row: R, headers: tuple[str, ...]) -> tuple[str, ...] | None:
        texts = texts_of(row)
        if len(texts) == len(headers):
            return tuple(texts)
        return _fit(texts, len(headers))

    def widen(row: R, headers: tuple[str, ...]) -> tuple[str, ...]:
        width = len(trimmed(texts_of(row)))
        return (*headers, *(names(i) for i in range(len(headers) + 1, width + 1)))

    return Shape(cells=cells, widen=widen, number=number)


def table(*, file: str, name: str | None, rows: Iterator[R],
          cells_of: Callable[[R], Sequence[str]] | None, names: Callable[[int], str],
          limits: ReadLimits, number: Callable[[R], int] | None = None,
          hidden: bool = False) -> Iterator[Sheet]:
    """Sheets of a positional table whose header, if any, is its first non-blank row.

    The table is as wide as the widest of its first rows (extra columns named
    by position). Rows are numbered by ``number`` when given (worksheets know
    their row numbers), else counted from 1. ``names`` names a column by its 1-based
    position where there is no header (CSV: "1", "2"; worksheets: "A", "B").
    """
    texts_of = _texts_of(cells_of)
    pending = Pushback(rows)
    first_row = 1
    while (first := pending.next()) is not None and not any(texts_of(first)):
        first_row += 1
    if first is None:
        return
    budget = [limits.max_field_chars]

    def within_budget(row: R) -> bool:
        budget[0] -= sum(map(len, texts_of(row)))
        return budget[0] >= 0

    head = [texts_of(row) for row in pending.lookahead(_SAMPLE_ROWS, within_budget)]
    top = texts_of(first)
    if number is not None:
        first_row = number(first)
    width = max(len(trimmed(cells)) for cells in [top, *head])
    if looks_like_header(top, head):
        named = [cell.strip() or names(i) for i, cell in enumerate(trimmed(top), start=1)]
        headers = (*named, *(names(i) for i in range(len(named) + 1, width + 1)))
        first_row += 1
    else:
        headers = tuple(names(i) for i in range(1, width + 1))
        pending.push(first)
    if number is not None and (following := pending.peek()) is not None:
        first_row = number(following)
    yield from sheets(file=file, name=name, headers=headers, rows=pending,
                      shape=positional(names, cells_of, number), first_row=first_row,
                      hidden=hidden, max_columns=limits.max_columns)
