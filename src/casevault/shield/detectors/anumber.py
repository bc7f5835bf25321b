"""A-numbers in every common writing, prefixed or (with evidence) bare.

``A`` + nine digits, written together, in groups of three with hyphens or spaces,
or after ``A#:``, and the
eight-digit legacy form carry their own evidence: the ``A``. Nine bare digits
(or eight) are any number at all (an order, an invoice) until a context word
("A-number", "alien registration") or an A-number column header says otherwise.
Normal forms come from ``casevault.domain.normalize_a_number``, the one reader
of A-numbers.
"""

from __future__ import annotations

import re
from typing import Final

from casevault.domain.anumber import normalize_a_number
from casevault.errors import InvalidValue
from casevault.shield.detectors._base import ContextWords, Prepared, Recogniser
from casevault.shield.detectors.headers import ColumnRole
from casevault.shield.model import Kind, Match

# The first character leads each pattern and the look-behind follows it, so the
# regular-expression engine can skip ahead to candidate characters (a leading
# look-behind would make it try every position).
_DIGITS: Final = (r"(?P<digits>[0-9]{3}(?P<sep>[ \-.]?)[0-9]{3}(?P=sep)[0-9]{3}|[0-9]{8})"
                  r"(?![0-9]|[\-.][0-9])")
PREFIXED: Final = re.compile(r"A(?<![^\W_]A)[ \t]*(?:[#:.\-][ \t]*){0,2}" + _DIGITS)
PREFIXED_LOWER: Final = re.compile(r"a(?<![^\W_]a)[#\-]?" + _DIGITS)
BARE: Final = re.compile(r"[0-9](?<![\w\-./#][0-9])"
                         r"(?:[0-9]{2}(?P<sep>[ \-]?)[0-9]{3}(?P=sep)[0-9]{3}|[0-9]{7})"
                         r"(?![\w]|[\-./][0-9])")

CONTEXT: Final = ContextWords(
    r"a[\-_](?:number|num|nbr|no\.?)|a\s?\#|anumber|alien(?:'s)?\s+(?:registration\s+)?"
    r"(?:number|no\.?|nbr|\#|id|file)|alien\s+reg(?:istration)?|a[\-_]file|"
    r"registration\s+(?:number|no\.?)|uscis\s*(?:number|no\.?|\#)|"
    r"n[uú]mero\s+(?:a|de\s+extranjero|de\s+registro)",
    ("a-n", "a_n", "a-f", "a_f", "a#", "a #", "anum", "alien", "registration", "uscis", "número",
     "numero"),
)


class ANumberDetector(Recogniser):
    """A-numbers: prefixed writings always; bare eight or nine digits only with evidence."""

    kind = Kind.A_NUMBER
    min_digits = 8
    PREFIXED_CONFIDENCE: Final = 0.85
    CONFIRMED_CONFIDENCE: Final = 0.95
    BARE_WITH_HEADER: Final = 0.9
    BARE_WITH_CONTEXT: Final = 0.75

    def scan(self, prepared: Prepared) -> list[Match]:
        if not prepared.has_digit:
            return []
        found = self._prefixed(prepared)
        bare = self._bare(prepared)
        return found + _outside(bare, found) if found and bare else found or bare

    def _prefixed(self, prepared: Prepared) -> list[Match]:
        text = prepared.text
        header = prepared.role is ColumnRole.A_NUMBER
        found = []
        patterns = [pattern for letter, pattern in (("A", PREFIXED), ("a", PREFIXED_LOWER))
                    if letter in text]
        for pattern in patterns:
            for hit in pattern.finditer(text):
                normal = _normal(hit["digits"])
                if normal is None:
                    continue
                sure = header or CONTEXT.vouches(prepared, hit.start(), hit.end())
                confidence = self.CONFIRMED_CONFIDENCE if sure else self.PREFIXED_CONFIDENCE
                found.append(Match(self.kind, hit.start(), hit.end(), confidence, normal))
        return found

    def _bare(self, prepared: Prepared) -> list[Match]:
        text = prepared.text
        if prepared.role is ColumnRole.A_NUMBER:
            return self._bare_in(text, [(0, len(text))], self.BARE_WITH_HEADER)
        if CONTEXT.in_context(prepared.context):
            return self._bare_in(text, [(0, len(text))], self.BARE_WITH_CONTEXT)
        hits = CONTEXT.hits(prepared)
        regions = hits.regions(len(text), before=_BEFORE, after=_AFTER)
        return [match for match in self._bare_in(text, regions, self.BARE_WITH_CONTEXT)
                if hits.near(match.start, match.end, _BEFORE, _AFTER)]

    def _bare_in(self, text: str, regions: list[tuple[int, int]],
                 confidence: float) -> list[Match]:
        found = []
        for start, end in regions:
            for hit in BARE.finditer(text, start, end):
                normal = _normal(hit[0])
                if normal is not None:
                    found.append(Match(self.kind, hit.start(), hit.end(), confidence, normal))
        return found


_BEFORE, _AFTER = 48, 24
"""How far before (after) a bare number its context word may stand."""


def _outside(candidates: list[Match], taken: list[Match]) -> list[Match]:
    """The candidates that start outside every taken span (both lists in text order)."""
    spans = sorted((match.start, match.end) for match in taken)
    kept, index = [], 0
    for match in candidates:
        while index < len(spans) and spans[index][1] <= match.start:
            index += 1
        if index == len(spans) or match.start < spans[index][0]:
            kept.append(match)
    return kept


_SEPARATORS: Final = str.maketrans("", "", " -.")


def _normal(written: str) -> str | None:
    """The canonical form, or None for the never-issued all-zero number."""
    try:
        return normalize_a_number("A" + written.translate(_SEPARATORS))
    except InvalidValue:
        return None
