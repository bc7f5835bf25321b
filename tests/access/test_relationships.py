"""Relationships are derived from the records: checked against the interchange files themselves.

Expected relationships are computed here from the CSV files with the csv module
and plain Python (``_expected``), independently of the SQL in
``casevault.access.relationships``, and compared on both databases.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection

from casevault.access.relationships import (
    Relationship,
    relationships_to_case,
    relationships_to_person,
)

from .helpers import read_rows

R = Relationship
DAY = timedelta(days=1)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _current(row: dict[str, str], on: date) -> bool:
    return _day(row["started_on"]) <= on and (not row["ended_on"] or _day(row["ended_on"]) > on)


class _Court:
    """The interchange files, indexed for the independent expectation."""

    def __init__(self, folder: Path) -> None:
        self.users = {row["user_id"]: row for row in read_rows(folder, "users")}
        self.cases = {row["case_id"]: row for row in read_rows(folder, "cases")}
        self.hearings = read_rows(folder, "hearings")
        self.assignments = read_rows(folder, "assignments")
        self.representations = read_rows(folder, "representations")

    def expected(self, user_id: str, case_id: str, on: date) -> set[Relationship]:
        user, case = self.users.get(user_id), self.cases[case_id]
        found: set[Relationship] = set()
        if any(h["case_id"] == case_id and h["judge_user_id"] == user_id for h in self.hearings):
            found.add(R.ASSIGNED_JUDGE)
        mine = [a for a in self.assignments
                if a["case_id"] == case_id and a["user_id"] == user_id and _current(a, on)]
        if mine:
            found.add(R.ASSIGNED)
        if any(a["capacity"] == "judge" for a in mine):
            found.add(R.ASSIGNED_JUDGE)
        if any(r["case_id"] == case_id and r["attorney_id"] == user_id and _current(r, on)
               for r in self.representations):
            found.add(R.ATTORNEY_OF_RECORD)
        if user is not None and user["office_code"] == case["court_code"]:
            if user["role"] in {"clerk", "court_admin"}:
                found.add(R.COURT_CLERK)
            if user["role"] == "dhs_counsel":
                found.add(R.DHS_COUNSEL_AT_COURT)
        return found


@pytest.fixture(scope="module")
def files(court_folder: Path) -> _Court:
    return _Court(court_folder)


def test_every_user_against_a_sample_of_cases_matches_the_files(
    court: Connection, files: _Court,
) -> None:
    case_ids = sorted(files.cases)[::9]
    days = [_day(r["started_on"]) for r in files.representations[:3]]
    seen: set[Relationship] = set()
    for on in days:
        for user_id in files.users:
            for case_id in case_ids:
                got = relationships_to_case(court, user_id, case_id, on)
                assert got == files.expected(user_id, case_id, on), (user_id, case_id, on)
                seen |= got
    # The sample exercises every kind of relationship; the synthetic court has no respondent
    # accounts (tests/access/test_self_service.py covers theirs).
    assert seen == set(Relationship) - {Relationship.RESPONDENT_SELF}


def test_an_attorney_is_related_from_the_first_day_and_not_on_the_day_it_ends(
    court: Connection, files: _Court,
) -> None:
    ended = [r for r in files.representations if r["ended_on"]][:10]
    assert ended
    for row in ended:
        attorney, case_id = row["attorney_id"], row["case_id"]
        start, end = _day(row["started_on"]), _day(row["ended_on"])
        assert R.ATTORNEY_OF_RECORD in relationships_to_case(court, attorney, case_id, start)
        assert R.ATTORNEY_OF_RECORD in relationships_to_case(court, attorney, case_id, end - DAY)
        # On the last day and the day before the first, only another representation
        # of the same case by the same attorney could relate them.
        for on in (end, start - DAY):
            got = relationships_to_case(court, attorney, case_id, on)
            expected = files.expected(attorney, case_id, on)
            assert (R.ATTORNEY_OF_RECORD in got) == (R.ATTORNEY_OF_RECORD in expected)


def test_access_ends_the_day_the_only_representation_ends(court: Connection, files: _Court) -> None:
    sole = [r for r in files.representations if r["ended_on"] and sum(
        1 for o in files.representations
        if (o["case_id"], o["attorney_id"]) == (r["case_id"], r["attorney_id"])) == 1]
    assert sole
    row = sole[0]
    end = _day(row["ended_on"])
    assert R.ATTORNEY_OF_RECORD in relationships_to_case(
        court, row["attorney_id"], row["case_id"], end - DAY)
    assert R.ATTORNEY_OF_RECORD not in relationships_to_case(
        court, row["attorney_id"], row["case_id"], end)


def test_a_hearings_judge_is_related_to_its_case(court: Connection, files: _Court) -> None:
    for hearing in files.hearings[::50]:
        on = _day(hearing["scheduled_at"][:10])
        got = relationships_to_case(court, hearing["judge_user_id"], hearing["case_id"], on)
        assert R.ASSIGNED_JUDGE in got


def test_court_staff_are_related_to_their_own_courts_cases_only(
    court: Connection, files: _Court,
) -> None:
    case = next(iter(files.cases.values()))
    on = _day(case["opened_on"])
    for role, relationship in (("clerk", R.COURT_CLERK), ("court_admin", R.COURT_CLERK),
                               ("dhs_counsel", R.DHS_COUNSEL_AT_COURT)):
        staff = [u for u in files.users.values() if u["role"] == role]
        here = [u for u in staff if u["office_code"] == case["court_code"]]
        elsewhere = [u for u in staff if u["office_code"] != case["court_code"]]
        assert here
        assert elsewhere
        for user in here:
            assert relationship in relationships_to_case(
                court, user["user_id"], case["case_id"], on)
        for user in elsewhere:
            assert relationship not in relationships_to_case(
                court, user["user_id"], case["case_id"], on)


def test_an_assignment_counts_from_its_start_to_the_day_before_its_end(
    court: Connection, files: _Court,
) -> None:
    ended = [a for a in files.assignments if a["ended_on"] and a["capacity"] == "interpreter"]
    assert ended
    row = ended[0]
    start, end = _day(row["started_on"]), _day(row["ended_on"])
    assert R.ASSIGNED in relationships_to_case(court, row["user_id"], row["case_id"], start)
    assert R.ASSIGNED in relationships_to_case(court, row["user_id"], row["case_id"], end - DAY)
    expected_after = files.expected(row["user_id"], row["case_id"], end)
    assert relationships_to_case(court, row["user_id"], row["case_id"], end) == expected_after


def test_roles_without_a_record_of_the_case_have_no_relationship(
    court: Connection, files: _Court,
) -> None:
    case_id = next(iter(files.cases))
    for user in files.users.values():
        if user["role"] in {"analyst", "privacy_officer", "external_advisor"}:
            assert relationships_to_case(court, user["user_id"], case_id, date(2024, 1, 1)) == set()


def test_unknown_users_and_cases_have_no_relationship(court: Connection, files: _Court) -> None:
    user_id, case_id = next(iter(files.users)), next(iter(files.cases))
    assert relationships_to_case(court, "U-NOBODY", case_id, date(2024, 1, 1)) == set()
    assert relationships_to_case(court, user_id, "C-NOTHING", date(2024, 1, 1)) == set()
    assert relationships_to_person(court, user_id, "P-NOBODY", date(2024, 1, 1)) == set()


def test_a_persons_relationships_are_the_union_over_their_cases(
    court: Connection, files: _Court,
) -> None:
    by_person: dict[str, list[str]] = {}
    for case in files.cases.values():
        by_person.setdefault(case["person_id"], []).append(case["case_id"])
    person_id, case_ids = max(by_person.items(), key=lambda item: len(item[1]))
    assert len(case_ids) > 1
    on = date(2024, 6, 1)
    for user_id in files.users:
        union: set[Relationship] = set()
        for case_id in case_ids:
            union |= files.expected(user_id, case_id, on)
        assert relationships_to_person(court, user_id, person_id, on) == union


def test_an_instant_is_refused_because_its_day_depends_on_the_court(court: Connection) -> None:
    with pytest.raises(TypeError, match="date"):
        relationships_to_case(court, "U1", "C1", datetime(2024, 1, 1, tzinfo=UTC))
