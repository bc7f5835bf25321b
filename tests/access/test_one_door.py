"""Invariant 1, one door: personal data leaves the store only through the guard.

Three checks, each able to fail:
- statically, only ``casevault.access`` imports the store's read surface
  (``store.reads``) and its bulk exporter;
- every public method of ``Guard`` is listed here and, called by someone the
  policy refuses, raises ``AccessDenied`` after appending a deny event; called by
  someone it permits, appends a permit event naming the record before returning
  (a new method that is not listed fails the test);
- every CLI command is classified; those that print personal data require an
  operator, a purpose and a justification (checked in ``tests/cli``).
"""

from __future__ import annotations

import ast
import inspect
import io
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from casevault.access import PolicyEngine
from casevault.access.guard import Guard, ReviewOutcome
from casevault.access.identity import SessionContext
from casevault.access.policy import RecordKind
from casevault.audit.ledger import Ledger
from casevault.domain import Purpose, Role
from casevault.errors import AccessDenied
from casevault.store.rows import instant_from_store
from clear_values import clear_person

from .guard_helpers import TERMS_KEY, Calendared, SignIn, context_for, ledger_rows, user_of_role

SOURCE = Path(__file__).parents[2] / "src" / "casevault"
READ_SURFACE = {"casevault.store.reads", "casevault.store.interchange.exporter",
                "casevault.store.interchange.export_folder"}
DOOR = "access"


def _sources() -> list[tuple[str, str]]:
    return [(str(path.relative_to(SOURCE)), path.read_text(encoding="utf-8"))
            for path in sorted(SOURCE.rglob("*.py"))]


def _importers_of(modules: set[str], sources: list[tuple[str, str]]) -> set[str]:
    found = set()
    for name, source in sources:
        for node in ast.walk(ast.parse(source)):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(imported in modules for imported in names):
                found.add(name)
    return found


def _outside_the_door(importers: set[str]) -> set[str]:
    return {p for p in importers if not p.startswith((f"{DOOR}/", "store/"))}


def test_only_the_guard_imports_the_read_surface() -> None:
    importers = _importers_of(READ_SURFACE, _sources())
    assert _outside_the_door(importers) == set()
    assert any(p.startswith(f"{DOOR}/") for p in importers)  # the check sees real imports


@pytest.mark.parametrize("line", ["from casevault.store import reads\n",
                                  "import casevault.store.reads\n",
                                  "from casevault.store.interchange.exporter import x\n"])
def test_the_import_check_catches_a_planted_import(line: str) -> None:
    planted = [*_sources(), ("web/planted.py", line)]
    assert _outside_the_door(_importers_of(READ_SURFACE, planted)) == {"web/planted.py"}


# --- every public guard method goes through a decision and a ledger append ----------

Call = Callable[[Guard, SessionContext, str, str], Any]
"""(guard, who, person_id, case_id) -> the method's answer."""

JUSTIFICATION = "Review for hearing on calendar, ticket INC-4410 about the file"
AUDIT = Purpose.COMPLIANCE_AUDIT
GUARD_METHODS: dict[str, tuple[str, Call]] = {
    "person": ("judge", lambda g, who, p, c: g.person(who, p, purpose=Purpose.ADJUDICATION)),
    "person_file": ("judge", lambda g, who, p, c: g.person_file(
        who, p, purpose=Purpose.ADJUDICATION)),
    "case": ("judge", lambda g, who, p, c: g.case(who, c, purpose=Purpose.ADJUDICATION)),
    "case_file": ("judge", lambda g, who, p, c: g.case_file(
        who, c, purpose=Purpose.ADJUDICATION)),
    "document": ("judge", lambda g, who, p, c: g.document(
        who, _first_document(g, c), purpose=Purpose.ADJUDICATION)),
    "break_glass": ("clerk", lambda g, who, p, c: g.break_glass(
        who, RecordKind.CASE, c, reason=JUSTIFICATION)),
    "export_persons": ("attorney", lambda g, who, p, c: g.export_persons(
        who, [p], _fresh_folder(), purpose=Purpose.REPRESENTATION,
        justification=JUSTIFICATION)),
    "subject_report": ("privacy_officer", lambda g, who, p, c: g.subject_report(
        who, p, purpose=AUDIT, justification=JUSTIFICATION)),
    "disclosures": ("privacy_officer", lambda g, who, p, c: g.disclosures(
        who, p, purpose=AUDIT, justification=JUSTIFICATION)),
    "search_persons": ("judge", lambda g, who, p, c: g.search_persons(
        who, purpose=Purpose.ADJUDICATION, justification=JUSTIFICATION,
        a_number=_a_number_of(g, p))),
    "break_glass_reviews": ("privacy_officer", lambda g, who, p, c: g.break_glass_reviews(
        who, justification=JUSTIFICATION)),
    "review_break_glass": ("privacy_officer", lambda g, who, p, c: g.review_break_glass(
        who, _pending_grant(g), outcome=ReviewOutcome.JUSTIFIED, note=JUSTIFICATION)),
    "identify": ("privacy_officer", lambda g, who, p, c: g.identify(
        who, [p], purpose=Purpose.BREACH_RESPONSE, justification=JUSTIFICATION, what="test")),
    "approve_publication": ("privacy_officer", lambda g, who, p, c: g.approve_publication(
        who, "0" * 64, justification=JUSTIFICATION)),
    "audit_export": ("privacy_officer", lambda g, who, p, c: g.audit_export(
        who, "jsonl", io.StringIO(), purpose=AUDIT, justification=JUSTIFICATION)),
    "hearing_calendar": ("judge", lambda g, who, p, c: g.hearing_calendar(
        who, first_day=_hearing_day(g, who.user_id, c), days=1)),
    "admit_oversight": ("privacy_officer", lambda g, who, p, c: g.admit_oversight(
        who, purpose=AUDIT, justification=JUSTIFICATION, what="watch_run")),
}
"""Every public method of ``Guard``, with the role that may call it; the test below fails
if one is missing here."""


