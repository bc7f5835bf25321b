"""E-mail addresses: a local part, ``@``, and a domain with a top-level label.

Each ``@`` is found with a substring search and the address matched around it,
so text without ``@`` costs one scan at memory speed. Normal form: lower case
(what the exact data match indexes; mailboxes are case-insensitive in practice).
"""

from __future__ import annotations

import re
from typing import Final

from casevault.shield.detectors._base import Prepared, Recogniser
from casevault.shield.detectors.headers import ColumnRole
from casevault.shield.model import Kind, Match

ADDRESS: Final = re.compile(
    r"(?<![\w.+%\-@])[A-Za-z0-9_](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    r"(?![\w\-@]|\.[A-Za-z0-9])")
_LOCAL_MAX: Final = 64
_DOMAIN_MAX: Final = 255


class EmailDetector(Recogniser):
    """E-mail addresses anywhere; a header only raises the confidence."""

    kind = Kind.EMAIL
    CONFIDENCE: Final = 0.9
    HEADER_CONFIDENCE: Final = 0.95

    def scan(self, prepared: Prepared) -> list[Match]:
        text = prepared.text
        at = text.find("@")
        if at < 0:
            return []
        confidence = self.HEADER_CONFIDENCE if prepared.role is ColumnRole.EMAIL \
            else self.CONFIDENCE
        found: list[Match] = []
        floor = 0
        while at >= 0:
            hit = ADDRESS.search(text, max(floor, at - _LOCAL_MAX),
                                 min(len(text), at + _DOMAIN_MAX))
            if hit is not None and hit.start() <= at < hit.end():
                found.append(Match(self.kind, hit.start(), hit.end(), confidence,
                                   hit[0].lower()))
                floor = hit.end()
            at = text.find("@", max(floor, at + 1))
        return found
