"""Tabular inference: columns classified by header, by values, or both; clean tables stay clean."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from casevault.shield.columns import (
    ColumnGuess,
    ColumnRole,
    identifying_columns,
    infer_columns,
    matchable_columns,
    quasi_identifiers,
)
from casevault.shield.model import Kind

TODAY = date(2026, 1, 1)
INCIDENT = ["LAST", "FIRST", "DOB", "A#", "NATIONALITY", "FACILITY", "BOOKING DATE"]
FACILITIES = ["Port Isabel Service Processing Center", "Otero County Processing Center",
              "Stewart Detention Center", "Krome North SPC", "Adelanto ICE Processing Center"]
COUNTRIES = ["GUATEMALA", "HONDURAS", "EL SALVADOR", "MEXICO", "VENEZUELA", "ECUADOR"]
EOIR = Path(__file__).parents[1] / "fixtures" / "eoir"


def _incident_rows(count: int, seed: int = 6252) -> list[list[str]]:
    faker = Faker("es_MX")
    faker.seed_instance(seed)
    rng = random.Random(seed)
    return [[faker.last_name().upper(), faker.first_name().upper(),
             faker.date_of_birth(minimum_age=18, maximum_age=75).strftime("%m/%d/%Y"),
             f"A{rng.randint(200_000_000, 249_999_999)}", rng.choice(COUNTRIES),
             rng.choice(FACILITIES), faker.date_between("-2y", "-1d").isoformat()]
            for _ in range(count)]


def _roles(guesses: list[ColumnGuess]) -> list[ColumnRole | None]:
    return [guess.role for guess in guesses]


def test_incident_layout_is_recognised_by_header_and_values() -> None:
    guesses = infer_columns(INCIDENT, _incident_rows(200), today=TODAY)
    assert _roles(guesses) == [ColumnRole.FAMILY_NAME, ColumnRole.GIVEN_NAME,
                               ColumnRole.DATE_OF_BIRTH, ColumnRole.A_NUMBER,
                               ColumnRole.NATIONALITY, ColumnRole.FACILITY,
                               ColumnRole.BOOKING_DATE]
    assert [g.kind for g in guesses] == [Kind.FAMILY_NAME, Kind.GIVEN_NAME, Kind.DATE_OF_BIRTH,
                                         Kind.A_NUMBER, Kind.NATIONALITY, Kind.FACILITY, None]
    assert [g.source for g in guesses] == ["both"] * 6 + ["header"]
    assert all(g.confidence >= 0.9 for g in guesses)
    assert [g.header for g in identifying_columns(guesses)] == ["LAST", "FIRST", "A#"]
    assert [g.header for g in matchable_columns(guesses)] == ["LAST", "FIRST", "DOB", "A#"]
    assert [g.header for g in quasi_identifiers(guesses)] == [
        "DOB", "NATIONALITY", "FACILITY", "BOOKING DATE"]


def test_incident_headers_alone_are_enough() -> None:
    """No sample at all: the header row says what the sheet is."""
    guesses = infer_columns(INCIDENT, [], today=TODAY)
    assert [g.source for g in guesses] == ["header"] * 7
    assert {g.kind for g in identifying_columns(guesses)} == {
        Kind.FAMILY_NAME, Kind.GIVEN_NAME, Kind.A_NUMBER}


def test_inconclusive_values_under_telling_headers() -> None:
    """Bare nine digits, ambiguous dates and single words decide nothing; the headers do."""
    rows = [["Lee", "Kim", "03/04/1990", "212345678"], ["Cruz", "Ana", "05/06/1985", "223456789"],
            ["Diaz", "Luis", "07/08/1979", "234567891"]]
    guesses = infer_columns(["LAST", "FIRST", "DOB", "A#"], rows, today=TODAY)
    assert _roles(guesses) == [ColumnRole.FAMILY_NAME, ColumnRole.GIVEN_NAME,
                               ColumnRole.DATE_OF_BIRTH, ColumnRole.A_NUMBER]
    assert all(g.confidence >= 0.75 for g in guesses)


def test_incident_values_alone_are_recognised() -> None:
    headers = [f"col{i}" for i in range(1, 8)]
    guesses = infer_columns(headers, _incident_rows(200), today=TODAY)
    assert _roles(guesses) == [ColumnRole.FULL_NAME, ColumnRole.FULL_NAME,
                               ColumnRole.DATE_OF_BIRTH, ColumnRole.A_NUMBER,
                               ColumnRole.NATIONALITY, ColumnRole.FACILITY, None]
    assert all(g.source == "values" for g in guesses)
    assert all(0.5 <= g.confidence <= 0.8 for g in guesses[:6])
    assert guesses[6].confidence == 0.0


def test_contact_values_alone() -> None:
    faker = Faker("en_US")
    faker.seed_instance(7)
    rows = [[faker.email(), faker.numerify("(2##) 555-####"), faker.random_element(["F", "M"]),
             faker.street_address()] for _ in range(60)]
    guesses = infer_columns(["a", "b", "c", "d"], rows, today=TODAY)
    assert _roles(guesses) == [ColumnRole.EMAIL, ColumnRole.PHONE, ColumnRole.SEX,
                               ColumnRole.ADDRESS]


HEADERS = [
    ("LAST", ColumnRole.FAMILY_NAME), ("Last Name", ColumnRole.FAMILY_NAME),
    ("LNAME", ColumnRole.FAMILY_NAME), ("apellido", ColumnRole.FAMILY_NAME),
    ("Apellidos", ColumnRole.FAMILY_NAME), ("family_name", ColumnRole.FAMILY_NAME),
    ("FIRST", ColumnRole.GIVEN_NAME), ("First Name", ColumnRole.GIVEN_NAME),
    ("given_name", ColumnRole.GIVEN_NAME), ("Nombres", ColumnRole.GIVEN_NAME),
    ("FULL NAME", ColumnRole.FULL_NAME), ("Name", ColumnRole.FULL_NAME),
    ("Nombre completo", ColumnRole.FULL_NAME), ("Respondent Name", ColumnRole.FULL_NAME),
    ("DOB", ColumnRole.DATE_OF_BIRTH), ("BIRTH DATE", ColumnRole.DATE_OF_BIRTH),
    ("Date of Birth", ColumnRole.DATE_OF_BIRTH), ("dateOfBirth", ColumnRole.DATE_OF_BIRTH),
    ("Fecha de Nacimiento", ColumnRole.DATE_OF_BIRTH), ("C_BIRTHDATE", ColumnRole.DATE_OF_BIRTH),
    ("Year of Birth", ColumnRole.BIRTH_YEAR), ("A#", ColumnRole.A_NUMBER),
    ("A #", ColumnRole.A_NUMBER), ("A-Number", ColumnRole.A_NUMBER),
    ("ALIEN NUMBER", ColumnRole.A_NUMBER), ("ANUMBER", ColumnRole.A_NUMBER),
    ("A No.", ColumnRole.A_NUMBER), ("Número A", ColumnRole.A_NUMBER),
    ("NATIONALITY", ColumnRole.NATIONALITY), ("COUNTRY OF CITIZENSHIP", ColumnRole.NATIONALITY),
    ("Nacionalidad", ColumnRole.NATIONALITY), ("NAT", ColumnRole.NATIONALITY),
    ("FACILITY", ColumnRole.FACILITY), ("DETENTION FACILITY", ColumnRole.FACILITY),
    ("CORRECTIONAL_FAC", ColumnRole.FACILITY), ("BOOKING DATE", ColumnRole.BOOKING_DATE),
    ("Book-in Date", ColumnRole.BOOKING_DATE), ("DATE_OF_ENTRY", ColumnRole.ENTRY_DATE),
    ("SEX", ColumnRole.SEX), ("GENDER", ColumnRole.SEX), ("Sexo", ColumnRole.SEX),
    ("LANGUAGE", ColumnRole.LANGUAGE), ("Idioma", ColumnRole.LANGUAGE),
    ("CITY", ColumnRole.CITY), ("Ciudad", ColumnRole.CITY), ("ZIP", ColumnRole.POSTAL_CODE),
    ("Zip Code", ColumnRole.POSTAL_CODE), ("postal_code", ColumnRole.POSTAL_CODE),
    ("PHONE", ColumnRole.PHONE), ("Teléfono", ColumnRole.PHONE), ("Phone #", ColumnRole.PHONE),
    ("EMAIL", ColumnRole.EMAIL), ("E-mail", ColumnRole.EMAIL), ("Correo electrónico",
                                                              ColumnRole.EMAIL),
    ("ADDRESS", ColumnRole.ADDRESS), ("Street Address", ColumnRole.ADDRESS),
    ("Dirección", ColumnRole.ADDRESS), ("SSN", ColumnRole.SSN), ("Passport No.",
                                                                 ColumnRole.PASSPORT),
    ("court", None), ("cases", None), ("IP Address", None), ("ADDRESS_CHANGEDON", None),
    ("first_hearing", None), ("FILE NAME", None), ("year", None), ("BASE_CITY_CODE", None),
    ("state", None), ("person_id", None),
]


@pytest.mark.parametrize(("header", "role"), HEADERS, ids=[h for h, _ in HEADERS])
def test_headers_in_english_and_spanish(header: str, role: ColumnRole | None) -> None:
    guess = infer_columns([header], [], today=TODAY)[0]
    assert guess.role is role
    assert (guess.source, guess.confidence > 0) == (("header", True) if role else ("values", False))


def test_spanish_name_pair_makes_nombre_the_given_name() -> None:
    guesses = infer_columns(["Apellido", "Nombre"], [["García", "Ana"]] * 2, today=TODAY)
    assert [g.kind for g in guesses] == [Kind.FAMILY_NAME, Kind.GIVEN_NAME]


def test_values_that_contradict_a_header_lower_its_confidence() -> None:
    agreeing = infer_columns(["DOB"], [["1990-03-12"], ["1975-01-30"], ["2001-11-02"]],
                             today=TODAY)[0]
    contradicting = infer_columns(["DOB"], [["yes"], ["no"], ["yes"]], today=TODAY)[0]
    assert agreeing.source == "both"
    assert contradicting.source == "header"
    assert contradicting.confidence < agreeing.confidence


def _court_aggregates(seed: int) -> tuple[list[str], list[list[str]]]:
    faker = Faker("en_US")
    faker.seed_instance(seed)
    courts = [f"{faker.city()} Immigration Court" for _ in range(12)]
    rows = [[court, str(year), str(faker.random_int(10, 9000)), str(faker.random_int(0, 900)),
             f"{faker.random_int(0, 100)}.{faker.random_int(0, 9)}%"]
            for court in courts for year in (2021, 2022, 2023)]
    return ["court", "fiscal_year", "cases", "granted", "grant_rate"], rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aggregates_by_court_have_no_person_columns(seed: int) -> None:
    headers, rows = _court_aggregates(seed)
    guesses = infer_columns(headers, rows, today=TODAY)
    assert identifying_columns(guesses) == []
    assert quasi_identifiers(guesses) == []


def test_court_city_counts_and_calendar_without_names_are_clean() -> None:
    faker = Faker("en_US")
    faker.seed_instance(11)
    by_city = [[faker.city(), faker.state_abbr(), str(faker.random_int(1, 500))]
               for _ in range(40)]
    calendar = [[faker.date_between("-30d", "+60d").isoformat(), f"{faker.random_int(8, 16)}:00",
                 faker.random_element(["master", "individual", "bond"]),
                 faker.bothify("IJ###"), faker.random_element(["ARL", "HOU", "NYC"])]
                for _ in range(40)]
    for headers, rows in ((["base_city", "state", "pending"], by_city),
                          (["hearing_date", "time", "hearing_type", "judge_code", "court_code"],
                           calendar)):
        assert identifying_columns(infer_columns(headers, rows, today=TODAY)) == []


@pytest.mark.parametrize("path", sorted(EOIR.rglob("*.csv")), ids=lambda path: path.name)
def test_eoir_public_layout_has_no_direct_identifiers(path: Path) -> None:
    with path.open(newline="", encoding="latin-1") as handle:
        table = list(csv.reader(handle, delimiter="\t"))
    guesses = infer_columns(table[0], table[1:], today=TODAY)
    assert identifying_columns(guesses) == []
    if path.name == "A_TblCase.csv":
        quasi = {g.header: g.role for g in quasi_identifiers(guesses)}
        assert quasi["NAT"] is ColumnRole.NATIONALITY
        assert quasi["C_BIRTHDATE"] is ColumnRole.DATE_OF_BIRTH
        assert quasi["GENDER"] is ColumnRole.SEX
        assert quasi["DATE_OF_ENTRY"] is ColumnRole.ENTRY_DATE


def test_lookup_lists_are_not_quasi_identifiers_by_value() -> None:
    """A column of all-different country names is a code list, not a table of people."""
    rows = [[str(i), name] for i, name in enumerate(
        ["MEXICO", "GUATEMALA", "HONDURAS", "EL SALVADOR", "VENEZUELA", "ECUADOR", "CUBA",
         "HAITI", "INDIA", "CHINA"])]
    assert quasi_identifiers(infer_columns(["ID", "LABEL"], rows, today=TODAY)) == []


def test_ragged_rows_and_missing_headers() -> None:
    guesses = infer_columns(["LAST"], [["Perez", "A212345678"], [], ["Ruiz"]], today=TODAY)
    assert [g.index for g in guesses] == [0, 1]
    assert guesses[1].header == ""


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=5),
       st.lists(st.lists(st.text(max_size=20), max_size=6), max_size=12))
def test_inference_never_raises(headers: list[str], rows: list[list[str]]) -> None:
    guesses = infer_columns(headers, rows, today=TODAY)
    assert [g.index for g in guesses] == list(range(len(guesses)))
    assert all(0.0 <= g.confidence <= 1.0 for g in guesses)
