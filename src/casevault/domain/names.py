"""Normalised personal names, for look-ups that survive case, accents and order.

Staff type ``PEREZ, JOSE`` for a person filed as ``José Pérez``; the store keys
its name index on ``name_key`` so both find the same person. The same
normalisation is what exact data match in the leak shield builds on.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_NON_ALNUM: Final = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation collapsed to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped.casefold().replace("ß", "ss")).strip()


def name_key(family_name: str | None, given_name: str | None) -> str | None:
    """The indexed form of a name: folded ``family given``; None for anonymous persons."""
    parts = [fold(part) for part in (family_name, given_name) if part]
    key = " ".join(part for part in parts if part)
    return key or None
