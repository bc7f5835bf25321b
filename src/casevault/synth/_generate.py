"""Generating and writing a whole synthetic court system.

The generator is one seeded ``random.Random`` threaded through everything, plus
Faker instances seeded from the same seed; it never reads the clock or the global
random state, so a (people, seed) pair always gives the same records and, through
the interchange writer, byte-identical files.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Final

from casevault.domain.records import Person
from casevault.errors import InputError
from casevault.store.interchange.writer import Format, InterchangeWriter
from casevault.synth._calendar import REFERENCE_DATE
from casevault.synth._names import name_pools
from casevault.synth._people import PeopleSource
from casevault.synth._places import PlacePools
from casevault.synth._proceedings import Proceedings
from casevault.synth._world import build_world

PROGRESS_EVERY: Final = 1000
"""``write_court`` reports progress after every this many persons."""
CONTENT_SHARE: Final = 0.25
"""Share of documents whose file is held (the rest of a record of proceedings is on paper).

Every held document is one small file in the folder; a quarter keeps a folder of
100,000 people to about a hundred thousand files. Tests of document contents can
ask for 1.0.
"""
_PLACE_POOL_SIZE: Final = 1500


def generate_court(*, people: int, seed: int, today: date = REFERENCE_DATE,
                   content_share: float = CONTENT_SHARE) -> Iterator[object]:
    """Domain records of a synthetic immigration court system with ``people`` respondents.

    Courts, facilities, users and attorneys come first; then, a household at a
    time, persons with their addresses and relatives, their cases and everything
    recorded in them. Every id a record refers to is generated too. ``today`` is
    the day the data describes: hearings after it are scheduled, not held.
    ``content_share`` is the share of documents that carry their filed file.
    """
    if people < 0:
        msg = "people must be zero or more"
        raise InputError(msg)
    if not 0.0 <= content_share <= 1.0:
        msg = "content_share must be between 0 and 1"
        raise InputError(msg)
    rng = random.Random(seed)
    world = build_world(rng, people, today, name_pools(seed),
                        PlacePools.draw(seed, _PLACE_POOL_SIZE))
    yield from world.records
    source = PeopleSource(world)
    proceedings = Proceedings(world, content_share)
    made = 0
    while made < people:
        household = source.household(limit=people - made)
        yield from household.records()
        yield from proceedings.household(household)
        made += len(household.residents)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while records stream through.

    Generated records hold no reference cycles, so reference counting frees them;
    the collector would only rescan the long-lived objects of the process again
    and again (a quarter of the run time at 100,000 people). Restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_court(folder: Path, *, people: int, seed: int, fmt: Format = "csv",
                progress: Callable[[int], None] | None = None,
                today: date = REFERENCE_DATE,
                content_share: float = CONTENT_SHARE) -> dict[str, int]:
    """Write a synthetic court system as an interchange folder; rows written per file.

    ``progress`` is called with the number of persons generated so far, every
    thousand persons and once at the end, so a command line can draw a bar.
    """
    persons = 0
    with _collector_paused(), InterchangeWriter(folder, fmt) as writer:
        records = generate_court(people=people, seed=seed, today=today,
                                 content_share=content_share)
        for record in records:
            writer.write(record)
            if type(record) is Person:
                persons += 1
                if progress is not None and persons % PROGRESS_EVERY == 0:
                    progress(persons)
        if progress is not None and persons % PROGRESS_EVERY:
            progress(persons)
        return writer.counts()
