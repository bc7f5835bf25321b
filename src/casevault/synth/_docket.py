"""The life of one case, decided before any of its records is written.

A ``Docket`` fixes when a case opened, how it went (hearings and their outcomes),
whether and when it ended, who judged it and who represented the respondent.
Rider cases (children, sometimes a spouse) copy the lead's docket, because in
court they are heard together; they get records of their own from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from casevault.domain.vocab import (
    ApplicationKind,
    CaseStatus,
    CaseType,
    Custody,
    HearingOutcome,
    HearingType,
)
from casevault.synth._calendar import EARLIEST_CASE, after, day_between, on_weekday
from casevault.synth._draw import Weighted, number, pick
from casevault.synth._world import CourtSite, Roster, Term, World

_CASE_TYPES: Final = Weighted((
    (CaseType.REMOVAL, 90), (CaseType.CREDIBLE_FEAR_REVIEW, 3),
    (CaseType.REASONABLE_FEAR_REVIEW, 1.5), (CaseType.ASYLUM_ONLY, 2.5),
    (CaseType.WITHHOLDING_ONLY, 2), (CaseType.RESCISSION, 0.5),
))
_FEAR_REVIEWS: Final = frozenset({CaseType.CREDIBLE_FEAR_REVIEW, CaseType.REASONABLE_FEAR_REVIEW})
_DETENTION_RATE: Final = {CaseType.CREDIBLE_FEAR_REVIEW: 0.85,
                          CaseType.REASONABLE_FEAR_REVIEW: 0.85,
                          CaseType.WITHHOLDING_ONLY: 0.6}
_ADULT_DETENTION: Final = 0.2
_ADULT_RELEASED: Final = 0.24
_REPRESENTED: Final = {Custody.DETAINED: 0.35, Custody.RELEASED: 0.6, Custody.NEVER_DETAINED: 0.7}
_MASTER_SLOTS: Final = ((8, 30), (9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (13, 0), (13, 30),
                        (14, 0), (14, 30), (15, 0), (15, 30))
_INDIVIDUAL_SLOTS: Final = ((9, 0), (13, 0))
_BOND_SLOTS: Final = ((8, 0), (8, 30), (9, 0), (13, 0))
ADJOURNMENT_REASONS: Final = (
    "Alien to seek representation", "Alien to seek representation", "Prepare application",
    "IJ-ill", "IJ-leave", "Interpreter unavailable", "DHS to complete background checks",
    "Respondent ill", "Attorney scheduling conflict", "Operational - court closure",
    "Case transferred", "Docket reset",
)
"""Short reasons of the kind EOIR adjournment codes record."""


@dataclass(frozen=True, slots=True)
class Stint:
    """Someone's time on a case (judge, attorney of record, clerk ...)."""

    who: str
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Sitting:
    """A planned hearing: day, local time, type and (for past ones) outcome."""

    day: date
    slot: tuple[int, int]
    kind: HearingType
    outcome: HearingOutcome | None
    reason: str | None


@dataclass(slots=True)
class Docket:
    site: CourtSite
    case_type: CaseType
    custody: Custody
    facility: str | None
    opened_on: date
    status: CaseStatus = CaseStatus.PENDING
    closed_on: date | None = None
    decided_on: date | None = None
    """The day of the final hearing of a decided (closed, appealed, administratively
    closed) case; applications are decided that day."""
    sittings: list[Sitting] = field(default_factory=list)
    judges: list[Stint] = field(default_factory=list)
    attorneys: list[Stint] = field(default_factory=list)
    reliefs: tuple[ApplicationKind, ...] = ()

    def judge_on(self, day: date) -> str:
        for stint in self.judges:
            if stint.covers(day):
                return stint.who
        return self.judges[-1].who

    def attorney_on(self, day: date) -> str | None:
        for stint in self.attorneys:
            if stint.covers(day):
                return stint.who
        return None

    def last_day(self, today: date) -> date:
        """The last day anything can be filed in the case as of ``today``."""
        return self.decided_on or today


