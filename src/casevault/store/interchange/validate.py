"""Checking and normalising one interchange value, by column kind.

Each converter takes the text of a cell (already stripped, never empty) and
returns the canonical text the database stores, or raises ``Problem`` with a
message that describes what was expected. Messages never repeat the value: it
may be personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Final

import pycountry

from casevault.domain.anumber import ALL_ZERO, normalize_a_number
from casevault.domain.vocab import is_country_code, is_language_code
from casevault.errors import InvalidValue
from casevault.store.interchange.spec import LIST_SEPARATOR, ColumnSpec, Kind
from casevault.store.rows import instant_for_sqlite

MAX_TEXT: Final = 500

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,39}")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,15}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_POSTAL = re.compile(r"[0-9]{5}(-[0-9]{4})?")
_PHONE_CHARS = re.compile(r"[0-9+()\-. x]{7,32}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}\.)+[A-Za-z]{2,63}")
_PATH = re.compile(r"[A-Za-z0-9._\-]+(?:/[A-Za-z0-9._\-]+)*")
_LINE_BREAK = re.compile(r"[\r\n\x00]")
_MILITARY_STATES: Final = frozenset({"AA", "AE", "AP"})

Converter = Callable[[str], str]


class Problem(Exception):
    """A value that does not fit its column; the message says what was expected."""


@cache
def _us_states() -> frozenset[str]:
    subdivisions = pycountry.subdivisions.get(country_code="US")  # type: ignore[no-untyped-call]
    codes = {sub.code.split("-", 1)[1] for sub in subdivisions}
    return frozenset(codes | _MILITARY_STATES)


def _identifier(text: str) -> str:
    if not _ID.fullmatch(text):
        msg = "not an id (1-40 letters, digits, '.', '_', ':' or '-', no spaces)"
        raise Problem(msg)
    return text


def _code(text: str) -> str:
    if not _CODE.fullmatch(text):
        msg = "not a code (1-16 letters, digits, '_' or '-')"
        raise Problem(msg)
    return text.upper()


def _free_text(text: str) -> str:
    if len(text) > MAX_TEXT:
        msg = f"longer than {MAX_TEXT} characters"
        raise Problem(msg)
    if _LINE_BREAK.search(text):
        msg = "contains a line break or NUL character"
        raise Problem(msg)
    return text


def _names(text: str) -> str:
    names = [_free_text(name.strip()) for name in text.split(LIST_SEPARATOR)]
    return LIST_SEPARATOR.join(name for name in names if name)


def parse_date(text: str) -> date:
    if not _DATE.fullmatch(text):
        msg = "not a date (expected YYYY-MM-DD)"
        raise Problem(msg)
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = "not a real calendar date (expected YYYY-MM-DD)"
        raise Problem(msg) from None


def _date(text: str) -> str:
    parse_date(text)
    return text


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date-time in UTC; a time without an offset is taken as UTC."""
    if "T" not in text and " " not in text:
        msg = "not a date-time (expected ISO 8601, e.g. 2026-03-04T09:30:00Z)"
        raise Problem(msg)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = "not a date-time (expected ISO 8601, e.g. 2026-03-04T09:30:00Z)"
        raise Problem(msg) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _instant(text: str) -> str:
    return instant_for_sqlite(parse_instant(text))


def _a_number(text: str) -> str:
    try:
        return normalize_a_number(text)
    except InvalidValue as exc:
        raise Problem(str(exc)) from None


def _country(text: str) -> str:
    code = text.upper()
    if not is_country_code(code):
        msg = "not an ISO 3166-1 alpha-2 country code (e.g. MX, GT)"
        raise Problem(msg)
    return code


def _language(text: str) -> str:
    code = text.lower()
    if not is_language_code(code):
        msg = "not an ISO 639-3 language code (e.g. spa, mam)"
        raise Problem(msg)
    return code


def _state(text: str) -> str:
    code = text.upper()
    if code not in _us_states():
        msg = "not a US state or territory postal code (e.g. CA, TX, PR)"
        raise Problem(msg)
    return code


def _postal(text: str) -> str:
    if not _POSTAL.fullmatch(text):
        msg = "not a US ZIP code (expected 5 digits or ZIP+4)"
        raise Problem(msg)
    return text


def _phone(text: str) -> str:
    digits = sum(ch.isdigit() for ch in text)
    if not _PHONE_CHARS.fullmatch(text) or not 7 <= digits <= 15:
        msg = "not a phone number (7-15 digits with optional + ( ) - . spaces)"
        raise Problem(msg)
    return text


def _email(text: str) -> str:
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        msg = "not an e-mail address"
        raise Problem(msg)
    return text


def _path(text: str) -> str:
    if not _PATH.fullmatch(text) or any(part in ("", ".", "..") for part in text.split("/")):
        msg = "not a relative path inside the folder (letters, digits, . _ - and /; no ..)"
        raise Problem(msg)
    return text


def _enum_converter(column: ColumnSpec) -> Converter:
    assert column.vocabulary is not None  # noqa: S101 -- spec invariant for ENUM columns
    allowed = frozenset(member.value for member in column.vocabulary)
    listing = ", ".join(sorted(allowed))

    def convert(text: str) -> str:
        if text not in allowed:
            msg = f"not one of: {listing}"
            raise Problem(msg)
        return text

    return convert


