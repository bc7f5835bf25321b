"""All detectors over one text, preparing it once.

The scanner calls ``find_all`` for every cell and every block of running text,
so the aggregate costs little when there is nothing to find: the text is
prepared once (its header's role, whether it has a digit, its lower-cased form
on demand) and each detector rules itself out with a cheap test before any
regular expression runs.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date

from casevault.shield.detectors._base import Detector, Prepared
from casevault.shield.detectors.address import AddressDetector
from casevault.shield.detectors.anumber import ANumberDetector
from casevault.shield.detectors.dob import DateOfBirthDetector
from casevault.shield.detectors.email import EmailDetector
from casevault.shield.detectors.itin import ItinDetector
from casevault.shield.detectors.names import NameDetector
from casevault.shield.detectors.passport import PassportDetector
from casevault.shield.detectors.phone import PhoneDetector
from casevault.shield.detectors.ssn import SsnDetector
from casevault.shield.model import Kind, Match


def default_detectors(*, today: date | None = None,
                      day_first: bool | None = None) -> tuple[Detector, ...]:
    """One of each detector; ``today`` and ``day_first`` go to the date-of-birth detector."""
    return (ANumberDetector(), SsnDetector(), ItinDetector(), PassportDetector(),
            DateOfBirthDetector(today=today, day_first=day_first), PhoneDetector(),
            EmailDetector(), AddressDetector(), NameDetector())


class Detectors:
    """A set of detectors run together; by default one of each."""

    def __init__(self, detectors: Iterable[Detector] | None = None, *,
                 today: date | None = None, day_first: bool | None = None) -> None:
        chosen = default_detectors(today=today, day_first=day_first) if detectors is None \
            else tuple(detectors)
        self._detectors: tuple[Detector, ...] = chosen

    @property
    def detectors(self) -> tuple[Detector, ...]:
        return self._detectors

    @property
    def kinds(self) -> frozenset[Kind]:
        """The kinds the detectors report (the name detector reports three name kinds)."""
        kinds = {detector.kind for detector in self._detectors}
        if Kind.PERSON_NAME in kinds:
            kinds |= {Kind.FAMILY_NAME, Kind.GIVEN_NAME}
        return frozenset(kinds)

    def find_all(self, text: str, header: str | None = None, context: str = "") -> list[Match]:
        """Every detector's matches in ``text``, ordered by start, then highest confidence."""
        prepared = Prepared(text, header, context)
        digits = prepared.digit_count
        found: list[Match] = []
        for detector in self._detectors:
            if detector.min_digits <= digits:
                found.extend(detector.scan(prepared))
        if len(found) > 1:
            found.sort(key=_order)
        return found

    def find_each(self, texts: Sequence[str], header: str | None = None) -> list[list[Match]]:
        """``find_all`` over the cells of one column (same header), one list per cell."""
        return [self.find_all(text, header) for text in texts]

    def find_lines(self, lines: Sequence[str]) -> list[list[Match]]:
        """``find_all`` over many lines in one pass, each match handed back to its line.

        A call per line pays the fixed cost of every detector per line; joined,
        a file's lines cost about what one long text does. Offsets are into each
        line. As in running text, a context word on one line vouches for a value
        on the next (a label above its value). A match that would run across a
        line break is not kept; that line is scanned on its own instead.
        """
        starts, position = [], 0
        for line in lines:
            starts.append(position)
            position += len(line) + 1
        found: list[list[Match]] = [[] for _ in lines]
        redo: set[int] = set()
        for match in self.find_all("\n".join(lines)):
            index = bisect_right(starts, match.start) - 1
            offset = starts[index]
            if match.end > offset + len(lines[index]):
                redo.add(index)
                continue
            found[index].append(Match(match.kind, match.start - offset, match.end - offset,
                                      match.confidence, match.normalized))
        for index in redo:
            found[index] = self.find_all(lines[index])
        return found


def _order(match: Match) -> tuple[int, float, int]:
    return match.start, -match.confidence, match.end


_DEFAULT: Detectors | None = None


def find_all(text: str, header: str | None = None, context: str = "") -> list[Match]:
    """``Detectors().find_all`` with the default detectors (built once)."""
    global _DEFAULT  # noqa: PLW0603 -- one shared, stateless default set, built on first use
    if _DEFAULT is None:
        _DEFAULT = Detectors()
    return _DEFAULT.find_all(text, header, context)
