"""Nine-digit US taxpayer numbers (SSN and ITIN) share a shape and their context words.

Written ``NNN-NN-NNNN`` the shape itself is evidence; ``NNN NN NNNN`` or nine bare
digits are any number until a context word or a column header vouches for them.
Which of the two it is depends on the area (the first three digits) and the
group (the next two); each detector applies its own validity rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Final

from casevault.shield.detectors._base import ContextWords, Prepared, Recogniser
from casevault.shield.detectors.headers import ColumnRole
from casevault.shield.model import Match

CANDIDATE: Final = re.compile(
    r"[0-9](?<![\w\-./][0-9])[0-9]{2}(?P<sep>[\- ]?)[0-9]{2}(?P=sep)[0-9]{4}"
    r"(?![\w]|[\-./][0-9])")

CONTEXT: Final = ContextWords(
    r"ssn\s?\#?|ss\s?\#|s\.s\.n\.?|social\s+security(?:\s+(?:number|no\.?|\#))?|"
    r"soc\.?\s+sec\.?|itin|tin(?=\s?[\#:]|\s+(?:no|number)\b)|"
    r"tax\s?(?:payer)?\s+id(?:entification)?(?:\s+(?:number|no\.?))?|taxpayer|"
    r"seguro\s+social|n[uú]mero\s+de\s+identificaci[oó]n\s+personal|contribuyente",
    ("ssn", "ss#", "ss #", "s.s.", "social", "soc. sec", "soc sec", "itin", "tin:", "tin#",
     "tin #", "tin no", "tin number", "taxpayer", "tax payer", "tax id", "seguro", "identificaci",
     "contribuyente"),
)
"""Context words; the literals are specific on purpose ("tin" alone is in every "-ting")."""

HEADER_ROLES: Final = frozenset({ColumnRole.SSN, ColumnRole.ITIN})


@dataclass(frozen=True, slots=True)
class Candidate:
    """Nine digits in taxpayer-number shape, and whether evidence beyond the shape vouches."""

    start: int
    end: int
    digits: str
    dashed: bool
    vouched: bool


def candidates(prepared: Prepared) -> Iterator[Candidate]:
    """Every nine-digit taxpayer-number shape in the text that is dashed or vouched for."""
    if not prepared.has_digit:
        return
    text = prepared.text
    given = prepared.role in HEADER_ROLES or CONTEXT.in_context(prepared.context)
    for hit in CANDIDATE.finditer(text):
        written = hit[0]
        dashed = hit["sep"] == "-"
        vouched = given or CONTEXT.near(prepared, hit.start(), hit.end())
        if dashed or vouched:
            digits = written.replace("-", "").replace(" ", "")
            yield Candidate(hit.start(), hit.end(), digits, dashed, vouched)


class TaxIdDetector(Recogniser):
    """SSNs and ITINs share one shape: dashed and valid on their own; spaced or bare only
    with a context word or header. Subclasses give the kind and the validity rule."""

    min_digits = 9
    DASHED_CONFIDENCE: ClassVar[float] = 0.6
    VOUCHED_CONFIDENCE: ClassVar[float] = 0.9

    @staticmethod
    def valid(digits: str) -> bool:
        raise NotImplementedError

    def scan(self, prepared: Prepared) -> list[Match]:
        return [Match(self.kind, found.start, found.end,
                      self.VOUCHED_CONFIDENCE if found.vouched else self.DASHED_CONFIDENCE,
                      found.digits)
                for found in candidates(prepared) if self.valid(found.digits)]
