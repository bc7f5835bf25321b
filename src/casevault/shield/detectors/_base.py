"""What every detector shares: the prepared text, context words, the detector protocol.

A detector is one small class (presidio's shape): a ``kind``, its patterns, its
context words, and ``find``. The aggregate runs many detectors over the same
text, so what several of them ask (is there a digit? the lower-cased text for
context words? the header's role?) is computed once, in ``Prepared``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Final, Protocol

from casevault.shield.detectors.headers import ColumnRole, header_role
from casevault.shield.model import Kind, Match

_SHORT: Final = 256
MANY: Final = 1 << 30
"""The digit count reported for a long text with digits (it is not counted)."""
_DIGIT: Final = re.compile(r"[0-9]")
_DIGITS: Final = "0123456789"


class _Literals:
    """Every literal any detector looks for, as one pattern: one search tells a short text
    (a table cell) that no context word of any detector can be in it."""

    def __init__(self) -> None:
        self._words: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def register(self, literals: tuple[str, ...]) -> None:
        self._words.update(literals)
        self._pattern = None

    def in_text(self, lower: str) -> bool:
        if self._pattern is None:
            words = sorted(self._words, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(word) for word in words))
        return self._pattern.search(lower) is not None


LITERALS: Final = _Literals()


class Prepared:
    """One text, its header and context, with lazily computed facts detectors share."""

    __slots__ = ("_digit", "_digits", "_hits", "_literal", "_lower", "_queries", "context",
                 "header", "role", "text")

    def __init__(self, text: str, header: str | None = None, context: str = "") -> None:
        self.text = text
        self.header = header
        self.context = context
        self.role: ColumnRole | None = header_role(header)
        self._lower: str | None = None
        self._digit: bool | None = None
        self._digits: int | None = None
        self._literal: bool | None = None
        self._hits: dict[int, Hits] = {}
        self._queries: dict[int, int] = {}

    @property
    def lower(self) -> str:
        """The text lower-cased, for fast ``in`` and ``find`` of context words."""
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    @property
    def has_digit(self) -> bool:
        """Whether any ASCII digit occurs: most detectors need one, most prose has few."""
        if self._digit is None:
            text = self.text
            if len(text) < _SHORT:
                self._digit = _DIGIT.search(text) is not None
            else:  # substring search runs at memory speed; a regex scan does not
                self._digit = any(digit in text for digit in _DIGITS)
        return self._digit


    @property
    def digit_count(self) -> int:
        """How many digits a short text has (a detector needing more can skip it); for a
        long text only whether it has any (``MANY`` or 0): counting would cost a scan."""
        if self._digits is None:
            if len(self.text) < _SHORT:
                self._digits = len(_DIGIT.findall(self.text))
                self._digit = self._digits > 0
            else:
                self._digits = MANY if self.has_digit else 0
        return self._digits

    @property
    def may_mention(self) -> bool:
        """False when no detector's context literal can occur (decided in one search for
        short texts; long texts are searched literal by literal instead)."""
        if self._literal is None:
            self._literal = len(self.text) >= _SHORT or LITERALS.in_text(self.lower)
        return self._literal


class Hits:
    """Where the words of one ``ContextWords`` stand in one text (starts and ends, in order)."""

    __slots__ = ("ends", "starts")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]

    def __bool__(self) -> bool:
        return bool(self.starts)

    def regions(self, size: int, *, before: int, after: int,
                margin: int = 24) -> list[tuple[int, int]]:
        """Stretches of the text where a candidate ``near`` a word (same reach) can lie.

        ``margin`` covers the candidate's own length and the characters its
        pattern looks at around it.
        """
        return _merged([(max(0, start - after - margin), min(size, end + before + margin))
                        for start, end in zip(self.starts, self.ends, strict=True)])

    def near(self, start: int, end: int, before: int, after: int) -> bool:
        """Whether a word ends in ``[start-before, start]`` or starts in ``[end, end+after]``."""
        i = bisect_left(self.ends, start - before)
        if i < len(self.ends) and self.ends[i] <= start:
            return True
        j = bisect_left(self.starts, end)
        return j < len(self.starts) and self.starts[j] <= end + after


class ContextWords:
    """Words that vouch for a candidate standing near them, or anywhere in the caller's context.

    ``pattern`` is a case-insensitive alternation of word patterns; every text it
    can match contains one of ``literals`` (lower case), within ``reach``
    characters of the match. Literals are chosen specific ("tin:", not "tin",
    which every "-ting" word holds): each occurrence costs a small search.
    Words are found by a substring search for the
    literals (at memory speed) and the pattern is tried only around them: a
    case-insensitive regular expression over a whole text would be the slowest
    part of the scan.
    """

    __slots__ = ("_literals", "_pattern", "_reach")

    def __init__(self, pattern: str, literals: tuple[str, ...], *, reach: int = 32) -> None:
        self._pattern = re.compile(rf"(?<![^\W_])(?:{pattern})(?![^\W_])", re.IGNORECASE)
        self._literals = literals
        self._reach = reach
        LITERALS.register(literals)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled alternation (word boundaries included)."""
        return self._pattern

    def hits(self, prepared: Prepared) -> Hits:
        """The context words in the text, computed once per prepared text."""
        cached = prepared._hits.get(id(self))
        if cached is None:
            cached = Hits(self._find(prepared))
            prepared._hits[id(self)] = cached
        return cached

    def _find(self, prepared: Prepared) -> list[tuple[int, int]]:
        text = prepared.text
        return [hit.span() for start, end in around_literals(prepared, self._literals, self._reach)
                for hit in self._pattern.finditer(text, start, end)]

    def in_text(self, prepared: Prepared) -> bool:
        """Whether any context word occurs anywhere in the text."""
        return bool(self.hits(prepared))

    def in_context(self, context: str) -> bool:
        """Whether the caller's context (a previous line, a label) holds a context word."""
        return bool(context) and any(literal in context.lower() for literal in self._literals) \
            and self._pattern.search(context) is not None

    def near(self, prepared: Prepared, start: int, end: int, *, before: int = 48,
             after: int = 24) -> bool:
        """Whether a context word stands just before or just after ``text[start:end]``.

        In a long text the first few questions are answered by searching around
        the candidate; only a text that asks many finds all its words at once
        (one substring search per literal over the whole text).
        """
        key = id(self)
        hits = prepared._hits.get(key)
        if hits is None and len(prepared.text) >= _SHORT:
            asked = prepared._queries.get(key, 0)
            if asked < _LOCAL_QUESTIONS:
                prepared._queries[key] = asked + 1
                return self._near_here(prepared.text, start, end, before, after)
        return (hits or self.hits(prepared)).near(start, end, before, after)

    def _near_here(self, text: str, start: int, end: int, before: int, after: int) -> bool:
        """``Hits.near`` for one candidate, by searching only the text around it."""
        earliest = start - before
        for hit in self._pattern.finditer(text, max(0, earliest - _LONGEST_WORD), start):
            if hit.end() >= earliest:
                return True
        following = self._pattern.search(text, end, min(len(text), end + after + _LONGEST_WORD))
        return following is not None and following.start() <= end + after

    def vouches(self, prepared: Prepared, start: int, end: int) -> bool:
        """Context for one candidate: the caller's context, or a word near the candidate."""
        return self.in_context(prepared.context) or self.near(prepared, start, end)


