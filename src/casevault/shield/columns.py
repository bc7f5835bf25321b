"""Tabular inference: what each column of a table holds, from its header and a sample of values.

A leaked sheet is recognised as a whole before any single cell is conclusive:
under ``LAST``, ``FIRST``, ``DOB``, ``A#`` a surname, a given name, a date and
nine digits are a person; the same values under ``court``, ``cases`` are not.
Headers are read with the detectors' vocabulary (``detectors.headers``); values
are tested for the share that looks like each role: detector matches covering
the whole cell, dates spread like birth dates, ISO country and language names
and codes, sex codes, facility words, and for names a dictionary-free shape
(one to four capitalised alphabetic words, no digits, varied from row to row).
The re-identification step asks which columns are quasi-identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from statistics import median
from typing import Final, Literal

import pycountry

from casevault.domain.names import fold
from casevault.shield.detectors import (
    NAME_ROLES,
    QUASI_IDENTIFIER_ROLES,
    ROLE_KIND,
    AddressDetector,
    ANumberDetector,
    ColumnRole,
    EmailDetector,
    ItinDetector,
    PhoneDetector,
    SsnDetector,
    header_key,
    header_role,
)
from casevault.shield.detectors._dates import compact_date, dates_in
from casevault.shield.model import Kind, Match

Source = Literal["header", "values", "both"]

IDENTIFYING_KINDS: Final = frozenset({
    Kind.A_NUMBER, Kind.SSN, Kind.ITIN, Kind.PASSPORT, Kind.PHONE, Kind.EMAIL, Kind.ADDRESS,
    Kind.PERSON_NAME, Kind.FAMILY_NAME, Kind.GIVEN_NAME,
})
"""Direct identifiers: kinds that point at a person by themselves. A birth date, a
nationality or a facility does so only in combination (EOIR publishes birth dates
without names), which is the re-identification risk step's question."""

SAMPLE_ROWS: Final = 500
"""Rows of the sample examined; more add time, not certainty."""
MIN_VALUES: Final = 3
"""Fewer non-empty values than this say nothing about a column."""


@dataclass(frozen=True, slots=True)
class ColumnGuess:
    """What one column holds, how sure, and whether the header, the values or both said so.

    ``kind`` is the scan report kind (None for columns that are not reported on
    their own, such as sex or city, and for unrecognised columns); ``role`` is
    the finer classification, None only when nothing was recognised (then
    ``confidence`` is 0 and ``source`` is "values": the values were examined).
    """

    index: int
    header: str
    kind: Kind | None
    confidence: float
    source: Source
    role: ColumnRole | None = None

    @property
    def quasi_identifier(self) -> bool:
        """Birth date or year, sex, nationality, language, city/ZIP, facility, entry or
        booking date: not identifying alone, re-identifying together."""
        return self.role in QUASI_IDENTIFIER_ROLES

    @property
    def identifying(self) -> bool:
        """Whether the column alone points at people (a name, an A-number, a phone…)."""
        return self.kind in IDENTIFYING_KINDS


def infer_columns(headers: Sequence[str], sample: Sequence[Sequence[str]], *,
                  today: date | None = None) -> list[ColumnGuess]:
    """One guess per column, in column order; ``today`` fixes the clock for birth dates."""
    rows = sample[:SAMPLE_ROWS]
    width = max([len(headers), *(len(row) for row in rows)], default=0)
    clock = today or datetime.now(UTC).date()
    guesses = []
    for index in range(width):
        header = headers[index] if index < len(headers) else ""
        values = [_cell(row, index) for row in rows]
        guesses.append(_guess(index, header, [v for v in values if v], clock))
    return _with_siblings(guesses)


def quasi_identifiers(guesses: Sequence[ColumnGuess]) -> list[ColumnGuess]:
    """The columns the re-identification risk step groups rows by."""
    return [guess for guess in guesses if guess.quasi_identifier]


