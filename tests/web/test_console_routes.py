"""Every console route, walked: none returns personal data without a ledger event.

Each route is classified. Record routes, called by someone the policy permits,
answer 200 and append at least one permit event; called by someone it refuses,
answer 403 (or, for a home page, nothing personal) with exactly one deny event and
no permit. Routes classified as not personal, called by a signed-in judge with
real record ids, append no record event and show none of the record's values.
A new route that is not classified fails ``test_every_console_route_is_classified``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from casevault.access.setup import Door
from casevault.web import console_app
from clear_values import clear_person

from .console_helpers import (
    WHY,
    Calendared,
    Clock,
    calendared,
    csrf_of,
    record_events,
    sign_in,
    user_of,
)

Form = Callable[[Calendared, str], dict[str, str]]
"""(the calendared case, the page's CSRF token) -> the form a route is sent."""

RECORD_ROUTES: dict[tuple[str, str], tuple[str, Form | None]] = {
    ("GET", "/home"): ("judge", None),
    ("POST", "/persons/{person_id}"): ("judge", lambda f, t: {
        "csrf": t, "purpose": "adjudication"}),
    ("POST", "/cases/{case_id}"): ("judge", lambda f, t: {"csrf": t, "purpose": "adjudication"}),
    ("POST", "/search"): ("judge", lambda f, t: {
        "csrf": t, "purpose": "adjudication", "justification": WHY, "a_number": f.a_number}),
    ("POST", "/oversight/break-glass"): ("privacy_officer", lambda f, t: {
        "csrf": t, "justification": WHY}),
    ("POST", "/oversight/breach"): ("privacy_officer", lambda f, t: {
        "csrf": t, "justification": WHY}),
    ("POST", "/oversight/subject-report"): ("privacy_officer", lambda f, t: {
        "csrf": t, "person_id": f.person_id, "purpose": "compliance_audit",
        "justification": WHY}),
    ("POST", "/oversight/watch"): ("privacy_officer", lambda f, t: {
        "csrf": t, "justification": WHY}),
}
"""Routes that can show personal data: who may call them, and the form they are sent."""
NOT_PERSONAL = {("GET", "/"), ("GET", "/console.css"), ("GET", "/sign-in"),
                ("POST", "/sign-in"), ("POST", "/sign-out"), ("GET", "/persons/{person_id}"),
                ("GET", "/cases/{case_id}"), ("GET", "/oversight/breach/open")}
"""Routes that show no record: sign-in and out, the stylesheet, and the purpose prompts."""
AGGREGATES = {("GET", "/stats"), ("POST", "/stats")}
"""Differentially private statistics: no record, checked in ``test_stats_page``."""
OFFICER_WORK = {("POST", "/oversight/watch/case"), ("POST", "/oversight/watch/move"),
                ("POST", "/oversight/breach/open"), ("POST", "/oversight/breach/incident"),
                ("POST", "/oversight/breach/clear-hold")}
"""Privacy officers' steps on a misuse case or an incident (they need one arranged): permits,
refusals and their ledger events are checked in ``test_console_watch`` and
``test_console_breach_open``."""
COURT_WORK = {("GET", "/court"), ("POST", "/court/hearings"),
              ("POST", "/court/hearings/reschedule"), ("POST", "/court/appearances"),
              ("POST", "/court/appearances/withdraw"), ("POST", "/court/documents"),
              ("POST", "/court/applications"), ("POST", "/court/assignments")}
"""Court work: forms and guarded writes that answer ids only (``test_court_pages``)."""
SELF_SERVICE = {("POST", "/me/address"), ("POST", "/me/access-report")}
"""A respondent's own record: ledgered writes and reports (``test_respondent_pages``)."""
HOME_WITHOUT_RECORDS = ("GET", "/home")
"""For a refused role the home page is not refused: it says there is no record access."""


def test_every_console_route_is_classified() -> None:
    app = console_app(Door(None, None, None, None, None))  # type: ignore[arg-type]
    routes = {(method, route.path) for route in app.routes if isinstance(route, APIRoute)
              for method in route.methods}
    assert routes == (set(RECORD_ROUTES) | NOT_PERSONAL | AGGREGATES | OFFICER_WORK
                      | COURT_WORK | SELF_SERVICE)


def _url(route: tuple[str, str], found: Calendared) -> str:
    return "/console" + route[1].format(person_id=found.person_id, case_id=found.case_id)


def _call(client: TestClient, route: tuple[str, str], found: Calendared, csrf: str,
          form: Form | None) -> tuple[int, str]:
    if route[0] == "GET":
        response = client.get(_url(route, found))
    else:
        assert form is not None
        response = client.post(_url(route, found), data=form(found, csrf))
    return response.status_code, response.text


def _home_day(clock: Clock, found: Calendared) -> None:
    """Put the clock on the hearing's day, so the judge's home lists the case."""
    year, month, day = (int(part) for part in found.day.split("-"))
    clock.now = clock.now.replace(year=year, month=month, day=day)


@pytest.mark.parametrize("route", sorted(RECORD_ROUTES))
def test_each_record_route_ledgers_permits_and_refusals(
        client: TestClient, door: Door, clock: Clock, route: tuple[str, str]) -> None:
    found = calendared(door.engine)
    _home_day(clock, found)
    role, form = RECORD_ROUTES[route]
    csrf = sign_in(client, door, user_of(door.engine, "analyst"))
    status, body = _call(client, route, found, csrf, form)
    if route == HOME_WITHOUT_RECORDS:
        assert status == 200 and "No record-level access" in body
        assert record_events(door.engine) == 0
    else:
        assert status == 403 and found.a_number not in body
        assert (record_events(door.engine, "deny"), record_events(door.engine, "permit")) == (
            1, 0)

    clock.now += timedelta(seconds=30)
    client.cookies.clear()
    user = found.judge_id if role == "judge" else user_of(door.engine, role)
    csrf = sign_in(client, door, user)
    before = record_events(door.engine, "permit")
    status, body = _call(client, route, found, csrf, form)
    assert status == 200, body
    assert record_events(door.engine, "permit") > before


@pytest.mark.parametrize("route", sorted(NOT_PERSONAL))
def test_no_other_route_shows_a_record_or_ledgers_a_read(
        client: TestClient, door: Door, route: tuple[str, str], guard_engine: Engine) -> None:
    found = calendared(door.engine)
    page_csrf = sign_in(client, door, found.judge_id)
    before = record_events(door.engine)
    family_name = clear_person(guard_engine, found.person_id).family_name
    if route == ("POST", "/sign-in"):
        response = client.post("/console/sign-in", data={
            "csrf": csrf_of(client.get("/console/sign-in").text), "user_id": found.judge_id,
            "password": "not the password", "code": "000000"})
    elif route[0] == "POST":
        response = client.post(_url(route, found), data={"csrf": page_csrf},
                               follow_redirects=False)
    else:
        response = client.get(_url(route, found), follow_redirects=False)
    assert response.status_code in {200, 303, 401}
    assert found.a_number not in response.text and family_name not in response.text
    assert record_events(door.engine) == before
