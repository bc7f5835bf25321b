"""The workday simulator: staff doing their real work, labelled misuse, reproducible."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from casevault.domain.records import User
from casevault.errors import InputError
from casevault.synth._workday_misuse import SCENARIOS
from casevault.synth._workday_run import MISUSE_SHARE, simulate_court_workday, write_workday


def test_the_same_seed_gives_the_same_events() -> None:
    first = simulate_court_workday(people=400, days=5, seed=2)
    second = simulate_court_workday(people=400, days=5, seed=2)
    assert first.events == second.events and first.labels == second.labels


def test_each_role_does_its_work_on_weekdays_only() -> None:
    run = simulate_court_workday(people=1_500, days=14, seed=3, kinds=[])
    roles = {u.user_id: str(u.role) for u in run.records if isinstance(u, User)}
    views = Counter(roles[e.user_id] for e in run.events if e.action == "view")
    assert {"judge", "clerk", "dhs_counsel", "attorney", "court_admin"} <= set(views)
    assert any(e.action == "export" for e in run.events)
    assert {datetime.fromtimestamp(e.ts, UTC).weekday() for e in run.events} <= set(range(5))


def test_every_kind_is_injected_and_labelled_by_its_own_actor() -> None:
    run = simulate_court_workday(people=1_500, days=14, seed=3, rounds=1)
    assert {label.kind for label in run.labels} == set(SCENARIOS)
    assert len({label.user_id for label in run.labels}) == len(run.labels)
    ids = {e.event_id for e in run.events}
    assert all(set(label.event_ids) <= ids for label in run.labels)


def test_by_default_well_under_one_percent_of_staff_misuse() -> None:
    assert MISUSE_SHARE < 0.01
    run = simulate_court_workday(people=1_500, days=7, seed=1)
    per_kind = max(1, math.floor(run.users * MISUSE_SHARE / len(SCENARIOS)))
    assert len(run.labels) == per_kind * len(SCENARIOS)


def test_a_period_without_working_days_is_refused() -> None:
    with pytest.raises(InputError, match="working day"):
        simulate_court_workday(people=200, days=1, seed=1, end=date(2026, 11, 2))


def test_the_package_is_written(tmp_path: Path) -> None:
    run = simulate_court_workday(people=300, days=3, seed=2, rounds=1)
    counts = write_workday(tmp_path / "out", run)
    lines = (tmp_path / "out" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == counts["events"] == len(run.events)
    assert set(json.loads(lines[0])) >= {"event_id", "at", "user_id", "action", "result"}
    assert (tmp_path / "out" / "court" / "persons.csv").exists()
    assert len((tmp_path / "out" / "labels.jsonl").read_text(encoding="utf-8").splitlines()) \
        == len(run.labels)