def identifying_columns(guesses: Sequence[ColumnGuess]) -> list[ColumnGuess]:
    """The columns that point at people by themselves."""
    return [guess for guess in guesses if guess.identifying]


def matchable_columns(guesses: Sequence[ColumnGuess]) -> list[ColumnGuess]:
    """Columns whose whole cells are values the exact data match looks up: the direct
    identifiers and the birth date (a quasi-identifier that confirms a name)."""
    return [guess for guess in guesses
            if guess.identifying or guess.kind is Kind.DATE_OF_BIRTH]


def _cell(row: Sequence[str], index: int) -> str:
    value = row[index] if index < len(row) else ""
    return value.strip() if isinstance(value, str) else ""


# --- one column --------------------------------------------------------------------------

_HEADER_CONFIDENCE: Final = 0.9
_LOOSE_HEADER_CONFIDENCE: Final = 0.75
_LOOSE_HEADERS: Final = frozenset({"last", "first", "name", "names", "nombre", "given",
                                   "middle", "tel", "cell", "nat", "lang", "zip", "city",
                                   "street", "mobile", "book", "booking"})
"""Header words that often mean something else ("first" hearing, "last" update)."""
_CONTRADICTED: Final = 0.6
"""Factor on a header's confidence when the values clearly are not what it says."""


def _guess(index: int, header: str, values: list[str], today: date) -> ColumnGuess:
    role = header_role(header)
    if role is not None:
        return _from_header(index, header, role, values, today)
    found = _from_values(header, values, today)
    if found is None:
        return ColumnGuess(index, header, None, 0.0, "values")
    found_role, share = found
    return ColumnGuess(index, header, ROLE_KIND.get(found_role), _value_confidence(share),
                       "values", found_role)


def _from_header(index: int, header: str, role: ColumnRole, values: list[str],
                 today: date) -> ColumnGuess:
    base = _LOOSE_HEADER_CONFIDENCE if header_key(header) in _LOOSE_HEADERS \
        else _HEADER_CONFIDENCE
    test = _TESTS.get(role)
    if test is None or len(values) < MIN_VALUES:
        return ColumnGuess(index, header, ROLE_KIND.get(role), base, "header", role)
    share = test(values, today)
    if share >= _THRESHOLDS.get(role, _THRESHOLD):
        confidence = 1 - (1 - base) * (1 - _value_confidence(share))
        return ColumnGuess(index, header, ROLE_KIND.get(role), round(confidence, 3), "both", role)
    if share < 0.2 and role not in NAME_ROLES:
        base *= _CONTRADICTED
    return ColumnGuess(index, header, ROLE_KIND.get(role), round(base, 3), "header", role)


def _from_values(header: str, values: list[str],
                 today: date) -> tuple[ColumnRole, float] | None:
    """The first role whose value test the column passes, with its share."""
    if len(values) < MIN_VALUES:
        return None
    words = _header_words(header)
    names_allowed = not words & _NOT_PERSON_HEADER_WORDS
    categories_allowed = not words & _CODE_HEADER_WORDS
    for role in _VALUE_ORDER:
        if (role in NAME_ROLES and not names_allowed) \
                or (role in _CATEGORY_ROLES and not categories_allowed):
            continue
        share = _TESTS[role](values, today)
        if share >= _THRESHOLDS.get(role, _THRESHOLD):
            return role, share
    return None


def _value_confidence(share: float) -> float:
    """Values alone are weaker evidence than a header: at most 0.8."""
    return round(0.5 + 0.3 * share, 3)


def _with_siblings(guesses: list[ColumnGuess]) -> list[ColumnGuess]:
    """Name columns vouch for each other: ``LAST`` beside ``FIRST`` is surely a surname; a
    ``Nombre`` beside ``Apellido`` is the given name."""
    roles = {guess.role for guess in guesses}
    family, given = ColumnRole.FAMILY_NAME in roles, ColumnRole.GIVEN_NAME in roles
    result = []
    for guess in guesses:
        refined = guess
        if guess.source != "values" and guess.role in NAME_ROLES and family and given:
            refined = _replace(guess, confidence=max(guess.confidence, _HEADER_CONFIDENCE))
        elif guess.role is ColumnRole.FULL_NAME and family and not given \
                and header_key(guess.header) in {"name", "nombre", "names"}:
            refined = _replace(guess, role=ColumnRole.GIVEN_NAME)
        result.append(refined)
    return result


