"""The console in a real browser: Debian's Chromium, headless, driven by Playwright.

Each test serves the real app (API and console) with uvicorn on a free loopback
port, on the committed synthetic court, and walks one role's journey the way a
person would: labels to find fields, links and buttons to move on. A screenshot of
each role's home page is saved under ``test-artifacts/screenshots/``.

Chromium comes from Debian (``make test`` installs it when missing); the
Playwright browser download is not used. A missing Chromium fails, it never skips.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from sqlalchemy import Engine, text

from casevault.access.policy import RecordKind
from casevault.access.setup import Door
from casevault.domain import Purpose
from casevault.store import tables
from clear_values import clear_person
from respondent_accounts import person_with_hearings, respondent_account

from .console_helpers import (
    PASSWORD,
    WHY,
    Clock,
    account,
    calendared,
    code,
    one,
    session_context,
    user_of,
)

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield launched
    launched.close()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free loopback port; stopped on exit."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def sign_in(page: Page, door: Door, user_id: str, *, with_code: bool = True) -> None:
    """Through the sign-in form, as a person types it; lands on the home page."""
    secret = account(door, user_id)
    page.goto("/console/sign-in")
    page.get_by_label("User id").fill(user_id)
    page.get_by_label("Password").fill(PASSWORD)
    if with_code:
        page.get_by_label("Authenticator code").fill(code(door, secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()


def screenshot(page: Page, door: Door, role: str, what: str = "home") -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{role}-{what}-{door.engine.dialect.name}.png",
                    full_page=True)


def open_record(page: Page, purpose: str, justification: str | None = None) -> None:
    """Answer the purpose prompt and open the record."""
    expect(page.get_by_role("heading", name=re.compile(r"^Open (person|case) "))).to_be_visible()
    page.get_by_label("Purpose").select_option(purpose)
    if justification is not None:
        page.get_by_label("Justification").fill(justification)
    page.get_by_role("button", name="Open the record").click()


def test_a_judge_opens_a_calendared_case(page: Page, door: Door, clock: Clock) -> None:
    found = calendared(door.engine)
    year, month, day = (int(part) for part in found.day.split("-"))
    clock.now = clock.now.replace(year=year, month=month, day=day)
    sign_in(page, door, found.judge_id)
    calendar = page.get_by_role("table", name=re.compile("Hearings on your calendar"))
    expect(calendar).to_be_visible()
    screenshot(page, door, "judge")
    calendar.get_by_role("link", name=found.case_id).first.click()
    open_record(page, "adjudication")
    expect(page.get_by_role("heading", name="Case", exact=True)).to_be_visible()
    expect(page.get_by_text("Opened for adjudication")).to_be_visible()
    expect(page.get_by_role("heading", name="Hearings")).to_be_visible()
    assert page.locator(".withheld").count() == 0
    screenshot(page, door, "judge", "case")


def test_an_outside_party_sees_nothing_personal(page: Page, door: Door,
                                                guard_engine: Engine) -> None:
    found = calendared(door.engine)
    family_name = clear_person(guard_engine, found.person_id).family_name
    sign_in(page, door, user_of(door.engine, "external_advisor"), with_code=False)
    expect(page.get_by_role("heading", name="No record-level access")).to_be_visible()
    screenshot(page, door, "external_advisor")
    page.goto(f"/console/persons/{found.person_id}")
    open_record(page, "statistics")
    expect(page.get_by_role("heading", name="Not permitted")).to_be_visible()
    text = page.content()
    assert found.a_number not in text and family_name not in text


def test_an_attorney_opens_a_clients_case(page: Page, door: Door, guard_engine: Engine) -> None:
    attorney, case_id, person_id = one(
        guard_engine, "SELECT r.attorney_id || '|' || c.case_id || '|' || c.person_id "
        "FROM representations r JOIN users u ON u.user_id = r.attorney_id "
        "JOIN cases c ON c.case_id = r.case_id "
        "WHERE u.role = 'attorney' AND r.ended_on IS NULL AND r.started_on <= :today "
        "ORDER BY r.case_id", today=door.accounts.clock().date().isoformat()).split("|")
    a_number = str(clear_person(guard_engine, person_id).a_number)
    sign_in(page, door, attorney)
    screenshot(page, door, "attorney")
    page.get_by_label("A-number").fill(a_number)
    expect(page.get_by_label("Purpose")).to_have_value("representation")
    page.get_by_label("Justification").fill(WHY)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=person_id).click()
    open_record(page, "representation")
    expect(page.get_by_role("heading", name="Person", exact=True)).to_be_visible()
    expect(page.get_by_text(a_number).first).to_be_visible()
    page.get_by_role("table", name="Cases").get_by_role("link", name=case_id).click()
    open_record(page, "representation")
    expect(page.get_by_role("heading", name="Case", exact=True)).to_be_visible()
    expect(page.get_by_role("table", name="Representation")).to_contain_text(attorney)
    screenshot(page, door, "attorney", "case")


def test_a_privacy_officer_sees_the_break_glass_queue(page: Page, door: Door) -> None:
    found = calendared(door.engine)
    clerk = session_context(door, user_of(door.engine, "clerk"))
    door.guard.break_glass(clerk, RecordKind.CASE, found.case_id, reason=WHY)
    sign_in(page, door, user_of(door.engine, "privacy_officer"))
    screenshot(page, door, "privacy_officer")
    page.get_by_label("Justification for the review").fill(WHY)
    page.get_by_role("button", name="Show the queue").click()
    queue = page.get_by_role("table", name=re.compile("Emergency grants not yet reviewed"))
    expect(queue).to_contain_text(clerk.user_id)
    expect(queue.get_by_role("link", name=f"case {found.case_id}")).to_be_visible()


@pytest.mark.parametrize("role", ["clerk", "court_admin", "dhs_counsel", "analyst"])
def test_every_other_role_has_a_home_page(page: Page, door: Door, role: str) -> None:
    sign_in(page, door, user_of(door.engine, role), with_code=role != "analyst")
    screenshot(page, door, role)
    searches = role != "analyst"
    expect(page.get_by_role("heading", name="Find a person")).to_have_count(int(searches))


@pytest.fixture
def undo_court_work(guard_engine: Engine) -> Iterator[None]:
    """The court is committed for the module: remove the hearings and appearances written."""
    yield
    with guard_engine.begin() as connection:
        connection.execute(text("DELETE FROM hearings WHERE hearing_id LIKE 'HRG-%'"))
        connection.execute(tables.representations.delete().where(
            tables.representations.c.started_on >= date(2026, 11, 21)))


@pytest.mark.usefixtures("undo_court_work")
def test_a_clerk_schedules_a_hearing(page: Page, door: Door, guard_engine: Engine) -> None:
    clerk, case_id, judge = one(
        guard_engine, "SELECT u.user_id || '|' || c.case_id || '|' || j.user_id FROM users u "
        "JOIN cases c ON c.court_code = u.office_code JOIN users j ON j.office_code = "
        "c.court_code AND j.role = 'judge' WHERE u.role = 'clerk' "
        "ORDER BY u.user_id, c.case_id, j.user_id").split("|")
    sign_in(page, door, clerk)
    page.get_by_role("link", name=re.compile("Court work")).click()
    expect(page.get_by_role("heading", name="Schedule a hearing", exact=True)).to_be_visible()
    page.get_by_label("Case id").first.fill(case_id)
    page.get_by_label("Date and time (UTC)", exact=True).fill("2026-12-03T14:30")
    page.get_by_label("Hearing type").select_option("individual")
    page.get_by_label("Judge (user id)").fill(judge)
    page.get_by_role("button", name="Schedule the hearing").click()
    expect(page.get_by_role("heading", name="Hearing scheduled")).to_be_visible()
    screenshot(page, door, "clerk", "scheduled")
    assert one(guard_engine, "SELECT hearing_type FROM hearings WHERE case_id = :c AND "
               "hearing_id LIKE 'HRG-%'", c=case_id) == "individual"


@pytest.mark.usefixtures("undo_court_work")
def test_an_attorney_loses_the_case_after_withdrawing(page: Page, door: Door, clock: Clock,
                                                      guard_engine: Engine) -> None:
    attorney = one(guard_engine, "SELECT u.user_id FROM users u JOIN attorneys a ON "
                   "a.attorney_id = u.user_id WHERE u.role = 'attorney' ORDER BY u.user_id")
    case_id = one(guard_engine, "SELECT c.case_id FROM cases c WHERE NOT EXISTS (SELECT 1 "
                  "FROM representations r WHERE r.case_id = c.case_id AND r.attorney_id = "
                  ":a) ORDER BY c.case_id", a=attorney)
    sign_in(page, door, attorney)
    page.get_by_role("link", name=re.compile("Court work")).click()
    page.get_by_label("Case id").first.fill(case_id)
    page.get_by_role("button", name="Enter my appearance").click()
    expect(page.get_by_role("heading", name="Appearance entered")).to_be_visible()
    page.goto(f"/console/cases/{case_id}")
    open_record(page, "representation")
    expect(page.get_by_role("heading", name="Case", exact=True)).to_be_visible()
    expect(page.get_by_role("table", name="Representation")).to_contain_text(attorney)
    page.goto("/console/court")
    page.get_by_label("Case id").nth(1).fill(case_id)
    page.get_by_role("button", name="Withdraw my appearance").click()
    expect(page.get_by_role("heading", name="Appearance withdrawn")).to_be_visible()
    clock.now += timedelta(minutes=1)
    page.goto(f"/console/cases/{case_id}")
    open_record(page, "representation")
    expect(page.get_by_role("heading", name="Not permitted")).to_be_visible()
    expect(page.get_by_text("no recorded relationship")).to_be_visible()
    screenshot(page, door, "attorney", "withdrawn")


def test_a_respondent_reads_who_looked_at_their_record(page: Page, door: Door,
                                                       guard_engine: Engine) -> None:
    person_id = person_with_hearings(guard_engine)
    judge = one(guard_engine, "SELECT h.judge_user_id FROM hearings h JOIN cases c ON "
                "c.case_id = h.case_id WHERE c.person_id = :p AND h.judge_user_id IS NOT NULL",
                p=person_id)
    with respondent_account(guard_engine, person_id):
        judge_session = session_context(door, judge)
        door.guard.person_file(judge_session, person_id, purpose=Purpose.ADJUDICATION,
                               justification=None)
        sign_in(page, door, person_id)
        screenshot(page, door, "respondent")
        page.get_by_role("link", name=re.compile("Open my record")).click()
        open_record(page, "self_service")
        expect(page.get_by_role("heading", name="Person", exact=True)).to_be_visible()
        page.goto("/console/home")
        page.get_by_label("Street address").fill("4417 Quietwater Lane")
        page.get_by_label("State (two letters)").fill("TX")
        page.get_by_role("button", name="Change my address").click()
        expect(page.get_by_text("Your new address is recorded")).to_be_visible()
        page.get_by_role("button", name="Show who looked at my record").click()
        expect(page.get_by_role("heading", name=f"Who accessed person {person_id}")
               ).to_be_visible()
        accesses = page.get_by_role("table", name=re.compile("Accesses"))
        expect(accesses).to_contain_text("judge, EOIR")
        expect(accesses).to_contain_text("adjudication")
        expect(page.get_by_label("Signed checkpoint")).to_be_visible()
        assert judge not in page.get_by_role("table", name=re.compile("Accesses")).inner_text()
        screenshot(page, door, "respondent", "access-report")
