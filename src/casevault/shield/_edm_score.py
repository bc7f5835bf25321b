"""How sure a group of values names a person: the evidence and the confidence table.

``edm``'s module docstring prints the table; the numbers live here, once.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from casevault.shield._edm_table import ORDINAL_MASK, SHORTENED_FLAG
from casevault.shield.model import Kind

HIGH: Final = 0.95
MEDIUM: Final = 0.7
MAX_SHARED: Final = 5
"""A value alone (a name, phone, e-mail, address) names at most this many persons to count."""
SEED_LIMIT: Final = 64
"""Values shared by more persons only confirm candidates that a rarer value found."""
CONFIRMS_ONLY: Final = frozenset({Kind.DATE_OF_BIRTH})
"""Kinds that name nobody alone: they seed candidates only as a group's rarest value."""

A_NUMBER: Final = 0.99
WHOLE_NAME_AND_BIRTH: Final = 0.98
NAME_AND_BIRTH: Final = 0.97
WHOLE_NAME_AND_CONTACT: Final = 0.96
NAME_AND_CONTACT: Final = 0.95
TWO_WEAK: Final = 0.8
CONTRADICTED_STRONG: Final = 0.8
UNIQUE_NAME_IN_CONTEXT: Final = MEDIUM
CONTRADICTED_WEAK: Final = 0.5
UNIQUE_NAME: Final = 0.4
SHARED_NAME: Final = 0.2
CONTRADICTED_NAME: Final = 0.1
ALONE: Final = {Kind.EMAIL: 0.6, Kind.PHONE: 0.5, Kind.ADDRESS: 0.2}

_NAME_KINDS: Final = frozenset({Kind.PERSON_NAME, Kind.FAMILY_NAME, Kind.GIVEN_NAME})
_SINGLE_VALUED: Final = (Kind.A_NUMBER, Kind.DATE_OF_BIRTH)
_WEAK: Final = frozenset({Kind.DATE_OF_BIRTH, Kind.PHONE, Kind.EMAIL, Kind.ADDRESS})
_CONTACT: Final = frozenset({Kind.PHONE, Kind.EMAIL, Kind.ADDRESS})

Found = tuple[frozenset[Kind], "array[int]", bool, bool]
"""A value's kinds; the sorted ordinals of the persons it matched; whether it matched a
whole name (False for a shortened name form and for values that are not names); and
whether those ordinals carry the shortened-name flag."""


@dataclass(slots=True)
class Seen:
    """What a group showed of one person: the fewest persons sharing each matched kind."""

    shares: dict[Kind, int] = field(default_factory=dict)
    whole_name: bool = False

    def note(self, kinds: frozenset[Kind], share: int, whole_name: bool) -> None:
        for kind in kinds:
            self.shares[kind] = min(self.shares.get(kind, share), share)
        self.whole_name = self.whole_name or whole_name


def evidence_of(found: Iterable[Found]) -> dict[int, Seen]:
    """Which persons each found value points at (by ordinal), rarest value first.

    A value shared by many persons (a common name), or of a kind that names
    nobody alone (a birth date), seeds candidates only if it is the group's
    rarest value; otherwise it just confirms the candidates it shares, checked
    by bisecting its sorted ordinals, so a group costs about its rarest value.
    """
    evidence: dict[int, Seen] = {}
    ordered = sorted(found, key=lambda item: len(item[1]))
    confirming: list[Found] = []
    for position, item in enumerate(ordered):
        kinds, hits, whole, _ = item
        if position and (len(hits) > SEED_LIMIT or kinds <= CONFIRMS_ONLY):
            confirming.append(item)
            continue
        for ordinal in hits:
            seen = evidence.get(ordinal & ORDINAL_MASK)
            if seen is None:
                seen = evidence[ordinal & ORDINAL_MASK] = Seen()
            seen.note(kinds, len(hits), whole)
    for kinds, hits, whole, flagged in confirming:
        flag = SHORTENED_FLAG if flagged else 0
        for ordinal, seen in evidence.items():
            at = bisect_left(hits, ordinal | flag)
            if at < len(hits) and hits[at] == ordinal | flag:
                seen.note(kinds, len(hits), whole)
    return evidence


def confidence(seen: Seen, present: set[Kind]) -> float:
    """The confidence table: 0 means the person is not worth reporting."""
    kinds = seen.shares
    named = Kind.PERSON_NAME in kinds or (Kind.FAMILY_NAME in kinds and Kind.GIVEN_NAME in kinds)
    if Kind.A_NUMBER in kinds:
        return A_NUMBER
    contradicted = any(kind in present and kind not in kinds for kind in _SINGLE_VALUED)
    if named and (Kind.DATE_OF_BIRTH in kinds or not _CONTACT.isdisjoint(kinds)):
        return CONTRADICTED_STRONG if contradicted else _name_and_more(seen)
    if len(_WEAK.intersection(kinds)) >= 2:
        return CONTRADICTED_WEAK if contradicted else TWO_WEAK
    if named:
        return _name_alone(min(kinds[kind] for kind in _NAME_KINDS if kind in kinds),
                           context=not _NAME_KINDS.issuperset(present),
                           contradicted=contradicted)
    return _weak_alone(kinds, contradicted=contradicted)


def _name_and_more(seen: Seen) -> float:
    """A name with a birth date, phone, e-mail or address: the whole name ranks first."""
    if Kind.DATE_OF_BIRTH in seen.shares:
        return WHOLE_NAME_AND_BIRTH if seen.whole_name else NAME_AND_BIRTH
    return WHOLE_NAME_AND_CONTACT if seen.whole_name else NAME_AND_CONTACT


def _name_alone(share: int, *, context: bool, contradicted: bool) -> float:
    """A name names a person only if nobody else in the database has it."""
    if contradicted:
        return CONTRADICTED_NAME if share == 1 else 0.0
    if share == 1:
        return UNIQUE_NAME_IN_CONTEXT if context else UNIQUE_NAME
    return SHARED_NAME if share <= MAX_SHARED else 0.0


def _weak_alone(kinds: dict[Kind, int], *, contradicted: bool) -> float:
    """One e-mail, phone or address: a household's, so a hint, never an identification."""
    if contradicted or len(kinds) != 1:
        return 0.0
    (kind, share), = kinds.items()
    return ALONE.get(kind, 0.0) if share <= MAX_SHARED else 0.0
