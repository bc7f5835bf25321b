"""Turning the release's text fields into casevault's canonical values.

Dates come SQL-Server style (``2019-03-04 00:00:00.000``) or date-only; the
time part of a date column is always midnight and is dropped. A date that does
not exist (``2019-02-30``, ``0000-00-00``) or lies outside 1900-2100 (SQL
Server's sentinel ``9999-12-31``) is bad data, not a date. EOIR's codes map onto
casevault's closed vocabularies through the tables below; a code outside them is
counted by the caller.

Ids (IDNCASE, IDNSCHEDULE, ...) are decimal numbers in every release; an id that
is not one is treated as malformed, which also lets the importer keep sets of
seen ids compactly.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from functools import cache, lru_cache
from typing import Final

import pycountry

from casevault.domain.vocab import (
    ApplicationKind,
    CaseType,
    Custody,
    Decision,
    HearingType,
    Sex,
)

_DATE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)?"
)
_PARTIAL_DATE: Final = re.compile(r"\d{4}(?:-\d{2})?")
_TIME: Final = re.compile(r"(\d{1,2}):?(\d{2})(?::\d{2})?\s*([AaPp][Mm])?")
_ID_DIGITS: Final = 18
_ZIP: Final = re.compile(r"(\d{5})(?:-?\d{4})?")
_COURT_CODE: Final = re.compile(r"[A-Z0-9_-]{1,16}")
FIRST_YEAR: Final = 1900
LAST_YEAR: Final = 2100


class BadValue(ValueError):
    """A field holds text that is not a value of its kind."""


@lru_cache(maxsize=1 << 16)
def parse_date(text: str) -> str | None:
    """``YYYY-MM-DD`` for a real date, None for blank; ``BadValue`` otherwise.

    Cached: a release has tens of millions of dates but only some tens of thousands
    of distinct ones.
    """
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        raise BadValue
    year, month, day = (int(part) for part in match.groups())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadValue
    try:
        return date(year, month, day).isoformat()
    except ValueError as exc:
        raise BadValue from exc


def is_partial_date(text: str) -> bool:
    """A year or year-month alone: too coarse for a date of birth, but not an error."""
    return _PARTIAL_DATE.fullmatch(text) is not None


@lru_cache(maxsize=1 << 12)
def parse_time(text: str) -> str | None:
    """``HH:MM:SS.000000`` from ``0900``, ``09:00``, ``9:00 AM``; None for blank."""
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        raise BadValue
    hour, minute, meridiem = int(match[1]), int(match[2]), (match[3] or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            raise BadValue
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    if hour > 23 or minute > 59:
        raise BadValue
    return f"{hour:02d}:{minute:02d}:00.000000"


def parse_id(text: str) -> int | None:
    """The numeric id, or None when it is blank or not a number."""
    if text.isascii() and text.isdigit() and len(text) <= _ID_DIGITS:
        return int(text)
    return None


def court_code(text: str) -> str | None:
    """A base-city or hearing-location code fit for ``courts.court_code``."""
    code = text.upper()
    return sys.intern(code) if _COURT_CODE.fullmatch(code) else None


@cache
def _us_states() -> frozenset[str]:
    return frozenset(
        subdivision.code.removeprefix("US-")
        for subdivision in pycountry.subdivisions
        if subdivision.country_code == "US"
    )


def us_state(text: str) -> str | None:
    """A US state or territory postal code; ``BadValue`` for anything else but blank."""
    if not text:
        return None
    if text.upper() not in _us_states():
        raise BadValue
    return text.upper()


def zip5(text: str) -> str | None:
    """The five-digit ZIP code (of a ZIP+4 too); ``BadValue`` for anything else but blank."""
    if not text:
        return None
    match = _ZIP.fullmatch(text)
    if match is None:
        raise BadValue
    return match[1]


def sex(text: str) -> Sex:
    """GENDER is M or F when known; everything else is unknown, not an error."""
    return {"M": Sex.M, "F": Sex.F}.get(text.upper(), Sex.U)


CASE_TYPES: Final[dict[str, CaseType]] = {
    "RMV": CaseType.REMOVAL,
    "CFR": CaseType.CREDIBLE_FEAR_REVIEW,
    "RFR": CaseType.REASONABLE_FEAR_REVIEW,
    "AOC": CaseType.ASYLUM_ONLY,
    "WHO": CaseType.WITHHOLDING_ONLY,
    "BOND": CaseType.BOND,
    "BND": CaseType.BOND,
    "RSC": CaseType.RESCISSION,
}
"""EOIR CASE_TYPE codes; any other code (DEP, EXC, NAC, ...) loads as removal and is counted."""

CUSTODY: Final[dict[str, Custody]] = {
    "D": Custody.DETAINED,
    "R": Custody.RELEASED,
    "N": Custody.NEVER_DETAINED,
}

HEARING_TYPES: Final[dict[str, HearingType]] = {
    "I": HearingType.INDIVIDUAL,
    "M": HearingType.MASTER,
}

APPLICATION_KINDS: Final[dict[str, ApplicationKind]] = {
    "ASYL": ApplicationKind.ASYLUM,
    "ASYW": ApplicationKind.ASYLUM,
    "WCAT": ApplicationKind.WITHHOLDING,
    "CAT": ApplicationKind.CAT,
    "42A": ApplicationKind.CANCELLATION,
    "42B": ApplicationKind.CANCELLATION,
    "AOS": ApplicationKind.ADJUSTMENT,
    "245": ApplicationKind.ADJUSTMENT,
    "ADJ": ApplicationKind.ADJUSTMENT,
    "VD": ApplicationKind.VOLUNTARY_DEPARTURE,
    "VDP": ApplicationKind.VOLUNTARY_DEPARTURE,
    "BOND": ApplicationKind.BOND,
}
"""EOIR APPL_CODE values; ASYW (asylum with withholding) is asylum, the stronger claim."""

DECISIONS: Final[dict[str, Decision]] = {
    "G": Decision.GRANTED,
    "D": Decision.DENIED,
    "W": Decision.WITHDRAWN,
    "A": Decision.ABANDONED,
}
