"""The HTTP API over the guard (both databases): sign-in, purpose-bound reads, problem details,
and a walk over every route proving that none returns personal data without a ledger event."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from casevault.access.setup import Door
from casevault.api.app import create_app
from casevault.synth.leaks import write_incident_replica
from clear_values import clear_person

from .api_helpers import DEVICE, WHY
from .api_helpers import events as _events
from .api_helpers import one as _one
from .api_helpers import signed_in as _signed_in


def _calendared(engine: Engine) -> tuple[str, str, str]:
    row = _one(engine, "SELECT h.judge_user_id || '|' || c.case_id || '|' || c.person_id "
               "FROM hearings h JOIN cases c ON c.case_id = h.case_id WHERE h.judge_user_id "
               "IS NOT NULL AND EXISTS (SELECT 1 FROM documents d WHERE d.case_id = c.case_id "
               "AND d.application_id IS NULL) ORDER BY c.case_id")
    judge, case_id, person_id = row.split("|")
    return judge, case_id, person_id


def test_a_judge_reads_a_calendared_case_and_the_answer_names_its_ledger_event(
        client: TestClient, door: Door) -> None:
    judge, case_id, person_id = _calendared(door.engine)
    headers = {**_signed_in(client, door, judge), "X-Purpose": "adjudication"}
    response = client.get(f"/api/v1/persons/{person_id}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["person"]["fields"]["person_id"] == person_id
    assert case_id in {c["fields"]["case_id"] for c in body["cases"]}
    stored = _one(door.engine, "SELECT event_id FROM ledger_events WHERE person_id = :p "
                  "AND action = 'view'", p=person_id)
    assert body["event_id"] == stored


def test_withheld_categories_are_absent_from_the_json(client: TestClient, door: Door) -> None:
    counsel, person_id = _one(
        door.engine, "SELECT u.user_id || '|' || c.person_id FROM users u JOIN cases c ON "
        "c.court_code = u.office_code WHERE u.role = 'dhs_counsel' ORDER BY c.case_id").split("|")
    headers = {**_signed_in(client, door, counsel), "X-Purpose": "litigation",
               "X-Justification": WHY}
    body = client.get(f"/api/v1/persons/{person_id}", headers=headers).json()
    assert "address" not in body["person"]["fields"]
    assert "phone" not in body["person"]["fields"]
    assert "contact" not in body["categories"]


@pytest.mark.parametrize(("headers", "status", "kind"), [
    ({}, 401, "session-invalid"),
    ({"Authorization": "Bearer nope", "X-Device-Id": DEVICE}, 401, "session-invalid"),
])
def test_unauthenticated_requests_get_problem_details(client: TestClient, door: Door,
                                                      headers: dict[str, str], status: int,
                                                      kind: str) -> None:
    _, _, person_id = _calendared(door.engine)
    response = client.get(f"/api/v1/persons/{person_id}",
                          headers={**headers, "X-Purpose": "adjudication"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(kind)


def test_a_refusal_is_a_403_problem_and_a_deny_event(client: TestClient, door: Door) -> None:
    _, case_id, _ = _calendared(door.engine)
    analyst = _one(door.engine, "SELECT user_id FROM users WHERE role = 'analyst'")
    headers = {**_signed_in(client, door, analyst), "X-Purpose": "statistics"}
    response = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert response.status_code == 403
    assert response.json()["type"].endswith("access-denied")
    assert _events(door.engine, "deny") == 1


def test_bad_input_is_a_422_problem_naming_the_field(client: TestClient, door: Door) -> None:
    judge, _, person_id = _calendared(door.engine)
    headers = {**_signed_in(client, door, judge), "X-Purpose": "gossip"}
    response = client.get(f"/api/v1/persons/{person_id}", headers=headers)
    assert response.status_code == 422
    assert "X-Purpose" in response.json()["detail"] or "x-purpose" in response.json()["detail"]
    wrong = client.post("/api/v1/sessions", json={"user_id": "x", "password": "y",
                                                 "device_id": "bad device id!"})
    assert wrong.status_code == 422 and "device_id" in wrong.json()["detail"]


def test_openapi_is_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/v1/persons/{person_id}" in schema["paths"]
    assert client.get("/docs").status_code == 200


# --- every route: no personal data without a ledger event ---------------------------------

WHY_HEADERS = {"X-Justification": WHY}
ROUTES: dict[tuple[str, str], tuple[str, str, dict[str, str]]] = {
    ("GET", "/api/v1/persons/{person_id}"): ("judge", "adjudication", {}),
    ("GET", "/api/v1/cases/{case_id}"): ("judge", "adjudication", {}),
    ("GET", "/api/v1/documents/{document_id}"): ("judge", "adjudication", {}),
    ("POST", "/api/v1/persons/search"): ("judge", "adjudication", WHY_HEADERS),
    ("POST", "/api/v1/break-glass"): ("clerk", "emergency", {}),
}
"""Every route that reads records: who may call it, with which purpose."""
NOT_PERSONAL = {("POST", "/api/v1/sessions"), ("DELETE", "/api/v1/sessions/current"),
                ("GET", "/healthz"), ("POST", "/api/v1/shield/check"),
                ("POST", "/api/v1/stats"), ("GET", "/api/v1/stats/budget")}
"""Routes that return no personal data (the shield check counts matched persons, never names
them; it is ledgered all the same, see ``test_the_shield_check``)."""
WRITES = {("POST", "/api/v1/cases/{case_id}/hearings"),
          ("POST", "/api/v1/hearings/{hearing_id}/reschedule"),
          ("POST", "/api/v1/hearings/{hearing_id}/outcome"),
          ("POST", "/api/v1/cases/{case_id}/appearances"),
          ("DELETE", "/api/v1/cases/{case_id}/appearances/mine"),
          ("POST", "/api/v1/cases/{case_id}/documents"),
          ("PUT", "/api/v1/me/address"), ("GET", "/api/v1/me/access-report"),
          ("POST", "/api/v1/cases/{case_id}/applications"),
          ("POST", "/api/v1/persons/{person_id}/encounters"),
          ("POST", "/api/v1/cases/{case_id}/assignments"),
          ("POST", "/api/v1/cases/{case_id}/assignments/end")}
"""Guarded writes: they answer ids only, and ledger each permit and refusal
(``test_court_writes.py``)."""


def _routes() -> set[tuple[str, str]]:
    app = create_app(Door(None, None, None, None, None))  # type: ignore[arg-type]
    return {(method, route.path) for route in app.routes if isinstance(route, APIRoute)
            for method in route.methods}


def test_every_route_is_classified() -> None:
    assert _routes() == set(ROUTES) | NOT_PERSONAL | WRITES


def _call(client: TestClient, door: Door, route: tuple[str, str], headers: dict[str, str],
          ) -> int:
    method, path = route
    _, case_id, person_id = _calendared(door.engine)
    document_id = _one(door.engine, "SELECT document_id FROM documents WHERE case_id = :c "
                       "AND application_id IS NULL ORDER BY document_id", c=case_id)
    a_number = clear_person(door.engine, person_id).a_number
    url = path.format(person_id=person_id, case_id=case_id, document_id=document_id)
    if path == "/api/v1/persons/search":
        response = client.post(url, headers=headers, json={"a_number": a_number})
    elif method == "POST":
        response = client.post(url, headers=headers, json={
            "record_kind": "case", "record_id": case_id, "reason": WHY})
    else:
        response = client.get(url, headers=headers)
    return response.status_code


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_record_route_ledgers_permits_and_refusals(client: TestClient, door: Door,
                                                        route: tuple[str, str]) -> None:
    role, purpose, extra = ROUTES[route]
    judge, _, _ = _calendared(door.engine)
    user = judge if role == "judge" else _one(
        door.engine, "SELECT user_id FROM users WHERE role = :r ORDER BY user_id", r=role)
    analyst = _one(door.engine, "SELECT user_id FROM users WHERE role = 'analyst'")

    refused = {**_signed_in(client, door, analyst), "X-Purpose": "statistics", **extra}
    assert _call(client, door, route, refused) in {403}
    assert (_events(door.engine, "deny"), _events(door.engine, "permit")) == (1, 0)

    allowed = {**_signed_in(client, door, user), "X-Purpose": purpose, **extra}
    assert _call(client, door, route, allowed) in {200, 201}
    assert _events(door.engine, "permit") >= 1


def test_the_shield_check_blocks_a_leak_without_naming_anyone(
        client: TestClient, door: Door, court_folder: Path, tmp_path: Path) -> None:
    judge, _, _ = _calendared(door.engine)
    headers = _signed_in(client, door, judge)
    replica = write_incident_replica(court_folder, tmp_path, rows=20,
                                     among=[_one(door.engine, "SELECT person_id FROM persons "
                                                 "ORDER BY person_id LIMIT 1 OFFSET :n",
                                                 n=str(n)) for n in range(40)])
    response = client.post("/api/v1/shield/check", params={"name": "update.csv"},
                           headers=headers, content=replica.csv_path.read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "block" and body["persons_matched"] == 20
    assert not any(pid in response.text for pid in replica.person_ids)
    stored = _one(door.engine, "SELECT result FROM ledger_events WHERE action = 'publication'")
    assert stored == "deny"
    clean = client.post("/api/v1/shield/check", params={"name": "counts.csv"}, headers=headers,
                        content=b"court,cases\nNYC,12\nLAX,7\n")
    assert clean.json()["verdict"] == "pass"


def test_the_shield_check_refuses_an_oversized_file(client: TestClient, door: Door) -> None:
    judge, _, _ = _calendared(door.engine)
    headers = _signed_in(client, door, judge)
    response = client.post("/api/v1/shield/check", params={"name": "big.csv"}, headers=headers,
                           content=b"x" * (25 * 1024 * 1024 + 1))
    assert response.status_code == 422 and "at most 25 MB" in response.json()["detail"]


_PDF = b"%PDF-1.7\n%%EOF\n"


def _write(client: TestClient, door: Door, route: tuple[str, str],
           headers: dict[str, str]) -> int:
    """Call one write route with a well-formed request about real records."""
    method, path = route
    judge, case_id, person_id = _calendared(door.engine)
    hearing_id = _one(door.engine, "SELECT hearing_id FROM hearings WHERE case_id = :c",
                      c=case_id)
    url = path.format(case_id=case_id, person_id=person_id, hearing_id=hearing_id)
    bodies: dict[str, dict[str, object]] = {
        "hearings": {"scheduled_at": "2026-12-03T14:30:00Z", "hearing_type": "master",
                     "judge_user_id": judge},
        "reschedule": {"scheduled_at": "2026-12-03T14:30:00Z", "reason": "Calendar conflict"},
        "outcome": {"outcome": "adjourned"},
        "applications": {"kind": "asylum", "filed_on": "2026-11-20"},
        "encounters": {"agency": "ICE", "occurred_on": "2026-11-01", "kind": "check_in",
                       "outcome": "released"},
        "assignments": {"user_id": judge, "capacity": "judge"},
        "end": {"user_id": judge, "capacity": "judge"},
        "address": {"address": "1 Main Street"},
    }
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last == "documents":
        response = client.post(url, headers={**headers, "X-Document-Category": "brief",
                                              "X-Document-Title": "Brief"}, content=_PDF)
    else:
        response = client.request(method, url, headers=headers, json=bodies.get(last))
    return response.status_code


@pytest.mark.parametrize("route", sorted(WRITES))
def test_each_write_route_ledgers_a_refusal_and_writes_nothing(
        client: TestClient, door: Door, route: tuple[str, str]) -> None:
    analyst = _one(door.engine, "SELECT user_id FROM users WHERE role = 'analyst'")
    headers = {**_signed_in(client, door, analyst), "X-Purpose": "statistics"}
    assert _write(client, door, route, headers) == 403
    assert (_events(door.engine, "deny"), _events(door.engine, "permit")) == (1, 0)
