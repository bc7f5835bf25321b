"""Retention schedules: parsing with clear errors, and who is due when."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from casevault.errors import InputError
from casevault.store import tables
from casevault.store.interchange import import_folder
from casevault.store.retention import Rule, due, load_schedule

SCHEDULE = """
version = 1

[[rule]]
name = "closed-7y"
case_status = ["closed", "administratively_closed"]
years_after_close = 7
"""


def _schedule(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "retention.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_schedule_is_read(tmp_path: Path) -> None:
    assert load_schedule(_schedule(tmp_path, SCHEDULE)) == [
        Rule("closed-7y", frozenset({"closed", "administratively_closed"}), 7)]


@pytest.mark.parametrize(("text", "problem"), [
    ("version = 2\n", "version = 1"),
    ("version = 1\n", "no \\[\\[rule\\]\\]"),
    (SCHEDULE.replace("7", "-1"), "years_after_close"),
    (SCHEDULE.replace('"closed", ', '"shut", '), "case_status must be a list"),
    (SCHEDULE + 'decision = ["maybe"]\n', "decision must be a list"),
    ("version = [", "not valid TOML"),
])
def test_a_bad_schedule_is_refused_with_the_rule_named(tmp_path: Path, text: str,
                                                       problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        load_schedule(_schedule(tmp_path, text))


def _closed_persons(connection: Connection) -> dict[str, date]:
    c = tables.cases
    rows = connection.execute(select(c.c.person_id, c.c.status, c.c.closed_on)).all()
    open_persons = {p for p, status, _ in rows if status not in ("closed",
                                                                 "administratively_closed")}
    last: dict[str, date] = {}
    for person_id, _, closed in rows:
        if person_id not in open_persons and closed is not None:
            day = closed if isinstance(closed, date) else date.fromisoformat(str(closed))
            last[person_id] = max(day, last.get(person_id, day))
    return last


def test_persons_are_due_only_when_every_case_closed_long_enough_ago(
        connection: Connection, court_folder: Path, tmp_path: Path) -> None:
    import_folder(connection, court_folder)
    rules = load_schedule(_schedule(tmp_path, SCHEDULE))
    closed = _closed_persons(connection)
    assert closed, "the synthetic court has persons whose cases are all closed"
    latest = max(closed.values())
    not_yet = due(connection, rules, latest.replace(year=latest.year + 6))
    assert latest not in {d.last_closed_on for d in not_yet}  # closed six years before
    everyone = due(connection, rules, latest.replace(year=latest.year + 8))
    assert {d.person_id for d in everyone} == set(closed)
    assert all(d.rule == "closed-7y" for d in everyone)
    denied_only = [Rule("denied", frozenset({"closed", "administratively_closed"}), 0,
                        decision=frozenset({"denied"}))]
    assert {d.person_id for d in due(connection, denied_only, date(2100, 1, 1))} < set(closed)
