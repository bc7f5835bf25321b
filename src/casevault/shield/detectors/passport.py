"""Passport and other identity-document numbers, found only beside their context words.

Document numbers have no shape of their own (six to ten digits, perhaps one to
three letters before them): without "passport", "pasaporte", "travel document",
"document no." nearby, or a passport column header, they are order numbers.
"""

from __future__ import annotations

import re
from typing import Final

from casevault.shield.detectors._base import ContextWords, Prepared, Recogniser, cell_span
from casevault.shield.detectors.headers import ColumnRole
from casevault.shield.model import Kind, Match

CANDIDATE: Final = re.compile(
    r"[A-Z0-9](?<![\w\-][A-Z0-9])"
    r"(?:(?<=[A-Z])[A-Z]{0,2}-?[0-9]{6,10}[A-Z]?|(?<=[0-9])(?:[0-9]{5,9}[A-Z]?|[0-9] [0-9]{7}))"
    r"(?![\w\-])")
"""Up to three capitals, then six to ten digits (or the Russian ``NN NNNNNNN``)."""

CONTEXT: Final = ContextWords(
    r"pass?aporte?s?|passeport|passport(?:\s+(?:number|no\.?|\#))?|"
    r"travel\s+doc(?:ument)?s?|doc(?:ument)?\.?\s*(?:number|num\.?|no\.?|nbr|\#)|"
    r"documento\s+(?:de\s+viaje|de\s+identidad|n[uú]m(?:ero|\.)?|no\.?)|"
    r"(?:national\s+)?id(?:entity)?\s+card(?:\s+(?:number|no\.?))?|c[eé]dula|"
    r"n[uú]m(?:ero|\.)?\s+de\s+(?:pasaporte|documento)",
    ("passport", "pasaport", "passaport", "passeport", "travel doc", "document n", "document #",
     "document#", "doc n", "doc.", "doc #", "doc#", "documento", "id card", "identity card",
     "dula"),
)


_AFTER_WORD: Final = 48
"""How far after its context word a document number may start (and end)."""


class PassportDetector(Recogniser):
    """Passport and document numbers near a context word or under a passport header."""

    kind = Kind.PASSPORT
    min_digits = 6
    HEADER_CONFIDENCE: Final = 0.9
    CONTEXT_CONFIDENCE: Final = 0.8

    def scan(self, prepared: Prepared) -> list[Match]:
        if not prepared.has_digit:
            return []
        if prepared.role is ColumnRole.PASSPORT:
            return self._cell(prepared.text)
        text = prepared.text
        if CONTEXT.in_context(prepared.context):
            regions = [(0, len(text))]
        else:
            regions = [(end, min(len(text), end + _AFTER_WORD))
                       for end in CONTEXT.hits(prepared).ends]
        found: dict[int, Match] = {}
        for start, end in regions:
            for hit in CANDIDATE.finditer(text, start, end):
                found.setdefault(hit.start(), Match(self.kind, hit.start(), hit.end(),
                                                    self.CONTEXT_CONFIDENCE, _normal(hit[0])))
        return [found[start] for start in sorted(found)]

    def _cell(self, text: str) -> list[Match]:
        """Under a passport header the whole cell is the number, if it has the shape."""
        start, end = cell_span(text)
        hit = CANDIDATE.fullmatch(text.upper() if text.isascii() else text, start, end)
        if hit is None:
            return []
        return [Match(self.kind, start, end, self.HEADER_CONFIDENCE, _normal(hit[0]))]


def _normal(written: str) -> str:
    return written.replace("-", "").replace(" ", "").upper()
