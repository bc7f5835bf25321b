"""Each explanation rule explains the access it is about, and not an access to a stranger."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from casevault.domain.records import (
    Assignment,
    Case,
    Document,
    Hearing,
    Relative,
    Representation,
    User,
)
from casevault.domain.vocab import Role
from casevault.synth._workday_run import WorkdayRun, simulate_court_workday
from casevault.watch._engines import DuckEngine
from casevault.watch.rules import DIRECT_EXPLANATIONS, INDIRECT_EXPLANATIONS, rule_named

from .helpers import load_views, prepare

NOW = datetime(2026, 10, 20, 10, tzinfo=UTC)
Access = tuple[str, str, str | None, datetime]
"""(user, person, case or None, when)"""


def _of(run: WorkdayRun, kind: type) -> list:  # type: ignore[type-arg]
    return [r for r in run.records if isinstance(r, kind)]


def _cases(run: WorkdayRun) -> dict[str, Case]:
    return {c.case_id: c for c in _of(run, Case)}


def _staff(run: WorkdayRun, role: Role) -> list[User]:
    return [u for u in _of(run, User) if u.role == role and u.office_code]


def _assigned(run: WorkdayRun) -> Access:
    a = next(a for a in _of(run, Assignment) if a.ended_on is None and a.capacity == "judge")
    return a.user_id, _cases(run)[a.case_id].person_id, a.case_id, NOW


def _court_clerk(run: WorkdayRun) -> Access:
    clerk = _staff(run, Role.CLERK)[0]
    case = next(c for c in _cases(run).values() if c.court_code == clerk.office_code)
    return clerk.user_id, case.person_id, case.case_id, NOW


def _hearing(run: WorkdayRun) -> Access:
    h = next(h for h in _of(run, Hearing) if h.judge_user_id)
    return h.judge_user_id, _cases(run)[h.case_id].person_id, h.case_id, \
        h.scheduled_at - timedelta(days=3)


def _attorney(run: WorkdayRun) -> Access:
    r = next(r for r in _of(run, Representation) if r.ended_on is None)
    return r.attorney_id, _cases(run)[r.case_id].person_id, r.case_id, NOW


def _dhs(run: WorkdayRun) -> Access:
    dhs = _staff(run, Role.DHS_COUNSEL)[0]
    case = next(c for c in _cases(run).values() if c.court_code == dhs.office_code)
    return dhs.user_id, case.person_id, None, NOW


def _document(run: WorkdayRun) -> Access:
    d = next(d for d in _of(run, Document) if d.filed_by)
    when = datetime(d.filed_on.year, d.filed_on.month, d.filed_on.day, 12, tzinfo=UTC)
    return d.filed_by, _cases(run)[d.case_id].person_id, d.case_id, when + timedelta(days=2)


def _related(run: WorkdayRun) -> Access:
    """A judge opening the relative of a respondent whose case they hear, and no case of theirs."""
    cases = _cases(run)
    by_person: dict[str, list[str]] = {}
    for case in cases.values():
        by_person.setdefault(case.person_id, []).append(case.case_id)
    linked: dict[str, set[str]] = {}
    for a in _of(run, Assignment):
        linked.setdefault(a.case_id, set()).add(a.user_id)
    for h in _of(run, Hearing):
        linked.setdefault(h.case_id, set()).add(h.judge_user_id or "")
    for link in _of(run, Relative):
        mine, theirs = by_person.get(link.person_id, []), by_person.get(link.relative_id, [])
        if not mine or not theirs:
            continue
        judges = {a.user_id for a in _of(run, Assignment)
                  if a.case_id in mine and a.capacity == "judge"}
        for judge in sorted(judges):
            if not any(judge in linked.get(case_id, set()) for case_id in theirs):
                return judge, link.relative_id, None, NOW
    raise AssertionError("no relative with a case in the test court")


POSITIVE: dict[str, Callable[[WorkdayRun], Access]] = {
    "assigned": _assigned, "court_clerk": _court_clerk, "hearing_calendar": _hearing,
    "attorney_of_record": _attorney, "dhs_counsel_court": _dhs, "document_queue": _document,
    "related_case": _related,
}


@pytest.fixture(scope="module")
def court() -> WorkdayRun:
    return simulate_court_workday(people=1_500, days=3, seed=9, kinds=[])


def _row(event_id: str, access: Access) -> dict[str, object]:
    user, person, case, when = access
    return {"event_id": event_id, "at": when.isoformat(), "user_id": user, "action": "view",
            "person_id": person, "case_id": case, "result": "permit", "record_count": 1}


def _stranger(run: WorkdayRun, user: str) -> str:
    """A person none of whose cases is at the user's court or linked to the user."""
    office = next((u.office_code for u in _of(run, User) if u.user_id == user), None)
    linked = {a.case_id for a in _of(run, Assignment) if a.user_id == user}
    linked |= {h.case_id for h in _of(run, Hearing) if h.judge_user_id == user}
    linked |= {r.case_id for r in _of(run, Representation) if r.attorney_id == user}
    linked |= {d.case_id for d in _of(run, Document) if d.filed_by == user}
    near: set[str] = set()
    for case in _cases(run).values():
        if case.court_code == office or case.case_id in linked:
            near.add(case.person_id)
    for link in _of(run, Relative):
        if link.person_id in near:
            near.add(link.relative_id)
    return next(c.person_id for c in _cases(run).values() if c.person_id not in near)


@pytest.fixture
def explained_by(court: WorkdayRun, tmp_path: Path) -> Iterator[Callable[..., set[str]]]:
    engine = DuckEngine()

    def run(rule: str, rows: list[dict[str, object]]) -> set[str]:
        load_views(engine, prepare(court, rows), tmp_path)
        sql = f"SELECT e.event_id FROM ({rule_named(rule).sql}) r JOIN events e ON e.seq = r.seq"
        return {str(event_id) for (event_id,) in engine.rows(sql)}

    yield run
    engine.close()


def test_every_explanation_is_tested() -> None:
    names = {r.name for r in (*DIRECT_EXPLANATIONS, *INDIRECT_EXPLANATIONS)}
    assert names == {*POSITIVE, "supervisor"}


@pytest.mark.parametrize("rule", sorted(POSITIVE))
def test_the_rule_explains_its_access_and_not_a_strangers(
        court: WorkdayRun, explained_by: Callable[..., set[str]], rule: str) -> None:
    access = POSITIVE[rule](court)
    stranger = (access[0], _stranger(court, access[0]), None, access[3])
    found = explained_by(rule, [_row("T-YES", access), _row("T-NO", stranger)])
    assert "T-YES" in found
    assert "T-NO" not in found


def test_a_supervisor_is_explained_by_their_clerks_explained_access(
        court: WorkdayRun, explained_by: Callable[..., set[str]]) -> None:
    user, person, case, _ = _court_clerk(court)
    when = NOW - timedelta(days=50)  # weeks before the simulated days: no other clerk access
    clerk = next(u for u in _of(court, User) if u.user_id == user)
    admin = next(u for u in _staff(court, Role.COURT_ADMIN) if u.office_code == clerk.office_code)
    other = _stranger(court, admin.user_id)
    found = explained_by("supervisor", [
        _row("T-CLERK", (user, person, case, when)),
        _row("T-YES", (admin.user_id, person, None, when + timedelta(hours=2))),
        _row("T-LATE", (admin.user_id, person, None, when + timedelta(days=9))),
        _row("T-NO", (admin.user_id, other, None, when)),
    ])
    assert {f for f in found if f.startswith("T-")} == {"T-YES"}
