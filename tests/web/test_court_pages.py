"""Court work in the console (both databases): a clerk schedules and moves a hearing, an
attorney enters and withdraws an appearance and loses the case; every write is ledgered,
every refusal too, and a forged form writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from casevault.access.setup import Door
from casevault.store import tables

from .console_helpers import Clock, csrf_of, one, record_events, sign_in, user_of


@pytest.fixture(autouse=True)
def undo(guard_engine: Engine) -> Iterator[None]:
    """The court is committed for the module: remove what a test wrote."""
    reps, hearings = tables.representations, tables.hearings
    with guard_engine.connect() as connection:
        moved = connection.execute(select(hearings.c.hearing_id, hearings.c.scheduled_at,
                                          hearings.c.adjournment_reason)).all()
    yield
    with guard_engine.begin() as connection:
        connection.execute(text("DELETE FROM hearings WHERE hearing_id LIKE 'HRG-%'"))
        connection.execute(text("DELETE FROM documents WHERE document_id LIKE 'DOC-%'"))
        connection.execute(reps.delete().where(reps.c.started_on >= date(2026, 11, 21)))
        for hearing_id, scheduled_at, reason in moved:
            connection.execute(hearings.update().where(hearings.c.hearing_id == hearing_id)
                               .values(scheduled_at=scheduled_at, adjournment_reason=reason))


def _clerk_case(engine: Engine) -> tuple[str, str, str]:
    clerk, case_id, judge = one(
        engine, "SELECT u.user_id || '|' || c.case_id || '|' || j.user_id FROM users u "
        "JOIN cases c ON c.court_code = u.office_code JOIN users j ON j.office_code = "
        "c.court_code AND j.role = 'judge' WHERE u.role = 'clerk' "
        "ORDER BY u.user_id, c.case_id, j.user_id").split("|")
    return clerk, case_id, judge


def test_the_clerk_schedules_and_moves_a_hearing_from_the_console(
        client: TestClient, door: Door) -> None:
    clerk, case_id, judge = _clerk_case(door.engine)
    sign_in(client, door, clerk)
    home = client.get("/console/home")
    assert "/console/court" in home.text
    page = client.get("/console/court")
    assert "Schedule a hearing" in page.text and "Enter an appearance" not in page.text
    response = client.post("/console/court/hearings", data={
        "csrf": csrf_of(page.text), "case_id": case_id, "scheduled_at": "2026-12-03T14:30",
        "hearing_type": "master", "judge_user_id": judge})
    assert response.status_code == 200, response.text
    assert "Hearing scheduled" in response.text
    hearing_id = one(door.engine, "SELECT hearing_id FROM hearings WHERE hearing_id LIKE "
                     "'HRG-%'")
    assert hearing_id in response.text
    moved = client.post("/console/court/hearings/reschedule", data={
        "csrf": csrf_of(page.text), "hearing_id": hearing_id,
        "scheduled_at": "2026-12-10T09:00", "reason": "Judge's calendar conflict"})
    assert moved.status_code == 200 and "Hearing rescheduled" in moved.text
    assert record_events(door.engine, "permit") == 2


def test_a_forged_or_incomplete_form_writes_nothing(client: TestClient, door: Door) -> None:
    clerk, case_id, judge = _clerk_case(door.engine)
    sign_in(client, door, clerk)
    page = client.get("/console/court")
    form = {"case_id": case_id, "scheduled_at": "2026-12-03T14:30", "hearing_type": "master",
            "judge_user_id": judge}
    forged = client.post("/console/court/hearings", data={**form, "csrf": "00" * 32})
    assert forged.status_code == 403
    missing = client.post("/console/court/hearings", data={
        **form, "csrf": csrf_of(page.text), "hearing_type": "trial"})
    assert missing.status_code == 422 and "hearing_type" in missing.text
    assert one(door.engine, "SELECT COUNT(*) FROM hearings WHERE hearing_id LIKE 'HRG-%'") == "0"
    assert record_events(door.engine) == 0


def test_a_judge_has_no_scheduling_form_and_is_refused(client: TestClient, door: Door) -> None:
    _, case_id, judge = _clerk_case(door.engine)
    sign_in(client, door, judge)
    page = client.get("/console/court")
    assert "Schedule a hearing" not in page.text
    permits = record_events(door.engine, "permit")  # the judge's home ledgered its calendar
    response = client.post("/console/court/hearings", data={
        "csrf": csrf_of(page.text), "case_id": case_id, "scheduled_at": "2026-12-03T14:30",
        "hearing_type": "master", "judge_user_id": judge, "purpose": "adjudication"})
    assert response.status_code == 403 and "Not permitted" in response.text
    assert record_events(door.engine, "deny") == 1
    assert record_events(door.engine, "permit") == permits


def test_an_attorney_appears_then_withdraws_and_the_case_is_closed_to_them(
        client: TestClient, door: Door, clock: Clock) -> None:
    attorney = one(door.engine, "SELECT u.user_id FROM users u JOIN attorneys a ON "
                   "a.attorney_id = u.user_id WHERE u.role = 'attorney' ORDER BY u.user_id")
    case_id = one(door.engine, "SELECT c.case_id FROM cases c WHERE NOT EXISTS (SELECT 1 "
                  "FROM representations r WHERE r.case_id = c.case_id AND r.attorney_id = "
                  ":a) ORDER BY c.case_id", a=attorney)
    sign_in(client, door, attorney)
    page = client.get("/console/court")
    token = csrf_of(page.text)
    assert "Enter an appearance" in page.text and "Schedule a hearing" not in page.text
    entered = client.post("/console/court/appearances", data={"csrf": token,
                                                              "case_id": case_id})
    assert entered.status_code == 200 and "Appearance entered" in entered.text
    opened = client.post(f"/console/cases/{case_id}", data={"csrf": token,
                                                           "purpose": "representation"})
    assert opened.status_code == 200, opened.text
    withdrawn = client.post("/console/court/appearances/withdraw",
                            data={"csrf": token, "case_id": case_id})
    assert withdrawn.status_code == 200 and "Appearance withdrawn" in withdrawn.text
    clock.now += timedelta(minutes=1)
    refused = client.post(f"/console/cases/{case_id}", data={"csrf": token,
                                                            "purpose": "representation"})
    assert refused.status_code == 403
    assert user_of(door.engine, "attorney")  # the court has attorneys without bar records too


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _attorney_on_a_case(client: TestClient, door: Door) -> tuple[str, str]:
    """An attorney signed in who has just entered an appearance; (case id, page CSRF)."""
    attorney = one(door.engine, "SELECT u.user_id FROM users u JOIN attorneys a ON "
                   "a.attorney_id = u.user_id WHERE u.role = 'attorney' ORDER BY u.user_id")
    case_id = one(door.engine, "SELECT c.case_id FROM cases c WHERE NOT EXISTS (SELECT 1 "
                  "FROM representations r WHERE r.case_id = c.case_id AND r.attorney_id = "
                  ":a) ORDER BY c.case_id", a=attorney)
    sign_in(client, door, attorney)
    token = csrf_of(client.get("/console/court").text)
    assert client.post("/console/court/appearances", data={
        "csrf": token, "case_id": case_id}).status_code == 200
    return case_id, token


def test_an_attorney_files_a_document_from_the_console(client: TestClient, door: Door) -> None:
    case_id, token = _attorney_on_a_case(client, door)
    response = client.post("/console/court/documents", data={
        "csrf": token, "case_id": case_id, "category": "motion", "title": "Motion to continue"},
        files={"file": ("motion.pdf", PDF, "application/pdf")})
    assert response.status_code == 200, response.text
    assert "Document filed" in response.text
    assert one(door.engine, "SELECT media_type FROM documents WHERE case_id = :c AND "
               "document_id LIKE 'DOC-%'", c=case_id) == "application/pdf"


@pytest.mark.parametrize(("form", "files", "message"), [
    ({"category": "motion", "title": "x"}, {"file": ("a.pdf", b"<html></html>", "a/pdf")},
     "content was checked"),
    ({"category": "gossip", "title": "x"}, {"file": ("a.pdf", PDF, "application/pdf")},
     "category"),
    ({"category": "motion", "title": "x", "csrf": "00" * 32},
     {"file": ("a.pdf", PDF, "application/pdf")}, "Not permitted"),
])
def test_a_bad_upload_files_nothing(client: TestClient, door: Door, form: dict[str, str],
                                    files: dict[str, tuple[str, bytes, str]],
                                    message: str) -> None:
    case_id, token = _attorney_on_a_case(client, door)
    permits = record_events(door.engine, "permit")
    response = client.post("/console/court/documents",
                           data={"csrf": token, "case_id": case_id, **form}, files=files)
    assert response.status_code in {403, 422} and message in response.text
    assert one(door.engine, "SELECT COUNT(*) FROM documents WHERE document_id LIKE 'DOC-%'"
               ) == "0"
    assert record_events(door.engine, "permit") == permits


def test_an_upload_that_is_not_multipart_is_refused(client: TestClient, door: Door) -> None:
    case_id, token = _attorney_on_a_case(client, door)
    response = client.post("/console/court/documents", data={"csrf": token,
                                                              "case_id": case_id})
    assert response.status_code == 422 and "multipart" in response.text


def test_a_clerk_dockets_an_application_from_the_console(client: TestClient,
                                                         door: Door) -> None:
    clerk, case_id, _ = _clerk_case(door.engine)
    sign_in(client, door, clerk)
    page = client.get("/console/court")
    response = client.post("/console/court/applications", data={
        "csrf": csrf_of(page.text), "case_id": case_id, "kind": "asylum",
        "filed_on": "2026-11-20"})
    assert response.status_code == 200 and "Application docketed" in response.text
    assert one(door.engine, "SELECT categories FROM ledger_events WHERE action = 'update'"
               ).count("asylum") == 1
    with door.engine.begin() as connection:
        connection.execute(text("DELETE FROM applications WHERE application_id LIKE 'APP-%'"))


def test_a_court_admin_assigns_and_ends_an_assignment(client: TestClient, door: Door) -> None:
    admin, case_id = one(door.engine, "SELECT u.user_id || '|' || c.case_id FROM users u JOIN "
                         "cases c ON c.court_code = u.office_code WHERE u.role = "
                         "'court_admin' ORDER BY u.user_id, c.case_id").split("|")
    interpreter = user_of(door.engine, "clerk")
    sign_in(client, door, admin)
    page = client.get("/console/court")
    assert "Assign staff to a case" in page.text
    form = {"csrf": csrf_of(page.text), "case_id": case_id, "user_id": interpreter,
            "capacity": "interpreter"}
    made = client.post("/console/court/assignments", data=form)
    assert made.status_code == 200 and "Assignment made" in made.text
    ended = client.post("/console/court/assignments", data={**form, "ending": "true"})
    assert ended.status_code == 200 and "Assignment ended" in ended.text
    assert record_events(door.engine, "permit") == 2
    with door.engine.begin() as connection:
        connection.execute(tables.assignments.delete().where(
            tables.assignments.c.started_on >= date(2026, 11, 21)))
