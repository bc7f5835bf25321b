"""The standing court system: courts, detention facilities, staff and the bar.

Everything here exists before the first respondent is generated, because cases
refer to it: a case is heard by a judge of its court, prosecuted by DHS counsel
covering that court and defended by attorneys who practise there. Staff have
terms of service (``active_from``..``active_to``); a case is only ever given to
someone in service on the day, and when a judge leaves, their cases move on.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from casevault.domain.names import fold
from casevault.domain.records import Attorney, Court, Facility, User
from casevault.domain.vocab import Agency, Role
from casevault.synth._calendar import day_between
from casevault.synth._draw import Weighted, number, pick
from casevault.synth._names import STAFF_POOLS, NamePool
from casevault.synth._places import (
    COURT_PLACES,
    STATES,
    Address,
    CourtPlace,
    Neighbourhood,
    PlacePools,
    StateInfo,
    address_in,
    mailbox,
    neighbourhoods,
    office_phone,
)

CASES_PER_PERSON: Final = 1.2
"""Most people have one case, some a second (a bond case beside the removal case)."""
CASES_PER_JUDGE: Final = 450
REPRESENTED_SHARE: Final = 0.62
CASES_PER_ATTORNEY: Final = 55
ATTORNEY_USER_SHARE: Final = 0.35
"""Attorneys who also hold an account (role ``attorney``, id equal to their attorney id)."""
HQ_OFFICE: Final = "HQ"
"""``office_code`` of EOIR headquarters staff (privacy officers, analysts)."""

_FACILITY_KINDS: Final = ("Processing Center", "Detention Center", "Service Processing Center",
                          "Contract Detention Facility", "County Correctional Facility")
_NONPROFIT_FORMS: Final = ("{city} Immigrant Defense Project", "{city} Legal Aid Society",
                           "Refugee Rights Clinic of {city}", "{city} Immigration Advocates")
_FIRM_FORMS: Final = ("{a} & {b} Immigration Law PLLC", "{a} {b} LLP", "{a} Law Group")
_STAFF_POOL_CHOICE: Final = Weighted(STAFF_POOLS)
_EARLY_HIRE: Final = (date(2003, 1, 1), date(2013, 6, 30))


class IdSource:
    """Opaque, sequential, prefixed ids (``P0000001``); no prefix reads as an A-number."""

    def __init__(self) -> None:
        self._sequences: dict[str, Iterator[str]] = {}

    def next(self, prefix: str, width: int) -> str:
        sequence = self._sequences.get(prefix)
        if sequence is None:
            template = prefix + "{:0" + str(width) + "d}"
            sequence = self._sequences[prefix] = map(template.format, itertools.count(1))
        return next(sequence)


@dataclass(frozen=True, slots=True)
class Term:
    """A staff member's time in service, as the generator needs it."""

    user_id: str
    active_from: date
    active_to: date | None

    def serves_on(self, day: date) -> bool:
        return self.active_from <= day and (self.active_to is None or day <= self.active_to)


@dataclass(slots=True)
class Roster:
    """Staff of one role at one court; the first members serve throughout."""

    terms: list[Term] = field(default_factory=list)
    _serving: dict[date, tuple[Term, ...]] = field(default_factory=dict)
    """Who serves on a day, remembered: cases ask about the same days again and again."""

    def on(self, rng: random.Random, day: date) -> Term:
        """Someone in service on ``day`` (a long-serving member if nobody else is)."""
        serving = self._serving.get(day)
        if serving is None:
            serving = self._serving[day] = tuple(t for t in self.terms if t.serves_on(day))
        return pick(rng, serving) if serving else self.terms[0]

    def successor(self, rng: random.Random, leaver: Term) -> Term:
        """Who takes over the leaver's cases on the day after they leave."""
        assert leaver.active_to is not None  # noqa: S101 -- only leavers have successors
        day = leaver.active_to + timedelta(days=1)
        serving = [t for t in self.terms if t.serves_on(day) and t is not leaver]
        return pick(rng, serving) if serving else self.terms[0]


@dataclass(slots=True)
class CourtSite:
    """A court with what its cases draw on: neighbourhoods, facilities, staff, attorneys."""

    court: Court
    place: CourtPlace
    state: StateInfo
    weight: float
    expected_people: int
    homes: tuple[Neighbourhood, ...]
    facilities: list[str] = field(default_factory=list)
    judges: Roster = field(default_factory=Roster)
    clerks: Roster = field(default_factory=Roster)
    dhs_counsel: Roster = field(default_factory=Roster)
    interpreters: Roster = field(default_factory=Roster)
    attorneys: list[str] = field(default_factory=list)
    attorney_weights: list[float] = field(default_factory=list)
    """Cumulative weights: a few attorneys carry much of a court's represented docket."""

    def attorney(self, rng: random.Random) -> str:
        index = bisect.bisect_right(self.attorney_weights,
                                    rng.random() * self.attorney_weights[-1])
        return self.attorneys[min(index, len(self.attorneys) - 1)]


