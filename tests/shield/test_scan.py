"""The scanner end to end on the synthetic court (both databases): who a file names, and
which files pass. Expectations come from the court's CSV files, read with the csv module."""

from __future__ import annotations

import csv
import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection

from casevault.errors import UnreadableFile
from casevault.shield.edm import EdmIndex
from casevault.shield.scan import FastCsv, Scanner
from casevault.store.interchange import import_folder
from casevault.synth.leaks import write_clean_files, write_incident_replica

KEY = bytes(range(32))
TODAY = date(2026, 11, 21)


def _persons(folder: Path) -> list[dict[str, str]]:
    with (folder / "persons.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def scanner(connection: Connection, court_folder: Path) -> Scanner:
    import_folder(connection, court_folder)
    return Scanner(EdmIndex.build(connection, KEY), today=TODAY)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_the_incident_replica_is_blocked_naming_every_person(
        scanner: Scanner, court_folder: Path, tmp_path: Path) -> None:
    everyone = [p["person_id"] for p in _persons(court_folder)]
    replica = write_incident_replica(court_folder, tmp_path, rows=120, among=everyone)
    for path in (replica.csv_path, replica.xlsx_path):
        report = scanner.scan(path)
        assert report.verdict == "block"
        assert report.persons == set(replica.person_ids), path.name


def test_reading_the_replica_in_ranges_and_processes_changes_nothing(
        connection: Connection, court_folder: Path, tmp_path: Path) -> None:
    """Arrow in byte ranges, on one and on two processes, against the row reader."""
    import_folder(connection, court_folder)
    index = EdmIndex.build(connection, KEY)
    everyone = [p["person_id"] for p in _persons(court_folder)]
    replica = write_incident_replica(court_folder, tmp_path, rows=120, among=everyone)
    expected = Scanner(index, today=TODAY, fast=FastCsv(enabled=False)).scan(replica.csv_path)
    assert expected.persons == set(replica.person_ids)
    for workers in (1, 2):
        fast = FastCsv(workers=workers, chunk_bytes=1024, min_bytes=0)
        got = Scanner(index, today=TODAY, fast=fast).scan(replica.csv_path)
        assert (got.verdict, got.persons, got.findings, got.more_findings, got.blocking) == (
            expected.verdict, expected.persons, expected.findings, expected.more_findings,
            expected.blocking)


def test_clean_publications_pass(scanner: Scanner, court_folder: Path, tmp_path: Path) -> None:
    for path in write_clean_files(court_folder, tmp_path):
        report = scanner.scan(path)
        assert report.verdict == "pass", (path.name, report.findings[:3])
        assert report.persons == set()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def test_name_variants_are_matched(scanner: Scanner, court_folder: Path, tmp_path: Path) -> None:
    people = [p for p in _persons(court_folder) if p["family_name"] and p["date_of_birth"]][:30]
    rows = []
    for n, p in enumerate(people):
        family, given = p["family_name"], p["given_name"]
        name = [f"{family.upper()}, {given}", f"{_ascii(given).lower()} {_ascii(family).lower()}",
                f"{given} {family}"][n % 3]
        born = date.fromisoformat(p["date_of_birth"])
        rows.append([name, born.strftime("%m/%d/%Y")])
    report = scanner.scan(_write(tmp_path / "list.csv", ["Respondent", "Date of birth"], rows))
    assert report.persons == {p["person_id"] for p in people}


def test_a_number_variants_in_running_text_are_matched(scanner: Scanner, court_folder: Path,
                                                      tmp_path: Path) -> None:
    people = [p for p in _persons(court_folder) if p["a_number"]][:12]
    writings = []
    for n, p in enumerate(people):
        digits = p["a_number"][1:]
        writings.append([f"A-{digits[:3]}-{digits[3:6]}-{digits[6:]}", f"A# {digits}",
                         f"A{digits}", f"alien number {digits}"][n % 4])
    text = "\n".join(f"Follow-up on file {w} before the hearing." for w in writings)
    path = tmp_path / "notes.txt"
    path.write_text(text, encoding="utf-8")
    report = scanner.scan(path)
    assert report.persons == {p["person_id"] for p in people}
    assert report.verdict == "block"


def test_a_table_that_singles_people_out_is_blocked_without_any_name(
        scanner: Scanner, court_folder: Path, tmp_path: Path) -> None:
    """EOIR's own public layout: birth date, gender, nationality, language, city per case."""
    people = _persons(court_folder)
    rows = [[str(n), p["date_of_birth"], p["sex"], p["nationality"], p["language"], p["city"]]
            for n, p in enumerate(people)]
    header = ["IDNCASE", "C_BIRTHDATE", "GENDER", "NAT", "LANG", "ALIEN_CITY"]
    report = scanner.scan(_write(tmp_path / "A_TblCase.csv", header, rows))
    assert report.verdict == "block"
    [risk] = report.risks
    assert risk.k == 1 and risk.rows == len(people)


def test_findings_hold_no_value_in_clear(scanner: Scanner, court_folder: Path,
                                         tmp_path: Path) -> None:
    everyone = [p["person_id"] for p in _persons(court_folder)]
    replica = write_incident_replica(court_folder, tmp_path, rows=40, among=everyone)
    shown = json.dumps(scanner.scan(replica.csv_path).as_json(with_person_ids=True))
    for person in _persons(court_folder):
        if person["person_id"] in replica.person_ids:
            assert person["a_number"] not in shown
            assert person["family_name"].upper() not in shown
    hidden = json.dumps(scanner.scan(replica.csv_path).as_json(with_person_ids=False))
    assert not any(pid in hidden for pid in replica.person_ids)


def test_identifiers_of_people_not_in_the_system_still_block(scanner: Scanner,
                                                             tmp_path: Path) -> None:
    path = _write(tmp_path / "other.csv", ["Name", "SSN"],
                  [["Testa Person", "123-45-6789"], ["Otra Persona", "234-56-7890"]])
    report = scanner.scan(path)
    assert report.verdict == "block" and report.persons == set()
    assert {f.kind.value for f in report.findings} >= {"ssn"}


def test_an_unreadable_file_is_a_clear_error(scanner: Scanner, tmp_path: Path) -> None:
    junk = tmp_path / "export.csv"
    junk.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(UnreadableFile):
        scanner.scan(junk)
