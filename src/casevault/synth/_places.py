"""Courts, neighbourhoods, addresses, phone numbers and e-mail addresses.

People and staff of a court live in the same few neighbourhoods (a city, a ZIP
code and a handful of streets), so neighbours exist in the data: later features
look for staff who read the records of people on their own street. Street and
city names come from Faker's en_US pools and are fictional; phone numbers use the
555 exchange and e-mail addresses the reserved example domains (RFC 2606), so no
contact detail can reach a real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import Final

from faker import Faker

from casevault.domain.names import fold
from casevault.synth._draw import number, pick


@dataclass(frozen=True, slots=True)
class CourtPlace:
    """An immigration court's synthetic code and base city."""

    code: str
    city: str
    state: str


COURT_PLACES: Final = (
    CourtPlace("NYC", "New York", "NY"), CourtPlace("LAX", "Los Angeles", "CA"),
    CourtPlace("HOU", "Houston", "TX"), CourtPlace("MIA", "Miami", "FL"),
    CourtPlace("SFR", "San Francisco", "CA"), CourtPlace("CHI", "Chicago", "IL"),
    CourtPlace("ATL", "Atlanta", "GA"), CourtPlace("DAL", "Dallas", "TX"),
    CourtPlace("NEW", "Newark", "NJ"), CourtPlace("ARL", "Arlington", "VA"),
    CourtPlace("BOS", "Boston", "MA"), CourtPlace("SNA", "San Antonio", "TX"),
    CourtPlace("DEN", "Denver", "CO"), CourtPlace("SEA", "Seattle", "WA"),
    CourtPlace("PHO", "Phoenix", "AZ"), CourtPlace("CHL", "Charlotte", "NC"),
    CourtPlace("ORL", "Orlando", "FL"), CourtPlace("BAL", "Baltimore", "MD"),
    CourtPlace("LVG", "Las Vegas", "NV"), CourtPlace("SDC", "San Diego", "CA"),
    CourtPlace("PHI", "Philadelphia", "PA"), CourtPlace("ELP", "El Paso", "TX"),
    CourtPlace("MEM", "Memphis", "TN"), CourtPlace("NOL", "New Orleans", "LA"),
    CourtPlace("DET", "Detroit", "MI"), CourtPlace("KAN", "Kansas City", "MO"),
    CourtPlace("SLC", "Salt Lake City", "UT"), CourtPlace("POR", "Portland", "OR"),
    CourtPlace("CLE", "Cleveland", "OH"), CourtPlace("HAR", "Hartford", "CT"),
    CourtPlace("IND", "Indianapolis", "IN"), CourtPlace("OMA", "Omaha", "NE"),
    CourtPlace("SAC", "Sacramento", "CA"), CourtPlace("HLG", "Harlingen", "TX"),
    CourtPlace("TUC", "Tucson", "AZ"), CourtPlace("BUF", "Buffalo", "NY"),
    CourtPlace("NSH", "Nashville", "TN"), CourtPlace("FSM", "Fort Snelling", "MN"),
    CourtPlace("HON", "Honolulu", "HI"), CourtPlace("ADL", "Adelanto", "CA"),
    CourtPlace("OAK", "Oakdale", "LA"), CourtPlace("ELY", "Eloy", "AZ"),
)
"""Largest dockets first, so a small synthetic court system has the busy courts."""


@dataclass(frozen=True, slots=True)
class StateInfo:
    """What the generator needs to know about a state: clock and telephone area codes."""

    utc_offset: int
    observes_dst: bool
    area_codes: tuple[str, ...]


