"""Cases of a household and everything recorded in them.

The head of a household gets a case of their own; children and some spouses
ride on it (``lead_case_id``), sharing its calendar, judge and attorney; other
members get cases of their own. Detained people often have a bond case beside
their main case. Each case then yields its hearings, charges, applications,
appearances of attorneys, staff assignments and documents, and each person the
law-enforcement encounters that brought them to court.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Final

from casevault.domain.records import (
    Application,
    Assignment,
    Case,
    Charge,
    Encounter,
    Hearing,
    Representation,
)
from casevault.domain.vocab import (
    ApplicationKind,
    Capacity,
    CaseStatus,
    CaseType,
    Custody,
    Decision,
    EncounterAgency,
    EncounterKind,
    EncounterOutcome,
    HearingType,
)
from casevault.synth._calendar import after, court_time, day_between
from casevault.synth._docket import Docket, Dockets
from casevault.synth._draw import Weighted, number
from casevault.synth._filings import Filings
from casevault.synth._people import Household, Member, Resident
from casevault.synth._world import World

_CHARGES: Final = Weighted((("212(a)(6)(A)(i)", 70), ("237(a)(1)(B)", 12),
                            ("212(a)(7)(A)(i)(I)", 8), ("237(a)(1)(C)(i)", 4),
                            ("237(a)(2)(A)(i)", 2), ("237(a)(2)(B)(i)", 2),
                            ("212(a)(6)(C)(i)", 2)))
"""INA sections charged in notices to appear, by how often they are charged."""
_PLEAS: Final = Weighted((("sustained", 92), ("not sustained", 5), ("withdrawn", 3)))
_STOP_OUTCOMES: Final = Weighted(((EncounterOutcome.CHARGED, 25), (EncounterOutcome.RELEASED, 35),
                                  (EncounterOutcome.NO_ACTION, 40)))
_CHARGED_CASE_TYPES: Final = frozenset({CaseType.REMOVAL, CaseType.RESCISSION})
_PROTECTION: Final = (ApplicationKind.ASYLUM, ApplicationKind.WITHHOLDING, ApplicationKind.CAT)
_RIDES_WITH: Final = {Member.CHILD: ((Member.HEAD, 0.75), (Member.PARTNER, 0.75)),
                      Member.PARTNER: ((Member.HEAD, 0.4),)}
"""Whose case a member may ride on, and how often."""
_BOND_CASE_RATE: Final = 0.45


class Proceedings:
    """Turns households into cases and their records."""

    def __init__(self, world: World, content_share: float) -> None:
        self.world = world
        self.rng: random.Random = world.rng
        self.ids = world.ids
        self.dockets = Dockets(world)
        self.filings = Filings(world, self.dockets, content_share)

    def household(self, household: Household) -> Iterator[object]:
        leads: dict[Member, tuple[str, Docket]] = {}
        for resident in household.residents:
            lead = self._lead(resident, leads)
            if lead is not None:
                case_id = self.ids.next("C", 7)
                yield from self._case(resident, household, case_id, lead[1], lead[0])
                main = lead[1]
            else:
                adult = resident.age_on_arrival >= 18 and resident.member is not Member.CHILD
                main = self.dockets.main(household.site, household.arrival, adult)
                case_id = self.ids.next("C", 7)
                yield from self._case(resident, household, case_id, main, None)
                if resident.member in (Member.HEAD, Member.PARTNER):
                    leads[resident.member] = (case_id, main)
                if self._has_bond_case(main):
                    yield from self._case(resident, household, self.ids.next("C", 7),
                                          self.dockets.bond(main), None)
            yield from self._encounters(resident, household, main)

    def _lead(self, resident: Resident,
              leads: dict[Member, tuple[str, Docket]]) -> tuple[str, Docket] | None:
        """The case this member rides on, if any (never a detained person's case)."""
        for member, rate in _RIDES_WITH.get(resident.member, ()):
            lead = leads.get(member)
            if lead is None or lead[1].case_type is not CaseType.REMOVAL \
                    or lead[1].custody is Custody.DETAINED:
                continue
            return lead if self.rng.random() < rate else None
        return None

    def _has_bond_case(self, docket: Docket) -> bool:
        return (docket.case_type is CaseType.REMOVAL
                and docket.custody is not Custody.NEVER_DETAINED
                and self.rng.random() < _BOND_CASE_RATE)

    # -- one case ------------------------------------------------------------------

    def _case(self, resident: Resident, household: Household, case_id: str, docket: Docket,
              lead_case_id: str | None) -> Iterator[object]:
        person = resident.person
        yield Case(case_id, person.person_id, docket.site.court.court_code, docket.case_type,
                   docket.status, docket.custody, docket.facility, docket.opened_on,
                   docket.closed_on, lead_case_id)
        yield from self._hearings(case_id, docket, household.language)
        yield from self._charges(case_id, docket)
        for stint in docket.attorneys:
            yield Representation(case_id, stint.who, stint.start, stint.end)
        yield from self._assignments(case_id, docket, household.language)
        kinds = docket.reliefs if lead_case_id is None else self._rider_reliefs(docket)
        applications = self._applications(case_id, docket, kinds)
        yield from applications
        yield from self.filings.documents(person, case_id, docket, applications)

    def _hearings(self, case_id: str, docket: Docket, language: str) -> Iterator[Hearing]:
        site = docket.site
        interpreter = language if language != "eng" else None
        for sitting in docket.sittings:
            at = court_time(sitting.day, *sitting.slot, site.state.utc_offset,
                            site.state.observes_dst)
            yield Hearing(self.ids.next("H", 8), case_id, at, sitting.kind,
                          docket.judge_on(sitting.day), sitting.outcome, interpreter,
                          sitting.reason)

    def _charges(self, case_id: str, docket: Docket) -> Iterator[Charge]:
        """One or two charges of removability; pleaded (and mostly sustained) once heard."""
        if docket.case_type not in _CHARGED_CASE_TYPES:
            return
        rng = self.rng
        if docket.case_type is CaseType.RESCISSION:
            codes = ["246(a)"]
        else:
            first = _CHARGES.pick(rng)
            codes = [first]
            if rng.random() < 0.35:
                codes.append("212(a)(7)(A)(i)(I)" if first == "212(a)(6)(A)(i)"
                             else "212(a)(6)(A)(i)")
        heard = any(s.outcome is not None for s in docket.sittings)
        for code in codes:
            status = _PLEAS.pick(rng) if heard else "pending"
            yield Charge(self.ids.next("CH", 7), case_id, code, status)

    def _assignments(self, case_id: str, docket: Docket, language: str) -> Iterator[Assignment]:
        """The judge throughout; often a clerk and DHS counsel; interpreters for some."""
        rng = self.rng
        site = docket.site
        for stint in docket.judges:
            yield Assignment(stint.who, case_id, Capacity.JUDGE, stint.start, stint.end)
        staffing = ((Capacity.CLERK, site.clerks, 0.3),
                    (Capacity.DHS_COUNSEL, site.dhs_counsel, 0.5))
        for capacity, roster, rate in staffing:
            if rng.random() < rate:
                stint = self.dockets.stint(roster, docket.opened_on, docket.closed_on)
                yield Assignment(stint.who, case_id, capacity, stint.start, stint.end)
        if language != "eng" and docket.sittings and rng.random() < 0.3:
            start = min(docket.sittings[0].day, self.world.today)
            stint = self.dockets.stint(site.interpreters, start, docket.closed_on)
            yield Assignment(stint.who, case_id, Capacity.INTERPRETER, stint.start, stint.end)

    # -- applications --------------------------------------------------------------

    def _rider_reliefs(self, lead: Docket) -> tuple[ApplicationKind, ...]:
        """Riders are usually derivatives of the lead's claim; some file their own."""
        if ApplicationKind.ASYLUM in lead.reliefs and self.rng.random() < 0.12:
            return (ApplicationKind.ASYLUM,)
        return ()

    def _applications(self, case_id: str, docket: Docket,
                      kinds: tuple[ApplicationKind, ...]) -> list[Application]:
        rng = self.rng
        limit = docket.last_day(self.world.today)
        protection_filed = min(limit, after(rng, docket.opened_on, 20, 300))
        decides = docket.decided_on is not None \
            and docket.status is not CaseStatus.ADMINISTRATIVELY_CLOSED
        applications: list[Application] = []
        asylum: Decision | None = None
        for kind in kinds:
            if kind is ApplicationKind.BOND:
                filed = docket.opened_on
            elif kind in _PROTECTION:
                filed = protection_filed
            else:
                filed = min(limit, after(rng, docket.opened_on, 20, 500))
            decision = self._decision(kind, docket, asylum) if decides else None
            if kind is ApplicationKind.ASYLUM:
                asylum = decision
            applications.append(Application(
                self.ids.next("AP", 7), case_id, kind, filed, decision,
                docket.decided_on if decision is not None else None))
        return applications

    def _decision(self, kind: ApplicationKind, docket: Docket,
                  asylum: Decision | None) -> Decision:
        """How the judge ruled at the final hearing (or how the claim fell away)."""
        rng = self.rng
        if kind is ApplicationKind.BOND:
            return Decision.GRANTED if docket.custody is Custody.RELEASED else Decision.DENIED
        merits = docket.sittings[-1].kind is HearingType.INDIVIDUAL
        if not merits:
            if kind is ApplicationKind.VOLUNTARY_DEPARTURE and rng.random() < 0.7:
                return Decision.GRANTED
            return Decision.ABANDONED if rng.random() < 0.6 else Decision.WITHDRAWN
        granted = {
            ApplicationKind.ASYLUM: 0.15 if docket.status is CaseStatus.APPEALED else 0.38,
            ApplicationKind.WITHHOLDING: 0.9 if asylum is Decision.GRANTED else 0.12,
            ApplicationKind.CAT: 0.9 if asylum is Decision.GRANTED else 0.05,
            ApplicationKind.CANCELLATION: 0.5,
            ApplicationKind.ADJUSTMENT: 0.55,
            ApplicationKind.VOLUNTARY_DEPARTURE: 0.85,
        }[kind]
        draw = rng.random()
        if draw < granted:
            return Decision.GRANTED
        if draw < granted + 0.07:
            return Decision.WITHDRAWN
        return Decision.DENIED

    # -- encounters ----------------------------------------------------------------

    def _encounters(self, resident: Resident, household: Household,
                    docket: Docket) -> Iterator[Encounter]:
        """How the person met law enforcement: at the border, inside, on the road."""
        rng, today = self.rng, self.world.today
        person_id = resident.person.person_id
        arrival = household.arrival
        held = docket.custody is not Custody.NEVER_DETAINED
        adult = resident.age_on_arrival >= 18
        arrested_inside = held and (docket.opened_on - arrival).days > 60
        apprehended = not adult or rng.random() < 0.85
        if apprehended:
            outcome = EncounterOutcome.DETAINED if held and not arrested_inside \
                else EncounterOutcome.RELEASED
            yield self._encounter(person_id, EncounterAgency.CBP, arrival,
                                  EncounterKind.APPREHENSION, outcome)
        if arrested_inside or (held and not apprehended):
            day = max(arrival, docket.opened_on - timedelta(days=number(rng, 1, 7)))
            yield self._encounter(person_id, EncounterAgency.ICE, day, EncounterKind.ARREST,
                                  EncounterOutcome.DETAINED)
        if not adult:
            return
        yesterday = today - timedelta(days=1)
        if docket.custody is not Custody.DETAINED and rng.random() < 0.25:
            for day in sorted(day_between(rng, arrival + timedelta(days=60), yesterday)
                              for _ in range(number(rng, 1, 3))):
                outcome = EncounterOutcome.NO_ACTION if rng.random() < 0.9 \
                    else EncounterOutcome.RELEASED
                yield self._encounter(person_id, EncounterAgency.ICE, day,
                                      EncounterKind.CHECK_IN, outcome)
        for agency, rate in ((EncounterAgency.LOCAL_POLICE, 0.06),
                             (EncounterAgency.STATE_POLICE, 0.02)):
            if rng.random() < rate:
                outcome = _STOP_OUTCOMES.pick(rng)
                yield self._encounter(person_id, agency, day_between(rng, arrival, yesterday),
                                      EncounterKind.TRAFFIC_STOP, outcome)
        if rng.random() < 0.01:
            yield self._encounter(person_id, EncounterAgency.OTHER,
                                  day_between(rng, arrival, yesterday), EncounterKind.OTHER,
                                  EncounterOutcome.NO_ACTION)

    def _encounter(self, person_id: str, agency: EncounterAgency, day: date,
                   kind: EncounterKind, outcome: EncounterOutcome) -> Encounter:
        return Encounter(self.ids.next("E", 7), person_id, agency, day, kind, outcome)