def _replace(guess: ColumnGuess, *, confidence: float | None = None,
             role: ColumnRole | None = None) -> ColumnGuess:
    new_role = role or guess.role
    return ColumnGuess(guess.index, guess.header, ROLE_KIND.get(new_role) if new_role else None,
                       guess.confidence if confidence is None else confidence, guess.source,
                       new_role)


# --- value tests: the share of values that look like a role ------------------------------

_THRESHOLD: Final = 0.8
_THRESHOLDS: Final[dict[ColumnRole, float]] = {ColumnRole.SEX: 0.9, ColumnRole.FACILITY: 0.6}


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for value in values if test(value)) / len(values) if values else 0.0


def _whole(found: list[Match], value: str) -> bool:
    """Whether a match covers the whole value (the cell *is* the identifier)."""
    return any(match.start == 0 and match.end == len(value) for match in found)


_A_NUMBER: Final = ANumberDetector()
_SSN: Final = SsnDetector()
_ITIN: Final = ItinDetector()
_PHONE: Final = PhoneDetector()
_EMAIL: Final = EmailDetector()
_ADDRESS: Final = AddressDetector()


def _a_numbers(values: list[str], _today: date) -> float:
    """Prefixed writings count fully; bare eight or nine digits half (they may be anything)."""
    def score(value: str) -> float:
        if _whole(_A_NUMBER.find(value), value):
            return 1.0
        return 0.5 if _whole(_A_NUMBER.find(value, header="A#"), value) else 0.0
    return sum(score(value) for value in values) / len(values)


def _matcher(detector: ANumberDetector | SsnDetector | ItinDetector | PhoneDetector
             | EmailDetector, header: str | None = None) -> Callable[[list[str], date], float]:
    def test(values: list[str], _today: date) -> float:
        return _share(values, lambda value: _whole(detector.find(value, header=header), value))
    return test


def _addresses(values: list[str], _today: date) -> float:
    """Street lines, with every USPS suffix admitted: a whole column of them is the evidence
    a single "77 Garcia Crossing" lacks."""
    return _share(values, lambda value: any(
        m.start == 0 for m in _ADDRESS.find(value, context="address")))


def _date_of(value: str, today: date) -> date | None:
    """The date a whole cell holds, in any writing the detectors read."""
    compact = compact_date(value)
    if compact is not None:
        return compact
    for found in dates_in(value, 0, len(value), today=today, day_first=None):
        if found.start == 0 and found.end == len(value):
            return found.value
    return None


_BIRTH_MIN_MEDIAN_AGE: Final = 10
_BIRTH_MIN_SPREAD_YEARS: Final = 10
_MAX_AGE: Final = 120


def _birth_dates(values: list[str], today: date) -> float:
    """Dates spread like birth dates: past, within 120 years, over a decade apart, not recent."""
    dates = [d for d in (_date_of(value, today) for value in values) if d is not None]
    if len(dates) < MIN_VALUES:
        return 0.0
    plausible = [d for d in dates if d <= today and d.year >= today.year - _MAX_AGE]
    years = [d.year for d in plausible]
    if not years or today.year - median(years) < _BIRTH_MIN_MEDIAN_AGE \
            or max(years) - min(years) < _BIRTH_MIN_SPREAD_YEARS:
        return 0.0
    return len(plausible) / len(values)


@cache
def _countries() -> frozenset[str]:
    names: set[str] = set()
    for country in pycountry.countries:
        names.update({country.alpha_2.lower(), country.alpha_3.lower(), fold(country.name)})
        for attribute in ("common_name", "official_name"):
            if hasattr(country, attribute):
                names.add(fold(getattr(country, attribute)))
    return frozenset(names)


