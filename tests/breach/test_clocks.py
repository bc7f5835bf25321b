"""Regulatory clocks: configured deadlines, and which are due, overdue or met."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casevault.breach import clocks
from casevault.errors import InvalidValue

DETECTED = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


def test_defaults_are_one_hour_seventy_two_hours_and_sixty_days() -> None:
    rules = {r.name: r.deadline for r in clocks.configured()}
    assert rules == {"security_centre": timedelta(hours=1), "authority": timedelta(hours=72),
                     "individuals": timedelta(days=60)}


def test_overrides_replace_or_add_and_survive_storage() -> None:
    rules = clocks.configured(["authority=48h", "state_attorney_general=30d"])
    assert clocks.loads(clocks.dumps(rules)) == rules
    assert {r.name: r.deadline for r in rules}["authority"] == timedelta(hours=48)
    assert "state_attorney_general" in {r.name for r in rules}


@pytest.mark.parametrize("bad", ["authority", "authority=", "authority=0h", "authority=3w",
                                 "Bad Name=1h", "authority=-1h"])
def test_bad_clocks_say_how_to_write_one(bad: str) -> None:
    with pytest.raises(InvalidValue, match=r"NAME=DURATION|positive number"):
        clocks.configured([bad])


def test_due_overdue_and_met() -> None:
    now = DETECTED + timedelta(hours=2)
    met = {"authority": DETECTED + timedelta(hours=1, minutes=30)}
    states = {s.rule.name: s.state for s in clocks.status(clocks.configured(), DETECTED, met,
                                                             now)}
    assert states == {"security_centre": "overdue", "authority": "met", "individuals": "due"}
