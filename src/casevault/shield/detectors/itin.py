"""US Individual Taxpayer Identification Numbers (ITINs).

An ITIN is SSN-shaped with area 9xx and a group in 50-65, 70-88, 90-92 or
94-99 (IRS). Many people without an SSN hold one, and forms ask for it in the
SSN box, so SSN context words and headers vouch for ITINs too.
"""

from __future__ import annotations

from typing import Final

from casevault.shield.detectors import _taxid
from casevault.shield.model import Kind

_GROUPS: Final = frozenset(range(50, 66)) | frozenset(range(70, 89)) \
    | frozenset(range(90, 93)) | frozenset(range(94, 100))


def is_valid_itin(digits: str) -> bool:
    """Whether nine digits have the ITIN's area and group."""
    return digits[0] == "9" and int(digits[3:5]) in _GROUPS


class ItinDetector(_taxid.TaxIdDetector):
    """ITINs: dashed and valid on their own; spaced or bare only with context or header."""

    kind = Kind.ITIN
    valid = staticmethod(is_valid_itin)
