"""The workday simulator's entry points: a court, weeks of its staff's work, labelled misuse.

``simulate_workday`` returns everything in memory (for tests and the benchmark);
``write_workday`` writes a package: ``court/`` (an interchange folder that includes
the records misuse scenarios added), ``events.jsonl`` (access events, DESIGN.md's
format), ``labels.jsonl`` (one injected scenario per line: user, kind, event ids) and
``watchlist.txt`` (high-profile person ids, one a line).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from casevault.domain.access_events import AccessEvent
from casevault.errors import InputError
from casevault.store.interchange import InterchangeWriter
from casevault.synth._calendar import REFERENCE_DATE
from casevault.synth._generate import generate_court
from casevault.synth._workday import EventIds, Workday, index_court
from casevault.synth._workday_misuse import SCENARIOS, Label, inject

MISUSE_SHARE: Final = 0.008
"""Share of staff who misuse their access (well under 1%, as in practice)."""


@dataclass(slots=True)
class WorkdayRun:
    records: list[object]
    events: list[AccessEvent]
    labels: list[Label]
    watchlist: list[str]

    @property
    def users(self) -> int:
        return sum(1 for r in self.records if type(r).__name__ == "User")


def simulate_workday(records: Iterable[object], *, days: int, seed: int,
                     end: date = REFERENCE_DATE, kinds: Sequence[str] | None = None,
                     rounds: int | None = None,
                     misuse_share: float = MISUSE_SHARE) -> WorkdayRun:
    """Simulate ``days`` days up to ``end`` over a court's records, with injected misuse.

    Each kind in ``kinds`` (all by default) is injected ``rounds`` times, by as many
    different staff members; by default rounds are chosen so that about
    ``misuse_share`` of staff misuse their access (at least one per kind).
    """
    records = list(records)
    start = end - timedelta(days=days)
    court = index_court(records, start, end)
    rng = random.Random(seed)
    sim = Workday(court, rng, EventIds(), start=start, days=days)
    if not any(True for _ in sim.working_days()):
        msg = f"{days} day(s) up to {end} hold no working day: simulate at least one weekday"
        raise InputError(msg)
    chosen = list(kinds) if kinds is not None else list(SCENARIOS)
    if rounds is None:
        rounds = max(1, math.floor(len(court.users) * misuse_share / len(chosen))) \
            if chosen else 0
    injected = inject(sim, kinds=chosen, rounds=rounds)
    events = list(sim.run())
    events.extend(injected.events)
    return WorkdayRun(records + injected.records, events, injected.labels, injected.watchlist)


def simulate_court_workday(*, people: int, days: int, seed: int,
                           kinds: Sequence[str] | None = None, rounds: int | None = None,
                           end: date = REFERENCE_DATE) -> WorkdayRun:
    """A synthetic court of ``people`` respondents and its staff's ``days`` of work."""
    return simulate_workday(generate_court(people=people, seed=seed), days=days, seed=seed,
                            kinds=kinds, rounds=rounds, end=end)


def write_workday(folder: Path, run: WorkdayRun,
                  progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write the package (see the module docstring); returns counts of what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    with InterchangeWriter(folder / "court") as writer:
        writer.write_all(run.records)
    with (folder / "events.jsonl").open("w", encoding="utf-8") as handle:
        for index, event in enumerate(run.events, start=1):
            handle.write(json.dumps(event.to_design_row(), separators=(",", ":")) + "\n")
            if progress is not None and index % 100_000 == 0:
                progress(index)
    with (folder / "labels.jsonl").open("w", encoding="utf-8") as handle:
        for label in run.labels:
            handle.write(json.dumps(label.to_row(), separators=(",", ":")) + "\n")
    (folder / "watchlist.txt").write_text("".join(f"{p}\n" for p in run.watchlist),
                                          encoding="utf-8")
    return {"events": len(run.events), "labels": len(run.labels), "users": run.users}
