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
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from sqlalchemy import Engine

from casevault.access.policy import RecordKind
from casevault.access.setup import Door

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
    family_name = one(guard_engine, "SELECT family_name FROM persons WHERE person_id = :p",
                      p=found.person_id)
    sign_in(page, door, user_of(door.engine, "external_advisor"), with_code=False)
    expect(page.get_by_role("heading", name="No record-level access")).to_be_visible()
    screenshot(page, door, "external_advisor")
    page.goto(f"/console/persons/{found.person_id}")
    open_record(page, "statistics")
    expect(page.get_by_role("heading", name="Not permitted")).to_be_visible()
    text = page.content()
    assert found.a_number not in text and family_name not in text


def test_an_attorney_opens_a_clients_case(page: Page, door: Door, guard_engine: Engine) -> None:
    attorney, case_id, person_id, a_number = one(
        guard_engine, "SELECT r.attorney_id || '|' || c.case_id || '|' || c.person_id || '|' "
        "|| p.a_number FROM representations r JOIN users u ON u.user_id = r.attorney_id "
        "JOIN cases c ON c.case_id = r.case_id JOIN persons p ON p.person_id = c.person_id "
        "WHERE u.role = 'attorney' AND r.ended_on IS NULL AND r.started_on <= :today "
        "ORDER BY r.case_id", today=door.accounts.clock().date().isoformat()).split("|")
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