_LOCAL_QUESTIONS: Final = 32
"""Candidates in a long text checked by a local search before all context words are found."""
_LONGEST_WORD: Final = 40
"""Longer than any context word ("número de identificación personal" and the like)."""


def around_literals(prepared: Prepared, literals: tuple[str, ...],
                    reach: int) -> list[tuple[int, int]]:
    """Merged stretches of ``reach`` characters around each occurrence of a literal.

    Literals are searched in the lower-cased text; if lower-casing changed its
    length (a few non-Latin letters do), offsets would not carry over, and the
    whole text is one stretch.
    """
    if not prepared.may_mention:
        return []
    text, lower = prepared.text, prepared.lower
    if len(lower) != len(text):
        return [(0, len(text))]
    size, found = len(lower), []
    for literal in literals:
        at = lower.find(literal)
        while at >= 0:
            found.append((max(0, at - reach), min(size, at + len(literal) + reach)))
            at = lower.find(literal, at + len(literal))
    return _merged(found)


def _merged(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping windows joined, in text order, so no word is found twice."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class Detector(Protocol):
    """One recogniser: its ``kind`` and ``find``; see the package docstring for the contract."""

    @property
    def kind(self) -> Kind: ...

    @property
    def min_digits(self) -> int:
        """The fewest digits a text needs for this detector to find anything in it."""
        ...

    def find(self, text: str, *, header: str | None = None, context: str = "") -> list[Match]:
        """Matches in ``text``; spans index into ``text``."""
        ...

    def scan(self, prepared: Prepared) -> list[Match]:
        """``find`` on a text already prepared (the aggregate prepares once for all)."""
        ...


class Recogniser:
    """Base of the detectors: ``find`` prepares the text and calls ``scan``."""

    kind: Kind
    min_digits: int = 0

    def find(self, text: str, *, header: str | None = None, context: str = "") -> list[Match]:
        """Matches in ``text``; ``header`` is the cell's column header, ``context`` nearby text."""
        return self.scan(Prepared(text, header, context))

    def scan(self, prepared: Prepared) -> list[Match]:
        raise NotImplementedError


def cell_span(text: str) -> tuple[int, int]:
    """The span of a cell's value without surrounding white space."""
    start = len(text) - len(text.lstrip())
    return start, len(text.rstrip())


def digits_of(text: str) -> str:
    """The ASCII digits of ``text`` in order."""
    return "".join(ch for ch in text if "0" <= ch <= "9")
