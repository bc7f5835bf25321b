"""Opening a breach incident from the console (both databases): a privacy officer uploads the
leaked file, the shield scans it as ``casevault breach open`` does, the incident is shown with
its clocks and holds, and a hold is cleared with a reason. Every step is a ledger event;
forged forms and other roles reach nothing; a file naming nobody opens an empty incident."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, text

from casevault.access.setup import Door
from casevault.audit.events import Event
from casevault.store.tables_breach import (
    breach_affected,
    breach_downloads,
    breach_incidents,
    breach_notices,
    breach_steps,
    breach_unresolved,
    case_holds,
)
from casevault.synth.leaks import write_incident_replica
from casevault.web import _breach_pages as breach_pages

from .console_helpers import WHY, Clock, calendared, record_events, sign_in, user_of

LEAK_ROWS = 6
NOBODY = (b"name,a_number,date_of_birth\n"
          b"ZEPHYRINE QUOLLWORTH,A-999-999-991,01/02/1961\n"
          b"BARNABY XANTHOPOULOS,A-999-999-992,03/04/1972\n")
RELEASED = "Assessed under ticket INC-8121: no new protection claim arises from this row"


@pytest.fixture(scope="module", autouse=True)
def _release_connections(court_engine: Engine) -> Iterator[None]:
    """Close this module's pooled connections when it ends (the server is shared)."""
    yield
    court_engine.dispose()


