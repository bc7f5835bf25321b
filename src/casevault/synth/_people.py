"""Respondents, generated a household at a time.

A household shares a nationality, a language, an arrival day and an address
history; its members are linked by ``Relative`` records in both directions and
usually share a family name. That is what makes the data useful for access by
relationship, for finding everyone affected by a leak, and for spotting staff
who look up a family rather than a case.

``Relative(person_id=P, relative_id=R, relation=child)`` reads "R is P's child".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Final

from casevault.domain.records import AddressPeriod, Person, Relative
from casevault.domain.vocab import Relation, Sex
from casevault.synth._calendar import arrival_day, birth_date, day_between
from casevault.synth._draw import Weighted, number, pick
from casevault.synth._names import (
    NATIONALITIES,
    Naming,
    Nationality,
    passport_spelling,
    spelling_variant,
    strip_accents,
)
from casevault.synth._places import Address, address_in, personal_email, phone_number
from casevault.synth._world import CourtSite, World

A_NUMBER_FIRST: Final = 200_000_000
A_NUMBER_SPAN: Final = 50_000_000
"""Synthetic A-numbers lie in the range 200,000,000 to 249,999,999 (A + nine digits)."""


class Member(Enum):
    """A person's place in their household (decides relations and rider cases)."""

    HEAD = "head"
    PARTNER = "partner"
    CHILD = "child"
    SIBLING = "sibling"
    EXTENDED = "extended"


class Shape(Enum):
    SINGLE = "single"
    COUPLE = "couple"
    SINGLE_PARENT = "single_parent"
    FAMILY = "family"
    SIBLINGS = "siblings"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"


_SHAPES: Final = Weighted(((Shape.SINGLE, 52), (Shape.COUPLE, 9), (Shape.SINGLE_PARENT, 20),
                           (Shape.FAMILY, 10), (Shape.SIBLINGS, 6),
                           (Shape.UNACCOMPANIED_MINOR, 3)))
_TAKES_PARTNER_NAME: Final = {Naming.SPANISH: 0.0, Naming.PORTUGUESE: 0.3, Naming.SLAVIC: 0.8,
                              Naming.CHINESE: 0.0, Naming.SINGLE: 0.6}
"""How often a wife takes her husband's family name (then her own becomes an alias)."""
_SHOWS_BOTH_NAMES: Final = {Naming.SPANISH: 0.75, Naming.PORTUGUESE: 0.4}
"""How often a record carries both family names of a two-name culture."""


@dataclass(frozen=True, slots=True)
class Resident:
    """A generated person with what the case generator needs to know about them."""

    person: Person
    member: Member
    age_on_arrival: int


@dataclass(slots=True)
class Household:
    site: CourtSite
    nationality: Nationality
    language: str
    arrival: date
    residents: list[Resident] = field(default_factory=list)
    relatives: list[Relative] = field(default_factory=list)
    addresses: list[AddressPeriod] = field(default_factory=list)

    def records(self) -> list[object]:
        """Persons first, then what refers to them."""
        return [*(r.person for r in self.residents), *self.addresses, *self.relatives]


@dataclass(frozen=True, slots=True)
class _Name:
    """A name as the generator builds it: family names kept apart (``da Conceição``)."""

    given: str
    surnames: tuple[str, ...]
    aliases: tuple[str, ...]

    @property
    def family(self) -> str:
        return " ".join(self.surnames)


