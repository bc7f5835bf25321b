"""Fast draws from a seeded Random.

``random.Random.randint``, ``choice`` and ``choices`` are general and slow for
the millions of small draws a large court needs; these do the same from one
``random()`` call each. They consume the generator differently from the
standard methods, which is fine: only determinism per seed matters.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """One item, uniformly."""
    return items[int(rng.random() * len(items))]


def number(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high], uniformly."""
    return low + int(rng.random() * (high - low + 1))


def chance(rng: random.Random, probability: float) -> bool:
    """True with the given probability."""
    return rng.random() < probability


class Weighted(Generic[T]):
    """A fixed population with weights, drawn from by bisecting cumulative weights."""

    __slots__ = ("_cumulative", "_items", "_total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self._items = tuple(item for item, _ in pairs)
        self._cumulative = tuple(itertools.accumulate(weight for _, weight in pairs))
        self._total = self._cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        index = bisect.bisect_right(self._cumulative, rng.random() * self._total)
        return self._items[min(index, len(self._items) - 1)]
