"""Labelled misuse injected into a simulated workday, one scenario per kind of detector.

Each scenario is a small function that picks its actor among the staff who are at
work, may add records (the staff member's own respondent record, an ex-partner's,
a neighbour's), and emits the misuse as access events during one of the actor's
days. The label names the actor, the kind and the event ids, so that evaluation
can score every detector against its own scenario. Kinds are named like the
detectors that should catch them (the simulator never imports them).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from casevault.domain.access_events import AccessEvent
from casevault.domain.names import name_key
from casevault.domain.records import AddressPeriod, Person, User
from casevault.domain.vocab import Role, Sex
from casevault.synth._workday import Desk, Shift, Workday

CASE_ROLES: Final = (Role.JUDGE, Role.CLERK, Role.DHS_COUNSEL)


@dataclass(frozen=True, slots=True)
class Label:
    user_id: str
    kind: str
    event_ids: tuple[str, ...]
    person_ids: tuple[str, ...] = ()

    def to_row(self) -> dict[str, object]:
        return {"user_id": self.user_id, "kind": self.kind, "event_ids": list(self.event_ids),
                "person_ids": list(self.person_ids)}


@dataclass(slots=True)
class Injected:
    records: list[object] = field(default_factory=list)
    events: list[AccessEvent] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    watchlist: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Scene:
    """What a scenario works with: the simulation, its output, the actor and the day."""

    sim: Workday
    out: Injected
    actor: User
    day: date
    person_ids: Sequence[str]

    @property
    def rng(self) -> random.Random:
        return self.sim.rng

    def shift(self, hour: float | None = None, desk: Desk | None = None) -> Shift:
        return self.sim.start_shift(self.actor, self.day, hour=hour, desk=desk)

    def strangers(self, count: int) -> list[str]:
        """Persons with no case at the actor's court (nothing will explain the access)."""
        office = self.actor.office_code
        mine = {self.sim.court.cases[c].person_id
                for c in self.sim.court.cases_by_court.get(office or "", [])}
        picked: list[str] = []
        while len(picked) < count:
            person = self.rng.choice(self.person_ids)
            if person not in mine and person not in picked:
                picked.append(person)
        return picked

    def done(self, kind: str, events: Sequence[AccessEvent], persons: Sequence[str] = ()) -> None:
        self.out.events.extend(events)
        self.out.labels.append(Label(self.actor.user_id, kind,
                                     tuple(e.event_id for e in events),
                                     tuple(persons)))

    def fresh_a_number(self) -> str:
        """An A-number no person of the court holds (A-numbers are unique)."""
        taken = {p.a_number for p in self.sim.court.persons.values()}
        taken |= {getattr(r, "a_number", None) for r in self.out.records}
        while True:
            candidate = f"A{self.rng.randrange(10**8, 10**9)}"
            if candidate not in taken:
                return candidate

    def new_person(self, like: User, *, same_name: bool, unit: str | None = None,
                   past_only: bool = False) -> Person:
        """A respondent record tied to a staff member (their own, a partner's, a neighbour's)."""
        person_id = f"PX{len(self.out.records):06d}{self.rng.randrange(100):02d}"
        given = like.given_name if same_name else self.rng.choice(("Ana", "Luis", "Rosa"))
        family = like.family_name if same_name or unit is None else "Vecino"
        street = like.address or "1 Main St"
        address = f"{street} Apt {unit}" if unit else street
        current = "77 Elsewhere Ave" if past_only else address
        person = Person(person_id, self.fresh_a_number(), family, given, (), None, Sex.U, None,
                        None, current, like.city, like.state, like.postal_code,
                        None if unit else like.phone, None)
        self.out.records.append(person)
        if past_only:
            self.out.records.append(AddressPeriod(person_id, address, like.city, like.state,
                                                  like.postal_code, date(2018, 1, 1),
                                                  date(2022, 1, 1)))
        return person


def _view(shift: Shift, person: str, *, gap: int = 120, purpose: str | None = None,
          why: str | None = None) -> AccessEvent:
    return shift.emit("view", person_id=person, gap=gap,
                      purpose=purpose or _purpose(shift.user), justification=why)


def _purpose(user: User) -> str:
    return {Role.JUDGE: "adjudication", Role.DHS_COUNSEL: "litigation"}.get(
        user.role, "case_processing")


def self_lookup(scene: Scene) -> None:
    me = scene.new_person(scene.actor, same_name=True)
    shift = scene.shift()
    scene.done("self_lookup", [_view(shift, me.person_id)], [me.person_id])


def family(scene: Scene) -> None:
    partner = scene.new_person(dataclasses.replace(scene.actor, given_name="Dana"),
                               same_name=True, past_only=True)
    shift = scene.shift()
    events = [_view(shift, partner.person_id, gap=300) for _ in range(2)]
    scene.done("family", events, [partner.person_id])


def coworker(scene: Scene) -> None:
    colleagues = [u for u in scene.sim.court.users
                  if u.office_code == scene.actor.office_code and u is not scene.actor]
    other = scene.rng.choice(colleagues or scene.sim.court.users)
    record = scene.new_person(other, same_name=True)
    shift = scene.shift()
    scene.done("coworker", [_view(shift, record.person_id)], [record.person_id])


def neighbour(scene: Scene) -> None:
    record = scene.new_person(scene.actor, same_name=False, unit="9B")
    shift = scene.shift()
    scene.done("neighbour", [_view(shift, record.person_id)], [record.person_id])


