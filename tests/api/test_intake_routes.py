"""Intake over the API (both databases): clerks docket applications (a protection claim
needs the asylum category), DHS counsel record encounters; all sealed and ledgered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from casevault.access.setup import Door

from .api_helpers import events, one, signed_in


@pytest.fixture(autouse=True)
def undo(guard_engine: Engine) -> Iterator[None]:
    yield
    with guard_engine.begin() as connection:
        connection.execute(text("DELETE FROM applications WHERE application_id LIKE 'APP-%'"))
        connection.execute(text("DELETE FROM encounters WHERE encounter_id LIKE 'ENC-%'"))


def _clerk_case(engine: Engine) -> tuple[str, str]:
    clerk, case_id = one(engine, "SELECT u.user_id || '|' || c.case_id FROM users u JOIN cases "
                         "c ON c.court_code = u.office_code WHERE u.role = 'clerk' "
                         "ORDER BY u.user_id, c.case_id").split("|")
    return clerk, case_id


@pytest.mark.parametrize("kind", ["asylum", "cancellation"])
def test_a_clerk_dockets_an_application_sealed(client: TestClient, door: Door,
                                               kind: str) -> None:
    clerk, case_id = _clerk_case(door.engine)
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    response = client.post(f"/api/v1/cases/{case_id}/applications", headers=headers,
                           json={"kind": kind, "filed_on": "2026-11-20"})
    assert response.status_code == 201, response.text
    application_id = response.json()["record_id"]
    with door.engine.connect() as connection:
        stored = connection.execute(text("SELECT kind FROM applications WHERE "
                                         "application_id = :a"), {"a": application_id}).one()
    assert kind.encode() not in bytes(stored.kind)
    categories = one(door.engine, "SELECT categories FROM ledger_events WHERE event_id = :e",
                     e=response.json()["event_id"])
    assert ("asylum" in categories) == (kind == "asylum")


def test_a_judge_cannot_docket_and_a_future_date_is_refused(client: TestClient,
                                                                door: Door) -> None:
    clerk, case_id, judge = one(
        door.engine, "SELECT u.user_id || '|' || c.case_id || '|' || h.judge_user_id FROM "
        "users u JOIN cases c ON c.court_code = u.office_code JOIN hearings h ON h.case_id = "
        "c.case_id WHERE u.role = 'clerk' AND h.judge_user_id IS NOT NULL "
        "ORDER BY u.user_id, c.case_id").split("|")
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    future = client.post(f"/api/v1/cases/{case_id}/applications", headers=headers,
                         json={"kind": "asylum", "filed_on": "2027-01-01"})
    assert future.status_code == 422 and "future" in future.json()["detail"]
    judged = {**signed_in(client, door, judge), "X-Purpose": "adjudication"}
    refused = client.post(f"/api/v1/cases/{case_id}/applications", headers=judged,
                          json={"kind": "asylum", "filed_on": "2026-11-20"})
    assert refused.status_code == 403 and "clerks" in refused.json()["detail"]
    assert events(door.engine, "deny") == 1
    assert events(door.engine, "permit") == 0
    assert one(door.engine, "SELECT COUNT(*) FROM applications WHERE application_id LIKE "
               "'APP-%'") == "0"


def test_dhs_counsel_record_an_encounter_and_a_clerk_cannot(client: TestClient,
                                                             door: Door) -> None:
    counsel, person_id = one(
        door.engine, "SELECT u.user_id || '|' || c.person_id FROM users u JOIN cases c ON "
        "c.court_code = u.office_code WHERE u.role = 'dhs_counsel' ORDER BY c.case_id"
        ).split("|")
    body = {"agency": "ICE", "occurred_on": "2026-11-01", "kind": "check_in",
            "outcome": "released"}
    headers = {**signed_in(client, door, counsel), "X-Purpose": "litigation"}
    response = client.post(f"/api/v1/persons/{person_id}/encounters", headers=headers,
                           json=body)
    assert response.status_code == 201, response.text
    clerk = one(door.engine, "SELECT user_id FROM users WHERE role = 'clerk' ORDER BY user_id")
    clerk_headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    refused = client.post(f"/api/v1/persons/{person_id}/encounters", headers=clerk_headers,
                          json=body)
    assert refused.status_code == 403
    assert (events(door.engine, "permit"), events(door.engine, "deny")) == (1, 1)
    bad = client.post(f"/api/v1/persons/{person_id}/encounters", headers=headers,
                      json={**body, "kind": "raid"})
    assert bad.status_code == 422 and "kind" in bad.json()["detail"]
