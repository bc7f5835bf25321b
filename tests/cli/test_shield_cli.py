"""``casevault scan / publish / shield``: the leak shield from the command line, on SQLite.

The files are the synthetic leak scenarios (``synth.leaks``); who they name is
read from their label file, not from the scanner.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casevault.synth.leaks import IncidentReplica, write_clean_files, write_incident_replica

from .operators import ledger_count, person_ids, run, signed_in, users_with_role

WHY = "Release review of the public site update, ticket INC-8120"


@pytest.fixture
def env(court_copy: dict[str, str]) -> dict[str, str]:
    return court_copy


@pytest.fixture
def replica(court_folder: Path, tmp_path: Path) -> IncidentReplica:
    return write_incident_replica(court_folder, tmp_path / "leak", rows=60,
                                  among=person_ids(court_folder))




def test_scan_exit_codes_and_no_values_in_the_output(env: dict[str, str], court_folder: Path,
                                                     replica: IncidentReplica,
                                                     tmp_path: Path) -> None:
    code, out = run(env, "scan", str(replica.csv_path), "--json")
    assert code == 1, out
    report = json.loads(out)
    assert report["verdict"] == "block" and report["persons_matched"] == 60
    assert not any(pid in out for pid in replica.person_ids)  # ids withheld without --identify
    for clean in write_clean_files(court_folder, tmp_path / "clean"):
        code, out = run(env, "scan", str(clean))
        assert code == 0, out
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 50)
    assert run(env, "scan", str(junk))[0] == 2


def test_identify_shows_ids_only_to_an_officer_and_ledgers_it(
        env: dict[str, str], replica: IncidentReplica, tmp_path: Path) -> None:
    analyst = signed_in(env, users_with_role(env, "analyst")[0], tmp_path / "analyst")
    code, out = run(env, "scan", str(replica.csv_path), "--identify", "--justification", WHY,
                    CASEVAULT_SESSION_FILE=str(analyst))
    assert code == 2 and not any(pid in out for pid in replica.person_ids)
    assert ledger_count(env, "result = 'deny' AND action = 'view'") == 1

    officer = signed_in(env, users_with_role(env, "privacy_officer")[0], tmp_path / "officer")
    code, out = run(env, "scan", str(replica.csv_path), "--identify", "--json",
                    "--justification", WHY, CASEVAULT_SESSION_FILE=str(officer))
    assert code == 1, out
    shown = {f["matched_person_id"] for f in json.loads(out)["findings"]}
    assert shown == set(replica.person_ids)
    assert ledger_count(env, "action = 'view' AND result = 'permit'") == 60


def test_a_blocked_file_is_published_only_after_two_officers_approve_it(
        env: dict[str, str], replica: IncidentReplica, tmp_path: Path) -> None:
    web = tmp_path / "www"
    web.mkdir()
    code, out = run(env, "publish", str(replica.csv_path), "--to", str(web))
    assert code == 1 and "NOT published" in out
    assert list(web.iterdir()) == []

    first, second = users_with_role(env, "privacy_officer")[:2]
    clerk = users_with_role(env, "clerk")[0]
    sessions = {user: signed_in(env, user, tmp_path / f"s-{user}") for user in (first, second,
                                                                              clerk)}
    for user, expected in ((clerk, None), (first, 1), (first, 1)):
        code, out = run(env, "shield", "approve", str(replica.csv_path), "--justification", WHY,
                        CASEVAULT_SESSION_FILE=str(sessions[user]))
        if expected is None:
            assert code == 2, out
        else:
            assert code == 0 and f"{expected} of 2 approvals" in out, out
    assert run(env, "publish", str(replica.csv_path), "--to", str(web))[0] == 1

    code, out = run(env, "shield", "approve", str(replica.csv_path), "--justification", WHY,
                    CASEVAULT_SESSION_FILE=str(sessions[second]))
    assert code == 0 and "2 of 2 approvals" in out, out
    code, out = run(env, "publish", str(replica.csv_path), "--to", str(web))
    assert code == 0 and "released by 2 officers" in out, out
    assert (web / replica.csv_path.name).read_bytes() == replica.csv_path.read_bytes()
    assert ledger_count(env, "action = 'publication'") == 2 + 3 + 1  # publish x3, approvals x3

    altered = tmp_path / "altered.csv"
    altered.write_bytes(replica.csv_path.read_bytes() + b"\n")
    assert run(env, "publish", str(altered), "--to", str(web))[0] == 1  # another hash


def test_the_watched_web_root_quarantines_a_leak_and_keeps_clean_files(
        env: dict[str, str], court_folder: Path, replica: IncidentReplica,
        tmp_path: Path) -> None:
    web, quarantine = tmp_path / "www", tmp_path / "quarantine"
    (web / "reports").mkdir(parents=True)
    [aggregate, *_] = write_clean_files(court_folder, web)
    (web / "reports" / "update.xlsx").write_bytes(replica.xlsx_path.read_bytes())

    code, out = run(env, "shield", "watch", str(web), "--quarantine", str(quarantine), "--once")
    assert code == 0 and "QUARANTINED" in out, out
    assert not (web / "reports" / "update.xlsx").exists()
    assert aggregate.exists()
    [moved] = list(quarantine.rglob("update.xlsx"))
    assert moved.read_bytes() == replica.xlsx_path.read_bytes()
    [alert] = (tmp_path / "shield" / "alerts.jsonl").read_text().splitlines()
    assert set(json.loads(alert)["person_ids"]) == set(replica.person_ids)
    assert ledger_count(env, "action = 'publication' AND result = 'deny'") == 1


def test_the_quarantine_may_not_be_inside_the_web_root(env: dict[str, str],
                                                      tmp_path: Path) -> None:
    web = tmp_path / "www"
    web.mkdir()
    code, out = run(env, "shield", "watch", str(web), "--quarantine", str(web / "q"), "--once")
    assert code == 2 and "outside the watched web root" in out
