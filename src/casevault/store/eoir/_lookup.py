"""EOIR's code tables (the release's ``Lookup/`` folder) and their mapping onto ISO.

EOIR's nationality and language codes are its own (``ES`` is El Salvador, not
Spain), so they are never taken for ISO codes. Each code is mapped through the
*name* its lookup table gives it: ``pycountry`` resolves the name to ISO 3166-1
alpha-2 or ISO 639-3, helped by a short list of the names EOIR spells otherwise
than ISO. A code with no lookup entry or an unresolvable name maps to nothing.

Layout read (the release does not document it, so the reader is lenient): one
tab-delimited file per table under ``Lookup/``, found by a word in its name
(``nationality``, ``lang``, ``basecity``/``base_city``, any case), with a header
row; the code is the first column whose name ends in ``CODE``, the name the first
whose name contains ``NAME`` or ``DESC``. A base-city table may also have
``CITY`` and ``STATE`` columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar

import pycountry

from casevault.store.eoir._reading import MissingColumns, decode_line, find_entry
from casevault.store.eoir._report import FileReport, Tally
from casevault.store.eoir._values import BadValue, us_state

COUNTRY_ALIASES: Final[Mapping[str, str]] = {
    "RUSSIA": "RU", "BURMA": "MM", "IVORY COAST": "CI", "CAPE VERDE": "CV",
    "MACEDONIA": "MK", "TURKEY": "TR", "DEMOCRATIC REPUBLIC OF CONGO": "CD",
    "PALESTINE": "PS",
}
"""Country names as EOIR writes them that ``pycountry`` does not know by that name."""

LANGUAGE_ALIASES: Final[Mapping[str, str]] = {
    "MANDARIN": "cmn", "CANTONESE": "yue", "HAITIAN CREOLE": "hat", "PUNJABI": "pan",
    "FARSI": "fas", "PASHTO": "pus", "QUICHE": "quc", "KANJOBAL": "kjb", "FOOCHOW": "cdo",
    "NEPALI": "nep",
}
"""Language names as EOIR writes them that ``pycountry`` does not know by that name."""


T = TypeVar("T")


def _iso_code(name: str, aliases: Mapping[str, str], database: Any, attribute: str) -> str | None:
    """An ISO code for a name as EOIR writes it: our alias list first, then pycountry."""
    key = name.strip().upper()
    if key in aliases:
        return aliases[key]
    try:
        return str(getattr(database.lookup(key), attribute))
    except LookupError:
        return None


@cache
def country_from_name(name: str) -> str | None:
    """ISO 3166-1 alpha-2 for a country name, or None."""
    return _iso_code(name, COUNTRY_ALIASES, pycountry.countries, "alpha_2")


@cache
def language_from_name(name: str) -> str | None:
    """ISO 639-3 for a language name, or None."""
    return _iso_code(name, LANGUAGE_ALIASES, pycountry.languages, "alpha_3")


@dataclass(frozen=True, slots=True)
class CourtName:
    name: str
    city: str | None
    state: str | None


@dataclass(frozen=True, slots=True)
class Lookups:
    """EOIR code → casevault value, for the codes the release's tables list."""

    nationalities: Mapping[str, str | None]
    languages: Mapping[str, str | None]
    courts: Mapping[str, CourtName]

    def nationality(self, code: str) -> str | None:
        return self.nationalities.get(code.upper())

    def language(self, code: str) -> str | None:
        return self.languages.get(code.upper())


def _find_table(lookup_folder: Path | None, pattern: str) -> Path | None:
    if lookup_folder is None:
        return None
    matcher = re.compile(pattern, re.IGNORECASE)
    for entry in sorted(lookup_folder.iterdir()):
        if entry.is_file() and matcher.search(entry.name):
            return entry
    return None


def _column(header: list[str], test: Callable[[str], bool], what: str) -> int:
    for position, name in enumerate(header):
        if test(name):
            return position
    raise MissingColumns([what])


def _read_table(path: Path, tally: Tally) -> list[tuple[int, list[str], list[str]]]:
    """(line, header, fields) for each well-formed line; small tables, read whole."""
    with path.open("rb") as stream:
        lines = [decode_line(raw, number, tally) for number, raw in enumerate(stream, start=1)]
    if not lines:
        raise MissingColumns(["(the file has no header row)"])
    header = [name.strip().upper() for name in lines[0].lstrip("\ufeff").split("\t")]
    rows = []
    for number, text in enumerate(lines[1:], start=2):
        tally.row_read()
        fields = [field.strip() for field in text.split("\t")]
        if len(fields) == len(header):
            rows.append((number, header, fields))
    return rows


def _code_names(path: Path, tally: Tally) -> dict[str, str]:
    """CODE → NAME of a two-column code table."""
    rows = _read_table(path, tally)
    if not rows:
        return {}
    header = rows[0][1]
    code_at = _column(header, lambda name: name.endswith("CODE"), "*CODE")
    name_at = _column(header, lambda name: "NAME" in name or "DESC" in name, "*NAME")
    return {fields[code_at].upper(): fields[name_at] for _, _, fields in rows if fields[code_at]}


def _court_names(path: Path, tally: Tally) -> dict[str, CourtName]:
    rows = _read_table(path, tally)
    if not rows:
        return {}
    header = rows[0][1]
    code_at = _column(header, lambda name: name.endswith("CODE"), "*CODE")
    name_at = _column(header, lambda name: "NAME" in name or "DESC" in name, "*NAME")
    city_at = header.index("CITY") if "CITY" in header else None
    state_at = header.index("STATE") if "STATE" in header else None
    courts = {}
    for _, _, fields in rows:
        if not fields[code_at] or not fields[name_at]:
            continue
        city = (fields[city_at] or None) if city_at is not None else None
        state = _state_or_none(fields[state_at]) if state_at is not None else None
        courts[fields[code_at].upper()] = CourtName(fields[name_at], city, state)
    return courts


def _state_or_none(text: str) -> str | None:
    try:
        return us_state(text)
    except BadValue:
        return None


def _read_lookup(
    lookup_folder: Path | None,
    pattern: str,
    label: str,
    reader: Callable[[Path, Tally], dict[str, T]],
    reports: list[FileReport],
) -> dict[str, T]:
    """One code table through ``reader``; a missing or unusable table is reported, not fatal."""
    path = _find_table(lookup_folder, pattern)
    if path is None:
        reports.append(FileReport(name=f"Lookup/{label}", present=False))
        return {}
    tally = Tally(f"Lookup/{path.name}")
    try:
        table = reader(path, tally)
    except MissingColumns as exc:
        reports.append(tally.freeze(skipped_because=str(exc)))
        return {}
    tally.rows_loaded = len(table)
    reports.append(tally.freeze())
    return table


def load_lookups(folder: Path) -> tuple[Lookups, list[FileReport]]:
    """The code tables of ``folder/Lookup`` (empty when absent) and a report per table."""
    lookup_folder = find_entry(folder, "Lookup")
    if lookup_folder is not None and not lookup_folder.is_dir():
        lookup_folder = None
    reports: list[FileReport] = []
    nationality_names = _read_lookup(
        lookup_folder, "nationality", "(nationality table)", _code_names, reports)
    language_names = _read_lookup(
        lookup_folder, "lang", "(language table)", _code_names, reports)
    courts = _read_lookup(
        lookup_folder, "base_?city", "(base city table)", _court_names, reports)
    lookups = Lookups(
        nationalities={code: country_from_name(name) for code, name in nationality_names.items()},
        languages={code: language_from_name(name) for code, name in language_names.items()},
        courts=courts,
    )
    return lookups, reports
