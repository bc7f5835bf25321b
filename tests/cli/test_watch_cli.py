"""``casevault watch``: simulate a workday, import its court, run and evaluate the detectors."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from .operators import ledger_count, run, signed_in, users_with_role

WHY = "Monthly misuse review of the court's access log, ticket PRV-2026-11"


@pytest.fixture(scope="module")
def workday(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A simulated workday package, a database holding its court, a signed-in privacy officer."""
    root = tmp_path_factory.mktemp("watch-cli")
    env = {"CASEVAULT_DB_URL": f"sqlite:///{root / 'court.db'}",
           "CASEVAULT_KEY_DIR": str(root / "keys")}
    code, output = run(env, "watch", "workday", str(root / "day"), "--people", "1500",
                       "--days", "14", "--seed", "3")
    assert code == 0, output
    for args in (("init",), ("import", str(root / "day" / "court"))):
        code, output = run(env, *args)
        assert code == 0, output
    officer = signed_in(env, users_with_role(env, "privacy_officer")[0], root / "officer")
    return root / "day", {**env, "CASEVAULT_SESSION_FILE": str(officer)}


def test_run_writes_alerts_with_ids_only(workday: tuple[Path, dict[str, str]],
                                         tmp_path: Path) -> None:
    folder, env = workday
    out = tmp_path / "alerts.jsonl"
    before = ledger_count(env, "action = 'audit_access'")
    code, output = run(env, "watch", "run", "--events", str(folder / "events.jsonl"),
                       "--watchlist", str(folder / "watchlist.txt"), "--out", str(out),
                       "--justification", WHY)
    assert code == 0, output
    assert ledger_count(env, "action = 'audit_access'") == before + 1
    alerts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    labelled = {json.loads(line)["user_id"]
                for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines()}
    assert {a["user_id"] for a in alerts} == labelled
    assert set(alerts[0]) >= {"alert_id", "detector", "user_id", "person_ids", "event_ids",
                              "score", "severity", "summary", "first_at", "last_at"}
    assert "explained" in output


def test_bad_rows_are_listed_by_number_and_the_rest_analysed(
        workday: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder, env = workday
    events = tmp_path / "events.jsonl"
    lines = (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    bad = [json.dumps({**first, "at": "soon"}), json.dumps({**first, "user_id": "U99999"}),
           "{broken", lines[0]]
    events.write_text("\n".join(lines + bad) + "\n", encoding="utf-8")
    out = tmp_path / "alerts.jsonl"
    code, output = run(env, "watch", "run", "--events", str(events), "--out", str(out),
                       "--justification", WHY)
    assert code == 0, output
    n = len(lines)
    for row, column in ((n + 1, "at"), (n + 2, "user_id"), (n + 3, "*"), (n + 4, "event_id")):
        assert f"row {row}, column {column}" in output
    assert "4 bad row(s) skipped" in output
    assert f"{n:,} events analysed" in output
    assert out.read_text(encoding="utf-8")


def test_evaluate_prints_precision_recall_and_share_explained(
        workday: tuple[Path, dict[str, str]]) -> None:
    folder, env = workday
    code, output = run(env, "watch", "evaluate", "--events", str(folder / "events.jsonl"),
                       "--labels", str(folder / "labels.jsonl"), "--watchlist",
                       str(folder / "watchlist.txt"))
    assert code == 0, output
    assert "bulk_access" in output and "overall" in output
    assert "normal accesses explained" in output


def test_run_reads_the_ledger_by_default(workday: tuple[Path, dict[str, str]],
                                         tmp_path: Path) -> None:
    _, env = workday
    out = tmp_path / "alerts.jsonl"
    code, output = run(env, "watch", "run", "--out", str(out), "--justification", WHY)
    assert code == 0, output
    assert "accesses" in output
    assert out.exists()


def test_an_unknown_engine_is_a_clear_error(workday: tuple[Path, dict[str, str]],
                                            tmp_path: Path) -> None:
    _, env = workday
    code, output = run(env, "watch", "run", "--engine", "oracle", "--out",
                       str(tmp_path / "a.jsonl"), "--justification", WHY)
    assert code == 2
    assert "choose duckdb or spark" in output


def test_alerts_are_filed_into_cases_a_privacy_officer_works(
        workday: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder, env = workday
    alerts = tmp_path / "alerts.jsonl"
    code, output = run(env, "watch", "run", "--events", str(folder / "events.jsonl"), "--out",
                       str(alerts), "--justification", WHY)
    assert code == 0, output
    code, output = run(env, "watch", "file", str(alerts))
    assert code == 0, output
    assert "new case(s)" in output
    code, output = run(env, "watch", "cases", "--state", "open")
    case_id = re.search(r"WC-[0-9a-f]+", output)
    assert code == 0 and case_id is not None, output
    before = ledger_count(env, "action = 'audit_access'")
    code, output = run(env, "watch", "move", case_id.group(), "investigating", "--note",
                       "asked the supervisor")
    assert code == 0, output
    assert "is now investigating" in output
    assert ledger_count(env, "action = 'audit_access'") == before + 1
    code, output = run(env, "watch", "case", case_id.group(), "--justification", WHY)
    assert code == 0 and "investigating by" in output and "asked the supervisor" in output
    code, output = run(env, "watch", "move", case_id.group(), "open", "--note", "x")
    assert code == 2 and "can move to" in output


def test_synth_gains_the_workday_simulator(tmp_path: Path) -> None:
    """`casevault synth --workdays` writes the court with its staff's work and the labels."""
    out = tmp_path / "court-at-work"
    code, output = run({}, "synth", str(out), "--people", "300", "--workdays", "3",
                       "--seed", "5")
    assert code == 0, output
    with (out / "court" / "persons.csv").open(encoding="utf-8") as persons:
        known_persons = {row["person_id"] for row in csv.DictReader(persons)}
    with (out / "court" / "users.csv").open(encoding="utf-8") as users:
        known_users = {row["user_id"] for row in csv.DictReader(users)}
    events = [json.loads(line) for line in
              (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    labels = [json.loads(line) for line in
              (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert events and labels
    assert {e["user_id"] for e in events} <= known_users
    assert {e["person_id"] for e in events if e.get("person_id")} <= known_persons
    assert {p for label in labels for p in label["person_ids"]} <= known_persons
    assert {label["user_id"] for label in labels} <= known_users


def test_synth_refuses_a_workday_for_a_court_too_small_to_staff(tmp_path: Path) -> None:
    code, output = run({}, "synth", str(tmp_path / "tiny"), "--people", "20", "--workdays", "3")
    assert code != 0 and "--people 100 or more" in output
    assert not (tmp_path / "tiny").exists()
