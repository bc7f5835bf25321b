"""Normal forms of the identifiers exact data match compares, and the keys a record yields.

The detectors put these forms in ``Match.normalized`` and the index hashes the
same forms of the database's values, so a value meets its person only if both
sides normalise it alike: keep every rule here, in one place.

Names are compared as token multisets (sorted folded tokens): the order in which
a document writes a name ("GARCIA LOPEZ, MARIA JOSE", "Maria Jose Garcia Lopez")
carries no information exact data match can rely on, so one order-free key
stands for every order. What a document may leave out (middle names, the second
surname, particles such as "de la") is covered by indexing those shorter forms
too, as ``name_keys`` documents.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final

from casevault.domain.names import fold
from casevault.errors import InvalidValue

PARTICLES: Final = frozenset({
    "de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "di", "du",
    "van", "von", "der", "den", "le", "al", "el", "bin", "ibn",
})
"""Name particles: written by some documents and left out by others."""

_LATIN_LETTERS: Final = str.maketrans({
    "ı": "i", "İ": "I", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
    "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe",
    "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T",
})
"""Letters Unicode does not decompose, which ``fold`` would turn into spaces (Açılay)."""

_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_DIGIT: Final = re.compile(r"[^0-9]")
_EXTENSION: Final = re.compile(r"\s*(?:x|ext\.?|extension)\s*[0-9]{1,6}\s*$", re.IGNORECASE)
_PHONE_TEXT: Final = re.compile(r"\+?[0-9\s().\-/]{7,24}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

_STREET_WORDS: Final = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
    "boulevard": "blvd", "lane": "ln", "court": "ct", "place": "pl", "terrace": "ter",
    "highway": "hwy", "parkway": "pkwy", "circle": "cir", "square": "sq", "mountain": "mtn",
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne", "northwest": "nw",
    "southeast": "se", "southwest": "sw",
}
"""USPS abbreviations: a street is written in full by one form and abbreviated by another."""

UNIT_WORDS: Final = frozenset({"apt", "apartment", "unit", "ste", "suite", "rm", "room"})
"""Words that introduce a unit; dropped, since ``#7A``, ``Apt 7A`` and ``Unit 7A`` agree."""

MIN_ADDRESS_TOKENS: Final = 3
"""The shortest street line looked up: a number, a name and a suffix."""


_NON_ALNUM: Final = re.compile(r"[^0-9a-z]+")


def fold_name(text: str) -> str:
    """``domain.names.fold``, after spelling out the letters it cannot decompose.

    ASCII text takes a shortcut with the same result (no decomposition, no
    accents): most stored values are ASCII, and building the index folds
    millions of them.
    """
    if text.isascii():
        return _NON_ALNUM.sub(" ", text.lower()).strip()
    return fold(text.translate(_LATIN_LETTERS))


def normalize_name(text: str) -> str:
    """A name as folded tokens (lower case, no accents, punctuation as single spaces)."""
    folded = fold_name(text)
    if not folded:
        raise InvalidValue("not a name (no letters or digits)")
    return folded


