"""Regulatory clocks of an incident: what is due when, and what is overdue.

Each clock runs from the moment the breach was detected (discovery, in the
regulations' words). The defaults follow the three regimes the issue names:

=================  =========  ==================================================
clock              deadline   source
=================  =========  ==================================================
``security_centre``  1 hour   OMB M-17-12: report to the security operations centre
``authority``        72 hours GDPR art. 33: notify the supervisory authority
``individuals``      60 days  HIPAA 45 CFR 164.404: notify affected individuals
=================  =========  ==================================================

An agency configures its own with ``--clock NAME=DURATION`` (``1h``, ``72h``,
``60d``, ``30m``); the rules an incident was opened with are stored with it, so a
later change of configuration does not move an open incident's deadlines.
A clock is met when an officer records it (``casevault breach met``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from casevault.errors import InvalidValue


@dataclass(frozen=True, slots=True)
class ClockRule:
    name: str
    deadline: timedelta
    label: str


DEFAULT_CLOCKS: Final = (
    ClockRule("security_centre", timedelta(hours=1),
              "report to the security operations centre (OMB M-17-12)"),
    ClockRule("authority", timedelta(hours=72),
              "notify the supervisory authority (GDPR art. 33)"),
    ClockRule("individuals", timedelta(days=60),
              "notify the affected individuals (HIPAA 45 CFR 164.404)"),
)

_DURATION: Final = re.compile(r"^\s*(\d{1,6})\s*([mhd])\s*$")
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_UNITS: Final = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}

State = Literal["met", "due", "overdue"]


def parse_duration(text: str) -> timedelta:
    """``30m``, ``1h``, ``72h``, ``60d`` as a duration; ``InvalidValue`` saying how to write one."""
    found = _DURATION.match(text)
    if found is None or int(found.group(1)) == 0:
        msg = ("a clock deadline is a positive number with m, h or d (like 72h or 60d), "
               f"not {text!r}")
        raise InvalidValue(msg)
    return int(found.group(1)) * _UNITS[found.group(2)]


def configured(overrides: Iterable[str] = ()) -> tuple[ClockRule, ...]:
    """The default clocks with ``NAME=DURATION`` overrides applied (a new name adds a clock)."""
    rules = {rule.name: rule for rule in DEFAULT_CLOCKS}
    for item in overrides:
        name, sep, duration = item.partition("=")
        name = name.strip()
        if not sep or _NAME.match(name) is None:
            msg = f"write a clock as NAME=DURATION (like authority=72h), not {item!r}"
            raise InvalidValue(msg)
        label = rules[name].label if name in rules else name.replace("_", " ")
        rules[name] = ClockRule(name, parse_duration(duration), label)
    return tuple(rules.values())


def dumps(rules: Iterable[ClockRule]) -> str:
    """Rules as stored with the incident (versioned JSON)."""
    return json.dumps({"version": "cv-breach-clocks/1", "clocks": [
        {"name": r.name, "seconds": int(r.deadline.total_seconds()), "label": r.label}
        for r in rules]})


def loads(text: str) -> tuple[ClockRule, ...]:
    stored = json.loads(text)
    return tuple(ClockRule(c["name"], timedelta(seconds=c["seconds"]), c["label"])
                 for c in stored["clocks"])


@dataclass(frozen=True, slots=True)
class ClockStatus:
    rule: ClockRule
    due_at: datetime
    met_at: datetime | None
    state: State

    def remaining(self, now: datetime) -> timedelta:
        return self.due_at - now


def status(rules: Iterable[ClockRule], detected_at: datetime, met: Mapping[str, datetime],
           now: datetime) -> list[ClockStatus]:
    """Each clock's deadline and state at ``now``; a clock met late stays ``met`` (dated)."""
    found = []
    for rule in rules:
        due = detected_at + rule.deadline
        met_at = met.get(rule.name)
        state: State = "met" if met_at is not None else ("overdue" if now > due else "due")
        found.append(ClockStatus(rule, due, met_at, state))
    return sorted(found, key=lambda s: s.due_at)


__all__ = ["DEFAULT_CLOCKS", "ClockRule", "ClockStatus", "configured", "dumps", "loads",
           "parse_duration", "status"]
