"""The court's writes over HTTP (both databases): hearings, appearances, filed documents.

Each write is decided by the policy and ledgered before the row changes; each
refusal is a ``deny`` event and a problem without personal data. The module's
court is committed, so every test undoes what it wrote (``undo``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from casevault.access.setup import Door
from casevault.store import tables
from clear_values import clear_person

from .api_helpers import events, one, signed_in

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LATER = "2026-12-03T14:30:00Z"


@pytest.fixture(autouse=True)
def undo(guard_engine: Engine) -> Iterator[None]:
    """Remove the hearings, documents and appearances a test wrote; restore withdrawals."""
    reps, hearings = tables.representations, tables.hearings
    with guard_engine.connect() as connection:
        before = connection.execute(select(reps.c.case_id, reps.c.attorney_id,
                                           reps.c.started_on, reps.c.ended_on)).all()
        moved = connection.execute(select(hearings.c.hearing_id, hearings.c.scheduled_at,
                                          hearings.c.adjournment_reason,
                                          hearings.c.outcome)).all()
    yield
    with guard_engine.begin() as connection:
        connection.execute(text("DELETE FROM hearings WHERE hearing_id LIKE 'HRG-%'"))
        connection.execute(text("DELETE FROM documents WHERE document_id LIKE 'DOC-%'"))
        connection.execute(reps.delete().where(reps.c.started_on == date(2026, 11, 21)))
        for case_id, attorney_id, started_on, ended_on in before:
            connection.execute(reps.update().where(
                reps.c.case_id == case_id, reps.c.attorney_id == attorney_id,
                reps.c.started_on == started_on).values(ended_on=ended_on))
        for hearing_id, scheduled_at, reason, outcome in moved:
            connection.execute(hearings.update().where(hearings.c.hearing_id == hearing_id)
                               .values(scheduled_at=scheduled_at, adjournment_reason=reason,
                                       outcome=outcome))


def _clerk_and_case(engine: Engine) -> tuple[str, str]:
    clerk, case_id = one(engine, "SELECT u.user_id || '|' || c.case_id FROM users u JOIN cases "
                         "c ON c.court_code = u.office_code WHERE u.role = 'clerk' "
                         "ORDER BY u.user_id, c.case_id").split("|")
    return clerk, case_id


def _judge_of(engine: Engine, case_id: str) -> str:
    return one(engine, "SELECT u.user_id FROM users u JOIN cases c ON c.court_code = "
               "u.office_code WHERE u.role = 'judge' AND c.case_id = :c ORDER BY u.user_id",
               c=case_id)


def _free_attorney(engine: Engine) -> tuple[str, str]:
    """An attorney with a bar record, and a pending case they do not represent."""
    attorney = one(engine, "SELECT u.user_id FROM users u JOIN attorneys a ON a.attorney_id "
                   "= u.user_id WHERE u.role = 'attorney' ORDER BY u.user_id")
    case_id = one(engine, "SELECT c.case_id FROM cases c WHERE c.status = 'pending' AND NOT "
                  "EXISTS (SELECT 1 FROM representations r WHERE r.case_id = c.case_id AND "
                  "r.attorney_id = :a) ORDER BY c.case_id", a=attorney)
    return attorney, case_id


def _hearing_rows(engine: Engine, case_id: str) -> int:
    return int(one(engine, "SELECT COUNT(*) FROM hearings WHERE case_id = :c", c=case_id))


# --- hearings -----------------------------------------------------------------------------

def test_a_clerk_schedules_a_hearing_and_the_ledger_has_it_first(
        client: TestClient, door: Door) -> None:
    clerk, case_id = _clerk_and_case(door.engine)
    judge = _judge_of(door.engine, case_id)
    before = _hearing_rows(door.engine, case_id)
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    response = client.post(f"/api/v1/cases/{case_id}/hearings", headers=headers, json={
        "scheduled_at": LATER, "hearing_type": "master", "judge_user_id": judge})
    assert response.status_code == 201, response.text
    body = response.json()
    assert _hearing_rows(door.engine, case_id) == before + 1
    event = one(door.engine, "SELECT action || '|' || result || '|' || case_id FROM "
                "ledger_events WHERE event_id = :e", e=body["event_id"])
    assert event == f"update|permit|{case_id}"
    stored = one(door.engine, "SELECT judge_user_id FROM hearings WHERE hearing_id = :h",
                 h=body["record_id"])
    assert stored == judge


def test_a_judge_cannot_schedule_and_the_refusal_is_ledgered(
        client: TestClient, door: Door) -> None:
    _, case_id = _clerk_and_case(door.engine)
    judge = _judge_of(door.engine, case_id)
    before = _hearing_rows(door.engine, case_id)
    headers = {**signed_in(client, door, judge), "X-Purpose": "adjudication"}
    response = client.post(f"/api/v1/cases/{case_id}/hearings", headers=headers, json={
        "scheduled_at": LATER, "hearing_type": "master", "judge_user_id": judge})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert events(door.engine, "deny") == 1 and events(door.engine, "permit") == 0
    assert _hearing_rows(door.engine, case_id) == before


@pytest.mark.parametrize(("change", "field"), [
    ({"hearing_type": "trial"}, "hearing_type"),
    ({"scheduled_at": "next tuesday"}, "scheduled_at"),
    ({"judge_user_id": "x" * 41}, "judge_user_id"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_scheduling_input_names_the_field_and_writes_nothing(
        client: TestClient, door: Door, change: dict[str, object], field: str) -> None:
    clerk, case_id = _clerk_and_case(door.engine)
    before = _hearing_rows(door.engine, case_id)
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    body = {"scheduled_at": LATER, "hearing_type": "master",
            "judge_user_id": _judge_of(door.engine, case_id), **change}
    response = client.post(f"/api/v1/cases/{case_id}/hearings", headers=headers, json=body)
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert _hearing_rows(door.engine, case_id) == before
    assert events(door.engine, "permit") == 0


def test_the_judge_must_be_a_judge(client: TestClient, door: Door) -> None:
    clerk, case_id = _clerk_and_case(door.engine)
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    response = client.post(f"/api/v1/cases/{case_id}/hearings", headers=headers, json={
        "scheduled_at": LATER, "hearing_type": "master", "judge_user_id": clerk})
    assert response.status_code == 422 and "judge" in response.json()["detail"]
    assert events(door.engine, "permit") == 0


def test_a_reschedule_needs_a_reason_and_keeps_it(client: TestClient, door: Door) -> None:
    clerk, case_id = _clerk_and_case(door.engine)
    hearing_id = one(door.engine, "SELECT hearing_id FROM hearings WHERE case_id = :c "
                     "ORDER BY hearing_id", c=case_id)
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    url = f"/api/v1/hearings/{hearing_id}/reschedule"
    missing = client.post(url, headers=headers, json={"scheduled_at": LATER, "reason": ""})
    assert missing.status_code == 422 and "reason" in missing.json()["detail"]
    response = client.post(url, headers=headers, json={
        "scheduled_at": LATER, "reason": "Interpreter unavailable"})
    assert response.status_code == 200, response.text
    reason = one(door.engine, "SELECT adjournment_reason FROM hearings WHERE hearing_id = :h",
                 h=hearing_id)
    assert reason == "Interpreter unavailable"
    assert one(door.engine, "SELECT justification FROM ledger_events WHERE event_id = :e",
               e=response.json()["event_id"]) == "Interpreter unavailable"
    with door.engine.connect() as connection:
        moved = connection.execute(select(tables.hearings.c.scheduled_at).where(
            tables.hearings.c.hearing_id == hearing_id)).scalar_one()
    assert moved.replace(tzinfo=moved.tzinfo or UTC) == datetime(2026, 12, 3, 14, 30,
                                                                  tzinfo=UTC)


def test_a_clerk_records_an_outcome_through_the_hold_aware_path(
        client: TestClient, door: Door) -> None:
    clerk, case_id = _clerk_and_case(door.engine)
    hearing_id = one(door.engine, "SELECT hearing_id FROM hearings WHERE case_id = :c "
                     "ORDER BY hearing_id", c=case_id)
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    response = client.post(f"/api/v1/hearings/{hearing_id}/outcome", headers=headers,
                           json={"outcome": "adjourned"})
    assert response.status_code == 200, response.text
    assert one(door.engine, "SELECT outcome FROM hearings WHERE hearing_id = :h",
               h=hearing_id) == "adjourned"
    wrong = client.post(f"/api/v1/hearings/{hearing_id}/outcome", headers=headers,
                        json={"outcome": "deported"})
    assert wrong.status_code == 422


# --- appearances --------------------------------------------------------------------------

def test_an_attorney_appears_reads_withdraws_and_then_reads_nothing(
        client: TestClient, door: Door) -> None:
    attorney, case_id = _free_attorney(door.engine)
    headers = {**signed_in(client, door, attorney), "X-Purpose": "representation"}
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 403
    entered = client.post(f"/api/v1/cases/{case_id}/appearances", headers=headers)
    assert entered.status_code == 201, entered.text
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 200
    again = client.post(f"/api/v1/cases/{case_id}/appearances", headers=headers)
    assert again.status_code == 422
    withdrawn = client.delete(f"/api/v1/cases/{case_id}/appearances/mine", headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text
    refused = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert refused.status_code == 403
    assert "relationship" in refused.json()["detail"]
    twice = client.delete(f"/api/v1/cases/{case_id}/appearances/mine", headers=headers)
    assert twice.status_code == 403
    details = one(door.engine, "SELECT COUNT(*) FROM ledger_events WHERE action = 'update' "
                  "AND result = 'permit' AND case_id = :c", c=case_id)
    assert details == "2"


def test_only_attorneys_enter_appearances(client: TestClient, door: Door) -> None:
    clerk, case_id = _clerk_and_case(door.engine)
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    response = client.post(f"/api/v1/cases/{case_id}/appearances", headers=headers)
    assert response.status_code == 403
    assert events(door.engine, "deny") == 1


@pytest.fixture
def unbarred(guard_engine: Engine) -> Iterator[str]:
    """A synthetic attorney account with no bar record (every synthetic attorney user has one)."""
    users = tables.users
    with guard_engine.begin() as connection:
        connection.execute(users.insert().values(
            user_id="U-NOBAR", family_name="Testperson", given_name="Unbarred",
            role="attorney", agency="PRIVATE", active_from=date(2020, 1, 1)))
    yield "U-NOBAR"
    with guard_engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_events"))
        connection.execute(text("DELETE FROM sessions WHERE user_id = 'U-NOBAR'"))
        connection.execute(text("DELETE FROM account_approvals WHERE user_id = 'U-NOBAR'"))
        connection.execute(text("DELETE FROM accounts WHERE user_id = 'U-NOBAR'"))
        connection.execute(users.delete().where(users.c.user_id == "U-NOBAR"))


def test_an_attorney_without_a_bar_record_cannot_appear(client: TestClient, door: Door,
                                                        unbarred: str) -> None:
    _, case_id = _clerk_and_case(door.engine)
    headers = {**signed_in(client, door, unbarred), "X-Purpose": "representation"}
    response = client.post(f"/api/v1/cases/{case_id}/appearances", headers=headers)
    assert response.status_code == 403 and "bar record" in response.json()["detail"]
    assert events(door.engine, "deny") == 1


# --- documents ----------------------------------------------------------------------------

def _appeared(client: TestClient, door: Door) -> tuple[dict[str, str], str]:
    attorney, case_id = _free_attorney(door.engine)
    headers = {**signed_in(client, door, attorney), "X-Purpose": "representation"}
    assert client.post(f"/api/v1/cases/{case_id}/appearances", headers=headers
                       ).status_code == 201
    return headers, case_id


def test_an_attorney_of_record_files_a_sealed_document(client: TestClient, door: Door) -> None:
    headers, case_id = _appeared(client, door)
    title = "Brief in support of the motion — señora's declaration"
    response = client.post(f"/api/v1/cases/{case_id}/documents", content=PDF, headers={
        **headers, "X-Document-Category": "brief",
        "X-Document-Title": "Brief%20in%20support%20of%20the%20motion%20%E2%80%94%20"
                            "se%C3%B1ora%27s%20declaration"})
    assert response.status_code == 201, response.text
    document_id = response.json()["record_id"]
    with door.engine.connect() as connection:
        stored = connection.execute(text("SELECT title, content, media_type FROM documents "
                                         "WHERE document_id = :d"), {"d": document_id}).one()
    assert stored.media_type == "application/pdf"
    assert PDF not in bytes(stored.content) and title.encode() not in bytes(stored.title)
    read = client.get(f"/api/v1/documents/{document_id}", headers=headers)
    assert read.status_code == 200, read.text
    assert read.json()["fields"]["title"] == title


@pytest.mark.parametrize("content", [
    b"<html><script>alert(1)</script></html>",
    b"PK\x03\x04word/document.xml",
    b"",
])
def test_a_file_is_typed_by_its_content_not_its_name(client: TestClient, door: Door,
                                                     content: bytes) -> None:
    headers, case_id = _appeared(client, door)
    before = one(door.engine, "SELECT COUNT(*) FROM documents")
    response = client.post(f"/api/v1/cases/{case_id}/documents", content=content, headers={
        **headers, "X-Document-Category": "evidence", "X-Document-Title": "evidence.pdf",
        "Content-Type": "application/pdf"})
    assert response.status_code == 422 and "content was checked" in response.json()["detail"]
    assert one(door.engine, "SELECT COUNT(*) FROM documents") == before


def test_a_document_over_25_mb_is_refused(client: TestClient, door: Door) -> None:
    headers, case_id = _appeared(client, door)
    response = client.post(f"/api/v1/cases/{case_id}/documents",
                           content=PDF + b"0" * (25 * 1024 * 1024), headers={
                               **headers, "X-Document-Category": "evidence",
                               "X-Document-Title": "big"})
    assert response.status_code == 422 and "25 MB" in response.json()["detail"]


def test_no_write_answer_or_refusal_carries_personal_data(client: TestClient,
                                                          door: Door) -> None:
    headers, case_id = _appeared(client, door)
    person_id = one(door.engine, "SELECT person_id FROM cases WHERE case_id = :c", c=case_id)
    person = clear_person(door.engine, person_id)
    answers = [
        client.post(f"/api/v1/cases/{case_id}/documents", content=PDF, headers={
            **headers, "X-Document-Category": "brief", "X-Document-Title": "Brief"}),
        client.post(f"/api/v1/cases/{case_id}/hearings", headers=headers, json={
            "scheduled_at": LATER, "hearing_type": "master", "judge_user_id": "U00001"}),
        client.delete(f"/api/v1/cases/{case_id}/appearances/mine", headers=headers),
        client.delete(f"/api/v1/cases/{case_id}/appearances/mine", headers=headers),
    ]
    assert [a.status_code for a in answers] == [201, 403, 200, 403]
    for answer in answers:
        for value in (person.family_name, person.given_name, person.a_number):
            assert value not in answer.text


# --- assignments --------------------------------------------------------------------------

@pytest.fixture
def undo_assignments(guard_engine: Engine) -> Iterator[None]:
    a = tables.assignments
    with guard_engine.connect() as connection:
        before = connection.execute(select(a.c.user_id, a.c.case_id, a.c.capacity,
                                           a.c.started_on, a.c.ended_on)).all()
    yield
    with guard_engine.begin() as connection:
        connection.execute(a.delete().where(a.c.started_on == date(2026, 11, 21)))
        for user_id, case_id, capacity, started_on, ended_on in before:
            connection.execute(a.update().where(
                a.c.user_id == user_id, a.c.case_id == case_id, a.c.capacity == capacity,
                a.c.started_on == started_on).values(ended_on=ended_on))


@pytest.mark.usefixtures("undo_assignments")
def test_a_court_admin_assigns_counsel_who_then_reads_and_loses_it_when_it_ends(
        client: TestClient, door: Door) -> None:
    admin, case_id = one(door.engine, "SELECT u.user_id || '|' || c.case_id FROM users u JOIN "
                         "cases c ON c.court_code = u.office_code WHERE u.role = "
                         "'court_admin' ORDER BY u.user_id, c.case_id").split("|")
    counsel = one(door.engine, "SELECT u.user_id FROM users u, cases c WHERE c.case_id = :c "
                  "AND u.role = 'dhs_counsel' AND (u.office_code IS NULL OR u.office_code "
                  "<> c.court_code) ORDER BY u.user_id", c=case_id)
    reader = {**signed_in(client, door, counsel), "X-Purpose": "litigation",
              "X-Justification": "Removal proceedings brief for ticket INC-7001"}
    assert client.get(f"/api/v1/cases/{case_id}", headers=reader).status_code == 403
    headers = {**signed_in(client, door, admin), "X-Purpose": "case_processing"}
    body = {"user_id": counsel, "capacity": "dhs_counsel"}
    assigned = client.post(f"/api/v1/cases/{case_id}/assignments", headers=headers, json=body)
    assert assigned.status_code == 201, assigned.text
    assert client.get(f"/api/v1/cases/{case_id}", headers=reader).status_code == 200
    wrong = client.post(f"/api/v1/cases/{case_id}/assignments", headers=headers,
                        json={"user_id": counsel, "capacity": "judge"})
    assert wrong.status_code == 422
    ended = client.post(f"/api/v1/cases/{case_id}/assignments/end", headers=headers, json=body)
    assert ended.status_code == 200, ended.text
    assert client.get(f"/api/v1/cases/{case_id}", headers=reader).status_code == 403


def test_a_clerk_cannot_assign(client: TestClient, door: Door) -> None:
    clerk, case_id = _clerk_and_case(door.engine)
    headers = {**signed_in(client, door, clerk), "X-Purpose": "case_processing"}
    response = client.post(f"/api/v1/cases/{case_id}/assignments", headers=headers,
                           json={"user_id": clerk, "capacity": "clerk"})
    assert response.status_code == 403 and "administrators" in response.json()["detail"]
    assert events(door.engine, "deny") == 1