_COURT_LANGUAGES: Final = ("mam", "quc", "kek", "cak", "kjb", "acr", "ixl", "hat", "cmn", "yue",
                           "pbu", "prs", "tir", "ckb", "kmr", "wol", "ful", "mnk", "rom", "tzh",
                           "tzo", "mxt", "zap", "nah", "qu", "ay", "gn", "pa", "ht", "so")
"""Languages heard in immigration courts that ISO 639-1 (two-letter) does not cover."""


@cache
def _languages() -> frozenset[str]:
    """Codes and names of the ISO 639-1 languages and the court languages above.

    Not all of ISO 639-3: with some 7,900 codes nearly every three-letter code
    (``RMV``, ``NYC``) would look like a language.
    """
    chosen = [language for language in pycountry.languages if hasattr(language, "alpha_2")]
    for code in _COURT_LANGUAGES:
        found = pycountry.languages.get(alpha_3=code) if len(code) == 3 \
            else pycountry.languages.get(alpha_2=code)
        if found is not None:
            chosen.append(found)
    names: set[str] = set()
    for language in chosen:
        names.update({language.alpha_3.lower(), fold(language.name)})
    return frozenset(names)


_US_STATES: Final = frozenset({
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia",
    "ks", "ky", "la", "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj",
    "nm", "ny", "nc", "nd", "oh", "ok", "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt",
    "va", "wa", "wv", "wi", "wy", "dc", "pr", "gu", "vi",
})


_LOOKUP_DISTINCT: Final = 0.9


def _lookup_list(values: list[str]) -> bool:
    """Whether every value is different, as in a code list rather than a table of people
    (many people share a nationality, a language, a facility)."""
    return len(values) >= 2 * MIN_VALUES and len(set(values)) / len(values) > _LOOKUP_DISTINCT


def _nationalities(values: list[str], _today: date) -> float:
    """ISO country codes and names; two-letter columns that are all US states are states."""
    folded = [fold(value) for value in values]
    if all(value in _US_STATES for value in folded) or _lookup_list(folded):
        return 0.0
    countries = _countries()
    return _share(folded, lambda value: value in countries)


def _languages_share(values: list[str], _today: date) -> float:
    languages = _languages()
    folded = [fold(value) for value in values]
    if _lookup_list(folded):
        return 0.0
    return _share(folded, lambda value: value in languages and len(value) > 2)


_SEXES: Final = frozenset({"f", "m", "x", "u", "male", "female", "masculino", "femenino", "h",
                           "mujer", "hombre", "other", "unknown", "nonbinary", "non binary"})


def _sexes(values: list[str], _today: date) -> float:
    folded = [fold(value) for value in values]
    if len(set(folded)) > 5:
        return 0.0
    return _share(folded, lambda value: value in _SEXES)


_FACILITY_WORDS: Final = re.compile(
    r"\b(?:detention|processing|correctional|facility|jail|prison|spc|cdf|ipc|"
    r"service processing|county jail|ice|centro de detenci[oó]n|contract)\b", re.IGNORECASE)


def _facilities(values: list[str], _today: date) -> float:
    if _lookup_list(values):
        return 0.0
    return _share(values, lambda value: _FACILITY_WORDS.search(value) is not None)


_NAME_TOKEN: Final = re.compile(r"[^\W\d_]{2,25}(?:['’\-][^\W\d_]+)*\.?|[^\W\d_]\.")
_NOT_NAME_WORDS: Final = frozenset({
    "court", "immigration", "county", "city", "center", "centre", "facility", "detention",
    "processing", "department", "office", "total", "inc", "llc", "corp", "company", "university",
    "school", "hospital", "church", "state", "states", "united", "republic", "service",
    "services", "unknown", "none", "pending", "granted", "denied", "yes", "no", "true", "false",
    "removal", "asylum", "bond", "master", "individual", "detained", "released",
})
_MIN_DISTINCT: Final = 0.5


