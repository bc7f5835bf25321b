"""Privacy officers' journeys in a real browser (Debian's headless Chromium, Playwright):
working a misuse case, and opening a breach incident by uploading the leaked file.

The browser, server and sign-in are those of ``test_browser.py``; screenshots of each
journey's last page go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from casevault.access.setup import Door
from casevault.watch.cases import CaseState, case_summary

from . import test_browser as _browser
from . import test_console_breach_open as _breach
from . import test_console_watch as _watch
from .console_helpers import WHY, user_of
from .test_browser import screenshot, sign_in
from .test_console_breach_open import RELEASED, leaked_file
from .test_console_watch import NOTE

# The browser, its server and the arranged data: the fixtures of the neighbouring modules.
playwright, browser, base_url, page = (_browser.playwright, _browser.browser,
                                       _browser.base_url, _browser.page)
filed, breach_clean = _watch.filed, _breach.breach_clean

def test_a_privacy_officer_works_a_misuse_case(page: Page, door: Door,
                                               filed: tuple[str, str, str]) -> None:
    case_id, clerk, person = filed
    sign_in(page, door, user_of(door.engine, "privacy_officer"))
    page.get_by_label("Justification for the misuse cases").fill(WHY)
    page.get_by_role("button", name="Show the misuse cases").click()
    cases = page.get_by_role("table", name=re.compile("Alert cases, one per staff member"))
    expect(cases).to_contain_text(clerk)
    expect(cases).to_contain_text("family (1)")
    page.get_by_label("Case", exact=True).select_option(case_id)
    page.get_by_label("Justification for opening the case").fill(WHY)
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("heading", name=re.compile("^Misuse case"))).to_contain_text(case_id)
    expect(page.get_by_role("table", name=re.compile("^Alerts"))).to_contain_text(person)
    page.get_by_label("New state").select_option("investigating")
    page.get_by_label(re.compile("^Note")).fill(NOTE)
    page.get_by_label("Justification", exact=True).fill(WHY)
    page.get_by_role("button", name="Move the case").click()
    expect(page.get_by_text("The case is now investigating")).to_be_visible()
    expect(page.get_by_role("table", name="Steps")).to_contain_text(NOTE)
    screenshot(page, door, "privacy_officer", "misuse-case")
    assert case_summary(door.engine, case_id).state is CaseState.INVESTIGATING


@pytest.fixture
def leak(door: Door, court_folder: Path, tmp_path: Path,
         breach_clean: None) -> Iterator[Path]:
    yield leaked_file(door.engine, court_folder, tmp_path / "leak")[0]


def test_a_privacy_officer_opens_an_incident_by_upload_and_clears_a_hold(
        page: Page, door: Door, leak: Path) -> None:
    sign_in(page, door, user_of(door.engine, "privacy_officer"))
    page.get_by_role("link", name="Open an incident from a leaked file").click()
    page.get_by_label("Leaked file").set_input_files(leak)
    page.get_by_label("Posted at (UTC)").fill("2026-11-20T09:00")
    page.get_by_label(re.compile(r"^Detected at")).fill("2026-11-20T14:05")
    page.get_by_label("URL it was reachable at").fill("https://court.example/detained.csv")
    page.get_by_label("Justification").fill(WHY)
    page.get_by_role("button", name="Open the incident").click()
    expect(page.get_by_role("heading", name=re.compile("^Incident inc-"))).to_be_visible()
    expect(page.get_by_text("persons affected")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^Regulatory clocks"))).to_contain_text(
        "OVERDUE")
    screenshot(page, door, "privacy_officer", "breach-incident")
    held = page.get_by_label("Held case").input_value()
    page.get_by_label("Reason for clearing").fill(RELEASED)
    page.get_by_label("Justification", exact=True).fill(WHY)
    page.get_by_role("button", name="Clear the hold").click()
    expect(page.get_by_text(f"hold(s) cleared on case {held}")).to_be_visible()