@dataclass(slots=True)
class World:
    """The standing court system plus the seeded sources the rest of the generator uses."""

    rng: random.Random
    today: date
    ids: IdSource
    names: dict[str, NamePool]
    places: PlacePools
    sites: list[CourtSite]
    site_choice: Weighted[CourtSite] | None
    records: list[object]
    """Courts, facilities, users and attorneys, in the order they are to be written."""
    work_emails: set[str] = field(default_factory=set)
    """Work addresses handed out so far: each staff member gets their own."""

    def site(self) -> CourtSite:
        assert self.site_choice is not None  # noqa: S101 -- set by build_world
        return self.site_choice.pick(self.rng)


def court_count(people: int) -> int:
    """How many courts a system of ``people`` respondents has (4 to 40)."""
    return min(40, max(4, people // 2500))


def build_world(rng: random.Random, people: int, today: date, names: dict[str, NamePool],
                places: PlacePools) -> World:
    """Courts, facilities, staff and attorneys sized for ``people`` respondents."""
    world = World(rng, today, IdSource(), names, places, [], None, [])
    chosen = COURT_PLACES[:court_count(people)]
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(chosen))]
    total = sum(weights)
    for place, weight in zip(chosen, weights, strict=True):
        expected = max(1, round(people * weight / total))
        court = Court(place.code, f"{place.city} Immigration Court", place.city, place.state)
        site = CourtSite(court, place, STATES[place.state], weight, expected,
                         neighbourhoods(rng, places, place.state, expected))
        world.sites.append(site)
        world.records.append(court)
    world.site_choice = Weighted([(site, site.weight) for site in world.sites])
    for site in world.sites:
        world.records.extend(_facilities(world, site))
    for site in world.sites:
        world.records.extend(_court_staff(world, site))
    world.records.extend(_headquarters_staff(world, people))
    for site in world.sites:
        world.records.extend(_attorneys(world, site))
    return world


def _facilities(world: World, site: CourtSite) -> Iterator[Facility]:
    """One or two detention facilities whose detained docket this court hears."""
    rng = world.rng
    for serial in range(1, 2 + (rng.random() < 0.4)):
        code = f"{site.court.court_code}-D{serial}"
        city = pick(rng, world.places.cities)
        name = f"{city} {pick(rng, _FACILITY_KINDS)}"
        site.facilities.append(code)
        yield Facility(code, name, city, site.court.state, site.court.court_code)


def _staff_name(world: World) -> tuple[str, str, bool]:
    pool = world.names[_STAFF_POOL_CHOICE.pick(world.rng)]
    female = world.rng.random() < 0.55
    return pool.family(world.rng, female), pool.given(world.rng, female), female


def _term(world: World, *, long_serving: bool) -> tuple[date, date | None]:
    """When someone joined and (for a few) left; long-serving members never left."""
    rng, today = world.rng, world.today
    if long_serving:
        return day_between(rng, *_EARLY_HIRE), None
    if rng.random() < 0.6:
        start = day_between(rng, *_EARLY_HIRE)
        ended = rng.random() < 0.15
    else:
        start = day_between(rng, date(2014, 1, 1), today - timedelta(days=60))
        ended = rng.random() < 0.06
    if not ended:
        return start, None
    return start, day_between(rng, max(start + timedelta(days=180), date(2016, 1, 1)),
                              today - timedelta(days=1))


def _work_email(world: World, given: str, family: str, domain: str) -> str:
    """``given.family@domain``, numbered when a colleague already has that address."""
    base = mailbox(given, family)
    address = f"{base}@{domain}"
    for serial in itertools.count(2):
        if address not in world.work_emails:
            break
        address = f"{base}{serial}@{domain}"
    world.work_emails.add(address)
    return address


def _staff_user(world: World, *, role: Role, agency: Agency,
                office: str | None, home_site: CourtSite, domain: str,
                long_serving: bool = False, user_id: str | None = None) -> User:
    """A staff account: work phone and e-mail, home address near the court."""
    family, given, _ = _staff_name(world)
    home: Address = address_in(world.rng, pick(world.rng, home_site.homes))
    active_from, active_to = _term(world, long_serving=long_serving)
    return User(
        user_id or world.ids.next("U", 5), family, given, role, agency, office,
        home.street, home.city, home.state, home.postal_code,
        office_phone(world.rng, home_site.court.state or "NY"),
        _work_email(world, given, family, domain), active_from, active_to,
    )


def _roster(world: World, site: CourtSite, roster: Roster, size: int, *,
            role: Role, agency: Agency, domain: str, long_serving: int = 2) -> Iterator[User]:
    for index in range(size):
        user = _staff_user(world, role=role, agency=agency, office=site.court.court_code,
                           home_site=site, domain=domain, long_serving=index < long_serving)
        roster.terms.append(Term(user.user_id, user.active_from, user.active_to))
        yield user


