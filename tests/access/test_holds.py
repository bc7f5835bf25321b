"""Breach work through the door (both databases): who is admitted, holds, hearing outcomes.

Which cases are open, who hears which hearing and which clerk sits at which
court are read with plain SQL, independently of the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from casevault.access.hearing_outcomes import HearingOutcomes
from casevault.access.holds import BreachDoor, Officer, holds_of_case
from casevault.audit.ledger import Ledger
from casevault.domain import Purpose, Role
from casevault.errors import AccessDenied, CaseOnHold, InvalidValue, JustificationRefused, NotFound

from .breach_helpers import an_incident, clear_breach_tables
from .guard_helpers import SignIn, context_for
from .identities import user_with_role

WHY = "Breach response to the public site leak, ticket INC-8120"
CLEARED = "Assessed under ticket INC-8121: the disclosure creates no new claim"


@pytest.fixture(scope="module", autouse=True)
def _release_connections(court_engine: Engine) -> Iterator[None]:
    """Close this module's pooled connections when it ends (the server is shared)."""
    yield
    court_engine.dispose()


@pytest.fixture
def door(guard_engine: Engine, guard_ledger: Ledger, sign_in: SignIn) -> Iterator[BreachDoor]:
    clear_breach_tables(guard_engine)
    yield BreachDoor(guard_engine, guard_ledger, clock=sign_in.clock)
    clear_breach_tables(guard_engine)


@pytest.fixture
def officer(door: BreachDoor, guard_engine: Engine, sign_in: SignIn) -> Officer:
    return door.admit(context_for(sign_in, user_with_role(guard_engine, Role.PRIVACY_OFFICER)),
                      WHY)


def scalar(engine: Engine, sql: str, **params: str) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params: str) -> list[tuple[str, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql), params)]


def held_hearing(engine: Engine, types: str = "'master', 'individual'") -> tuple[str, ...]:
    """A hearing with a judge, of an open case: hearing, case, person, judge, court."""
    return rows(engine, "SELECT h.hearing_id, c.case_id, c.person_id, h.judge_user_id, "
                "c.court_code FROM hearings h JOIN cases c ON c.case_id = h.case_id "
                f"WHERE h.judge_user_id IS NOT NULL AND h.hearing_type IN ({types}) AND "
                "c.status <> 'closed' ORDER BY h.hearing_id")[0]


def test_only_privacy_officers_are_admitted_and_each_refusal_is_ledgered(
        door: BreachDoor, guard_engine: Engine, sign_in: SignIn) -> None:
    clerk = context_for(sign_in, user_with_role(guard_engine, Role.CLERK))
    with pytest.raises(AccessDenied, match="Only privacy officers"):
        door.admit(clerk, WHY)
    officer = context_for(sign_in, user_with_role(guard_engine, Role.PRIVACY_OFFICER))
    with pytest.raises(JustificationRefused):
        door.admit(officer, "because")
    assert scalar(guard_engine, "SELECT COUNT(*) FROM ledger_events WHERE result = 'deny' "
                  "AND purpose = 'breach_response'") == 2
    assert door.admit(officer, WHY).user_id == officer.user_id


def test_holds_cover_exactly_the_open_cases_once_each_ledgered(
        door: BreachDoor, officer: Officer, guard_engine: Engine) -> None:
    persons = [p for (p,) in rows(guard_engine, "SELECT person_id FROM persons "
                                  "ORDER BY person_id")][:25]
    incident = an_incident(guard_engine)
    holds = door.place_holds(officer, incident, persons)
    wanted = {c for (c,) in rows(guard_engine, "SELECT case_id FROM cases WHERE status <> "
                                 "'closed' AND person_id IN (" + ", ".join(
                                     f"'{p}'" for p in persons) + ")")}
    assert {h.case_id for h in holds} == wanted and wanted
    assert scalar(guard_engine, "SELECT COUNT(*) FROM ledger_events WHERE detail LIKE "
                  "'%hold_placed%' AND case_id IS NOT NULL") == len(wanted)
    assert door.place_holds(officer, incident, persons) == []


