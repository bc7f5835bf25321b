"""A whole breach response on both databases: open, holds, notices, trace, report.

The officer is a session context as ``Sessions.authenticate`` would give a
signed-in privacy officer (the command-line tests sign one in for real); the
scanner is the shield's, over an exact-data-match index of the test court; who
the file names comes from the replica's labels and open cases from plain SQL.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text

from casevault.access.holds import BreachDoor, Officer
from casevault.access.identity import SessionContext
from casevault.access.policy import AccountState, Principal
from casevault.audit.ledger import Ledger
from casevault.breach import clocks
from casevault.breach.downloads import downloads, trace_incident
from casevault.breach.incidents import (
    Timeline,
    affected_people,
    load_incident,
    meet_clock,
    open_incident,
    unresolved_rows,
)
from casevault.breach.notices import mark_mailing, write_notices
from casevault.breach.report import write_report
from casevault.breach.trace import AddressSeal
from casevault.domain import Agency, Role
from casevault.errors import InvalidValue, NotFound
from casevault.shield.edm import EdmIndex
from casevault.shield.scan import Scanner
from casevault.store.tables_breach import (
    breach_affected,
    breach_downloads,
    breach_incidents,
    breach_notices,
    breach_steps,
    breach_unresolved,
    case_holds,
)
from casevault.synth.leaks import IncidentReplica, write_incident_replica
from casevault.synth.weblogs import write_access_log

WHY = "Breach response to the public site leak, ticket INC-8120"
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
POSTED = datetime(2026, 11, 1, 8, tzinfo=UTC)
REMOVED = datetime(2026, 11, 20, 15, tzinfo=UTC)
LEAKED = "/files/detained-asylum.csv"


@pytest.fixture(scope="module", autouse=True)
def _release_connections(court_engine: Engine) -> Iterator[None]:
    """Close this module's pooled connections when it ends (the server is shared)."""
    yield
    court_engine.dispose()


@pytest.fixture
def door(guard_engine: Engine, guard_ledger: Ledger) -> Iterator[BreachDoor]:
    def clear() -> None:
        with guard_engine.begin() as connection:
            for table in (case_holds, breach_notices, breach_downloads, breach_unresolved,
                          breach_affected, breach_steps, breach_incidents):
                connection.execute(delete(table))

    clear()
    yield BreachDoor(guard_engine, guard_ledger, clock=lambda: NOW)
    clear()


@pytest.fixture
def officer(door: BreachDoor, guard_engine: Engine) -> Officer:
    with guard_engine.connect() as connection:
        user_id = str(connection.execute(text(
            "SELECT user_id FROM users WHERE role = 'privacy_officer' ORDER BY user_id")
        ).scalars().first())
    principal = Principal(user_id, Role.PRIVACY_OFFICER, Agency.EOIR, AccountState.ACTIVE,
                          training_current=True, mfa_verified=True)
    return door.admit(SessionContext("s-1", user_id, "d-1", None, principal), WHY)


@pytest.fixture
def replica(court_folder: Path, tmp_path: Path) -> IncidentReplica:
    with (court_folder / "persons.csv").open(encoding="utf-8", newline="") as handle:
        everyone = [row["person_id"] for row in csv.DictReader(handle)]
    return write_incident_replica(court_folder, tmp_path / "leak", rows=40, among=everyone)


@pytest.fixture
def scanner(guard_engine: Engine) -> Scanner:
    return Scanner(EdmIndex.build(guard_engine, bytes(range(32))))


def test_a_response_from_file_to_report(door: BreachDoor, officer: Officer,
                                        guard_engine: Engine, scanner: Scanner,
                                        replica: IncidentReplica, tmp_path: Path) -> None:
    opened = open_incident(door, guard_engine, officer, scanner, replica.csv_path,
                           Timeline(REMOVED, POSTED, REMOVED, f"https://court.example{LEAKED}"),
                           clocks.configured(["authority=48h"]))
    assert {a.person_id for a in affected_people(door, guard_engine, officer,
                                                 opened.incident_id)} == \
        set(replica.person_ids)
    with guard_engine.connect() as connection:
        open_cases = {c for (c,) in connection.execute(text(
            "SELECT case_id FROM cases WHERE status <> 'closed' AND person_id IN (" +
            ", ".join(f"'{p}'" for p in replica.person_ids) + ")"))}
        held = {c for (c,) in connection.execute(text(
            "SELECT case_id FROM case_holds WHERE cleared_at IS NULL"))}
    assert held == open_cases and opened.holds == len(open_cases)

    run = write_notices(door, guard_engine, officer, opened.incident_id, tmp_path / "notices",
                        contact="Privacy Office")
    assert run.persons == 40 and run.mail_merge.exists()
    assert mark_mailing(door, guard_engine, officer, opened.incident_id, "mailed") == \
        run.persons + run.attorneys

    planted = write_access_log(tmp_path / "logs", lines=5_000, leaked_path=LEAKED,
                               posted_at=POSTED, removed_at=REMOVED, downloads=12)
    seal = AddressSeal.from_key_dir(tmp_path / "keys")
    traced = trace_incident(door, guard_engine, officer, opened.incident_id, planted.paths,
                            seal)
    again = trace_incident(door, guard_engine, officer, opened.incident_id, planted.paths, seal)
    assert traced.new == 12 and again.new == 0
    found = downloads(door, guard_engine, officer, opened.incident_id, seal)
    assert sorted((d.client, d.at) for d in found) == sorted(
        (d.client, d.at) for d in planted.downloads)

    meet_clock(door, guard_engine, officer, opened.incident_id, "security_centre")
    with pytest.raises(InvalidValue, match="already met"):
        meet_clock(door, guard_engine, officer, opened.incident_id, "security_centre")
    with guard_engine.connect() as connection:
        incident = load_incident(connection, opened.incident_id)
    states = {s.rule.name: s.state for s in incident.clock_status(NOW)}
    assert states == {"security_centre": "met", "authority": "due", "individuals": "met"}
    assert (incident.affected, incident.downloads, incident.holds_active) == (
        40, 12, len(open_cases))

    files = write_report(door, guard_engine, officer, opened.incident_id, tmp_path / "report")
    page = files.html.read_text(encoding="utf-8")
    assert "<svg" in page and files.pdf.read_bytes().startswith(b"%PDF")
    assert not any(p in page for p in replica.person_ids)


def test_a_file_of_nobody_here_is_an_incident_with_zero_affected(
        door: BreachDoor, officer: Officer, guard_engine: Engine, scanner: Scanner,
        tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.csv"
    stranger.write_text("LAST NAME,FIRST NAME,DOB,A-NUMBER\nZZYZX,QUORBLE,01/02/1980,"
                        "A987654321\n", encoding="utf-8")
    opened = open_incident(door, guard_engine, officer, scanner, stranger, Timeline(NOW))
    assert (opened.affected, opened.holds) == (0, 0) and opened.unresolved >= 1
    shown = unresolved_rows(door, guard_engine, officer, opened.incident_id)
    assert all("987654321" not in u.masked_preview for u in shown)
    with pytest.raises(NotFound):
        affected_people(door, guard_engine, officer, "inc-missing")