def _court_staff(world: World, site: CourtSite) -> Iterator[User]:
    """Judges (about one per 450 cases), clerks, interpreters, administrators, DHS counsel."""
    judges = max(2, round(site.expected_people * CASES_PER_PERSON / CASES_PER_JUDGE))
    eoir, ice = "eoir.example.org", "ice.example.org"
    yield from _roster(world, site, site.judges, judges, role=Role.JUDGE,
                       agency=Agency.EOIR, domain=eoir)
    yield from _roster(world, site, site.clerks, max(2, judges), role=Role.CLERK,
                       agency=Agency.EOIR, domain=eoir)
    yield from _roster(world, site, site.interpreters, max(1, judges // 3),
                       role=Role.CLERK, agency=Agency.EOIR, domain=eoir, long_serving=1)
    yield from _roster(world, site, Roster(), 1 + (judges >= 8), role=Role.COURT_ADMIN,
                       agency=Agency.EOIR, domain=eoir)
    yield from _roster(world, site, site.dhs_counsel, max(2, round(judges * 1.1)),
                       role=Role.DHS_COUNSEL, agency=Agency.ICE, domain=ice)


def _headquarters_staff(world: World, people: int) -> Iterator[User]:
    """Privacy officers, analysts and a couple of outside advisors with time-boxed accounts."""
    rng = world.rng
    for index in range(3):
        yield _staff_user(world, role=Role.PRIVACY_OFFICER, agency=Agency.EOIR,
                          office=HQ_OFFICE, home_site=pick(rng, world.sites),
                          domain="eoir.example.org", long_serving=index < 2)
    for _ in range(3 + people // 50_000):
        yield _staff_user(world, role=Role.ANALYST, agency=Agency.EOIR,
                          office=HQ_OFFICE, home_site=pick(rng, world.sites),
                          domain="eoir.example.org")
    for _ in range(2):
        advisor = _staff_user(world, role=Role.EXTERNAL_ADVISOR, agency=Agency.OTHER,
                              office=None, home_site=pick(rng, world.sites),
                              domain="advisors.example.net")
        start = world.today - timedelta(days=number(rng, 20, 150))
        yield dataclasses.replace(advisor, active_from=start,
                                  active_to=start + timedelta(days=180))


def _organizations(world: World, site: CourtSite, count: int) -> Iterator[str | None]:
    """Organizations for ``count`` attorneys: solo offices, small firms, nonprofits."""
    rng = world.rng
    made = 0
    while made < count:
        shape = rng.random()
        if shape < 0.5:
            made += 1
            yield None  # solo practitioner: "Law Office of <name>", filled in by the caller
            continue
        pool = world.names["en_US"]
        if shape < 0.8:
            org = pick(rng, _FIRM_FORMS).format(a=pool.family(rng, False),
                                                 b=pool.family(rng, True))
            size = number(rng, 2, 5)
        else:
            org = pick(rng, _NONPROFIT_FORMS).format(city=pick(rng, site.homes).city)
            size = number(rng, 2, 8)
        for _ in range(min(size, count - made)):
            made += 1
            yield org


def _attorneys(world: World, site: CourtSite) -> Iterator[Attorney | User]:
    """The court's bar: a skewed caseload, some attorneys also holding an account."""
    rng = world.rng
    count = max(3, round(site.expected_people * CASES_PER_PERSON * REPRESENTED_SHARE
                         / CASES_PER_ATTORNEY))
    weight = 0.0
    for org in _organizations(world, site, count):
        family, given, _ = _staff_name(world)
        attorney_id = world.ids.next("ATY", 5)
        organization = org or f"Law Office of {given} {family}"
        bar_state = site.court.state if rng.random() < 0.85 else pick(rng, sorted(STATES))
        attorney = Attorney(attorney_id, family, given, organization, bar_state)
        yield attorney
        weight += rng.paretovariate(1.4)
        site.attorneys.append(attorney_id)
        site.attorney_weights.append(weight)
        if rng.random() < ATTORNEY_USER_SHARE:
            yield _attorney_user(world, site, attorney, family=family, given=given)


def _attorney_user(world: World, site: CourtSite, attorney: Attorney, *, family: str,
                   given: str) -> User:
    """The account of an attorney of record; its id is the attorney id (DESIGN.md)."""
    rng = world.rng
    organization = attorney.organization or "law"
    office = address_in(rng, pick(rng, site.homes))
    domain = (fold(organization).replace(" ", "")[:24] or "law") + ".example.com"
    start = day_between(rng, date(2016, 1, 1), world.today - timedelta(days=30))
    end = None if rng.random() < 0.95 else day_between(rng, start, world.today)
    return User(attorney.attorney_id, family, given, Role.ATTORNEY, Agency.PRIVATE, None,
                office.street, office.city, office.state, office.postal_code,
                office_phone(rng, site.court.state or "NY"),
                _work_email(world, given, family, domain), start, end)
