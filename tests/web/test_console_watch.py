"""The console's misuse-case pages (both databases): a privacy officer lists, opens and moves
alert cases, every look and step a ledger event; forged forms and other roles are refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete

from casevault.access.setup import Door
from casevault.audit.events import Event
from casevault.store.tables_watch import watch_alerts, watch_case_steps, watch_cases
from casevault.watch._alerts import Alert
from casevault.watch.cases import CaseState, case_summary, file_alerts

from .console_helpers import WHY, Clock, calendared, one, record_events, sign_in, user_of

NOTE = "Checked the calendar of the clerk's court: no case of this person was assigned to them"


@pytest.fixture(scope="module", autouse=True)
def _release_connections(court_engine: Engine) -> Iterator[None]:
    """Close this module's pooled connections when it ends (the server is shared)."""
    yield
    court_engine.dispose()


def _clear(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in (watch_alerts, watch_case_steps, watch_cases):
            connection.execute(delete(table))


@pytest.fixture
def filed(door: Door, clock: Clock) -> Iterator[tuple[str, str, str]]:
    """One open case about a clerk: (case id, clerk id, person id the alert names)."""
    _clear(door.engine)
    clerk = user_of(door.engine, "clerk")
    person = one(door.engine, "SELECT person_id FROM persons ORDER BY person_id")
    alerts = [Alert("AL-family-1", "family", clerk, (person,), ("E-101", "E-102"), 0.91,
                    "high", f"family: user {clerk}, 2 events on {person}.",
                    "2026-11-01T10:00:00Z", "2026-11-01T11:00:00Z"),
              Alert("AL-volume-1", "volume", clerk, (person,), ("E-103",), 0.6, "medium",
                    f"volume: user {clerk}, 1 event.", "2026-11-02T10:00:00Z",
                    "2026-11-02T10:05:00Z")]
    case_id = file_alerts(door.engine, door.ledger.append, alerts, now=clock.now).opened[0]
    yield case_id, clerk, person
    _clear(door.engine)


def _steps(door: Door, case_id: str) -> list[Event]:
    return [e for e in door.ledger.events() if e.detail.get("watch_case") == case_id]


def _looks(door: Door, what: str) -> list[Event]:
    return [e for e in door.ledger.events() if e.detail.get("what") == what]


def test_an_officer_lists_opens_and_moves_a_case_with_every_step_ledgered(
        client: TestClient, door: Door, filed: tuple[str, str, str]) -> None:
    case_id, clerk, person = filed
    csrf = sign_in(client, door, user_of(door.engine, "privacy_officer"))
    assert "/oversight/watch" in client.get("/console/home").text

    listed = client.post("/console/oversight/watch", data={"csrf": csrf, "justification": WHY})
    assert listed.status_code == 200, listed.text
    assert case_id in listed.text and clerk in listed.text
    assert "family (1)" in listed.text and "volume (1)" in listed.text
    assert len(_looks(door, "watch_cases")) == 1

    shown = client.post("/console/oversight/watch/case", data={
        "csrf": csrf, "justification": WHY, "watch_case_id": case_id})
    assert shown.status_code == 200, shown.text
    assert "AL-family-1" in shown.text and person in shown.text and "E-103" in shown.text
    assert len(_looks(door, f"watch_case {case_id}")) == 1

    for state in ("investigating", "substantiated"):
        moved = client.post("/console/oversight/watch/move", data={
            "csrf": csrf, "justification": WHY, "watch_case_id": case_id, "to": state,
            "note": f"{NOTE} ({state})"})
        assert moved.status_code == 200, moved.text
        assert f"The case is now {state}" in moved.text
    assert case_summary(door.engine, case_id).state is CaseState.SUBSTANTIATED
    assert "cannot move again" in moved.text

    steps = {e.detail["step"]: e for e in _steps(door, case_id)}
    assert set(steps) == {"opened", "investigating", "substantiated", "subject_notified"}
    note = f"{NOTE} (investigating)"
    assert steps["investigating"].detail["note_sha256"] == hashlib.sha256(
        note.encode()).hexdigest()
    assert all(note not in str(e.detail) for e in door.ledger.events())
    assert steps["subject_notified"].person_id == person
    assert len(_looks(door, f"watch_case {case_id} move investigating")) == 1


def test_a_wrong_move_says_where_the_case_can_go_and_changes_nothing(
        client: TestClient, door: Door, filed: tuple[str, str, str]) -> None:
    case_id, _, _ = filed
    csrf = sign_in(client, door, user_of(door.engine, "privacy_officer"))
    refused = client.post("/console/oversight/watch/move", data={
        "csrf": csrf, "justification": WHY, "watch_case_id": case_id, "to": "substantiated",
        "note": NOTE})
    assert refused.status_code == 422
    assert "it can move to: investigating, unfounded" in refused.text
    assert case_summary(door.engine, case_id).state is CaseState.OPEN
    assert [e.detail["step"] for e in _steps(door, case_id)] == ["opened"]


def test_a_forged_move_reaches_nothing(client: TestClient, door: Door,
                                       filed: tuple[str, str, str]) -> None:
    case_id, _, _ = filed
    sign_in(client, door, user_of(door.engine, "privacy_officer"))
    before = record_events(door.engine)
    forged = client.post("/console/oversight/watch/move", data={
        "csrf": "0" * 64, "justification": WHY, "watch_case_id": case_id,
        "to": "investigating", "note": NOTE})
    assert forged.status_code == 403 and "did not come from your current" in forged.text
    assert record_events(door.engine) == before
    assert case_summary(door.engine, case_id).state is CaseState.OPEN


@pytest.mark.parametrize("page", ["watch", "watch/case", "watch/move"])
def test_anyone_but_an_officer_is_refused_and_the_refusal_is_ledgered(
        client: TestClient, door: Door, clock: Clock, filed: tuple[str, str, str],
        page: str) -> None:
    case_id, _, person = filed
    clock.now += timedelta(minutes=1)
    csrf = sign_in(client, door, calendared(door.engine).judge_id)
    denied_before = record_events(door.engine, "deny")
    form = {"csrf": csrf, "justification": WHY}
    if page != "watch":
        form["watch_case_id"] = case_id
    if page == "watch/move":
        form |= {"to": "unfounded", "note": NOTE}
    refused = client.post(f"/console/oversight/{page}", data=form)
    assert refused.status_code == 403, refused.text
    assert case_id not in refused.text and person not in refused.text
    assert record_events(door.engine, "deny") == denied_before + 1
    assert case_summary(door.engine, case_id).state is CaseState.OPEN
