"""Leak scenarios: the incident replica holds the people it says, and clean files name no one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from casevault.errors import InputError
from casevault.synth.leaks import (
    INCIDENT_HEADERS,
    detained_protection_applicants,
    write_clean_files,
    write_incident_replica,
)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_replica_rows_are_the_labelled_people(court_folder: Path, tmp_path: Path) -> None:
    available = detained_protection_applicants(court_folder)
    replica = write_incident_replica(court_folder, tmp_path, rows=len(available) // 2, seed=3)
    persons = {row["person_id"]: row for row in _csv(court_folder / "persons.csv")}
    rows = _csv(replica.csv_path)
    assert tuple(rows[0]) == INCIDENT_HEADERS
    assert len(rows) == len(replica.person_ids) == len(available) // 2
    for row, person_id in zip(rows, replica.person_ids, strict=True):
        person = persons[person_id]
        assert row["A-NUMBER"] == person["a_number"]
        assert row["LAST NAME"] == person["family_name"].upper()
    labels = replica.labels_path.read_text(encoding="utf-8").split()
    assert labels == list(replica.person_ids)
    sheet = load_workbook(replica.xlsx_path, read_only=True)["Detained"]
    assert sum(1 for _ in sheet.iter_rows()) == len(rows) + 1


def test_a_court_too_small_for_the_replica_says_what_to_do(court_folder: Path,
                                                           tmp_path: Path) -> None:
    with pytest.raises(InputError, match="synthesize a court about"):
        write_incident_replica(court_folder, tmp_path, rows=6_252)
    assert not list(tmp_path.iterdir())


def test_clean_files_hold_no_a_number_and_no_known_name(court_folder: Path,
                                                        tmp_path: Path) -> None:
    persons = _csv(court_folder / "persons.csv")
    numbers = {p["a_number"] for p in persons}
    names = {f"{p['given_name']} {p['family_name']}" for p in persons}
    for path in write_clean_files(court_folder, tmp_path):
        text = path.read_text(encoding="utf-8")
        assert not any(number in text for number in numbers), path.name
        assert not any(name in text for name in names), path.name
