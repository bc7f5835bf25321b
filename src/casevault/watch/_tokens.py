"""Keyed tokens: contact attributes enter the analysis engine only as HMAC-SHA256 tokens.

Relationship detectors need only equality (same surname, same address, same phone),
so they compare tokens. The key is drawn afresh for each run and never stored, so a
token means nothing outside the run that made it: the engine's tables (and any
spilled file) hold no clear contact data and no stable pseudonym either.

Normalisation happens before hashing so that writings of one value meet: names are
folded, phones reduced to their last ten digits, e-mails lower-cased, addresses
folded with street words abbreviated; the *near* form of an address drops the unit
(apartment, suite, ...) so that two flats of one building match as neighbours.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

from casevault.domain.names import fold

TOKEN_HEX: Final = 16
"""64-bit tokens: collisions among a few million values are vanishingly rare."""

_STREET_WORDS: Final = {
    "street": "st", "avenue": "ave", "av": "ave", "road": "rd", "boulevard": "blvd",
    "drive": "dr", "lane": "ln", "court": "ct", "place": "pl", "terrace": "ter",
    "highway": "hwy", "parkway": "pkwy", "square": "sq", "north": "n", "south": "s",
    "east": "e", "west": "w",
}
_UNIT: Final = re.compile(r"\b(apt|apartment|unit|suite|ste|fl|floor|rm|room)\b.*$")
_DIGITS: Final = re.compile(r"\D+")


class Tokenizer:
    """HMAC-SHA256 under a per-run key, truncated; ``None`` in gives ``None`` out."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def token(self, kind: str, value: str | None) -> str | None:
        if not value:
            return None
        digest = hmac.new(self._key, f"{kind}\x1f{value}".encode(), hashlib.sha256)
        return digest.hexdigest()[:TOKEN_HEX]

    def surname(self, family_name: str | None) -> str | None:
        return self.token("surname", fold(family_name) if family_name else None)

    def name(self, family_name: str | None, given_name: str | None) -> str | None:
        if not family_name or not given_name:
            return None
        return self.token("name", f"{fold(family_name)}|{fold(given_name)}")

    def phone(self, phone: str | None) -> str | None:
        digits = _DIGITS.sub("", phone or "")
        return self.token("phone", digits[-10:]) if len(digits) >= 7 else None

    def email(self, email: str | None) -> str | None:
        return self.token("email", email.strip().lower() if email and "@" in email else None)

    def address(self, street: str | None, postal: str | None) -> str | None:
        normal = normal_address(street)
        return self.token("address", f"{normal}|{(postal or '')[:5]}") if normal else None

    def near_address(self, street: str | None, postal: str | None) -> str | None:
        normal = _UNIT.sub("", normal_address(street) or "").strip()
        return self.token("near", f"{normal}|{(postal or '')[:5]}") if normal else None

    def text(self, value: str | None) -> str | None:
        """A free-text value (a justification) by its folded form."""
        return self.token("text", fold(value) if value else None)


def normal_address(street: str | None) -> str | None:
    if not street:
        return None
    words = [_STREET_WORDS.get(word, word) for word in fold(street).split()]
    return " ".join(words).replace("#", " ") or None
