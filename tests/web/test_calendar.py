"""``Guard.hearing_calendar``, which the judge's home page is built on (both databases)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from casevault.access.guard import MAX_CALENDAR_DAYS
from casevault.access.setup import Door
from casevault.domain import Purpose
from casevault.errors import AccessDenied, InvalidValue

from .console_helpers import calendared, one, record_events, session_context, user_of


def _day(text: str) -> date:
    return date.fromisoformat(text)


def test_a_judge_sees_their_own_hearings_and_each_case_is_ledgered(
        door: Door, guard_engine: Engine) -> None:
    found = calendared(guard_engine)
    judge = session_context(door, found.judge_id)
    calendar = door.guard.hearing_calendar(judge, first_day=_day(found.day), days=1)
    assert calendar.hearings
    assert {h["judge_user_id"] for h in calendar.hearings} == {found.judge_id}
    assert found.case_id in {h["case_id"] for h in calendar.hearings}
    cases = {h["case_id"] for h in calendar.hearings}
    assert record_events(guard_engine, "permit") == 1 + len(cases)
    assert one(guard_engine, "SELECT person_id FROM ledger_events WHERE case_id = :c",
               c=found.case_id) == found.person_id


def test_someone_elses_calendar_is_empty_and_a_role_without_records_is_refused(
        door: Door, guard_engine: Engine) -> None:
    found = calendared(guard_engine)
    clerk = session_context(door, user_of(guard_engine, "clerk"))
    empty = door.guard.hearing_calendar(clerk, first_day=_day(found.day), days=1,
                                        purpose=Purpose.CASE_PROCESSING)
    assert empty.hearings == ()
    analyst = session_context(door, user_of(guard_engine, "analyst"), device="analyst-device")
    with pytest.raises(AccessDenied):
        door.guard.hearing_calendar(analyst, first_day=_day(found.day), days=1)
    assert record_events(guard_engine, "deny") == 1


@pytest.mark.parametrize("days", [0, MAX_CALENDAR_DAYS + 1])
def test_a_calendar_is_one_day_to_a_month(door: Door, guard_engine: Engine, days: int) -> None:
    judge = session_context(door, calendared(guard_engine).judge_id)
    with pytest.raises(InvalidValue):
        door.guard.hearing_calendar(judge, first_day=date(2026, 11, 1), days=days)
    assert record_events(guard_engine) == 0