class Dockets:
    """Draws dockets; everything random comes from the world's one seeded Random."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = world.rng
        self.today = world.today

    # -- main cases ----------------------------------------------------------------

    def main(self, site: CourtSite, arrival: date, adult_on_arrival: bool) -> Docket:
        """A respondent's own case: type, custody, calendar, judges and attorneys."""
        rng = self.rng
        case_type = _CASE_TYPES.pick(rng) if adult_on_arrival else CaseType.REMOVAL
        custody = self._custody(case_type, adult_on_arrival)
        opened = self._opened_on(arrival, custody)
        facility = pick(rng, site.facilities) if custody is Custody.DETAINED else None
        docket = Docket(site, case_type, custody, facility, opened,
                        reliefs=self._reliefs(case_type, custody))
        if case_type in _FEAR_REVIEWS:
            self._fear_review_calendar(docket)
        else:
            self._calendar(docket)
        docket.judges = self._stints(site.judges, docket.opened_on, docket.closed_on)
        docket.attorneys = self._representation(docket)
        return docket

    def bond(self, main: Docket) -> Docket:
        """A custody redetermination case opened beside a detained person's main case."""
        rng = self.rng
        opened = min(self.today - timedelta(days=1), after(rng, main.opened_on, 1, 20))
        docket = Docket(main.site, CaseType.BOND, main.custody, main.facility, opened,
                        reliefs=(ApplicationKind.BOND,))
        day = on_weekday(after(rng, opened, 2, 14))
        if day < self.today:
            docket.sittings.append(Sitting(day, pick(rng, _BOND_SLOTS), HearingType.BOND,
                                           HearingOutcome.COMPLETED, None))
            docket.status = CaseStatus.CLOSED
            docket.decided_on = day
            docket.closed_on = min(self.today, after(rng, day, 0, 3))
        else:
            docket.sittings.append(Sitting(day, pick(rng, _BOND_SLOTS), HearingType.BOND,
                                           None, None))
        docket.judges = self._stints(main.site.judges, opened, docket.closed_on)
        docket.attorneys = [Stint(s.who, opened, docket.closed_on)
                            for s in main.attorneys if s.covers(opened)]
        return docket

    def _custody(self, case_type: CaseType, adult_on_arrival: bool) -> Custody:
        if not adult_on_arrival:
            return Custody.NEVER_DETAINED
        draw = self.rng.random()
        detention = _DETENTION_RATE.get(case_type, _ADULT_DETENTION)
        if draw < detention:
            return Custody.DETAINED
        if draw < detention + _ADULT_RELEASED:
            return Custody.RELEASED
        return Custody.NEVER_DETAINED

    def _opened_on(self, arrival: date, custody: Custody) -> date:
        """Detained dockets are recent: people detained long after arrival were arrested inside."""
        rng, today = self.rng, self.today
        if custody is Custody.DETAINED and (today - arrival).days > 400:
            opened = today - timedelta(days=number(rng, 10, 400))
        elif custody is Custody.DETAINED:
            opened = after(rng, arrival, 2, 20)
        else:
            opened = after(rng, arrival, 2, 200)
        return max(EARLIEST_CASE, min(opened, today - timedelta(days=1)))

    def _reliefs(self, case_type: CaseType, custody: Custody) -> tuple[ApplicationKind, ...]:
        """Applications the respondent will file: asylum (with withholding and CAT) most."""
        rng = self.rng
        kinds: list[ApplicationKind] = []
        if case_type is CaseType.WITHHOLDING_ONLY:
            return (ApplicationKind.WITHHOLDING, ApplicationKind.CAT)
        if case_type in _FEAR_REVIEWS or case_type is CaseType.RESCISSION:
            return ()
        asylum = case_type is CaseType.ASYLUM_ONLY or rng.random() < (
            0.35 if custody is Custody.DETAINED else 0.52)
        if asylum:
            kinds.append(ApplicationKind.ASYLUM)
            if rng.random() < 0.85:
                kinds.append(ApplicationKind.WITHHOLDING)
            if rng.random() < 0.8:
                kinds.append(ApplicationKind.CAT)
        if case_type is CaseType.REMOVAL:
            for kind, rate in ((ApplicationKind.CANCELLATION, 0.07),
                               (ApplicationKind.ADJUSTMENT, 0.05),
                               (ApplicationKind.VOLUNTARY_DEPARTURE, 0.08)):
                if rng.random() < rate:
                    kinds.append(kind)
        return tuple(kinds)

    # -- calendars -----------------------------------------------------------------

    def _status(self, docket: Docket) -> CaseStatus:
        """Older cases are more often over; detained ones move fastest."""
        years = (self.today - docket.opened_on).days / 365
        closed = min(0.65, 0.05 + 0.07 * years
                     + (0.3 if docket.custody is Custody.DETAINED else 0.0))
        appealed = 0.07 if years > 1 else 0.01
        admin = 0.09 if docket.opened_on.year <= 2021 else 0.02
        draw = self.rng.random()
        if draw < closed:
            return CaseStatus.CLOSED
        if draw < closed + appealed:
            return CaseStatus.APPEALED
        if draw < closed + appealed + admin:
            return CaseStatus.ADMINISTRATIVELY_CLOSED
        return CaseStatus.PENDING

    def _planned_days(self, docket: Docket) -> list[tuple[date, HearingType]]:
        """Master calendar hearings, then (for many) an individual merits hearing."""
        rng = self.rng
        detained = docket.custody is Custody.DETAINED
        day = after(rng, docket.opened_on, 5, 21) if detained \
            else after(rng, docket.opened_on, 14, 120)
        plan: list[tuple[date, HearingType]] = []
        if detained and rng.random() < 0.5:
            plan.append((on_weekday(after(rng, docket.opened_on, 2, 10)), HearingType.BOND))
        for _ in range(pick(rng, (1, 1, 2) if detained else (1, 2, 2, 3, 3, 4, 5))):
            plan.append((on_weekday(day), HearingType.MASTER))
            day = after(rng, day, 7, 30) if detained else after(rng, day, 45, 240)
        if rng.random() < (0.85 if docket.reliefs else 0.2):
            day = after(rng, day, 14, 60) if detained else after(rng, day, 60, 500)
            plan.append((on_weekday(day), HearingType.INDIVIDUAL))
        return sorted(plan)

    def _calendar(self, docket: Docket) -> None:
        """Hearings up to the case's end, or up to its next (future) hearing if pending."""
        rng, today = self.rng, self.today
        plan = self._planned_days(docket)
        past = [entry for entry in plan if entry[0] < today]
        status = self._status(docket)
        if status is not CaseStatus.PENDING and past:
            ends_early = status is CaseStatus.CLOSED and rng.random() < 0.3
            kept = past[: number(rng, 1, len(past))] if ends_early else past
            docket.sittings = [self._sitting(d, k, final=i == len(kept) - 1)
                               for i, (d, k) in enumerate(kept)]
            docket.status = status
            docket.decided_on = kept[-1][0]
            if status is CaseStatus.CLOSED:
                docket.closed_on = min(today, after(rng, kept[-1][0], 0, 10))
            return
        docket.sittings = [self._sitting(d, k, final=False) for d, k in past]
        upcoming = next((entry for entry in plan if entry[0] >= today), None)
        if upcoming is None:
            kind = HearingType.INDIVIDUAL if docket.reliefs else HearingType.MASTER
            upcoming = (on_weekday(after(rng, today, 7, 400)), kind)
        docket.sittings.append(Sitting(upcoming[0], self._slot(upcoming[1]), upcoming[1],
                                       None, None))

    def _fear_review_calendar(self, docket: Docket) -> None:
        """A review of a negative fear finding: one hearing within days, then closed."""
        rng, today = self.rng, self.today
        day = on_weekday(after(rng, docket.opened_on, 2, 9))
        if day >= today:
            docket.sittings = [Sitting(day, self._slot(HearingType.MASTER), HearingType.MASTER,
                                       None, None)]
            return
        docket.sittings = [self._sitting(day, HearingType.MASTER, final=True)]
        docket.status = CaseStatus.CLOSED
        docket.decided_on = day
        docket.closed_on = min(today, after(rng, day, 0, 2))

    def _sitting(self, day: date, kind: HearingType, *, final: bool) -> Sitting:
        rng = self.rng
        if final:
            return Sitting(day, self._slot(kind), kind, HearingOutcome.COMPLETED, None)
        if kind is HearingType.BOND:
            return Sitting(day, self._slot(kind), kind, HearingOutcome.COMPLETED, None)
        if rng.random() < 0.4:
            return Sitting(day, self._slot(kind), kind, HearingOutcome.ADJOURNED,
                           pick(rng, ADJOURNMENT_REASONS))
        return Sitting(day, self._slot(kind), kind, HearingOutcome.CONTINUED, None)

    def _slot(self, kind: HearingType) -> tuple[int, int]:
        slots = {HearingType.MASTER: _MASTER_SLOTS, HearingType.INDIVIDUAL: _INDIVIDUAL_SLOTS,
                 HearingType.BOND: _BOND_SLOTS}[kind]
        return pick(self.rng, slots)

    # -- people on the case --------------------------------------------------------

    def _stints(self, roster: Roster, start: date, end: date | None) -> list[Stint]:
        """Who holds the case from ``start`` to ``end``; a leaver hands it to a colleague."""
        rng = self.rng
        term: Term = roster.on(rng, start)
        day = start
        stints: list[Stint] = []
        while term.active_to is not None and (end is None or term.active_to < end):
            stints.append(Stint(term.user_id, day, term.active_to))
            day = term.active_to + timedelta(days=1)
            term = roster.successor(rng, term)
        stints.append(Stint(term.user_id, day, end))
        return stints

    def stint(self, roster: Roster, start: date, end: date | None) -> Stint:
        """One staff member's stint from ``start``, ending when they or the case end."""
        term = roster.on(self.rng, start)
        ends = [day for day in (term.active_to, end) if day is not None]
        return Stint(term.user_id, start, min(ends) if ends else None)

    def _representation(self, docket: Docket) -> list[Stint]:
        """Attorneys of record: most cases have one, some change, some lose theirs."""
        rng = self.rng
        if rng.random() >= _REPRESENTED[docket.custody]:
            return []
        limit = docket.last_day(self.today)
        start = min(limit, after(rng, docket.opened_on, 0, 240))
        first = self._attorney(docket.site)
        draw = rng.random()
        if draw < 0.12 and (limit - start).days > 60:
            switch = day_between(rng, start + timedelta(days=30), limit)
            second = self._attorney(docket.site)
            if second == first:
                return [Stint(first, start, docket.closed_on)]
            return [Stint(first, start, switch - timedelta(days=1)),
                    Stint(second, switch, docket.closed_on)]
        if draw < 0.18 and limit > start:
            return [Stint(first, start, day_between(rng, start, limit))]
        return [Stint(first, start, docket.closed_on)]

    def _attorney(self, site: CourtSite) -> str:
        """Mostly a local attorney; one in ten practises before several courts."""
        if self.rng.random() < 0.1:
            return self.world.site().attorney(self.rng)
        return site.attorney(self.rng)
