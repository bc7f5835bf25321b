"""US Social Security numbers, with the SSA's validity rules.

Never issued: area 000, 666 or 900-999 (the 9xx range is the ITIN's), group 00,
serial 0000, and the numbers that circulated as examples (the Woolworth wallet
card number, the number printed in a 1938 advertisement, the sequence one to nine;
listed in the table below) or are one digit repeated. Rejecting them keeps sample
forms and test data out of the findings.
"""

from __future__ import annotations

from typing import Final

from casevault.shield.detectors import _taxid
from casevault.shield.model import Kind

KNOWN_INVALID: Final = frozenset({"078051120", "219099999", "123456789"}
                                 | {digit * 9 for digit in "0123456789"})


def is_valid_ssn(digits: str) -> bool:
    """Whether nine digits could be an issued SSN."""
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (area not in {"000", "666"} and area[0] != "9" and group != "00"
            and serial != "0000" and digits not in KNOWN_INVALID)


class SsnDetector(_taxid.TaxIdDetector):
    """SSNs: dashed and valid on their own; spaced or bare only with context or header."""

    kind = Kind.SSN
    valid = staticmethod(is_valid_ssn)
