"""Alert cases: grouped per staff member, moved by privacy officers only, every step ledgered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, delete

from casevault.audit.checkpoint import Signer
from casevault.audit.ledger import Ledger
from casevault.audit.report import render_report_text
from casevault.audit.service import Operator, subject_report
from casevault.errors import AccessDenied, InvalidValue, NotFound
from casevault.store import tables
from casevault.store.tables_watch import watch_alerts, watch_case_steps, watch_cases
from casevault.watch._alerts import Alert
from casevault.watch.cases import (
    CaseState,
    case_detail,
    file_alerts,
    list_cases,
    move_case,
)

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
OFFICER, CLERK = "UPO01", "UCL01"


def _alert(alert_id: str, user: str, persons: tuple[str, ...] = ("P1",)) -> Alert:
    return Alert(alert_id, "family", user, persons, ("E1", "E2"), 0.85, "high",
                 f"family: user {user}, 2 events on P1.", "2026-10-01T10:00:00Z",
                 "2026-10-02T10:00:00Z")


def _clear(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in (watch_alerts, watch_case_steps, watch_cases):
            connection.execute(delete(table))
        connection.execute(delete(tables.users).where(tables.users.c.user_id.in_(
            [OFFICER, CLERK])))


@pytest.fixture
def staff(ledger: Ledger, engine: Engine) -> Iterator[Engine]:
    _clear(engine)
    with engine.begin() as connection:
        for user_id, role in ((OFFICER, "privacy_officer"), (CLERK, "clerk")):
            connection.execute(tables.users.insert().values(
                user_id=user_id, family_name="Staff", given_name="Test", role=role,
                agency="EOIR", active_from=date(2020, 1, 1)))
    yield engine
    _clear(engine)


def test_alerts_are_grouped_into_one_case_per_user(staff: Engine, ledger: Ledger) -> None:
    filed = file_alerts(staff, ledger.append, [_alert("A1", "U1"), _alert("A2", "U1"),
                                               _alert("A3", "U2")], now=NOW)
    assert len(filed.opened) == 2 and filed.added == 3
    again = file_alerts(staff, ledger.append, [_alert("A1", "U1"), _alert("A4", "U1")], now=NOW)
    assert again.opened == () and again.added == 1 and again.already_filed == 1
    cases = {c.user_id: c for c in list_cases(staff)}
    assert cases["U1"].alerts == 3 and cases["U1"].state is CaseState.OPEN
    opened = [e for e in ledger.events() if e.detail.get("step") == "opened"]
    assert {e.detail["subject_user"] for e in opened} == {"U1", "U2"}


def test_a_case_moves_through_its_states_with_notes_and_ledger_events(
        staff: Engine, ledger: Ledger) -> None:
    (case_id,) = file_alerts(staff, ledger.append, [_alert("A1", "U1", ("P1", "P2"))],
                             now=NOW).opened
    move_case(staff, ledger.append, case_id, CaseState.INVESTIGATING, officer_id=OFFICER,
              note="asked the supervisor", now=NOW)
    done = move_case(staff, ledger.append, case_id, CaseState.SUBSTANTIATED,
                     officer_id=OFFICER, note="admitted looking up a relative", now=NOW)
    assert done.state is CaseState.SUBSTANTIATED
    detail = case_detail(staff, case_id)
    assert [s.state for s in detail.steps] == [CaseState.OPEN, CaseState.INVESTIGATING,
                                              CaseState.SUBSTANTIATED]
    assert detail.steps[2].note == "admitted looking up a relative"
    events = {e.event_id: e for e in ledger.events()}
    assert all(step.event_id in events for step in detail.steps)
    assert "admitted" not in str(events[detail.steps[2].event_id].detail)
    told = sorted(e.person_id or "" for e in events.values()
                  if e.detail.get("step") == "subject_notified")
    assert told == ["P1", "P2"]


def test_a_closed_case_cannot_move_and_wrong_moves_say_where_to(
        staff: Engine, ledger: Ledger) -> None:
    (case_id,) = file_alerts(staff, ledger.append, [_alert("A1", "U1")], now=NOW).opened
    with pytest.raises(InvalidValue, match="investigating, unfounded"):
        move_case(staff, ledger.append, case_id, CaseState.SUBSTANTIATED, officer_id=OFFICER,
                  note="x", now=NOW)
    move_case(staff, ledger.append, case_id, CaseState.UNFOUNDED, officer_id=OFFICER,
              note="hearing moved; assignment was late", now=NOW)
    with pytest.raises(InvalidValue, match="closed"):
        move_case(staff, ledger.append, case_id, CaseState.INVESTIGATING, officer_id=OFFICER,
                  note="reopen", now=NOW)
    after = file_alerts(staff, ledger.append, [_alert("A9", "U1")], now=NOW)
    assert len(after.opened) == 1 and after.opened[0] != case_id


def test_only_a_privacy_officer_moves_a_case_and_a_note_is_required(
        staff: Engine, ledger: Ledger) -> None:
    (case_id,) = file_alerts(staff, ledger.append, [_alert("A1", "U1")], now=NOW).opened
    before = ledger.size()
    with pytest.raises(AccessDenied, match="privacy officer"):
        move_case(staff, ledger.append, case_id, CaseState.INVESTIGATING, officer_id=CLERK,
                  note="curious", now=NOW)
    with pytest.raises(InvalidValue, match="note is required"):
        move_case(staff, ledger.append, case_id, CaseState.INVESTIGATING, officer_id=OFFICER,
                  note="  ", now=NOW)
    assert ledger.size() == before
    assert case_detail(staff, case_id).summary.state is CaseState.OPEN


def test_an_unknown_case_is_not_found(staff: Engine, ledger: Ledger) -> None:
    with pytest.raises(NotFound, match="watch cases"):
        move_case(staff, ledger.append, "WC-nope", CaseState.UNFOUNDED, officer_id=OFFICER,
                  note="n", now=NOW)


def test_the_subject_of_a_substantiated_case_learns_it_from_their_access_report(
        staff: Engine, ledger: Ledger, signer: Signer) -> None:
    (case_id,) = file_alerts(staff, ledger.append, [_alert("A1", "U1", ("P7",))], now=NOW).opened
    for state in (CaseState.INVESTIGATING, CaseState.SUBSTANTIATED):
        move_case(staff, ledger.append, case_id, state, officer_id=OFFICER, note="checked",
                  now=NOW)
    report = subject_report(ledger, staff, signer, Operator(OFFICER, "compliance_audit"),
                            person_id="P7", generated_at=NOW)
    text = render_report_text(report)
    assert "found to be misuse" in text
    assert case_id in text
    other = subject_report(ledger, staff, signer, Operator(OFFICER, "compliance_audit"),
                           person_id="P8", generated_at=NOW)
    assert "misuse" not in render_report_text(other)
