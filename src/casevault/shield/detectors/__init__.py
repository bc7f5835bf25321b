"""Detectors: small recognisers of personal data in one text (a cell or running text).

Each detector is one class with a ``kind`` and ``find(text, *, header=None,
context="") -> list[Match]``. ``header`` is the column header when ``text`` is a
table cell; ``context`` is nearby text the caller has (the previous line, the
label cell to the left). Spans index into ``text``; ``normalized`` is the
value as the exact data match indexes it (``A`` + nine digits, ISO dates,
``+1`` and ten digits, lower-case e-mail, folded names). Numbers that could be
anything (nine bare digits, a date) count only with a context word or header;
self-evident writings (``A`` + nine digits, ``NNN-NN-NNNN``) count alone, with lower
confidence than with evidence.

``Detectors`` runs them all over one text; ``find_all`` does so with the
default set.
"""

from casevault.shield.detectors._base import Detector
from casevault.shield.detectors.address import AddressDetector
from casevault.shield.detectors.anumber import ANumberDetector
from casevault.shield.detectors.dob import DateOfBirthDetector
from casevault.shield.detectors.email import EmailDetector
from casevault.shield.detectors.headers import (
    NAME_ROLES,
    QUASI_IDENTIFIER_ROLES,
    ROLE_KIND,
    ColumnRole,
    header_key,
    header_role,
)
from casevault.shield.detectors.itin import ItinDetector, is_valid_itin
from casevault.shield.detectors.names import NameDetector
from casevault.shield.detectors.passport import PassportDetector
from casevault.shield.detectors.phone import PhoneDetector
from casevault.shield.detectors.registry import Detectors, default_detectors, find_all
from casevault.shield.detectors.ssn import SsnDetector, is_valid_ssn

__all__ = [
    "NAME_ROLES",
    "QUASI_IDENTIFIER_ROLES",
    "ROLE_KIND",
    "ANumberDetector",
    "AddressDetector",
    "ColumnRole",
    "DateOfBirthDetector",
    "Detector",
    "Detectors",
    "EmailDetector",
    "ItinDetector",
    "NameDetector",
    "PassportDetector",
    "PhoneDetector",
    "SsnDetector",
    "default_detectors",
    "find_all",
    "header_key",
    "header_role",
    "is_valid_itin",
    "is_valid_ssn",
]