def normalize_date(value: date | str) -> str:
    """A date in ISO form; detectors turn other writings into a ``date`` first."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = value.strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise InvalidValue("not a calendar date in ISO form (YYYY-MM-DD)")


def normalize_phone(text: str) -> str:
    """``+`` and the digits with the country code: ``(212) 555-0100`` -> ``+12125550100``.

    Ten digits are a North American number (``+1``); ``011``/``00`` are the
    international call prefixes. A number without an area code cannot be told
    from another town's and is refused.
    """
    stripped = _EXTENSION.sub("", text.strip())
    if not _PHONE_TEXT.fullmatch(stripped):
        raise InvalidValue("not a phone number")
    digits = _NOT_DIGIT.sub("", stripped)
    if stripped.startswith("+"):
        international = digits
    elif digits.startswith("011") and len(digits) > 11:
        international = digits[3:]
    elif digits.startswith("00") and len(digits) > 10:
        international = digits[2:]
    elif len(digits) == 10:
        international = "1" + digits
    elif len(digits) == 11 and digits.startswith("1"):
        international = digits
    else:
        raise InvalidValue("not a phone number with its area code")
    if not 8 <= len(international) <= 15:
        raise InvalidValue("not a phone number (8 to 15 digits with the country code)")
    return "+" + international


def normalize_email(text: str) -> str:
    """An e-mail address in lower case, without ``mailto:`` or surrounding blanks."""
    address = text.strip().lower().removeprefix("mailto:")
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise InvalidValue("not an e-mail address")
    return address


def _street_tokens(text: str) -> list[str]:
    return [_STREET_WORDS.get(token, token) for token in fold_name(text).split()]


def normalize_address(text: str) -> str:
    """A street line folded, USPS-abbreviated, unit words dropped (``629 shannon walk 7a``)."""
    kept = [token for token in _street_tokens(text) if token not in UNIT_WORDS]
    if len(kept) < 2:
        raise InvalidValue("not a street address")
    return " ".join(kept)


def address_keys(street: str) -> frozenset[str]:
    """The keys of a filed street line: the whole line, and the building without its unit.

    A document may give the whole line or stop before the apartment; both meet.
    """
    tokens = _street_tokens(street)
    kept = [token for token in tokens if token not in UNIT_WORDS]
    if len(kept) < 2:
        return frozenset()
    unit_at = next((i for i, token in enumerate(tokens) if token in UNIT_WORDS), None)
    if unit_at is None or unit_at < MIN_ADDRESS_TOKENS:
        return frozenset((" ".join(kept),))
    return frozenset((" ".join(kept), " ".join(tokens[:unit_at])))


def address_queries(normalized: str) -> list[str]:
    """What to look up for an address found in a document, most specific first.

    A detector's span may run on into the city, state and ZIP code; the index
    holds street lines, so each shorter prefix (down to three tokens) is tried.
    Street words are abbreviated and unit words dropped again, so a value that
    was only folded still meets its street.
    """
    tokens = [_STREET_WORDS.get(token, token) for token in normalized.split()
              if token not in UNIT_WORDS][:12]
    return [" ".join(tokens[:end]) for end in range(len(tokens), MIN_ADDRESS_TOKENS - 1, -1)]


SHORTENED: Final = "~"
"""Prefix of the key of a shortened name form (never in a folded name): a document
that gives a person's whole name ranks that person above a relative whose name
merely shortens to it (João Cavalcante, father of João Miguel Cavalcante)."""


def name_token_key(tokens: list[str] | tuple[str, ...]) -> str:
    """The order-free key of a name: its tokens sorted and space-joined."""
    return " ".join(sorted(tokens))


def _without_particles(tokens: list[str]) -> list[str] | None:
    plain = [token for token in tokens if token not in PARTICLES]
    return plain if len(plain) >= 2 and len(plain) != len(tokens) else None


def _keys_of(whole: list[str], shortened: list[list[str]]) -> frozenset[str]:
    """The whole form's key, and the shortened forms' keys marked ``SHORTENED``."""
    forms = [*shortened, _without_particles(whole)]
    keys = {SHORTENED + name_token_key(form) for form in forms if form and len(set(form)) >= 2}
    if len(set(whole)) >= 2:
        whole_key = name_token_key(whole)
        keys.discard(SHORTENED + whole_key)
        keys.add(whole_key)
    return frozenset(keys)


def _first_surname(family: list[str]) -> list[str]:
    """The first surname with its particles: ``de la cruz`` of ``de la cruz perez``."""
    for index, token in enumerate(family):
        if token not in PARTICLES:
            return family[: index + 1]
    return family


def name_keys(family_name: str | None, given_name: str | None) -> frozenset[str]:
    """Every name key of a filed (family, given) name; see the module docstring.

    With folded family tokens F (first surname F1, its particles included) and
    given tokens G (first given name G1), the whole-name key is the sorted tokens
    of F+G; the shortened keys those of F+G1 (middle names dropped), F1+G (second
    surname dropped), F1+G1, and of each of the four without particles. A name
    with fewer than two distinct tokens yields no key: one word names too many.
    """
    return name_keys_of_tokens(fold_name(family_name).split() if family_name else [],
                               fold_name(given_name).split() if given_name else [])


def name_keys_of_tokens(family: list[str], given: list[str]) -> frozenset[str]:
    """``name_keys`` of names already folded and split."""
    if not family or not given:
        return _keys_of(family + given, [])
    first = _first_surname(family)
    shortened = [family + given[:1], first + given, first + given[:1]]
    shortened += [plain for form in shortened if (plain := _without_particles(form))]
    return _keys_of(family + given, shortened)


def alias_keys(alias: str) -> frozenset[str]:
    """The keys of another name a person is filed under: whole, and without particles."""
    return _keys_of(fold_name(alias).split(), [])


def name_queries(normalized: str) -> list[tuple[str, bool]]:
    """What to look up for a name in a document: (key, whether it is already shortened).

    The name as written first, then without its particles.
    """
    tokens = normalized.split()
    keys = [(name_token_key(tokens), False)] if len(set(tokens)) >= 2 else []
    plain = _without_particles(tokens)
    if plain is not None:
        keys.append((name_token_key(plain), True))
    return keys