def _clear(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in (case_holds, breach_affected, breach_unresolved, breach_steps,
                      breach_notices, breach_downloads, breach_incidents):
            connection.execute(delete(table))


@pytest.fixture
def breach_clean(door: Door, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No incident before or after; the shield's index and key in this test's folder."""
    monkeypatch.setenv("CASEVAULT_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CASEVAULT_SHIELD_DIR", str(tmp_path / "shield"))
    _clear(door.engine)
    yield
    _clear(door.engine)


def leaked_file(engine: Engine, court_folder: Path, out: Path) -> tuple[Path, list[str]]:
    """A replica of the detained-asylum leak naming persons who have a pending case."""
    with engine.connect() as connection:
        pending = list(connection.execute(text(
            "SELECT DISTINCT person_id FROM cases WHERE status = 'pending'")).scalars())
    assert len(pending) >= LEAK_ROWS
    replica = write_incident_replica(court_folder, out, rows=LEAK_ROWS, among=pending)
    return replica.csv_path, list(replica.person_ids)


def upload(client: TestClient, csrf: str, name: str, content: bytes, **fields: str) -> Any:
    return client.post("/console/oversight/breach/open", data={
        "csrf": csrf, "justification": WHY, "posted_at": "2026-11-20T09:00",
        "detected_at": "2026-11-20T14:05", "removed_at": "2026-11-20T16:30",
        "where": "https://court.example/files/detained-asylum.csv", **fields},
        files={"file": (name, content, "text/csv")})


def _steps(door: Door) -> list[Event]:
    return [e for e in door.ledger.events() if e.detail.get("what") == "breach"]


def _only_incident(engine: Engine) -> str:
    with engine.connect() as connection:
        found = list(connection.execute(select(breach_incidents.c.incident_id)).scalars())
    assert len(found) == 1
    return str(found[0])


def _left_behind() -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob("casevault-breach-*"))


@pytest.mark.usefixtures("breach_clean")
def test_an_officer_opens_an_incident_by_upload_sees_it_and_clears_a_hold(
        client: TestClient, door: Door, court_folder: Path, tmp_path: Path) -> None:
    path, persons = leaked_file(door.engine, court_folder, tmp_path / "leak")
    before = _left_behind()
    csrf = sign_in(client, door, user_of(door.engine, "privacy_officer"))
    form = client.get("/console/oversight/breach/open")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text

    opened = upload(client, csrf, path.name, path.read_bytes())
    assert opened.status_code == 200, opened.text
    incident = _only_incident(door.engine)
    assert incident in opened.text and f"<strong>{LEAK_ROWS}</strong> persons affected" \
        in opened.text
    assert "OVERDUE" in opened.text and "file_posted" in opened.text
    assert "detained-asylum.csv" in opened.text and "Clear the hold" in opened.text
    assert not any(p in opened.text for p in persons), "the page names no affected person"
    assert _left_behind() == before, "the uploaded copy is removed"

    steps = [e.detail["step"] for e in _steps(door)]
    assert steps[0] == "open" and "hold_placed" in steps and steps[-1] == "incident_shown"
    with door.engine.connect() as connection:
        held = list(connection.execute(select(case_holds.c.case_id).where(
            case_holds.c.incident_id == incident)).scalars())
    assert held

    shown = client.post("/console/oversight/breach/incident", data={
        "csrf": csrf, "justification": WHY, "incident_id": incident})
    assert shown.status_code == 200 and held[0] in shown.text
    listed = client.post("/console/oversight/breach", data={"csrf": csrf, "justification": WHY})
    assert "/oversight/breach/incident" in listed.text and "/oversight/breach/open" in listed.text

    cleared = client.post("/console/oversight/breach/clear-hold", data={
        "csrf": csrf, "justification": WHY, "incident_id": incident, "case_id": held[0],
        "reason": RELEASED})
    assert cleared.status_code == 200, cleared.text
    assert f"hold(s) cleared on case {held[0]}" in cleared.text
    assert [e.case_id for e in _steps(door) if e.detail["step"] == "hold_cleared"] == [held[0]]
    with door.engine.connect() as connection:
        reason = connection.execute(select(case_holds.c.clear_reason).where(
            case_holds.c.case_id == held[0])).scalar()
    assert reason == RELEASED


@pytest.mark.usefixtures("breach_clean")
def test_a_file_naming_nobody_opens_an_incident_with_zero_affected(
        client: TestClient, door: Door) -> None:
    csrf = sign_in(client, door, user_of(door.engine, "privacy_officer"))
    opened = upload(client, csrf, "members.csv", NOBODY)
    assert opened.status_code == 200, opened.text
    assert "names no person of this system: zero affected" in opened.text
    assert "placed no case hold" in opened.text
    assert [e.detail["affected"] for e in _steps(door) if e.detail["step"] == "open"] == ["0"]


@pytest.mark.usefixtures("breach_clean")
def test_a_forged_upload_reaches_nothing(client: TestClient, door: Door) -> None:
    sign_in(client, door, user_of(door.engine, "privacy_officer"))
    before = record_events(door.engine)
    forged = upload(client, "0" * 64, "members.csv", NOBODY)
    assert forged.status_code == 403 and "did not come from your current" in forged.text
    assert record_events(door.engine) == before
    with door.engine.connect() as connection:
        assert connection.execute(select(breach_incidents)).first() is None


@pytest.mark.usefixtures("breach_clean")
def test_anyone_but_an_officer_is_refused_and_the_refusal_is_ledgered(
        client: TestClient, door: Door, clock: Clock) -> None:
    clock.now += timedelta(minutes=1)
    csrf = sign_in(client, door, calendared(door.engine).judge_id)
    denied = record_events(door.engine, "deny")
    refused = upload(client, csrf, "members.csv", NOBODY)
    assert refused.status_code == 403 and "Only privacy officers" in refused.text
    cleared = client.post("/console/oversight/breach/clear-hold", data={
        "csrf": csrf, "justification": WHY, "incident_id": "inc-x", "case_id": "C-1",
        "reason": RELEASED})
    assert cleared.status_code == 403
    assert record_events(door.engine, "deny") == denied + 2
    with door.engine.connect() as connection:
        assert connection.execute(select(breach_incidents)).first() is None


@pytest.mark.usefixtures("breach_clean")
def test_an_oversized_or_url_encoded_upload_is_refused_before_it_is_read(
        client: TestClient, door: Door, monkeypatch: pytest.MonkeyPatch) -> None:
    csrf = sign_in(client, door, user_of(door.engine, "privacy_officer"))
    monkeypatch.setattr(breach_pages, "MAX_UPLOAD_BYTES", 1024)
    big = upload(client, csrf, "members.csv", NOBODY * 40)
    assert big.status_code == 422
    assert "casevault breach open FILE" in big.text
    plain = client.post("/console/oversight/breach/open",
                        data={"csrf": csrf, "justification": WHY})
    assert plain.status_code == 422 and "upload form" in plain.text
    no_file = client.post("/console/oversight/breach/open", data={
        "csrf": csrf, "justification": WHY}, files={"other": ("", b"", "text/csv")})
    assert no_file.status_code == 422
    with door.engine.connect() as connection:
        assert connection.execute(select(breach_incidents)).first() is None


@pytest.mark.usefixtures("breach_clean")
def test_a_file_the_shield_cannot_read_opens_nothing_and_is_removed(
        client: TestClient, door: Door) -> None:
    before = _left_behind()
    csrf = sign_in(client, door, user_of(door.engine, "privacy_officer"))
    refused = upload(client, csrf, "dump.bin", b"\x00\x01\x02 not a table \xff")
    assert refused.status_code == 422 and "dump.bin" in refused.text
    assert "casevault-breach-" not in refused.text, "the server's temporary path is not shown"
    assert _left_behind() == before
    with door.engine.connect() as connection:
        assert connection.execute(select(breach_incidents)).first() is None