STATES: Final = {
    "NY": StateInfo(-5, True, ("212", "718", "917", "347", "516", "716")),
    "CA": StateInfo(-8, True, ("213", "310", "415", "619", "916", "760", "909")),
    "TX": StateInfo(-6, True, ("713", "214", "210", "915", "956", "936", "832")),
    "FL": StateInfo(-5, True, ("305", "407", "786", "954")),
    "IL": StateInfo(-6, True, ("312", "773", "708")),
    "GA": StateInfo(-5, True, ("404", "770", "678")),
    "NJ": StateInfo(-5, True, ("973", "201", "732")),
    "VA": StateInfo(-5, True, ("703", "571")),
    "MA": StateInfo(-5, True, ("617", "508")),
    "CO": StateInfo(-7, True, ("303", "720")),
    "WA": StateInfo(-8, True, ("206", "253")),
    "AZ": StateInfo(-7, False, ("602", "480", "520")),
    "NC": StateInfo(-5, True, ("704", "919")),
    "MD": StateInfo(-5, True, ("410", "301")),
    "NV": StateInfo(-8, True, ("702",)),
    "PA": StateInfo(-5, True, ("215", "267")),
    "TN": StateInfo(-6, True, ("901", "615")),
    "LA": StateInfo(-6, True, ("504", "318")),
    "MI": StateInfo(-5, True, ("313", "248")),
    "MO": StateInfo(-6, True, ("816", "314")),
    "UT": StateInfo(-7, True, ("801",)),
    "OR": StateInfo(-8, True, ("503",)),
    "OH": StateInfo(-5, True, ("216", "614")),
    "CT": StateInfo(-5, True, ("860", "203")),
    "IN": StateInfo(-5, True, ("317",)),
    "NE": StateInfo(-6, True, ("402",)),
    "MN": StateInfo(-6, True, ("612", "651")),
    "HI": StateInfo(-10, False, ("808",)),
}

_PEOPLE_PER_NEIGHBOURHOOD: Final = 40
_EMAIL_DOMAINS: Final = ("example.com", "example.net", "example.org")


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """A city, a ZIP code and the streets people there live on."""

    city: str
    state: str
    postal_code: str
    streets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True, slots=True)
class PlacePools:
    """Street and city names drawn once from Faker en_US, and a ZIP code source."""

    streets: tuple[str, ...]
    cities: tuple[str, ...]
    faker: Faker

    @classmethod
    def draw(cls, seed: int, size: int) -> PlacePools:
        streets, cities = _street_and_city_names(seed, size)
        faker = Faker("en_US")
        faker.seed_instance(seed + 1)
        return cls(streets, cities, faker)

    def postal_code(self, state: str) -> str:
        return f"{int(self.faker.postcode_in_state(state)):05d}"


@cache
def _street_and_city_names(seed: int, size: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Fictional street and city names; remembered, as Faker takes a while to ask."""
    faker = Faker("en_US")
    faker.seed_instance(seed)
    streets = tuple(str(faker.street_name()) for _ in range(size * 2))
    cities = tuple(str(faker.city()) for _ in range(size))
    return streets, cities


def neighbourhoods(rng: random.Random, pools: PlacePools, state: str,
                   expected_people: int) -> tuple[Neighbourhood, ...]:
    """Enough neighbourhoods in ``state`` for about 40 residents each."""
    count = max(4, expected_people // _PEOPLE_PER_NEIGHBOURHOOD)
    return tuple(
        Neighbourhood(pick(rng, pools.cities), state, pools.postal_code(state),
                      tuple(rng.sample(pools.streets, number(rng, 3, 8))))
        for _ in range(count)
    )


def address_in(rng: random.Random, place: Neighbourhood) -> Address:
    """A house (sometimes an apartment) on one of the neighbourhood's streets."""
    street = f"{number(rng, 1, 1999)} {pick(rng, place.streets)}"
    if rng.random() < 0.3:
        street += f" Apt {number(rng, 1, 40)}{pick(rng, 'ABCD')}"
    return Address(street, place.city, place.state, place.postal_code)


def phone_number(rng: random.Random, state: str) -> str:
    """A US number in the fictional 555 exchange (never 555-1212, directory assistance)."""
    area = pick(rng, STATES[state].area_codes if state in STATES else ("202",))
    line = number(rng, 100, 9999)
    if line == 1212:
        line = 1213
    return f"({area}) 555-{line:04d}"


def office_phone(rng: random.Random, state: str) -> str:
    """A work number in 555-0100..0199, the range NANP reserves for fiction."""
    area = pick(rng, STATES[state].area_codes if state in STATES else ("202",))
    return f"({area}) 555-01{number(rng, 0, 99):02d}"


def mailbox(given: str, family: str) -> str:
    """The ASCII local part of an e-mail address for a name (``jose.garcia``)."""
    first = fold(given).split(" ")[0] if fold(given) else "user"
    last = fold(family).replace(" ", "") or "mail"
    return f"{first}.{last}"


def personal_email(rng: random.Random, given: str, family: str) -> str:
    """A private address at a reserved example domain."""
    return f"{mailbox(given, family)}{number(rng, 1, 99)}@{pick(rng, _EMAIL_DOMAINS)}"