def _looks_like_name(value: str) -> bool:
    """One to four capitalised alphabetic words (a comma allowed), none an institution word."""
    words = value.replace(",", " ").split()
    if not 1 <= len(words) <= 4:
        return False
    for word in words:
        if _NAME_TOKEN.fullmatch(word) is None or not word[0].isupper():
            return False
        if word.rstrip(".").casefold() in _NOT_NAME_WORDS:
            return False
    folded = fold(value)
    return folded not in _countries() and folded not in _languages() and folded not in _SEXES


def _names(values: list[str], _today: date) -> float:
    """The share of name-shaped values, if the column varies as names do."""
    if len(values) >= 2 * MIN_VALUES and len(set(values)) / len(values) < _MIN_DISTINCT:
        return 0.0
    return _share(values, _looks_like_name)


_TESTS: Final[dict[ColumnRole, Callable[[list[str], date], float]]] = {
    ColumnRole.EMAIL: _matcher(_EMAIL),
    ColumnRole.A_NUMBER: _a_numbers,
    ColumnRole.SSN: _matcher(_SSN, "SSN"),
    ColumnRole.ITIN: _matcher(_ITIN, "ITIN"),
    ColumnRole.PHONE: _matcher(_PHONE),
    ColumnRole.DATE_OF_BIRTH: _birth_dates,
    ColumnRole.ADDRESS: _addresses,
    ColumnRole.SEX: _sexes,
    ColumnRole.NATIONALITY: _nationalities,
    ColumnRole.LANGUAGE: _languages_share,
    ColumnRole.FACILITY: _facilities,
    ColumnRole.FULL_NAME: _names,
    ColumnRole.FAMILY_NAME: _names,
    ColumnRole.GIVEN_NAME: _names,
}
_VALUE_ORDER: Final = (ColumnRole.EMAIL, ColumnRole.A_NUMBER, ColumnRole.SSN, ColumnRole.ITIN,
                       ColumnRole.PHONE, ColumnRole.DATE_OF_BIRTH, ColumnRole.ADDRESS,
                       ColumnRole.SEX, ColumnRole.NATIONALITY, ColumnRole.LANGUAGE,
                       ColumnRole.FACILITY, ColumnRole.FULL_NAME)
"""Most specific first: a column of e-mails is not tested as names."""

_NOT_PERSON_HEADER_WORDS: Final = frozenset({
    "court", "city", "state", "county", "country", "office", "agency", "location", "site",
    "code", "type", "status", "category", "description", "title", "decision", "outcome",
    "kind", "judge", "hearing", "base", "charge", "reason", "case", "facility", "company",
    "organization", "organisation", "file", "document", "language", "lang", "nationality",
    "street", "region", "district", "program", "product", "month", "day", "year", "week",
})
"""Header words that make a column of capitalised words something other than names."""
_CODE_HEADER_WORDS: Final = frozenset({
    "code", "cd", "type", "id", "idn", "flag", "status", "kind", "category", "class", "rsn",
    "reason", "decision", "dec", "outcome", "result",
})
"""Header words of coded columns: ``M``/``I`` under ``CAL_TYPE`` are calendar types, not sexes."""
_CATEGORY_ROLES: Final = frozenset({ColumnRole.SEX, ColumnRole.NATIONALITY, ColumnRole.LANGUAGE,
                                    ColumnRole.FACILITY})
_SPLIT: Final = re.compile(r"[^a-z0-9]+")
_CAMEL: Final = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _header_words(header: str) -> frozenset[str]:
    return frozenset(word for word in _SPLIT.split(fold(_CAMEL.sub(" ", header))) if word)


__all__ = ["IDENTIFYING_KINDS", "SAMPLE_ROWS", "ColumnGuess", "ColumnRole", "Source",
           "identifying_columns", "infer_columns", "matchable_columns", "quasi_identifiers"]
