"""Export writes what import read: the same rows, and a folder that re-imports identically."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Connection

from casevault.errors import InputError
from casevault.store.interchange import export_folder, import_folder

from .helpers import snapshot, table_counts


def _row_set(path: Path) -> set[tuple[str, ...]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        order = sorted(range(len(header)), key=lambda i: header[i])
        return {tuple(row[i] for i in order) for row in reader}


def _folder_rows(folder: Path) -> dict[str, set[tuple[str, ...]]]:
    return {path.stem: _row_set(path) for path in sorted(folder.glob("*.csv"))}


def _content(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "documents").iterdir())}


def test_export_holds_exactly_the_imported_rows(connection: Connection, court_folder: Path,
                                                tmp_path: Path) -> None:
    import_folder(connection, court_folder)
    export_folder(connection, tmp_path / "out")
    assert _folder_rows(tmp_path / "out") == _folder_rows(court_folder)
    assert _content(tmp_path / "out") == _content(court_folder)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_reimports_to_identical_content(connection: Connection, court_folder: Path,
                                               tmp_path: Path, fmt: str) -> None:
    savepoint = connection.begin_nested()
    import_folder(connection, court_folder)
    original_counts, original = table_counts(connection), snapshot(connection)
    export_folder(connection, tmp_path / "out", fmt=fmt)  # type: ignore[arg-type]
    savepoint.rollback()
    assert table_counts(connection)["persons"] == 0

    import_folder(connection, tmp_path / "out")
    assert table_counts(connection) == original_counts
    assert snapshot(connection) == original


def test_export_is_deterministic(connection: Connection, court_folder: Path,
                                 tmp_path: Path) -> None:
    import_folder(connection, court_folder)
    export_folder(connection, tmp_path / "one")
    export_folder(connection, tmp_path / "two")
    for path in sorted((tmp_path / "one").glob("*.csv")):
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes()


def test_export_refuses_a_folder_with_files(connection: Connection, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        export_folder(connection, tmp_path / "busy")
    assert (tmp_path / "busy" / "keep.txt").read_text() == "x"


def _csv_column(folder: Path, name: str, column: str) -> set[str]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def test_a_scoped_export_holds_only_its_persons_and_reimports_on_its_own(
        connection: Connection, court_folder: Path, tmp_path: Path) -> None:
    with (court_folder / "cases.csv").open(encoding="utf-8", newline="") as handle:
        riders = [row for row in csv.DictReader(handle) if row["lead_case_id"]]
    scope = {riders[0]["person_id"], "P0000001", "P0000002"}
    savepoint = connection.begin_nested()
    import_folder(connection, court_folder)
    export_folder(connection, tmp_path / "out", persons=scope)
    savepoint.rollback()

    out = tmp_path / "out"
    assert _csv_column(out, "persons", "person_id") == scope
    assert _csv_column(out, "cases", "person_id") <= scope
    assert _csv_column(out, "relatives", "relative_id") <= scope
    hearing_cases = _csv_column(out, "hearings", "case_id")
    assert hearing_cases <= _csv_column(out, "cases", "case_id")
    assert _csv_column(out, "hearings", "judge_user_id") - {""} <= _csv_column(
        out, "users", "user_id")
    import_folder(connection, out)  # foreign keys hold without the rest of the court
    assert table_counts(connection)["persons"] == len(scope)


def test_an_oversized_scope_is_refused(connection: Connection, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at most"):
        export_folder(connection, tmp_path / "out", persons={f"P{i}" for i in range(10_001)})
    assert not (tmp_path / "out").exists()
