"""The console over the guard (both databases): sign-in, CSRF, the purpose prompt, withheld
categories, refusals as pages, security headers, and each role's home."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from casevault.access.policy import RecordKind
from casevault.access.setup import Door
from casevault.web._security import CONTENT_SECURITY_POLICY
from clear_values import clear_person

from .console_helpers import (
    PASSWORD,
    WHY,
    Clock,
    account,
    calendared,
    code,
    csrf_of,
    one,
    record_events,
    session_context,
    sign_in,
    user_of,
)


def test_signing_in_sets_strict_http_only_cookies_and_lands_on_home(client: TestClient,
                                                                     door: Door) -> None:
    found = calendared(door.engine)
    secret = account(door, found.judge_id)
    form = client.get("/console/sign-in")
    assert form.status_code == 200 and form.headers["content-security-policy"] == (
        CONTENT_SECURITY_POLICY)
    assert "casevault_device" in form.headers["set-cookie"]
    response = client.post("/console/sign-in", follow_redirects=False, data={
        "csrf": csrf_of(form.text), "user_id": found.judge_id, "password": PASSWORD,
        "code": code(door, secret)})
    assert response.status_code == 303 and response.headers["location"] == "/console/home"
    cookie = response.headers["set-cookie"]
    assert "casevault_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie


def test_cookies_are_secure_off_loopback(app: FastAPI) -> None:
    with TestClient(app, base_url="http://court.example") as remote:
        assert "Secure" in remote.get("/console/sign-in").headers["set-cookie"]


def test_a_failed_sign_in_says_what_to_do_and_sets_no_session(client: TestClient,
                                                             door: Door) -> None:
    judge = calendared(door.engine).judge_id
    account(door, judge)
    form = client.get("/console/sign-in")
    response = client.post("/console/sign-in", data={
        "csrf": csrf_of(form.text), "user_id": judge, "password": "wrong", "code": "000000"})
    assert response.status_code == 401
    assert "Sign-in failed" in response.text
    assert "casevault_session" not in client.cookies


@pytest.mark.parametrize("token", [None, "0" * 64])
def test_sign_in_refuses_a_form_without_its_csrf_token(client: TestClient, door: Door,
                                                       token: str | None) -> None:
    judge = calendared(door.engine).judge_id
    secret = account(door, judge)
    client.get("/console/sign-in")
    data = {"user_id": judge, "password": PASSWORD, "code": code(door, secret)}
    if token is not None:
        data["csrf"] = token
    response = client.post("/console/sign-in", data=data)
    assert response.status_code == 403
    assert "did not come from your current console session" in response.text
    assert one(door.engine, "SELECT COUNT(*) FROM sessions") == "0"


ANOTHER_SESSIONS = "another session's"


@pytest.mark.parametrize("token", [None, "0" * 64, ANOTHER_SESSIONS])
def test_a_record_post_without_the_sessions_csrf_token_reads_nothing(
        client: TestClient, door: Door, clock: Clock, app: FastAPI, token: str | None) -> None:
    found = calendared(door.engine)
    sign_in(client, door, found.judge_id)
    if token == ANOTHER_SESSIONS:
        clock.now += timedelta(seconds=30)
        with TestClient(app, base_url="http://localhost") as other:
            token = sign_in(other, door, user_of(door.engine, "clerk"))
    before = record_events(door.engine)
    data = {"purpose": "adjudication"} | ({"csrf": token} if token is not None else {})
    response = client.post(f"/console/persons/{found.person_id}", data=data)
    assert response.status_code == 403
    assert found.a_number not in response.text
    assert record_events(door.engine) == before


def test_the_purpose_prompt_reads_nothing_and_the_post_opens_the_record(
        client: TestClient, door: Door) -> None:
    found = calendared(door.engine)
    sign_in(client, door, found.judge_id)
    before = record_events(door.engine)
    prompt = client.get(f"/console/persons/{found.person_id}")
    assert prompt.status_code == 200 and found.a_number not in prompt.text
    assert '<label for="open-purpose">Purpose</label>' in prompt.text
    assert record_events(door.engine) == before
    opened = client.post(f"/console/persons/{found.person_id}", data={
        "csrf": csrf_of(prompt.text), "purpose": "adjudication", "justification": ""})
    assert opened.status_code == 200
    assert found.a_number in opened.text and "Opened for <strong>adjudication" in opened.text
    event = one(door.engine, "SELECT event_id FROM ledger_events WHERE action = 'view' AND "
                "person_id = :p", p=found.person_id)
    assert event in opened.text
    assert f'href="/console/cases/{found.case_id}"' in opened.text


def test_withheld_categories_are_named_never_shown_empty(client: TestClient,
                                                         door: Door) -> None:
    counsel, person_id = one(
        door.engine, "SELECT u.user_id || '|' || c.person_id FROM users u JOIN cases c ON "
        "c.court_code = u.office_code WHERE u.role = 'dhs_counsel' ORDER BY c.case_id"
    ).split("|")
    address = clear_person(door.engine, person_id).address
    csrf = sign_in(client, door, counsel)
    opened = client.post(f"/console/persons/{person_id}", data={
        "csrf": csrf, "purpose": "litigation", "justification": WHY})
    assert opened.status_code == 200, opened.text
    assert "withheld: contact" in opened.text
    assert address not in opened.text


def test_a_refusal_is_a_403_page_with_the_guards_message_and_a_deny_event(
        client: TestClient, door: Door) -> None:
    found = calendared(door.engine)
    csrf = sign_in(client, door, user_of(door.engine, "analyst"))
    response = client.post(f"/console/cases/{found.case_id}", data={
        "csrf": csrf, "purpose": "statistics"})
    assert response.status_code == 403 and "Not permitted" in response.text
    assert "Traceback" not in response.text and found.a_number not in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert (record_events(door.engine, "deny"), record_events(door.engine, "permit")) == (1, 0)


def test_pages_without_a_session_lead_to_sign_in(client: TestClient) -> None:
    response = client.get("/console/home", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/sign-in"
    assert client.get("/", follow_redirects=False).headers["location"] == "/console/home"


def test_signing_out_ends_the_session_and_needs_the_csrf_token(client: TestClient,
                                                               door: Door) -> None:
    csrf = sign_in(client, door, calendared(door.engine).judge_id)
    assert client.post("/console/sign-out", data={}).status_code == 403
    assert client.get("/console/home").url.path == "/console/home"
    out = client.post("/console/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert one(door.engine, "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL") == "0"
    assert client.get("/console/home").url.path == "/console/sign-in"


def test_a_token_presented_from_another_device_ends_the_session(client: TestClient,
                                                                door: Door) -> None:
    sign_in(client, door, calendared(door.engine).judge_id)
    token = client.cookies["casevault_session"]
    client.cookies.clear()
    client.cookies.set("casevault_session", token)
    client.cookies.set("casevault_device", "web-someone-else")
    response = client.get("/console/home", follow_redirects=False)
    assert response.status_code == 303 and "ended=true" in response.headers["location"]


def test_the_judge_home_lists_calendared_hearings(client: TestClient, door: Door,
                                                  clock: Clock) -> None:
    found = calendared(door.engine)
    clock.now = clock.now.replace(year=int(found.day[:4]), month=int(found.day[5:7]),
                                  day=int(found.day[8:10]))
    sign_in(client, door, found.judge_id)
    home = client.get("/console/home")
    assert f'href="/console/cases/{found.case_id}"' in home.text
    assert one(door.engine, "SELECT COUNT(*) FROM ledger_events WHERE case_id = :c",
               c=found.case_id) == "2"  # one for each time the home page listed it
    later = client.get("/console/home", params={"start": "2030-01-01"})
    assert "No hearings on your calendar" in later.text


@pytest.mark.parametrize("role", ["analyst", "external_advisor"])
def test_roles_without_record_access_are_told_so(client: TestClient, door: Door,
                                                 role: str) -> None:
    sign_in(client, door, user_of(door.engine, role))
    home = client.get("/console/home")
    assert "No record-level access" in home.text and "Find a person" not in home.text
    assert record_events(door.engine) == 0


def test_a_search_links_to_the_purpose_prompt(client: TestClient, door: Door) -> None:
    found = calendared(door.engine)
    csrf = sign_in(client, door, found.judge_id)
    results = client.post("/console/search", data={
        "csrf": csrf, "purpose": "adjudication", "justification": WHY,
        "a_number": found.a_number})
    assert results.status_code == 200, results.text
    assert f'href="/console/persons/{found.person_id}"' in results.text
    assert "withheld:" not in results.text


def test_a_privacy_officer_sees_the_break_glass_queue_and_who_accessed(
        client: TestClient, door: Door, guard_engine: Engine) -> None:
    found = calendared(door.engine)
    clerk = session_context(door, user_of(door.engine, "clerk"))
    door.guard.break_glass(clerk, RecordKind.CASE, found.case_id, reason=WHY)
    csrf = sign_in(client, door, user_of(door.engine, "privacy_officer"))
    queue = client.post("/console/oversight/break-glass", data={"csrf": csrf,
                                                                "justification": WHY})
    assert queue.status_code == 200 and clerk.user_id in queue.text
    person = one(guard_engine, "SELECT person_id FROM cases WHERE case_id = :c", c=found.case_id)
    report = client.post("/console/oversight/subject-report", data={
        "csrf": csrf, "person_id": person, "purpose": "compliance_audit", "justification": WHY})
    assert report.status_code == 200, report.text
    assert "break_glass" in report.text and "clerk, EOIR" in report.text


@pytest.mark.parametrize(("data", "message"), [
    ({"purpose": "gossip"}, "purpose"),
    ({"purpose": "adjudication", "extra": "x"}, "extra"),
    ({"purpose": "adjudication", "justification": "x" * 20_000}, "at most 16 KB"),
])
def test_bad_forms_are_422_pages_naming_the_problem(client: TestClient, door: Door,
                                                    data: dict[str, str], message: str) -> None:
    found = calendared(door.engine)
    csrf = sign_in(client, door, found.judge_id)
    before = record_events(door.engine)
    response = client.post(f"/console/persons/{found.person_id}", data={"csrf": csrf, **data})
    assert response.status_code == 422 and message in response.text
    assert record_events(door.engine) == before


def test_unknown_pages_are_html_404s_with_the_policy(client: TestClient) -> None:
    response = client.get("/console/nowhere")
    assert response.status_code == 404 and "no such page" in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["cache-control"] == "no-store"


def test_an_unexpected_error_is_a_plain_500_page_without_its_details(
        app: FastAPI, door: Door, monkeypatch: pytest.MonkeyPatch) -> None:
    found = calendared(door.engine)

    def broken(*_args: object, **_kwargs: object) -> None:
        msg = f"internal detail about {found.a_number}"
        raise RuntimeError(msg)

    monkeypatch.setattr(door.guard, "person_file", broken)
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        csrf = sign_in(client, door, found.judge_id)
        response = client.post(f"/console/persons/{found.person_id}",
                               data={"csrf": csrf, "purpose": "adjudication"})
    assert response.status_code == 500 and "Something went wrong" in response.text
    assert found.a_number not in response.text and "Traceback" not in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