def test_a_hold_blocks_only_removal_related_outcomes_until_an_officer_clears_it(
        door: BreachDoor, officer: Officer, guard_engine: Engine, guard_ledger: Ledger,
        sign_in: SignIn) -> None:
    hearing_id, case_id, person_id, judge_id, _ = held_hearing(guard_engine)
    door.place_holds(officer, an_incident(guard_engine), [person_id])
    judge = context_for(sign_in, judge_id)
    outcomes = HearingOutcomes(guard_engine, guard_ledger, clock=sign_in.clock)
    before = scalar(guard_engine, "SELECT outcome FROM hearings WHERE hearing_id = :h",
                    h=hearing_id)
    with pytest.raises(CaseOnHold, match=case_id):
        outcomes.record(judge, hearing_id, "completed", purpose=Purpose.ADJUDICATION)
    assert scalar(guard_engine, "SELECT outcome FROM hearings WHERE hearing_id = :h",
                  h=hearing_id) == before
    assert scalar(guard_engine, "SELECT COUNT(*) FROM ledger_events WHERE result = 'deny' "
                  "AND case_id = :c AND detail LIKE '%case_on_hold%'", c=case_id) == 1

    outcomes.record(judge, hearing_id, "adjourned", purpose=Purpose.ADJUDICATION)
    with pytest.raises(JustificationRefused):
        door.clear_hold(officer, case_id, reason="ok")
    with guard_engine.connect() as connection:
        assert holds_of_case(connection, case_id)
    door.clear_hold(officer, case_id, reason=CLEARED)
    done = outcomes.record(judge, hearing_id, "completed", purpose=Purpose.ADJUDICATION)
    assert done.case_id == case_id
    assert scalar(guard_engine, "SELECT outcome FROM hearings WHERE hearing_id = :h",
                  h=hearing_id) == "completed"
    with pytest.raises(NotFound):
        door.clear_hold(officer, case_id, reason=CLEARED)


def test_outcomes_are_for_the_judge_of_the_hearing_or_a_clerk_of_the_court(
        guard_engine: Engine, guard_ledger: Ledger, sign_in: SignIn) -> None:
    hearing_id, case_id, _, judge_id, court = held_hearing(guard_engine)
    outcomes = HearingOutcomes(guard_engine, guard_ledger, clock=sign_in.clock)
    clerk_id = rows(guard_engine, "SELECT user_id FROM users WHERE role = 'clerk' AND "
                    "office_code = :c ORDER BY user_id", c=court)[0][0]
    clerk = context_for(sign_in, clerk_id)
    assert outcomes.record(clerk, hearing_id, "continued",
                           purpose=Purpose.CASE_PROCESSING).case_id == case_id
    analyst = context_for(sign_in, user_with_role(guard_engine, Role.ANALYST))
    with pytest.raises(AccessDenied):
        outcomes.record(analyst, hearing_id, "completed", purpose=Purpose.ADJUDICATION)
    with pytest.raises(InvalidValue, match="unknown hearing outcome"):
        outcomes.record(context_for(sign_in, judge_id), hearing_id, "deported",
                        purpose=Purpose.ADJUDICATION)
    assert scalar(guard_engine, "SELECT outcome FROM hearings WHERE hearing_id = :h",
                  h=hearing_id) == "continued"
    assert scalar(guard_engine, "SELECT COUNT(*) FROM ledger_events WHERE result = 'deny' "
                  "AND case_id = :c", c=case_id) == 1


def test_a_bond_hearing_may_complete_on_a_held_case(
        door: BreachDoor, officer: Officer, guard_engine: Engine, guard_ledger: Ledger,
        sign_in: SignIn) -> None:
    found = rows(guard_engine, "SELECT h.hearing_id, c.case_id, c.person_id, h.judge_user_id "
                 "FROM hearings h JOIN cases c ON c.case_id = h.case_id WHERE "
                 "h.judge_user_id IS NOT NULL AND h.hearing_type = 'bond' AND "
                 "c.status <> 'closed' ORDER BY h.hearing_id")
    assert found, "the synthetic court has an open case with a bond hearing"
    hearing_id, case_id, person_id, judge_id = found[0]
    door.place_holds(officer, an_incident(guard_engine), [person_id])
    outcomes = HearingOutcomes(guard_engine, guard_ledger, clock=sign_in.clock)
    assert outcomes.record(context_for(sign_in, judge_id), hearing_id, "completed",
                           purpose=Purpose.ADJUDICATION).case_id == case_id
