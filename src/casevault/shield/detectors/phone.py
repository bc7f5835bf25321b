"""Telephone numbers: North American (NANP) and ``+``-prefixed international.

Regular expressions rather than the ``phonenumbers`` library: its matcher tries
every country's rules at every position, which is what makes general PII tools
slow; the people in casevault's data have US numbers or write the country code.
NANP rules: area code and exchange start with 2-9 and are not N11 service codes.
A formatted number (``(202) 555-0143``, ``202-555-0143``, ``+1 202 555 0143``)
is evidence by itself; ten bare digits need a context word or a phone header.
Normal form: ``+1`` and ten digits, or ``+`` and the international digits.
"""

from __future__ import annotations

import re
from typing import Final

from casevault.shield.detectors._base import ContextWords, Prepared, Recogniser, digits_of
from casevault.shield.detectors.headers import ColumnRole
from casevault.shield.model import Kind, Match

_AREA: Final = r"(?:\([2-9][0-9]{2}\)|[2-9][0-9]{2})"
NANP: Final = re.compile(
    r"[(+0-9](?<![\w+\-./][(+0-9])"   # the first character, then what may not stand before it
    r"(?:(?<=\+)1[ .\-]?" + _AREA + r"|(?<=1)[ .\-]?" + _AREA
    + r"|(?<=\()[2-9][0-9]{2}\)|(?<=[2-9])[0-9]{2})"
    r"[ .\-]?[2-9][0-9]{2}[ .\-]?[0-9]{4}(?![\w]|[\-./][0-9])")
INTERNATIONAL: Final = re.compile(
    r"\+(?<![\w+]\+)(?!1)[1-9][0-9]{0,2}(?:[ .\-]?\(?[0-9]{1,4}\)?){2,6}(?![\w]|[\-.][0-9])")

CONTEXT: Final = ContextWords(
    r"phone|telephone|tel\.?|cell(?:ular)?|mobile|fax|call|whatsapp|"
    r"tel[eé]fono|celular|m[oó]vil|llamar",
    ("phone", "tel", "cel", "mobile", "vil", "fax", "call", "whatsapp", "llamar"),
    # Short stems on purpose: each literal costs a pass over the text, each occurrence
    # only a small search ("tel" covers tel., teléfono; "cel" cell and celular).
)
_SERVICE: Final = frozenset(f"{digit}11" for digit in "23456789")
_E164_MIN, _E164_MAX = 8, 15


class PhoneDetector(Recogniser):
    """NANP and international numbers; bare ten digits only with context or header."""

    kind = Kind.PHONE
    min_digits = 8
    FORMATTED_CONFIDENCE: Final = 0.7
    VOUCHED_CONFIDENCE: Final = 0.9

    def scan(self, prepared: Prepared) -> list[Match]:
        if not prepared.has_digit:
            return []
        found = self._nanp(prepared)
        if "+" in prepared.text:
            found.extend(self._international(prepared))
        return found

    def _vouched(self, prepared: Prepared, start: int, end: int) -> bool:
        return prepared.role is ColumnRole.PHONE or CONTEXT.vouches(prepared, start, end)

    def _nanp(self, prepared: Prepared) -> list[Match]:
        found = []
        for hit in NANP.finditer(prepared.text):
            digits = digits_of(hit[0])[-10:]
            if digits[:3] in _SERVICE or digits[3:6] in _SERVICE:
                continue
            formatted = not hit[0].isdigit()
            vouched = self._vouched(prepared, hit.start(), hit.end())
            if not (formatted or vouched):
                continue
            confidence = self.VOUCHED_CONFIDENCE if vouched else self.FORMATTED_CONFIDENCE
            found.append(Match(self.kind, hit.start(), hit.end(), confidence, "+1" + digits))
        return found

    def _international(self, prepared: Prepared) -> list[Match]:
        found = []
        for hit in INTERNATIONAL.finditer(prepared.text):
            digits = digits_of(hit[0])
            if not _E164_MIN <= len(digits) <= _E164_MAX:
                continue
            vouched = self._vouched(prepared, hit.start(), hit.end())
            confidence = self.VOUCHED_CONFIDENCE if vouched else self.FORMATTED_CONFIDENCE
            found.append(Match(self.kind, hit.start(), hit.end(), confidence, "+" + digits))
        return found