def _a_number_of(guard: Guard, person_id: str) -> str:
    return str(clear_person(guard._engine, person_id).a_number)


def _hearing_day(guard: Guard, judge_id: str, case_id: str) -> date:
    """The day of a hearing of the case on this judge's calendar (any day for anyone else)."""
    with guard._engine.connect() as connection:
        found = connection.execute(text(
            "SELECT scheduled_at FROM hearings WHERE case_id = :c AND judge_user_id = :j "
            "ORDER BY scheduled_at"), {"c": case_id, "j": judge_id}).scalars().first()
    return instant_from_store(found).date() if found is not None else date(2026, 11, 21)


def _pending_grant(guard: Guard) -> str:
    with guard._engine.connect() as connection:
        return str(connection.execute(text(
            "SELECT grant_id FROM break_glass_grants WHERE reviewed_at IS NULL")).scalar_one())


def _open_a_grant(guard: Guard, sign_in: SignIn, engine: Engine, found: Any) -> None:
    """Some clerk's emergency grant, for the review methods to work on."""
    clerk = context_for(sign_in, user_of_role(engine, Role.CLERK))
    guard.break_glass(clerk, RecordKind.CASE, found.case_id, reason=JUSTIFICATION)


NEEDS_A_GRANT = {"review_break_glass"}
OVERSIGHT = {"audit_export", "break_glass_reviews", "review_break_glass", "approve_publication",
             "admit_oversight"}
"""Methods about the audit trail as a whole: their events name no one record."""


def _fresh_folder() -> Path:
    return Path(tempfile.mkdtemp()) / "export"


def _first_document(guard: Guard, case_id: str) -> str:
    with guard._engine.connect() as connection:
        return str(connection.execute(text(
            "SELECT document_id FROM documents WHERE case_id = :c ORDER BY document_id"),
            {"c": case_id}).scalar_one())


def test_every_public_guard_method_is_listed() -> None:
    public = {name for name, _ in inspect.getmembers(Guard, inspect.isfunction)
              if not name.startswith("_")}
    assert public == set(GUARD_METHODS)


@pytest.fixture
def guard(guard_engine: Engine, guard_ledger: Ledger, sign_in: SignIn) -> Guard:
    return Guard(guard_engine, guard_ledger, PolicyEngine.load(), terms_key=TERMS_KEY,
                 clock=sign_in.clock)


@pytest.mark.parametrize("method", sorted(GUARD_METHODS))
def test_a_refused_call_appends_a_deny_event_and_raises(guard: Guard, guard_engine: Engine,
                                                        method: str, sign_in: SignIn) -> None:
    found = _case_with_document(guard_engine)
    if method in NEEDS_A_GRANT:
        _open_a_grant(guard, sign_in, guard_engine, found)
    analyst = context_for(sign_in, user_of_role(guard_engine, Role.ANALYST))
    before = len(ledger_rows(guard_engine))
    with pytest.raises(AccessDenied):
        GUARD_METHODS[method][1](guard, analyst, found.person_id, found.case_id)
    events = ledger_rows(guard_engine)[before:]
    assert [(e["result"], e["user_id"]) for e in events] == [("deny", analyst.user_id)]


@pytest.mark.parametrize("method", sorted(GUARD_METHODS))
def test_a_permitted_call_appends_a_permit_event_naming_the_record(
        guard: Guard, guard_engine: Engine, method: str, sign_in: SignIn) -> None:
    found = _case_with_document(guard_engine)
    if method in NEEDS_A_GRANT:
        _open_a_grant(guard, sign_in, guard_engine, found)
    role, call = GUARD_METHODS[method]
    who = context_for(sign_in, _user_for(guard_engine, role, found))
    before = len(ledger_rows(guard_engine))
    call(guard, who, found.person_id, found.case_id)
    events = ledger_rows(guard_engine)[before:]
    assert events and all(e["result"] == "permit" for e in events)
    assert all(e["user_id"] == who.user_id for e in events)
    named = {(e["person_id"], e["case_id"]) for e in events}
    assert method in OVERSIGHT or any(
        person == found.person_id or case == found.case_id for person, case in named)


def _user_for(engine: Engine, role: str, found: Any) -> str:
    """The judge of the case, an attorney of record of its person, or any user of the role."""
    if role == "judge":
        return str(found.judge_id)
    if role == "attorney":
        with engine.connect() as connection:
            return str(connection.execute(text(
                "SELECT r.attorney_id FROM representations r JOIN users u ON u.user_id = "
                "r.attorney_id JOIN cases c ON c.case_id = r.case_id WHERE c.person_id = :p "
                "AND r.ended_on IS NULL"), {"p": found.person_id}).scalars().first())
    return user_of_role(engine, Role(role))


def _case_with_document(engine: Engine) -> Any:
    """A calendared case that has at least one document."""
    sql = text("SELECT h.judge_user_id, c.case_id, c.person_id FROM hearings h JOIN cases c "
               "ON c.case_id = h.case_id WHERE h.judge_user_id IS NOT NULL AND EXISTS "
               "(SELECT 1 FROM documents d WHERE d.case_id = c.case_id AND d.application_id "
               "IS NULL) AND EXISTS (SELECT 1 FROM representations r JOIN users u ON "
               "u.user_id = r.attorney_id JOIN cases c2 ON c2.case_id = r.case_id WHERE "
               "c2.person_id = c.person_id AND r.ended_on IS NULL) ORDER BY c.case_id LIMIT 1")
    with engine.connect() as connection:
        return Calendared(*connection.execute(sql).one())
