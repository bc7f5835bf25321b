"""Alien registration numbers (A-numbers).

The canonical writing is ``A`` followed by nine digits. People and legacy systems
write them many other ways: ``A-NNN-NNN-NNN``, ``A NNNNNNNNN``, ``A#NNNNNNNNN``,
``123456789``, and the eight-digit legacy form, which is the same number with a
leading zero. Every reader of A-numbers goes through ``normalize_a_number``.
"""

from __future__ import annotations

import re
from typing import Final

from casevault.errors import InvalidValue

_SEPARATORS: Final = re.compile(r"[\s\-.]")
_PREFIX: Final = re.compile(r"^A\s*[#:]?\s*", re.IGNORECASE)
_DIGITS: Final = re.compile(r"[0-9]{8,9}")
_CANONICAL: Final = re.compile(r"A[0-9]{9}")
ALL_ZERO: Final = "A" + "0" * 9
"""Never issued: the all-zero number is refused in every writing."""


def normalize_a_number(text: str) -> str:
    """The canonical ``A#########`` form of an A-number, or ``InvalidValue``.

    The message never repeats the input: an A-number is personal data.
    """
    if _CANONICAL.fullmatch(text) and text != ALL_ZERO:
        return text
    digits = _SEPARATORS.sub("", _PREFIX.sub("", text.strip(), count=1))
    if not _DIGITS.fullmatch(digits):
        msg = "not an A-number (expected A followed by 8 or 9 digits, as in A-NNN-NNN-NNN)"
        raise InvalidValue(msg)
    digits = digits.zfill(9)
    if digits == "000000000":
        msg = "not an A-number (all digits are zero)"
        raise InvalidValue(msg)
    return "A" + digits


def is_a_number(text: str) -> bool:
    """Whether ``text`` is an A-number in any accepted writing."""
    try:
        normalize_a_number(text)
    except InvalidValue:
        return False
    return True


def format_a_number(canonical: str) -> str:
    """The grouped display form ``A-NNN-NNN-NNN`` of a canonical A-number."""
    digits = canonical[1:]
    return f"A-{digits[0:3]}-{digits[3:6]}-{digits[6:9]}"
