"""Labelled leak scenarios for the shield: a replica of the incident, and files that are clean.

The incident: a spreadsheet of 6,252 detained asylum seekers — names, dates of
birth, A-numbers, nationalities, detention facilities, booking dates — posted
to a public website. ``write_incident_replica`` draws the same columns from a
synthetic court's detained protection applicants (everything synthetic) and
writes it as CSV and XLSX with the list of person ids it contains (the label a
test or benchmark scores against). ``write_clean_files`` writes what a court
publishes legitimately and must pass: an aggregate table, a staff phone list of
people who are not in the database, and a hearing calendar without names.

Inputs are interchange folders written by ``write_court`` (CSV), read with the
standard csv module; everything is drawn from the seed.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import pycountry
from faker import Faker

from casevault.domain import PROTECTION_APPLICATION_KINDS
from casevault.errors import InputError

INCIDENT_ROWS: Final = 6_252
INCIDENT_HEADERS: Final = ("LAST NAME", "FIRST NAME", "DOB", "A-NUMBER", "NATIONALITY",
                           "DETENTION FACILITY", "BOOKING DATE")


@dataclass(frozen=True, slots=True)
class IncidentReplica:
    csv_path: Path
    xlsx_path: Path
    labels_path: Path
    person_ids: tuple[str, ...]


def _rows(folder: Path, name: str) -> Iterator[dict[str, str]]:
    path = folder / f"{name}.csv"
    if not path.exists():
        msg = f"{folder} is not a CSV interchange folder ({name}.csv is missing)"
        raise InputError(msg)
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def detained_protection_applicants(folder: Path) -> list[str]:
    """Person ids with a protection application in a case where they are detained."""
    detained = {row["case_id"]: row for row in _rows(folder, "cases")
                if row["custody"] == "detained"}
    kinds = {kind.value for kind in PROTECTION_APPLICATION_KINDS}
    return sorted({detained[row["case_id"]]["person_id"] for row in _rows(folder, "applications")
                   if row["kind"] in kinds and row["case_id"] in detained})


def incident_rows(folder: Path, *, rows: int = INCIDENT_ROWS, seed: int = 1,
                  among: Sequence[str] | None = None) -> tuple[list[tuple[str, ...]], list[str]]:
    """The replica's rows (without header) and, in the same order, whose they are.

    ``among`` draws from other persons than the detained protection applicants
    (a small test court has few of those); the columns stay the same.
    """
    candidates = sorted(among) if among is not None else detained_protection_applicants(folder)
    if len(candidates) < rows:
        msg = (f"the synthetic court has {len(candidates)} detained protection applicants, "
               f"fewer than the {rows} rows asked for; synthesize a court about "
               f"{-(-rows // max(len(candidates), 1))} times as large, or ask for fewer rows")
        raise InputError(msg)
    chosen = sorted(random.Random(seed).sample(candidates, rows))
    wanted = set(chosen)
    persons = {row["person_id"]: row for row in _rows(folder, "persons")
               if row["person_id"] in wanted}
    facility_names = {row["facility_code"]: row["name"] for row in _rows(folder, "facilities")}
    booked = _booking(folder, wanted)
    table = [_incident_row(persons[p], facility_names.get(booked.get(p, ("", ""))[1], ""),
                           booked.get(p, ("", ""))[0]) for p in chosen]
    return table, chosen


def _booking(folder: Path, wanted: set[str]) -> dict[str, tuple[str, str]]:
    """Per person: the opening date and facility of their first detained case."""
    found: dict[str, tuple[str, str]] = {}
    for row in _rows(folder, "cases"):
        person = row["person_id"]
        earlier = person not in found or row["opened_on"] < found[person][0]
        if person in wanted and row["custody"] == "detained" and earlier:
            found[person] = (row["opened_on"], row["facility_code"])
    return found


def _incident_row(person: dict[str, str], facility: str, booked_on: str) -> tuple[str, ...]:
    country = pycountry.countries.get(alpha_2=person["nationality"])
    nationality = country.name.upper() if country is not None else person["nationality"]
    born = date.fromisoformat(person["date_of_birth"]) if person["date_of_birth"] else None
    booked = date.fromisoformat(booked_on) if booked_on else None
    return ((person["family_name"] or "").upper(), (person["given_name"] or "").upper(),
            born.strftime("%m/%d/%Y") if born else "", person["a_number"], nationality,
            facility, booked.strftime("%m/%d/%Y") if booked else "")


def write_incident_replica(folder: Path, out: Path, *, rows: int = INCIDENT_ROWS,
                           seed: int = 1, among: Sequence[str] | None = None) -> IncidentReplica:
    """Write ``detained-asylum.csv``, ``detained-asylum.xlsx`` and ``expected-person-ids.txt``."""
    table, person_ids = incident_rows(folder, rows=rows, seed=seed, among=among)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = out / "detained-asylum.csv", out / "detained-asylum.xlsx"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(INCIDENT_HEADERS)
        writer.writerows(table)
    _write_xlsx(xlsx_path, "Detained", INCIDENT_HEADERS, table)
    labels = out / "expected-person-ids.txt"
    labels.write_text("".join(f"{person}\n" for person in person_ids), encoding="utf-8")
    return IncidentReplica(csv_path, xlsx_path, labels, tuple(person_ids))


def _write_xlsx(path: Path, title: str, headers: tuple[str, ...],
                rows: list[tuple[str, ...]]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 -- only leak scenarios write spreadsheets

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)


def write_clean_files(folder: Path, out: Path, *, seed: int = 1) -> list[Path]:
    """Files a court may publish: they must pass the shield."""
    out.mkdir(parents=True, exist_ok=True)
    return [_aggregate(folder, out / "cases-by-court-and-type.csv"),
            _staff_phone_list(folder, out / "staff-phone-list.csv", seed),
            _calendar(folder, out / "hearing-calendar.csv")]


def _aggregate(folder: Path, path: Path) -> Path:
    counts = Counter((row["court_code"], row["case_type"], row["status"])
                     for row in _rows(folder, "cases"))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("court", "case type", "status", "cases"))
        writer.writerows((*key, count) for key, count in sorted(counts.items()))
    return path


def _staff_phone_list(folder: Path, path: Path, seed: int) -> Path:
    """Names and desk phones of people who are in no table of the court."""
    known = {(row["family_name"].casefold(), row["given_name"].casefold())
             for name in ("persons", "users") for row in _rows(folder, name)}
    faker = Faker("en_US")
    faker.seed_instance(seed + 7919)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("Name", "Office", "Desk phone"))
        while written < 40:
            family, given = faker.last_name(), faker.first_name()
            if (family.casefold(), given.casefold()) in known:
                continue
            writer.writerow((f"{given} {family}", faker.city(), f"555-01{written:02d}"))
            written += 1
    return path


def _calendar(folder: Path, path: Path) -> Path:
    """Hearings per court, day and type: when the court sits, not who appears."""
    courts = {row["case_id"]: row["court_code"] for row in _rows(folder, "cases")}
    counts = Counter((courts[row["case_id"]], row["scheduled_at"][:10], row["hearing_type"])
                     for row in _rows(folder, "hearings"))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("court", "date", "hearing type", "hearings"))
        writer.writerows((*key, count) for key, count in sorted(counts.items()))
    return path


__all__ = ["INCIDENT_HEADERS", "INCIDENT_ROWS", "IncidentReplica",
           "detained_protection_applicants", "incident_rows", "write_clean_files",
           "write_incident_replica"]