def high_profile(scene: Scene) -> None:
    (person,) = scene.strangers(1)
    scene.out.watchlist.append(person)
    shift = scene.shift()
    scene.done("high_profile", [_view(shift, person)], [person])


def bulk_access(scene: Scene) -> None:
    persons = scene.strangers(150)
    shift = scene.shift(hour=10.0)
    scene.done("bulk_access", [_view(shift, p, gap=20) for p in persons], persons)


def sequential_a_numbers(scene: Scene) -> None:
    ordered = sorted((p for p in scene.sim.court.persons.values() if p.a_number),
                     key=lambda p: p.a_number or "")
    start = scene.rng.randrange(len(ordered) - 30)
    persons = [p.person_id for p in ordered[start:start + 25]]
    shift = scene.shift(hour=15.0)
    scene.done("sequential_a_numbers", [_view(shift, p, gap=40) for p in persons], persons)


def alphabetical_walk(scene: Scene) -> None:
    ordered = sorted(scene.sim.court.persons.values(),
                     key=lambda p: (name_key(p.family_name, p.given_name) or "", p.person_id))
    start = scene.rng.randrange(len(ordered) - 200)
    persons = [p.person_id for p in ordered[start:start + 200:6]][:30]
    shift = scene.shift(hour=15.0)
    scene.done("alphabetical_walk", [_view(shift, p, gap=60) for p in persons], persons)


def large_export(scene: Scene) -> None:
    shift = scene.shift()
    event = shift.emit("export", purpose=_purpose(scene.actor), record_count=8_000, gap=900,
                       categories="identity;contact;case")
    scene.done("large_export", [event])


def repeat_snooping(scene: Scene) -> None:
    (person,) = scene.strangers(1)
    events = []
    for offset in range(5):
        scene.day = scene.day.fromordinal(scene.day.toordinal() + (1 if offset else 0))
        shift = scene.shift(hour=12.0 + offset / 10)
        events.append(_view(shift, person, gap=600))
    scene.done("repeat_snooping", events, [person])


def credential_sharing(scene: Scene) -> None:
    own = scene.shift(hour=11.0)
    other = Desk(f"DEV-X-{scene.rng.randrange(10**6)}", f"172.{scene.rng.randrange(16, 31)}.4.9")
    borrowed = scene.sim.start_shift(scene.actor, scene.day, hour=11.02, desk=other)
    events = [own.emit("view", person_id=scene.strangers(1)[0], gap=30,
                       purpose=_purpose(scene.actor)),
              borrowed.out[0], borrowed.emit("search", gap=60, purpose=_purpose(scene.actor))]
    scene.done("credential_sharing", events)


def unusual_login_time(scene: Scene) -> None:
    shift = scene.shift(hour=3.2)
    events = [shift.out[0], shift.emit("search", gap=120, purpose=_purpose(scene.actor))]
    scene.done("unusual_login_time", events)


def boilerplate_justification(scene: Scene) -> None:
    persons = scene.strangers(10)
    shift = scene.shift()
    events = [_view(shift, p, gap=900, why="routine check per supervisor") for p in persons]
    scene.done("boilerplate_justification", events, persons)


def purpose_mismatch(scene: Scene) -> None:
    persons = scene.strangers(2)
    shift = scene.shift()
    events = [_view(shift, p, gap=600, purpose="representation", why="helping a friend")
              for p in persons]
    scene.done("purpose_mismatch", events, persons)


def peer_deviation(scene: Scene) -> None:
    events = []
    persons = scene.strangers(90)
    for index, person in enumerate(persons):
        if index % 9 == 0:
            scene.day = scene.day.fromordinal(scene.day.toordinal() + 1)
            shift = scene.shift(hour=13.0)
        events.append(_view(shift, person, gap=400))
    scene.done("peer_deviation", events, persons)


def break_glass_unexplained(scene: Scene) -> None:
    (person,) = scene.strangers(1)
    shift = scene.shift()
    events = [shift.emit("break_glass", person_id=person, purpose="emergency",
                         justification="urgent detention inquiry", gap=300),
              _view(shift, person, gap=60, purpose="emergency")]
    scene.done("break_glass_unexplained", events, [person])


SCENARIOS: Final[dict[str, Callable[[Scene], None]]] = {
    fn.__name__: fn for fn in (
        self_lookup, family, coworker, neighbour, high_profile, bulk_access,
        sequential_a_numbers, alphabetical_walk, large_export, repeat_snooping,
        credential_sharing, unusual_login_time, boilerplate_justification, purpose_mismatch,
        peer_deviation, break_glass_unexplained)
}
"""Every kind of misuse the simulator injects, by the name of the detector meant to catch it."""


def inject(sim: Workday, *, kinds: Sequence[str], rounds: int = 1) -> Injected:
    """Inject each kind ``rounds`` times, each by a different staff member, on a working day."""
    rng = sim.rng
    out = Injected()
    days = list(sim.working_days())[:-7] or list(sim.working_days())
    staff = sorted((u for u in sim.court.users if u.role in CASE_ROLES),
                   key=lambda u: u.user_id)
    actors = rng.sample(staff, min(len(staff), len(kinds) * rounds))
    persons = sorted(sim.court.persons)
    for index, actor in enumerate(actors):
        kind = kinds[index % len(kinds)]
        day = rng.choice([d for d in days if actor.active_from <= d and
                          (actor.active_to is None or actor.active_to >= d)] or days)
        SCENARIOS[kind](Scene(sim, out, actor, day, persons))
    return out
