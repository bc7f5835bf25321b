"""The console's breach pieces (both databases): a held case shows its hold; privacy
officers see incidents with what is due and overdue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete

from casevault.access.holds import BreachDoor
from casevault.access.setup import Door
from casevault.breach import clocks
from casevault.store.tables_breach import breach_incidents, case_holds

from .console_helpers import (
    WHY,
    Clock,
    calendared,
    record_events,
    session_context,
    sign_in,
    user_of,
)


@pytest.fixture(scope="module", autouse=True)
def _release_connections(court_engine: Engine) -> Iterator[None]:
    """Close this module's pooled connections when it ends (the server is shared)."""
    yield
    court_engine.dispose()


def _clear(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(case_holds))
        connection.execute(delete(breach_incidents))


@pytest.fixture
def breach_clean(door: Door) -> Iterator[None]:
    _clear(door.engine)
    yield
    _clear(door.engine)


def an_incident(engine: Engine, incident_id: str = "inc-test-1") -> str:
    """An incident row (no file behind it): enough for holds to refer to."""
    now = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(breach_incidents.insert().values(
            incident_id=incident_id, version="cv-breach-incident/1", opened_at=now,
            opened_by="u-test", file_name="leak.csv", file_sha256="0" * 64, file_bytes=1,
            detected_at=now, clocks=clocks.dumps(clocks.DEFAULT_CLOCKS),
            mentions_protection=False, affected_count=0, unresolved_count=0,
            event_id="e-test"))
    return incident_id


@pytest.mark.usefixtures("breach_clean")
def test_a_held_case_shows_its_hold_and_a_cleared_one_does_not(client: TestClient,
                                                               door: Door) -> None:
    found = calendared(door.engine)
    breach = BreachDoor(door.engine, door.ledger, clock=door.accounts.clock)
    officer = breach.admit(session_context(door, user_of(door.engine, "privacy_officer")),
                           "Breach response to the public site leak, ticket INC-8120")
    incident = an_incident(door.engine)
    holds = breach.place_holds(officer, incident, [found.person_id])
    assert found.case_id in {h.case_id for h in holds}

    csrf = sign_in(client, door, found.judge_id)
    page = client.post(f"/console/cases/{found.case_id}", data={
        "csrf": csrf, "purpose": "adjudication", "justification": WHY})
    assert page.status_code == 200, page.text
    assert "On hold: disclosure under review" in page.text and incident in page.text

    breach.clear_hold(officer, found.case_id, reason="Assessed under ticket INC-8121: "
                      "no new protection claim")
    page = client.post(f"/console/cases/{found.case_id}", data={
        "csrf": csrf, "purpose": "adjudication", "justification": WHY})
    assert page.status_code == 200 and "On hold" not in page.text


@pytest.mark.usefixtures("breach_clean")
def test_officers_see_incidents_with_their_clocks_and_others_are_refused(
        client: TestClient, door: Door, clock: Clock) -> None:
    incident = an_incident(door.engine)
    csrf = sign_in(client, door, calendared(door.engine).judge_id)
    refused = client.post("/console/oversight/breach", data={"csrf": csrf, "justification": WHY})
    assert refused.status_code == 403 and incident not in refused.text
    assert record_events(door.engine, "deny") == 1
    client.cookies.clear()
    clock.now += timedelta(seconds=30)
    csrf = sign_in(client, door, user_of(door.engine, "privacy_officer"))
    home = client.get("/console/home")
    assert "/oversight/breach" in home.text
    page = client.post("/console/oversight/breach", data={"csrf": csrf, "justification": WHY})
    assert page.status_code == 200, page.text
    assert incident in page.text and "security_centre" in page.text
    assert "OVERDUE" in page.text and "zero affected" in page.text
