"""Shield detectors: one vector table per detector (with explicit no-match rows) and properties."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casevault.domain import format_a_number
from casevault.shield.detectors import (
    AddressDetector,
    ANumberDetector,
    DateOfBirthDetector,
    Detector,
    Detectors,
    EmailDetector,
    ItinDetector,
    NameDetector,
    PassportDetector,
    PhoneDetector,
    SsnDetector,
    find_all,
    is_valid_itin,
    is_valid_ssn,
)
from casevault.shield.model import Kind, Match

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "shield_detectors.json")
                     .read_text(encoding="utf-8"))
TODAY = date.fromisoformat(VECTORS["today"])

FACTORIES: dict[str, Callable[..., Detector]] = {
    "a_number": ANumberDetector,
    "ssn": SsnDetector,
    "itin": ItinDetector,
    "passport": PassportDetector,
    "date_of_birth": lambda **options: DateOfBirthDetector(today=TODAY, **options),
    "phone": PhoneDetector,
    "email": EmailDetector,
    "address": AddressDetector,
    "names": NameDetector,
}
ROWS = [pytest.param(name, row, id=f"{name}-{index}")
        for name, rows in VECTORS["detectors"].items() for index, row in enumerate(rows)]


def _found(detector: Detector, row: dict[str, Any]) -> list[Match]:
    return detector.find(row["text"], header=row.get("header"), context=row.get("context", ""))


@pytest.mark.parametrize(("name", "row"), ROWS)
def test_detector_vectors(name: str, row: dict[str, Any]) -> None:
    detector = FACTORIES[name](**row.get("options", {}))
    found = _found(detector, row)
    text = row["text"]
    assert [(m.kind.value, m.normalized) for m in found] == [(k, n) for k, n, _ in row["expect"]]
    for match, (_, _, span) in zip(found, row["expect"], strict=True):
        if span is not None:
            assert text[match.start:match.end] == span
        assert row.get("min_confidence", 0.0) <= match.confidence \
            <= row.get("max_confidence", 1.0)


def test_every_detector_has_a_table_with_no_match_rows() -> None:
    for name, rows in VECTORS["detectors"].items():
        assert len(rows) >= 8, name
        assert sum(1 for row in rows if not row["expect"]) >= 3, name


@pytest.mark.parametrize("row", VECTORS["find_all"], ids=lambda row: row["text"][:30])
def test_find_all_vectors(row: dict[str, Any]) -> None:
    found = Detectors(today=TODAY).find_all(row["text"], row.get("header"))
    assert {m.kind.value for m in found} == set(row["expect_kinds"])
    assert [m.start for m in found] == sorted(m.start for m in found)


def test_confidence_is_higher_with_evidence() -> None:
    alone = ANumberDetector().find("A212345678")[0]
    with_word = ANumberDetector().find("A-number A212345678")[0]
    with_header = ANumberDetector().find("A212345678", header="A#")[0]
    assert alone.confidence < with_word.confidence
    assert alone.confidence < with_header.confidence
    dashed = SsnDetector().find("536-22-8147")[0]
    labelled = SsnDetector().find("SSN 536-22-8147")[0]
    assert dashed.confidence < labelled.confidence


def test_registry_reports_all_kinds_and_default_find_all() -> None:
    kinds = Detectors().kinds
    assert {Kind.A_NUMBER, Kind.SSN, Kind.ITIN, Kind.PASSPORT, Kind.DATE_OF_BIRTH, Kind.PHONE,
            Kind.EMAIL, Kind.ADDRESS, Kind.PERSON_NAME, Kind.FAMILY_NAME,
            Kind.GIVEN_NAME} <= kinds
    assert [m.normalized for m in find_all("A#212345678")] == ["A212345678"]


def test_long_text_matches_like_its_lines() -> None:
    """Context words found by literal search in a long text vouch exactly as in a short one.

    (Lines are kept apart by filler: a context word vouches for a number on the
    next line too, as a label above a value does.)
    """
    filler = "filler text " * 8
    lines = [line for text in ("DOB: 03/12/1990", "order 212345678", "Alien number 212345678",
                               "Name: PEREZ, Jose", "call 2025550143", "Mr. Ruiz")
             for line in (text, filler)]
    detectors = Detectors(today=TODAY)
    expected = []
    offset = 0
    for line in lines * 20:
        expected.extend((m.kind, m.start + offset, m.normalized)
                        for m in detectors.find_all(line))
        offset += len(line) + 1
    whole = detectors.find_all("\n".join(lines * 20))
    assert [(m.kind, m.start, m.normalized) for m in whole] == expected


def test_lines_in_one_pass_match_line_by_line() -> None:
    filler = "filler text " * 8
    lines = [text for line in ("DOB: 03/12/1990", "order 212345678", "A#212345678 and",
                               "Mr. Jose Ruiz", "tel (202) 555-0143", "", "born 12",
                               "Mar 1990")
             for text in (line, filler)]
    detectors = Detectors(today=TODAY)
    assert detectors.find_lines(lines) == [detectors.find_all(line) for line in lines]
    across = ["born 12", "Mar 1990 in Guatemala"]
    assert detectors.find_lines(across) == [[], []]


# --- properties (no deadline: a loaded CI machine must not make them flaky) ----------------

A_DIGITS = st.integers(min_value=1, max_value=999_999_999)


def _writings(number: int) -> list[str]:
    digits = f"{number:09d}"
    canonical = "A" + digits
    grouped = format_a_number(canonical)
    writings = [canonical, grouped, f"A {digits[:3]} {digits[3:6]} {digits[6:]}",
                f"A#{digits}", f"A#: {grouped[2:]}", f"a{digits}", f"A.{digits}"]
    if number < 100_000_000:
        writings.append("A" + digits[1:])
    return writings


@settings(deadline=None)
@given(A_DIGITS, st.sampled_from(["", "Respondent ", "see file "]))
def test_any_writing_of_an_a_number_normalises_alike(number: int, prefix: str) -> None:
    canonical = f"A{number:09d}"
    for written in _writings(number):
        found = ANumberDetector().find(prefix + written + " today")
        assert [m.normalized for m in found] == [canonical], written
        assert found[0].start == len(prefix)


@settings(deadline=None)
@given(A_DIGITS)
def test_bare_a_numbers_need_evidence(number: int) -> None:
    digits = f"{number:09d}"
    assert ANumberDetector().find(f"ref {digits}") == []
    assert [m.normalized for m in ANumberDetector().find(digits, header="A#")] == ["A" + digits]


SSN_PARTS = st.tuples(st.integers(1, 899), st.integers(1, 99), st.integers(1, 9999))


@settings(deadline=None)
@given(SSN_PARTS)
def test_valid_ssns_are_found_and_invalid_areas_never(parts: tuple[int, int, int]) -> None:
    area, group, serial = parts
    written = f"{area:03d}-{group:02d}-{serial:04d}"
    digits = written.replace("-", "")
    found = SsnDetector().find(f"SSN {written}")
    if is_valid_ssn(digits):
        assert [m.normalized for m in found] == [digits]
    else:
        assert found == []
    for bad_area in ("000", "666", "9" + f"{area % 100:02d}"):
        assert SsnDetector().find(f"SSN {bad_area}-{group:02d}-{serial:04d}") == []


@settings(deadline=None)
@given(st.integers(900, 999), st.integers(0, 99), st.integers(0, 9999))
def test_itin_groups(area: int, group: int, serial: int) -> None:
    written = f"{area}-{group:02d}-{serial:04d}"
    found = ItinDetector().find(written)
    in_range = 50 <= group <= 65 or 70 <= group <= 88 or 90 <= group <= 92 or 94 <= group <= 99
    assert bool(found) == in_range == is_valid_itin(written.replace("-", ""))


BIRTH_DATES = st.dates(min_value=TODAY.replace(year=TODAY.year - 119),
                       max_value=TODAY - timedelta(days=1))


@settings(deadline=None)
@given(BIRTH_DATES, st.sampled_from(["iso", "us", "long", "day_month", "spanish"]))
def test_birth_dates_in_any_writing_normalise_to_iso(value: date, writing: str) -> None:
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    meses = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre"]
    written = {
        "iso": value.isoformat(),
        "us": f"{value.month}/{value.day}/{value.year}",
        "long": f"{months[value.month - 1]} {value.day}, {value.year}",
        "day_month": f"{value.day} {months[value.month - 1][:3]} {value.year}",
        "spanish": f"{value.day} de {meses[value.month - 1]} de {value.year}",
    }[writing]
    found = DateOfBirthDetector(today=TODAY).find(f"DOB: {written}.")
    assert [m.normalized for m in found] == [value.isoformat()]


@settings(deadline=None)
@given(st.integers(200, 999), st.integers(200, 999), st.integers(0, 9999))
def test_nanp_numbers_normalise_to_e164(area: int, exchange: int, line: int) -> None:
    written = f"({area}) {exchange}-{line:04d}"
    found = PhoneDetector().find(f"tel {written}")
    service = area % 100 == 11 or exchange % 100 == 11
    assert [m.normalized for m in found] == ([] if service else [f"+1{area}{exchange}{line:04d}"])


@settings(deadline=None)
@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._]{0,10}[A-Za-z0-9]@[a-z]{2,8}\.(org|com|net)",
                     fullmatch=True))
def test_emails_normalise_to_lower_case(address: str) -> None:
    found = EmailDetector().find(f"mail {address.upper()} now")
    assert [m.normalized for m in found] == [address.lower()]


HEADERS = st.sampled_from([None, "", "LAST", "FIRST", "DOB", "A#", "SSN", "Phone", "EMAIL",
                           "Address", "Passport", "NOTES", "Nombre"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), HEADERS, st.text(max_size=40))
def test_detectors_never_raise_and_spans_stay_in_text(text: str, header: str | None,
                                                      context: str) -> None:
    for match in Detectors(today=TODAY).find_all(text, header, context):
        assert 0 <= match.start < match.end <= len(text)
        assert 0.0 < match.confidence <= 1.0
        assert match.normalized


IDENTIFIER_ALPHABET = st.sampled_from(list("0123456789 -./#:()+@AaDOBdobSsNn,\t\n"))


@settings(max_examples=300, deadline=None)
@given(st.lists(IDENTIFIER_ALPHABET, max_size=120).map("".join), HEADERS)
def test_detectors_never_raise_on_identifier_like_noise(text: str, header: str | None) -> None:
    for match in Detectors(today=TODAY).find_all(text, header, "DOB A-number SSN"):
        assert 0 <= match.start < match.end <= len(text)
