"""Retention schedules: which persons' records have outlived the period the law allows.

A schedule is a TOML file of rules, per record type (cases, by type) and outcome
(case status, application decision), each keeping a person for N years after
their last case closed::

    version = 1

    [[rule]]
    name = "removal-closed-7y"
    case_status = ["closed", "administratively_closed"]   # every case of the person
    case_type = ["removal"]                               # optional: one case of this type
    decision = ["denied", "withdrawn", "abandoned"]       # optional: an application decided so
    years_after_close = 7

A person is due under a rule when every case of theirs has one of its statuses,
the optional filters hold, and the last ``closed_on`` is at least the given number
of years ago. ``casevault retention run`` lists them (a dry run) and, with
``--apply``, asks for their erasure (crypto-shredding, two privacy officers).
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, select

from casevault.domain.vocab import CaseStatus, CaseType, Decision
from casevault.errors import InputError
from casevault.store import tables
from casevault.store.rows import _to_date
from casevault.store.sealed import SEALED, Opener, sealed_select
from casevault.store.tables_keys import erasures

SCHEDULE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    case_status: frozenset[str]
    years_after_close: int
    case_type: frozenset[str] | None = None
    decision: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Due:
    person_id: str
    rule: str
    last_closed_on: date


def load_schedule(path: Path) -> list[Rule]:
    """Read and check a schedule; errors name the file and the rule, never guess."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read retention schedule {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"retention schedule {path} is not valid TOML: {exc}") from None
    if data.get("version") != SCHEDULE_VERSION:
        raise InputError(f"retention schedule {path}: expected version = {SCHEDULE_VERSION}")
    rules = data.get("rule")
    if not isinstance(rules, list) or not rules:
        raise InputError(f"retention schedule {path} has no [[rule]] tables")
    return [_rule(path, index, entry) for index, entry in enumerate(rules, start=1)]


def _values(path: Path, name: str, entry: dict[str, Any], key: str,
            allowed: type[Any], *, required: bool) -> frozenset[str] | None:
    raw = entry.get(key)
    if raw is None:
        if required:
            raise InputError(f"retention schedule {path}, rule {name}: {key} is required")
        return None
    known = {member.value for member in allowed}
    if not isinstance(raw, list) or not raw or not all(v in known for v in raw):
        raise InputError(f"retention schedule {path}, rule {name}: {key} must be a list of "
                         f"{sorted(known)}")
    return frozenset(raw)


def _rule(path: Path, index: int, entry: Any) -> Rule:
    if not isinstance(entry, dict):
        raise InputError(f"retention schedule {path}: rule {index} is not a table")
    name = str(entry.get("name") or f"rule-{index}")
    years = entry.get("years_after_close")
    if not isinstance(years, int) or isinstance(years, bool) or years < 0:
        raise InputError(f"retention schedule {path}, rule {name}: years_after_close must be "
                         "a whole number of years, 0 or more")
    status = _values(path, name, entry, "case_status", CaseStatus, required=True)
    assert status is not None  # noqa: S101 -- required above
    return Rule(name, status, years,
                _values(path, name, entry, "case_type", CaseType, required=False),
                _values(path, name, entry, "decision", Decision, required=False))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def due(connection: Connection, rules: Sequence[Rule], today: date) -> list[Due]:
    """Persons due for erasure under the first rule that applies, by person id."""
    c, a = tables.cases, tables.applications
    cases: defaultdict[str, list[tuple[str, str, date | None]]] = defaultdict(list)
    for person_id, status, case_type, closed_on in connection.execute(
            select(c.c.person_id, c.c.status, c.c.case_type, c.c.closed_on)):
        cases[person_id].append((status, case_type, _to_date(closed_on)))
    decisions: defaultdict[str, set[str]] = defaultdict(set)
    columns = [a.c.application_id, a.c.decision]
    opener = Opener.of(a, columns)
    for row in connection.execute(sealed_select(SEALED["applications"], columns)):
        opened = opener.open_or_none(connection, row)  # decisions are sealed (asylum)
        if opened is not None and opened[1] is not None:
            decisions[row[len(columns)]].add(opened[1])
    handled = set(connection.execute(select(erasures.c.person_id)).scalars())
    found: list[Due] = []
    for person_id in sorted(cases.keys() - handled):
        for rule in rules:
            last = _closes(rule, cases[person_id], decisions[person_id], today)
            if last is not None:
                found.append(Due(person_id, rule.name, last))
                break
    return found


def _closes(rule: Rule, cases: list[tuple[str, str, date | None]], decisions: set[str],
            today: date) -> date | None:
    if not all(status in rule.case_status and closed is not None
               for status, _, closed in cases):
        return None
    if rule.case_type is not None and not any(kind in rule.case_type for _, kind, _ in cases):
        return None
    if rule.decision is not None and not decisions & rule.decision:
        return None
    last = max(closed for _, _, closed in cases if closed is not None)
    return last if last <= _years_before(today, rule.years_after_close) else None
