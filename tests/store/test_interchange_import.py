"""Importing interchange folders: complete, idempotent, and all-or-nothing on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection

from casevault.errors import FormatVersionError, InputError, InterchangeError, InterchangeProblems
from casevault.store import reads
from casevault.store.interchange import import_folder

from .helpers import copy_folder, csv_rows, header_of, set_cell, snapshot, table_counts, write_csv

FILE_TABLES = {
    "persons": "persons", "relatives": "relatives", "cases": "cases", "attorneys": "attorneys",
    "representations": "representations", "hearings": "hearings",
    "applications": "applications", "encounters": "encounters", "documents": "documents",
    "users": "users", "assignments": "assignments", "addresses": "person_addresses",
    "charges": "charges", "courts": "courts", "facilities": "facilities",
}


def _expected_counts(folder: Path) -> dict[str, int]:
    """Row counts straight from the CSV files, with the csv module only."""
    return {table: len(csv_rows(folder / f"{name}.csv"))
            for name, table in FILE_TABLES.items() if (folder / f"{name}.csv").exists()}


def test_synthetic_court_imports_every_row(connection: Connection, court_folder: Path) -> None:
    report = import_folder(connection, court_folder)
    counts = table_counts(connection)
    expected = _expected_counts(court_folder)
    assert {table: counts[table] for table in expected} == expected
    assert report.total_rows == sum(expected.values())
    assert counts["person_names"] >= counts["persons"]


def test_reimport_updates_and_never_duplicates(connection: Connection, court_folder: Path) -> None:
    import_folder(connection, court_folder)
    first = snapshot(connection)
    counts = table_counts(connection)
    report = import_folder(connection, court_folder)
    assert table_counts(connection) == counts
    assert snapshot(connection) == first
    persons = next(s for s in report.files if s.name == "persons")
    assert persons.updated == persons.rows == counts["persons"]


def test_reimport_applies_changed_values(connection: Connection, court_folder: Path,
                                         tmp_path: Path) -> None:
    import_folder(connection, court_folder)
    folder = copy_folder(court_folder, tmp_path / "changed")
    person_id = csv_rows(folder / "persons.csv")[0]["person_id"]
    set_cell(folder, "persons", 0, "city", "Springfield")
    set_cell(folder, "persons", 0, "other_names", "Alias Uno;Alias Dos")
    import_folder(connection, folder)
    assert reads.person(connection, person_id).city == "Springfield"
    found = {p.person_id for p in reads.persons_by_name(connection, "Alias Dos")}
    assert person_id in found  # the new alias is searchable (through its blind index)


def _break(folder: Path, file: str, index: int, column: str, value: str) -> int:
    return set_cell(folder, file, index, column, value)


BAD_CELLS = [
    # (file, row index, column, bad value, expected words in the problem)
    ("persons", 4, "date_of_birth", "1990-02-30", "not a real calendar date"),
    ("persons", 2, "date_of_birth", "03/04/1990", "expected YYYY-MM-DD"),
    ("persons", 3, "a_number", "A12", "not an A-number"),
    ("persons", 1, "sex", "female", "not one of: F, M, U, X"),
    ("persons", 5, "nationality", "Mexico", "ISO 3166-1"),
    ("persons", 6, "family_name", "", "required but empty"),
    ("cases", 7, "person_id", "NO-SUCH-PERSON", "not in persons"),
    ("cases", 2, "opened_on", "2031-13-01", "not a real calendar date"),
    ("cases", 3, "status", "open", "not one of"),
    ("hearings", 10, "scheduled_at", "tomorrow", "not a date-time"),
    ("hearings", 4, "judge_user_id", "U-UNKNOWN", "not in users"),
    ("applications", 2, "case_id", "C-MISSING", "not in cases"),
    ("assignments", 3, "capacity", "bailiff", "not one of"),
    ("relatives", 0, "relation", "cousin", "not one of"),
]


@pytest.mark.parametrize(("file", "index", "column", "value", "words"), BAD_CELLS,
                         ids=[f"{b[0]}-{b[2]}" for b in BAD_CELLS])
def test_one_bad_cell_changes_nothing_and_is_located(
    connection: Connection, court_folder: Path, tmp_path: Path,
    file: str, index: int, column: str, value: str, words: str,
) -> None:
    import_folder(connection, court_folder)
    before = snapshot(connection)
    folder = copy_folder(court_folder, tmp_path / "bad")
    set_cell(folder, "persons", 0, "city", "Changed Before The Error")
    line = _break(folder, file, index, column, value)
    with pytest.raises(InterchangeProblems) as caught:
        import_folder(connection, folder)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column) == (f"{file}.csv", line, column)
    assert words in problem.problem
    assert f"{file}.csv line {line}, column {column}" in str(caught.value)
    if value and file == "persons":
        assert value not in str(caught.value)
    assert snapshot(connection) == before


def test_bad_row_in_the_last_file_rolls_back_the_first(connection: Connection,
                                                       court_folder: Path, tmp_path: Path) -> None:
    before = table_counts(connection)
    folder = copy_folder(court_folder, tmp_path / "bad")
    _break(folder, "assignments", 0, "started_on", "yesterday")
    with pytest.raises(InterchangeProblems):
        import_folder(connection, folder)
    assert table_counts(connection) == before


def test_duplicate_id_names_both_lines(connection: Connection, court_folder: Path,
                                       tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "dup")
    rows = csv_rows(folder / "persons.csv")
    rows[5]["person_id"] = rows[2]["person_id"]
    write_csv(folder / "persons.csv", rows, header_of(folder / "persons.csv"))
    with pytest.raises(InterchangeProblems) as caught:
        import_folder(connection, folder)
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (7, "person_id")
    assert "duplicate key" in problem.problem and "first on line 4" in problem.problem


def test_several_problems_are_reported_together(connection: Connection, court_folder: Path,
                                                tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "many")
    for index in (1, 3, 8):
        _break(folder, "persons", index, "date_of_birth", "not-a-date")
    with pytest.raises(InterchangeProblems) as caught:
        import_folder(connection, folder)
    assert [p.line for p in caught.value.problems] == [3, 5, 10]
    assert "and 2 more problems" in str(caught.value)


def test_missing_column_is_named(connection: Connection, court_folder: Path,
                                 tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "nocol")
    header = [name for name in header_of(folder / "cases.csv") if name != "custody"]
    rows = [{k: v for k, v in row.items() if k != "custody"}
            for row in csv_rows(folder / "cases.csv")]
    write_csv(folder / "cases.csv", rows, header)
    with pytest.raises(InterchangeError) as caught:
        import_folder(connection, folder)
    assert (caught.value.file, caught.value.line, caught.value.column) == ("cases.csv", 1,
                                                                           "custody")
    assert table_counts(connection)["persons"] == 0


def test_unknown_column_is_refused(connection: Connection, court_folder: Path,
                                   tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "extra")
    rows = csv_rows(folder / "encounters.csv")
    for row in rows:
        row["officer_name"] = "x"
    write_csv(folder / "encounters.csv", rows, [*header_of(folder / "encounters.csv"),
                                                "officer_name"])
    with pytest.raises(InterchangeError, match="unknown column 'officer_name'"):
        import_folder(connection, folder)


def test_unknown_file_is_refused(connection: Connection, court_folder: Path,
                                 tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "typo")
    (folder / "persons.csv").rename(folder / "person.csv")
    with pytest.raises(InterchangeError, match=r"person\.csv: is not an interchange file"):
        import_folder(connection, folder)


def test_invalid_utf8_is_located(connection: Connection, court_folder: Path,
                                 tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "latin1")
    lines = (folder / "persons.csv").read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b",", b",\xe9", 1)
    (folder / "persons.csv").write_bytes(b"\n".join(lines))
    with pytest.raises(InterchangeError, match="not valid UTF-8"):
        import_folder(connection, folder)
    assert table_counts(connection)["persons"] == 0


def test_row_with_an_extra_field_is_located(connection: Connection, court_folder: Path,
                                            tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "shifted")
    lines = (folder / "cases.csv").read_text(encoding="utf-8").split("\n")
    lines[6] += ",surplus"
    (folder / "cases.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InterchangeError) as caught:
        import_folder(connection, folder)
    assert (caught.value.file, caught.value.line) == ("cases.csv", 7)


def test_newer_format_version_is_refused(connection: Connection, court_folder: Path,
                                         tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "future")
    manifest = (folder / "manifest.json").read_text(encoding="utf-8")
    (folder / "manifest.json").write_text(manifest.replace('"version": 1', '"version": 99'),
                                          encoding="utf-8")
    with pytest.raises(FormatVersionError, match="version 99 is not supported"):
        import_folder(connection, folder)


def test_not_a_folder_is_a_clear_error(connection: Connection, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a folder"):
        import_folder(connection, tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no interchange files"):
        import_folder(connection, tmp_path / "empty")


def test_document_content_outside_the_folder_is_refused(connection: Connection,
                                                        court_folder: Path,
                                                        tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "escape")
    _break(folder, "documents", 0, "content_path", "../../etc/passwd")
    with pytest.raises(InterchangeProblems, match="not a relative path inside the folder"):
        import_folder(connection, folder)


def test_a_number_variants_are_normalised(connection: Connection, court_folder: Path,
                                          tmp_path: Path) -> None:
    folder = copy_folder(court_folder, tmp_path / "variants")
    canonical = csv_rows(folder / "persons.csv")[0]["a_number"]
    digits = canonical[1:]
    set_cell(folder, "persons", 0, "a_number", f"A-{digits[:3]}-{digits[3:6]}-{digits[6:]}")
    import_folder(connection, folder)
    stored = reads.person_by_a_number(connection, canonical)
    assert stored is not None
    assert stored.a_number == canonical