_BY_KIND: Final[dict[Kind, Converter]] = {
    Kind.ID: _identifier, Kind.CODE: _code, Kind.TEXT: _free_text, Kind.NAMES: _names,
    Kind.DATE: _date, Kind.INSTANT: _instant, Kind.A_NUMBER: _a_number,
    Kind.COUNTRY: _country, Kind.LANGUAGE: _language, Kind.STATE: _state,
    Kind.POSTAL: _postal, Kind.PHONE: _phone, Kind.EMAIL: _email, Kind.PATH: _path,
}


def converter_for(column: ColumnSpec) -> Converter:
    if column.kind is Kind.ENUM:
        return _enum_converter(column)
    return _BY_KIND[column.kind]


# --- Whole-column checks -----------------------------------------------------------------
#
# Importing millions of rows one Python call per cell is too slow, so a batch of rows is
# first checked column by column with one regular expression over the joined column, or
# one set comparison. A column that passes is converted in bulk; a column with any doubt
# returns None and the importer re-checks its rows one by one, which is where problems
# get their line and column. Both paths accept and produce exactly the same values.

BulkConverter = Callable[[list[str]], list[str] | None]

_ID_MANY = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._:\-]{0,39}\n)*[A-Za-z0-9][A-Za-z0-9._:\-]{0,39}")
_CODE_MANY = re.compile(r"(?:[A-Z0-9][A-Z0-9_\-]{0,15}\n)*[A-Z0-9][A-Z0-9_\-]{0,15}")
_DAY = r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_DATE_MANY = re.compile(rf"(?:{_DAY}\n)*{_DAY}")
_UTC_SECOND = rf"{_DAY}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
_INSTANT_MANY = re.compile(rf"(?:{_UTC_SECOND}\n)*{_UTC_SECOND}")
_A_NUMBER_MANY = re.compile(r"(?:A[0-9]{9}\n)*A[0-9]{9}")
_POSTAL_MANY = re.compile(r"(?:[0-9]{5}(?:-[0-9]{4})?\n)*[0-9]{5}(?:-[0-9]{4})?")


def _joined_check(pattern: re.Pattern[str]) -> BulkConverter:
    def check(texts: list[str]) -> list[str] | None:
        return texts if pattern.fullmatch("\n".join(texts)) else None

    return check


BLANKS: Final = " \t"
"""What the importer strips around a cell (and nothing else: both paths agree)."""


def has_edge_blanks(texts: list[str]) -> bool:
    """Whether any text starts or ends with a blank: plain substring searches, no regex."""
    joined = "\n".join(texts)
    return (" \n" in joined or "\n " in joined or "\t\n" in joined or "\n\t" in joined
            or joined[:1] in (" ", "\t") or joined[-1:] in (" ", "\t"))


def _bulk_text(texts: list[str]) -> list[str] | None:
    joined = "".join(texts)
    if max(map(len, texts)) > MAX_TEXT or "\n" in joined or "\r" in joined or "\0" in joined:
        return None
    if has_edge_blanks(texts):
        return None
    return texts


def _days_exist(texts: list[str]) -> bool:
    """Days 29-31 pass the pattern in every month; only those need the calendar."""
    try:
        for text in texts:
            if text[8:10] > "28":
                date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def _bulk_date(texts: list[str]) -> list[str] | None:
    return texts if _DATE_MANY.fullmatch("\n".join(texts)) and _days_exist(texts) else None


def _bulk_instant(texts: list[str]) -> list[str] | None:
    """The interchange writing (``2026-03-04T09:30:00Z``) converts by slicing."""
    if not _INSTANT_MANY.fullmatch("\n".join(texts)) or not _days_exist(texts):
        return None
    return [f"{text[:10]} {text[11:19]}.000000" for text in texts]


def _bulk_a_number(texts: list[str]) -> list[str] | None:
    if _A_NUMBER_MANY.fullmatch("\n".join(texts)) and ALL_ZERO not in texts:
        return texts
    return None


def _member_check(allowed: Callable[[], frozenset[str]]) -> BulkConverter:
    def check(texts: list[str]) -> list[str] | None:
        return texts if allowed().issuperset(texts) else None

    return check


def _per_value(convert: Converter) -> BulkConverter:
    def check(texts: list[str]) -> list[str] | None:
        try:
            converted = [convert(text) for text in texts]
        except Problem:
            return None
        if has_edge_blanks(texts):
            return None
        return converted

    return check


@cache
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def _languages() -> frozenset[str]:
    return frozenset(language.alpha_3 for language in pycountry.languages)


_BULK_BY_KIND: Final[dict[Kind, BulkConverter]] = {
    Kind.ID: _joined_check(_ID_MANY), Kind.CODE: _joined_check(_CODE_MANY),
    Kind.TEXT: _bulk_text, Kind.NAMES: _per_value(_names), Kind.DATE: _bulk_date,
    Kind.INSTANT: _bulk_instant, Kind.A_NUMBER: _bulk_a_number,
    Kind.COUNTRY: _member_check(_countries), Kind.LANGUAGE: _member_check(_languages),
    Kind.STATE: _member_check(_us_states), Kind.POSTAL: _joined_check(_POSTAL_MANY),
    Kind.PHONE: _per_value(_phone), Kind.EMAIL: _per_value(_email), Kind.PATH: _per_value(_path),
}


def bulk_converter_for(column: ColumnSpec) -> BulkConverter:
    """A whole-column check for ``column``: converted texts, or None when any is doubtful."""
    if column.kind is Kind.ENUM:
        assert column.vocabulary is not None  # noqa: S101 -- spec invariant for ENUM columns
        allowed = frozenset(member.value for member in column.vocabulary)
        return _member_check(lambda: allowed)
    return _BULK_BY_KIND[column.kind]
