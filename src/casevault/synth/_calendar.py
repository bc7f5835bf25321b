"""Dates and court-room times for the synthetic court.

Nothing here reads the clock: every "now" is the ``today`` the caller passes
(``REFERENCE_DATE`` by default), so the same seed yields the same folder on any
day it is run.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Final

from casevault.synth._draw import Weighted, number

REFERENCE_DATE: Final = date(2026, 11, 1)
"""The default "today" of a synthetic court: hearings after it are in the future."""

EARLIEST_CASE: Final = date(2014, 1, 1)
"""No synthetic case is opened before this day."""

_SATURDAY: Final = 5
_DST_MONTHS: Final = range(4, 11)
"""April to October: months that are certainly daylight-saving time in the US."""

ARRIVAL_YEARS: Final = Weighted((
    (2013, 2), (2014, 3), (2015, 3), (2016, 4), (2017, 4), (2018, 5), (2019, 8),
    (2020, 3), (2021, 8), (2022, 12), (2023, 14), (2024, 12), (2025, 6), (2026, 4),
))
"""Relative number of arrivals per year: the backlog grew in waves, most recently."""


def day_between(rng: random.Random, start: date, end: date) -> date:
    """A uniformly drawn day in [start, end]; ``start`` if the range is empty."""
    span = (end - start).days
    if span <= 0:
        return start
    return start + timedelta(days=int(rng.random() * (span + 1)))


def after(rng: random.Random, start: date, low: int, high: int) -> date:
    """A day ``low``..``high`` days after ``start``."""
    return start + timedelta(days=number(rng, low, high))


def on_weekday(day: date) -> date:
    """The day itself, or the Monday after it when it falls on a weekend."""
    weekday = day.weekday()
    if weekday >= _SATURDAY:
        return day + timedelta(days=7 - weekday)
    return day


def arrival_day(rng: random.Random, today: date) -> date:
    """When a household came to the attention of the authorities (weighted by year)."""
    year = ARRIVAL_YEARS.pick(rng)
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), today - timedelta(days=30))
    if end < start:
        return day_between(rng, today - timedelta(days=400), today - timedelta(days=30))
    return day_between(rng, start, end)


def birth_date(rng: random.Random, age: int, on: date) -> date:
    """A birthday that makes a person ``age`` years old on the day ``on``."""
    anniversary = date(on.year - age, on.month, 28 if (on.month, on.day) == (2, 29) else on.day)
    return anniversary - timedelta(days=number(rng, 0, 364))


def court_time(day: date, local_hour: int, local_minute: int, utc_offset: int,
               observes_dst: bool) -> datetime:
    """The UTC instant of a local court-room time (standard offset, DST roughly by month)."""
    offset = utc_offset + (1 if observes_dst and day.month in _DST_MONTHS else 0)
    local = datetime(day.year, day.month, day.day, local_hour, local_minute, tzinfo=UTC)
    return local - timedelta(hours=offset)