class PeopleSource:
    """Draws households; keeps the A-numbers handed out so that each is unique."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = world.rng
        self._a_numbers: set[int] = set()
        self._nationalities = Weighted([(n, n.weight) for n in NATIONALITIES])
        self._languages = {n.code: Weighted(n.languages) for n in NATIONALITIES}

    def household(self, limit: int) -> Household:
        """The next household, with at most ``limit`` members."""
        rng = self.rng
        nationality = self._nationalities.pick(rng)
        household = Household(self.world.site(), nationality,
                              self._languages[nationality.code].pick(rng),
                              arrival_day(rng, self.world.today))
        shape = _SHAPES.pick(rng)
        home = self._home(household.site)
        self._fill(household, shape, home, limit)
        self._address_history(household, home)
        return household

    # -- members -------------------------------------------------------------------

    def _fill(self, household: Household, shape: Shape, home: Address, limit: int) -> None:
        rng = self.rng
        nationality = household.nationality
        if shape is Shape.UNACCOMPANIED_MINOR:
            female = rng.random() < 0.35
            name = self._name(nationality, female=female)
            self._add(household, Member.HEAD, name, number(rng, 12, 17), home, female=female)
            return
        head_female = rng.random() < (0.7 if shape is Shape.SINGLE_PARENT else 0.4)
        head_age = round(rng.triangular(18, 65, 27)) if shape is not Shape.SINGLE_PARENT \
            else round(rng.triangular(19, 50, 30))
        head_name = self._name(nationality, female=head_female)
        head = self._add(household, Member.HEAD, head_name, head_age, home, female=head_female)
        parents = [(head, head_name, head_female, head_age)]
        if shape in (Shape.COUPLE, Shape.FAMILY) and len(household.residents) < limit:
            partner_female = not head_female if rng.random() < 0.96 else head_female
            partner_name = self._partner_name(nationality, head_name, head_female,
                                              partner_female)
            partner_age = max(18, head_age + number(rng, -5, 7) * (1 if head_female else -1))
            partner = self._add(household, Member.PARTNER, partner_name, partner_age, home,
                                female=partner_female)
            relation = Relation.SPOUSE if rng.random() < 0.7 else Relation.PARTNER
            self._link(household, head, partner, relation, relation)
            parents.append((partner, partner_name, partner_female, partner_age))
        if shape in (Shape.SINGLE_PARENT, Shape.FAMILY):
            youngest_parent = min(age for *_, age in parents)
            self._children(household, parents, pick(rng, (1, 1, 2, 2, 3, 4)), youngest_parent,
                           home=home, limit=limit)
        if shape is Shape.SIBLINGS:
            self._siblings(household, head_name, number(rng, 1, 2), head_age, home=home,
                           limit=limit)
        if rng.random() < 0.05 and len(household.residents) < limit:
            self._extended_relative(household, head_name, home)

    def _children(self, household: Household, parents: list[tuple[Person, _Name, bool, int]],
                  count: int, youngest_parent: int, *, home: Address, limit: int) -> None:
        rng = self.rng
        father = next((name for _, name, female, _ in parents if not female), None)
        mother = next((name for _, name, female, _ in parents if female), None)
        children: list[Person] = []
        for _ in range(count):
            if len(household.residents) >= limit:
                break
            female = rng.random() < 0.5
            name = self._child_name(household.nationality, father, mother, female)
            age_at_arrival = number(rng, 0, max(0, min(17, youngest_parent - 17)))
            child = self._add(household, Member.CHILD, name, age_at_arrival, home, female=female)
            for parent, *_ in parents:
                self._link(household, parent, child, Relation.CHILD, Relation.PARENT)
            for sibling in children:
                self._link(household, sibling, child, Relation.SIBLING, Relation.SIBLING)
            children.append(child)

    def _siblings(self, household: Household, head_name: _Name, count: int, head_age: int,
                  *, home: Address, limit: int) -> None:
        rng = self.rng
        pool = self.world.names[household.nationality.pool]
        siblings = [household.residents[0].person]
        for _ in range(count):
            if len(household.residents) >= limit:
                break
            female = rng.random() < 0.45
            name = _Name(pool.given(rng, female), head_name.surnames, ())
            age = max(18, head_age + number(rng, -8, 8))
            sibling = self._add(household, Member.SIBLING, name, age, home, female=female)
            for other in siblings:
                self._link(household, other, sibling, Relation.SIBLING, Relation.SIBLING)
            siblings.append(sibling)

    def _extended_relative(self, household: Household, head_name: _Name,
                           home: Address) -> None:
        """A cousin, nephew or in-law living with the family (relation ``other``)."""
        rng = self.rng
        female = rng.random() < 0.5
        own = self._name(household.nationality, female=female)
        name = _Name(own.given, head_name.surnames, ()) if rng.random() < 0.5 else own
        relative = self._add(household, Member.EXTENDED, name, number(rng, 16, 45), home,
                             female=female)
        head = household.residents[0].person
        self._link(household, head, relative, Relation.OTHER, Relation.OTHER)

    def _add(self, household: Household, member: Member, name: _Name, age_on_arrival: int,
             home: Address, *, female: bool) -> Person:
        """A person born ``age_on_arrival`` years before the household arrived."""
        rng = self.rng
        world = self.world
        born = birth_date(rng, age_on_arrival, household.arrival)
        adult = (world.today - born).days >= 18 * 365
        state = home.state
        phone = phone_number(rng, state) if rng.random() < (0.8 if adult else 0.15) else None
        email = personal_email(rng, name.given, name.family) \
            if adult and rng.random() < 0.35 else None
        person = Person(
            world.ids.next("P", 7), self._a_number(), name.family, name.given, name.aliases,
            born, self._sex(female),
            household.nationality.code, household.language,
            home.street, home.city, home.state, home.postal_code, phone, email,
        )
        household.residents.append(Resident(person, member, age_on_arrival))
        return person

    def _sex(self, female: bool) -> Sex:
        draw = self.rng.random()
        if draw < 0.003:
            return Sex.X
        if draw < 0.01:
            return Sex.U
        return Sex.F if female else Sex.M

    def _a_number(self) -> str:
        """A fresh canonical A-number; drawn at random so neighbours' numbers differ."""
        while True:
            number = A_NUMBER_FIRST + self.rng.randrange(A_NUMBER_SPAN)
            if number not in self._a_numbers:
                self._a_numbers.add(number)
                return f"A{number:09d}"

    @staticmethod
    def _link(household: Household, first: Person, second: Person, second_is: Relation,
              first_is: Relation) -> None:
        """Both directions: ``second`` is ``first``'s ``second_is``, and vice versa."""
        household.relatives.append(Relative(first.person_id, second.person_id, second_is))
        household.relatives.append(Relative(second.person_id, first.person_id, first_is))

    # -- names ---------------------------------------------------------------------

    def _name(self, nationality: Nationality, *, female: bool) -> _Name:
        rng = self.rng
        pool, naming = self.world.names[nationality.pool], nationality.naming
        given = pool.given(rng, female)
        if naming in _SHOWS_BOTH_NAMES:
            first, second = pool.family(rng, female), pool.family(rng, female)
            both = rng.random() < _SHOWS_BOTH_NAMES[naming]
            surnames = (first, second) if both and first != second else (first,)
        elif naming is Naming.SLAVIC:
            male = pool.family(rng, False)
            surnames = (_feminine(male) if female else male,)
        else:
            surnames = (pool.family(rng, female),)
        return self._named(nationality, given, surnames)

    def _named(self, nationality: Nationality, given: str, surnames: tuple[str, ...]) -> _Name:
        return _Name(given, surnames, self._aliases(nationality, given, surnames))

    def _partner_name(self, nationality: Nationality, head: _Name, head_female: bool,
                      female: bool) -> _Name:
        """A partner's name; a wife of some cultures takes the husband's name."""
        naming = nationality.naming
        own = self._name(nationality, female=female)
        takes_name = female and not head_female and \
            self.rng.random() < _TAKES_PARTNER_NAME[naming]
        if not takes_name:
            return own
        married = (_feminine(head.surnames[0]),) if naming is Naming.SLAVIC else head.surnames
        return _Name(own.given, married, (*own.aliases, f"{own.given} {own.family}"))

    def _child_name(self, nationality: Nationality, father: _Name | None,
                    mother: _Name | None, female: bool) -> _Name:
        """Spanish: father's first family name, then mother's; Portuguese: mother's last,
        then father's last; elsewhere the father's name (the mother's if he is absent)."""
        rng = self.rng
        pool, naming = self.world.names[nationality.pool], nationality.naming
        given = pool.given(rng, female)
        fathers = father.surnames if father else (pool.family(rng, False),)
        if naming is Naming.SPANISH:
            mothers = mother.surnames if mother else (pool.family(rng, True),)
            surnames = (fathers[0], mothers[0]) if mothers[0] != fathers[0] else fathers[:1]
        elif naming is Naming.PORTUGUESE and mother is not None:
            surnames = (mother.surnames[-1], fathers[-1]) \
                if mother.surnames[-1] != fathers[-1] else fathers[-1:]
        elif naming is Naming.SLAVIC:
            surnames = (_feminine(fathers[0]) if female else fathers[0],)
        elif father is None and mother is not None:
            surnames = mother.surnames
        else:
            surnames = fathers
        return self._named(nationality, given, surnames)

    def _aliases(self, nationality: Nationality, given: str,
                 surnames: tuple[str, ...]) -> tuple[str, ...]:
        """Other names a person is recorded under: spellings, short forms, a second identity."""
        rng = self.rng
        pool, naming = self.world.names[nationality.pool], nationality.naming
        family = " ".join(surnames)
        full = f"{given} {family}"
        aliases: list[str] = []
        if len(surnames) > 1 and rng.random() < 0.15:
            aliases.append(f"{given} {surnames[0]}")
        if rng.random() < 0.12 and strip_accents(full) != full:
            aliases.append(strip_accents(full))
        variant = spelling_variant(full) or passport_spelling(full, nationality.pool)
        if variant is not None and rng.random() < 0.25:
            aliases.append(variant)
        if naming is Naming.CHINESE and rng.random() < 0.15:
            aliases.append(f"{family} {given}")
        if rng.random() < 0.02:
            aliases.append(f"{pool.given(rng, rng.random() < 0.5)} {family}")
        return tuple(aliases)

    # -- addresses -----------------------------------------------------------------

    def _home(self, site: CourtSite) -> Address:
        """Most live in their court's area; some moved away without a change of venue."""
        rng = self.rng
        where = site if rng.random() < 0.92 else self.world.site()
        return address_in(rng, pick(rng, where.homes))

    def _address_history(self, household: Household, home: Address) -> None:
        """Every member gets the current address; 40% of households had 1-3 before it."""
        rng = self.rng
        today = self.world.today
        moves = pick(rng, (1, 1, 2, 3)) if rng.random() < 0.4 else 0
        latest = today - timedelta(days=14)
        starts = sorted({day_between(rng, household.arrival + timedelta(days=30), latest)
                         for _ in range(moves)})
        starts = [day for day in starts if household.arrival < day <= latest]
        boundaries = [household.arrival, *starts]
        places = [*(self._home(household.site) for _ in starts), home]
        periods = [
            (place, begin, (boundaries[i + 1] - timedelta(days=1)) if i + 1 < len(boundaries)
             else None)
            for i, (place, begin) in enumerate(zip(places, boundaries, strict=True))
        ]
        for resident in household.residents:
            for place, begin, end in periods:
                household.addresses.append(AddressPeriod(
                    resident.person.person_id, place.street, place.city, place.state,
                    place.postal_code, begin, end))


def _feminine(surname: str) -> str:
    """The feminine form of a transliterated Russian or Ukrainian family name."""
    for male, female in (("skiy", "skaya"), ("tskiy", "tskaya"), ("skyi", "ska"),
                         ("yi", "a"), ("iy", "aya"), ("oy", "aya")):
        if surname.endswith(male):
            return surname[: -len(male)] + female
    if surname.endswith(("ov", "ev", "in", "yn", "yov")):
        return surname + "a"
    return surname
