"""Look-ups by A-number, name and birth date, and calendars, on both databases."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection

from casevault.domain import Person
from casevault.errors import InvalidValue, NotFound
from casevault.store import reads
from casevault.store.interchange import import_folder

from .helpers import csv_rows


@pytest.fixture
def loaded(connection: Connection, court_folder: Path) -> Connection:
    import_folder(connection, court_folder)
    return connection


@pytest.fixture
def someone(court_folder: Path) -> dict[str, str]:
    """A person with accents or at least a two-part name, taken from the CSV file."""
    rows = csv_rows(court_folder / "persons.csv")
    accented = [r for r in rows if any(ord(ch) > 127 for ch in r["family_name"] + r["given_name"])]
    return (accented or rows)[0]


def test_person_by_id_matches_the_file(loaded: Connection, someone: dict[str, str]) -> None:
    person = reads.person(loaded, someone["person_id"])
    assert isinstance(person, Person)
    assert person.a_number == someone["a_number"]
    assert person.family_name == someone["family_name"]
    assert str(person.date_of_birth) == someone["date_of_birth"]


@pytest.mark.parametrize("writing", ["canonical", "dashed", "spaced", "digits"])
def test_person_by_a_number_in_any_writing(loaded: Connection, someone: dict[str, str],
                                           writing: str) -> None:
    digits = someone["a_number"][1:]
    text = {"canonical": someone["a_number"],
            "dashed": f"A-{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            "spaced": f"A {digits}", "digits": digits}[writing]
    found = reads.person_by_a_number(loaded, text)
    assert found is not None and found.person_id == someone["person_id"]


def test_unknown_a_number_finds_nobody(loaded: Connection) -> None:
    assert reads.person_by_a_number(loaded, "A999999998") is None
    with pytest.raises(InvalidValue):
        reads.person_by_a_number(loaded, "not-a-number")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def test_person_by_name_ignores_case_and_accents(loaded: Connection,
                                                 someone: dict[str, str]) -> None:
    family, given = someone["family_name"], someone["given_name"]
    for f, g in [(family, given), (family.upper(), given.lower()),
                 (_strip_accents(family), _strip_accents(given))]:
        ids = [p.person_id for p in reads.persons_by_name(loaded, f, g)]
        assert someone["person_id"] in ids


def test_person_by_alias(loaded: Connection, court_folder: Path) -> None:
    with_alias = [r for r in csv_rows(court_folder / "persons.csv") if r["other_names"]]
    assert with_alias, "the synthetic court should give some persons aliases"
    row = with_alias[0]
    alias = row["other_names"].split(";")[0]
    ids = [p.person_id for p in reads.persons_by_name(loaded, alias)]
    assert row["person_id"] in ids


def test_persons_by_birth_date(loaded: Connection, someone: dict[str, str]) -> None:
    born = date.fromisoformat(someone["date_of_birth"])
    found = reads.persons_by_birth_date(loaded, born)
    assert someone["person_id"] in [p.person_id for p in found]
    assert all(p.date_of_birth == born for p in found)


def test_case_file_reads(loaded: Connection, court_folder: Path) -> None:
    case_row = csv_rows(court_folder / "cases.csv")[0]
    case = reads.case(loaded, case_row["case_id"])
    assert case.person_id == case_row["person_id"]
    hearings = reads.hearings_of_case(loaded, case.case_id)
    expected = [h["hearing_id"] for h in csv_rows(court_folder / "hearings.csv")
                if h["case_id"] == case.case_id]
    assert sorted(h.hearing_id for h in hearings) == sorted(expected)
    assert [h.scheduled_at for h in hearings] == sorted(h.scheduled_at for h in hearings)
    assert all(h.scheduled_at.tzinfo is not None for h in hearings)
    documents = reads.documents_of_case(loaded, case.case_id)
    assert all(d.content is None for d in documents)
    if documents:
        assert reads.document(loaded, documents[0].document_id).case_id == case.case_id


def test_calendar_of_a_day(loaded: Connection, court_folder: Path) -> None:
    court_of = {c["case_id"]: c["court_code"] for c in csv_rows(court_folder / "cases.csv")}
    all_hearings = csv_rows(court_folder / "hearings.csv")
    hearing = all_hearings[0]
    day, court = hearing["scheduled_at"][:10], court_of[hearing["case_id"]]
    expected = {h["hearing_id"] for h in all_hearings
                if h["scheduled_at"][:10] == day and court_of[h["case_id"]] == court}
    when = datetime.fromisoformat(hearing["scheduled_at"])
    found = reads.hearings_at_court_on(loaded, court, when.date())
    assert {h.hearing_id for h in found} == expected
    if hearing["judge_user_id"]:
        judge_day = reads.hearings_of_judge_on(loaded, hearing["judge_user_id"], when.date())
        assert hearing["hearing_id"] in {h.hearing_id for h in judge_day}


def test_missing_records_raise_not_found(loaded: Connection) -> None:
    with pytest.raises(NotFound, match="no case with id 'C-NOPE'"):
        reads.case(loaded, "C-NOPE")
    with pytest.raises(NotFound):
        reads.person(loaded, "P-NOPE")
