"""Access-event files: bad rows are reported with row numbers and the rest is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casevault.errors import UnreadableFile
from casevault.watch._events import COLUMNS, KnownIds, RowProblem, read_events

GOOD = {"event_id": "E1", "at": "2026-03-04T09:30:00Z", "user_id": "U00001",
        "session_id": "S1", "device_id": "D1", "ip": "10.0.0.1", "action": "view",
        "person_id": "P0000001", "case_id": "C0000001", "categories": "identity;case",
        "purpose": "adjudication", "justification": "", "result": "permit", "record_count": "1"}


def _csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


def test_a_clean_csv_is_read_whole(tmp_path: Path) -> None:
    report = read_events(_csv(tmp_path / "e.csv", [_row(), _row(event_id="E2")]))
    assert report.kept == 2 and report.problems == []
    assert report.events.ts[0] == 1772616600
    assert report.events.record_count == [1, 1]


BAD_ROWS = [
    (_row(at="yesterday"), "at", "unparseable time"),
    (_row(user_id=""), "user_id", "missing value"),
    (_row(user_id="U99999"), "user_id", "unknown id"),
    (_row(person_id="P9"), "person_id", "unknown id"),
    (_row(action="peek"), "action", "unknown action"),
    (_row(result="maybe"), "result", "unknown result"),
    (_row(record_count="many"), "record_count", "not a whole number"),
    (_row(event_id="E0"), "event_id", "duplicate event id"),
]


@pytest.mark.parametrize(("bad", "column", "problem"), BAD_ROWS)
def test_a_bad_row_is_reported_by_number_and_the_rest_kept(
        tmp_path: Path, bad: dict[str, str], column: str, problem: str) -> None:
    known = KnownIds(users=frozenset({"U00001"}), persons=frozenset({"P0000001"}))
    rows = [_row(event_id="E0"), bad if bad["event_id"] == "E0" else {**bad, "event_id": "EX"},
            _row(event_id="E3")]
    report = read_events(_csv(tmp_path / "e.csv", rows), known)
    assert report.events.event_id == ["E0", "E3"]
    assert len(report.problems) == 1
    found = report.problems[0]
    assert (found.row, found.column) == (3, column)
    assert found.problem.startswith(problem)


def test_problems_never_quote_values(tmp_path: Path) -> None:
    report = read_events(_csv(tmp_path / "e.csv", [_row(at="Maria Lopez 1990")]))
    assert "Maria" not in str(report.problems[0])


def test_a_missing_column_is_reported_once_and_rows_judged_on_what_they_have(
        tmp_path: Path) -> None:
    columns = tuple(c for c in COLUMNS if c not in {"justification", "result"})
    report = read_events(_csv(tmp_path / "e.csv", [_row()], columns))
    assert report.problems[0] == RowProblem(1, "justification,result",
                                            "column missing from the header")
    assert report.problems[1].row == 2 and report.problems[1].column == "result"
    assert report.kept == 0 and report.rows_read == 1


def test_a_short_csv_row_is_rejected_alone(tmp_path: Path) -> None:
    path = _csv(tmp_path / "e.csv", [_row(), _row(event_id="E2")])
    path.write_text(path.read_text(encoding="utf-8") + "E9,2026-01-01T00:00:00Z\n",
                    encoding="utf-8")
    report = read_events(path)
    assert report.kept == 2 and [p.row for p in report.problems] == [4]


def test_json_lines_are_read_and_bad_lines_numbered(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    lines = [json.dumps(_row()), "{not json", json.dumps(_row(event_id="E2", at="2026-13-01")),
             json.dumps({**_row(event_id="E3"), "record_count": 7}), "[1, 2]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = read_events(path)
    assert report.events.event_id == ["E1", "E3"]
    assert report.events.record_count == [1, 7]
    assert [(p.row, p.column) for p in report.problems] == [(2, "*"), (3, "at"), (5, "*")]


def test_a_time_without_offset_is_utc(tmp_path: Path) -> None:
    report = read_events(_csv(tmp_path / "e.csv", [_row(at="2026-03-04T09:30:00")]))
    assert report.events.ts == [1772616600]


def test_an_unknown_file_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(UnreadableFile, match=r"csv or \.jsonl"):
        read_events(path)
