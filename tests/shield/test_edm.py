"""Exact data match: every person of a synthetic court is found under the spellings
documents use, only with the right key, and the index never holds a value in clear.

Expected values come from the court's CSV files, read with the csv module and
re-spelled here (upper case, "FAMILY, Given", accents dropped, order transposed,
middle name or second surname left out), never from casevault's own readers.
"""

from __future__ import annotations

import csv
import random
import secrets
import shutil
import stat
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from faker import Faker
from sqlalchemy import Connection, Engine, delete

from casevault.errors import ConfigError, FormatVersionError, InvalidValue
from casevault.settings import Settings
from casevault.shield import _edm_file
from casevault.shield._edm_score import Seen, confidence
from casevault.shield.edm import (
    HIGH,
    KEY_FILE_NAME,
    MEDIUM,
    EdmIndex,
    PersonMatch,
    edm_key,
    normalize,
)
from casevault.shield.model import Kind
from casevault.store import tables
from casevault.store.interchange import import_folder
from casevault.store.sealed import update_person
from casevault.synth import write_court

Group = list[tuple[Kind, str]]


# -- independent readings of the court ------------------------------------------------------

def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _named_people(folder: Path) -> list[dict[str, str]]:
    return [row for row in _csv(folder / "persons.csv")
            if row["family_name"] and row["given_name"] and row["date_of_birth"]]


def _plain(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))


def _upper(row: dict[str, str]) -> str:
    return f"{row['family_name']} {row['given_name']}".upper()


def _family_comma_given(row: dict[str, str]) -> str:
    return f"{row['family_name'].upper()}, {row['given_name']}"


def _no_accents(row: dict[str, str]) -> str:
    return _plain(f"{row['given_name']} {row['family_name']}")


def _transposed(row: dict[str, str]) -> str:
    return f"{row['given_name']} {row['family_name']}"


def _middle_dropped(row: dict[str, str]) -> str:
    return f"{row['given_name'].split()[0]} {row['family_name']}"


def _first_surname_only(row: dict[str, str]) -> str:
    """"Maria Garcia" for Maria Jose Garcia Lopez; "Ana del Rio" for Ana del Rio Paz."""
    words = row["family_name"].split()
    surname = next(i for i, word in enumerate(words)
                   if word.lower() not in {"de", "del", "la", "las", "los", "da", "do", "dos"})
    return f"{row['given_name'].split()[0]} {' '.join(words[:surname + 1])}"


NAME_SPELLINGS: dict[str, Callable[[dict[str, str]], str]] = {
    "upper": _upper, "FAMILY, Given": _family_comma_given, "no accents": _no_accents,
    "transposed": _transposed, "middle dropped": _middle_dropped,
    "first surname only": _first_surname_only,
}

A_NUMBER_WRITINGS: dict[str, Callable[[str], str]] = {
    "canonical": lambda a: a,
    "grouped": lambda a: f"A-{a[1:4]}-{a[4:7]}-{a[7:]}",
    "digits": lambda a: a[1:],
    "spaced": lambda a: f"A {a[1:]}",
    "hash": lambda a: f"A#{a[1:]}",
}


def _name(text: str) -> tuple[Kind, str]:
    return Kind.PERSON_NAME, normalize(Kind.PERSON_NAME, text)


def _born(row: dict[str, str]) -> tuple[Kind, str]:
    return Kind.DATE_OF_BIRTH, normalize(Kind.DATE_OF_BIRTH, date.fromisoformat(
        row["date_of_birth"]))


def _best(index: EdmIndex, group: Group) -> PersonMatch:
    matches = index.match_group(group)
    assert matches, "no person matched"
    if len(matches) > 1:
        assert matches[1].confidence < matches[0].confidence, "two persons tie for the best match"
    return matches[0]


# -- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def court(connection: Connection, court_folder: Path) -> Connection:
    import_folder(connection, court_folder)
    return connection


@pytest.fixture
def index(court: Connection, key: bytes) -> EdmIndex:
    return EdmIndex.build(court, key)


@pytest.fixture
def newcomers(tmp_path: Path) -> Path:
    """Persons of another synthetic court, renumbered so that they are new to the database."""
    source = tmp_path / "other"
    write_court(source, people=12, seed=4242)
    rows = _csv(source / "persons.csv")
    for row in rows:
        row["person_id"] = "N" + row["person_id"][1:]
        row["a_number"] = "A9" + row["a_number"][2:]
        row["other_names"] = ""
    folder = tmp_path / "newcomers"
    folder.mkdir()
    with (folder / "persons.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    shutil.rmtree(source)
    return folder


# -- every person, every spelling --------------------------------------------------------------

@pytest.mark.parametrize("spelling", NAME_SPELLINGS)
def test_name_and_birth_date_find_every_person(index: EdmIndex, court_folder: Path,
                                               spelling: str) -> None:
    for row in _named_people(court_folder):
        group = [_name(NAME_SPELLINGS[spelling](row)), _born(row)]
        best = _best(index, group)
        assert (best.person_id, best.kinds) == (row["person_id"],
                                                 {Kind.PERSON_NAME, Kind.DATE_OF_BIRTH})
        assert best.confidence >= HIGH


@pytest.mark.parametrize("writing", A_NUMBER_WRITINGS)
def test_a_number_alone_finds_every_person(index: EdmIndex, court_folder: Path,
                                           writing: str) -> None:
    for row in _csv(court_folder / "persons.csv"):
        value = normalize(Kind.A_NUMBER, A_NUMBER_WRITINGS[writing](row["a_number"]))
        assert index.lookup(Kind.A_NUMBER, value) == {row["person_id"]}
        best = _best(index, [(Kind.A_NUMBER, value)])
        assert best.person_id == row["person_id"]
        assert best.confidence >= HIGH


def test_name_with_a_number_phone_or_email_is_high(index: EdmIndex, court_folder: Path) -> None:
    for row in _named_people(court_folder):
        name = _name(_family_comma_given(row))
        groups = [[name, (Kind.A_NUMBER, normalize(Kind.A_NUMBER, row["a_number"][1:]))]]
        if row["phone"]:
            spaced = "+1 " + row["phone"].replace("(", "").replace(")", "").replace("-", " ")
            groups.append([name, (Kind.PHONE, normalize(Kind.PHONE, spaced))])
        if row["email"]:
            groups.append([name, (Kind.EMAIL, normalize(Kind.EMAIL, row["email"].upper()))])
        for group in groups:
            best = _best(index, group)
            assert best.person_id == row["person_id"]
            assert best.confidence >= HIGH


def test_separate_family_and_given_columns_are_joined(index: EdmIndex,
                                                      court_folder: Path) -> None:
    for row in _named_people(court_folder):
        group = [(Kind.FAMILY_NAME, normalize(Kind.FAMILY_NAME, row["family_name"].upper())),
                 (Kind.GIVEN_NAME, normalize(Kind.GIVEN_NAME, _plain(row["given_name"]))),
                 _born(row)]
        best = _best(index, group)
        assert best.person_id == row["person_id"]
        assert best.kinds == {Kind.FAMILY_NAME, Kind.GIVEN_NAME, Kind.DATE_OF_BIRTH}
        assert best.confidence >= HIGH


def test_other_names_and_past_addresses_are_indexed(index: EdmIndex, court_folder: Path) -> None:
    people = {row["person_id"]: row for row in _named_people(court_folder)}
    aliased = [row for row in people.values() if row["other_names"]]
    assert aliased, "the synthetic court should give some persons other names"
    for row in aliased:
        for alias in row["other_names"].split(";"):
            assert row["person_id"] in index.lookup(*_name(alias))
    for row in _csv(court_folder / "addresses.csv"):
        street = normalize(Kind.ADDRESS, f"{row['address']}, {row['city']} {row['state']}")
        assert row["person_id"] in index.lookup(Kind.ADDRESS, street)
        only_folded = " ".join(row["address"].lower().replace("apt ", "apartment ").split())
        assert row["person_id"] in index.lookup(Kind.ADDRESS, _plain(only_folded))
        person = people.get(row["person_id"])
        if person is not None:
            best = _best(index, [_name(_transposed(person)), (Kind.ADDRESS, street)])
            assert best.person_id == row["person_id"]


# -- keyed, and nothing in clear -----------------------------------------------------------------

def test_another_key_finds_nobody(index: EdmIndex, court_folder: Path, tmp_path: Path,
                                  key: bytes) -> None:
    other = EdmIndex(secrets.token_bytes(32), index._table)  # the same hashes, another key
    for row in _named_people(court_folder):
        assert other.match_group([(Kind.A_NUMBER, row["a_number"]),
                                  _name(_transposed(row)), _born(row)]) == []
    path = tmp_path / "edm-index.bin"
    index.save(path)
    with pytest.raises(ConfigError, match="another key"):
        EdmIndex.load(path, secrets.token_bytes(32))
    assert EdmIndex.load(path, key).entries == index.entries


def test_the_saved_index_holds_no_value_in_clear(index: EdmIndex, court_folder: Path,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "edm-index.bin"
    index.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes().lower()
    secrets_in_court: set[str] = set()
    for row in _csv(court_folder / "persons.csv"):
        for column in ("family_name", "given_name", "email", "address"):
            secrets_in_court.update((row[column], _plain(row[column])))
        secrets_in_court.update((row["a_number"], row["a_number"][1:], row["date_of_birth"],
                                 "".join(ch for ch in row["phone"] if ch.isdigit())))
    for value in secrets_in_court:
        if len(value) >= 5:
            assert value.lower().encode() not in content
    assert b"P0000001" in path.read_bytes()  # opaque ids are kept: a finding names its person


def test_an_altered_or_foreign_file_is_refused(index: EdmIndex, tmp_path: Path,
                                              key: bytes) -> None:
    path = tmp_path / "edm-index.bin"
    index.save(path)
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))
    with pytest.raises(ConfigError, match="altered"):
        EdmIndex.load(path, key)
    path.write_bytes(_edm_file.MAGIC.replace(b"v1", b"v9") + bytes(content[len(_edm_file.MAGIC):]))
    with pytest.raises(FormatVersionError):
        EdmIndex.load(path, key)
    path.write_bytes(b"person_id,a_number\n")
    with pytest.raises(ConfigError, match="not a casevault"):
        EdmIndex.load(path, key)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(key_dir=tmp_path / "keys")
    first = edm_key(settings)
    assert stat.S_IMODE((tmp_path / "keys" / KEY_FILE_NAME).stat().st_mode) == 0o600
    assert edm_key(settings) == first
    assert len(first) == 32


def test_an_empty_database_gives_an_empty_index_built_once(engine: Engine, tmp_path: Path,
                                                           key: bytes,
                                                           database_factory: object) -> None:
    """From an engine (not a connection): built, saved, and loaded the next time."""
    empty = database_factory(engine.dialect.name)  # type: ignore[operator]
    path = tmp_path / "shield" / "edm-index.bin"
    built = EdmIndex.load_or_build(empty, key, path)
    assert (built.persons, built.entries, path.exists()) == (0, 0, True)
    assert built.lookup(Kind.A_NUMBER, "A012345678") == frozenset()
    assert built.match_group([_name("Maria Garcia"), (Kind.DATE_OF_BIRTH, "1990-01-01")]) == []
    saved = path.read_bytes()
    path.write_bytes(saved[:-1] + bytes([saved[-1] ^ 0x01]))  # always a change, whatever the byte
    with pytest.raises(ConfigError):
        EdmIndex.load_or_build(empty, key, path)  # an existing file is loaded, never rebuilt


# -- refresh ------------------------------------------------------------------------------------

def test_refresh_adds_new_persons_and_drops_removed_ones(index: EdmIndex, court: Connection,
                                                         newcomers: Path) -> None:
    arrivals = _csv(newcomers / "persons.csv")
    before = index.persons
    assert all(not index.lookup(Kind.A_NUMBER, row["a_number"]) for row in arrivals)
    import_folder(court, newcomers)
    report = index.refresh(court)
    assert (report.added, report.removed, report.persons) == (len(arrivals), 0,
                                                              before + len(arrivals))
    for row in arrivals:
        assert index.lookup(Kind.A_NUMBER, row["a_number"]) == {row["person_id"]}
        assert _best(index, [_name(_upper(row)), _born(row)]).person_id == row["person_id"]
    first = _named_people(newcomers)[0]
    court.execute(delete(tables.person_names).where(
        tables.person_names.c.person_id == first["person_id"]))
    court.execute(delete(tables.persons).where(tables.persons.c.person_id == first["person_id"]))
    report = index.refresh(court)
    assert (report.added, report.removed, report.persons) == (0, 1, before + len(arrivals) - 1)
    assert not index.lookup(Kind.A_NUMBER, first["a_number"])
    assert _best(index, [(Kind.A_NUMBER, arrivals[-1]["a_number"])]).person_id == \
        arrivals[-1]["person_id"]


def test_refresh_rereads_changed_persons(index: EdmIndex, court: Connection,
                                         court_folder: Path) -> None:
    row = _named_people(court_folder)[0]
    new_phone = "(999) 555-0123"
    update_person(court, row["person_id"], {"phone": new_phone})  # sealed, as stored
    phone = (Kind.PHONE, normalize(Kind.PHONE, new_phone))
    assert index.refresh(court).reindexed == 0
    assert not index.lookup(*phone), "without a change timestamp, edits need changed="
    report = index.refresh(court, changed=[row["person_id"]])
    assert (report.added, report.reindexed) == (0, 1)
    assert index.lookup(*phone) == {row["person_id"]}
    assert _best(index, [_name(_transposed(row)), phone]).person_id == row["person_id"]


def test_build_reports_progress_and_streams_in_batches(court: Connection, key: bytes,
                                                       court_folder: Path) -> None:
    seen: list[tuple[str, int, int | None]] = []
    small = EdmIndex.build(court, key, batch_size=7,
                           progress=lambda task, done, total: seen.append((task, done, total)))
    people = len(_csv(court_folder / "persons.csv"))
    assert small.persons == people
    assert seen[-1][1:] == (people, people)
    assert len(seen) == -(-people // 7) + (1 if people % 7 == 0 else 0)
    assert small.entries == EdmIndex.build(court, key).entries


# -- no match ----------------------------------------------------------------------------------

def _staff_groups(folder: Path) -> Iterator[Group]:
    for row in _csv(folder / "users.csv"):
        group: Group = [_name(f"{row['family_name']}, {row['given_name']}")]
        for kind, column in ((Kind.PHONE, "phone"), (Kind.EMAIL, "email"),
                             (Kind.ADDRESS, "address")):
            if row[column]:
                group.append((kind, normalize(kind, row[column])))
        yield group


def test_a_staff_phone_list_identifies_nobody(index: EdmIndex, court_folder: Path) -> None:
    for group in _staff_groups(court_folder):
        assert [m for m in index.match_group(group) if m.confidence >= MEDIUM] == []


def test_random_names_and_dates_identify_nobody(index: EdmIndex) -> None:
    faker = Faker(["en_US", "es_MX"])
    faker.seed_instance(11)
    rng = random.Random(11)
    for _ in range(300):
        born = date(1950, 1, 1).toordinal() + rng.randrange(365 * 60)
        group = [_name(faker.name()), (Kind.DATE_OF_BIRTH, date.fromordinal(born).isoformat()),
                 (Kind.A_NUMBER, normalize(Kind.A_NUMBER, f"A{rng.randrange(10**8, 10**9)}"))]
        assert [m for m in index.match_group(group) if m.confidence >= MEDIUM] == []


def test_values_found_nowhere_match_nobody(index: EdmIndex) -> None:
    for kind, value in [(Kind.A_NUMBER, "A000000001"), (Kind.PHONE, "+12025550199"),
                        (Kind.EMAIL, "nobody@example.invalid"),
                        (Kind.PERSON_NAME, "zz qq"), (Kind.PERSON_NAME, "maria"),
                        (Kind.ADDRESS, "1 nowhere st"), (Kind.SSN, "123456789")]:
        assert index.lookup(kind, value) == frozenset()
        assert index.match_group([(kind, value)]) == []
    assert index.match_group([]) == []


# -- the confidence table ------------------------------------------------------------------------

N, F, G = Kind.PERSON_NAME, Kind.FAMILY_NAME, Kind.GIVEN_NAME
A, D, P, E, S = Kind.A_NUMBER, Kind.DATE_OF_BIRTH, Kind.PHONE, Kind.EMAIL, Kind.ADDRESS
WHOLE = True
CONFIDENCE_TABLE = [
    # matched (kind: persons sharing the value), whole name?, kinds in the group, confidence
    ({A: 1}, False, {A}, 0.99),
    ({A: 1, N: 40}, True, {A, N, D}, 0.99),
    ({N: 3, D: 30}, WHOLE, {N, D}, 0.98),
    ({N: 3, D: 30}, False, {N, D}, 0.97),
    ({F: 3, G: 3, D: 30}, False, {F, G, D}, 0.97),
    ({N: 2, P: 2}, WHOLE, {N, P}, 0.96),
    ({N: 2, E: 1}, False, {N, E}, 0.95),
    ({N: 1, S: 3}, False, {N, S}, 0.95),
    ({N: 1, D: 9}, WHOLE, {N, D, A}, 0.8),        # the group's A-number is someone else's
    ({D: 9, P: 1}, False, {D, P}, 0.8),
    ({E: 1, S: 3}, False, {E, S}, 0.8),
    ({N: 1}, WHOLE, {N, Kind.NATIONALITY, Kind.FACILITY}, 0.7),
    ({E: 1}, False, {E}, 0.6),
    ({P: 2}, False, {P}, 0.5),
    ({D: 9, P: 1}, False, {D, P, A}, 0.5),
    ({N: 1}, WHOLE, {N}, 0.4),
    ({N: 5}, WHOLE, {N}, 0.2),
    ({S: 4}, False, {S}, 0.2),
    ({N: 1}, WHOLE, {N, D}, 0.1),                 # the group's birth date is someone else's
    # no match worth reporting
    ({D: 1}, False, {D}, 0.0),
    ({N: 6}, WHOLE, {N}, 0.0),
    ({N: 2}, WHOLE, {N, D}, 0.0),
    ({P: 6}, False, {P}, 0.0),
    ({F: 1}, False, {F}, 0.0),
    ({E: 1}, False, {E, A}, 0.0),
]


@pytest.mark.parametrize(("shares", "whole", "present", "expected"), CONFIDENCE_TABLE)
def test_confidence_table(shares: dict[Kind, int], whole: bool, present: set[Kind],
                          expected: float) -> None:
    assert confidence(Seen(dict(shares), whole), present) == expected


def test_a_whole_name_ranks_above_a_relative_it_shortens(index: EdmIndex,
                                                         court_folder: Path) -> None:
    """Father João Cavalcante and son João Miguel Cavalcante at one address: both found,
    the one whose whole name it is first."""
    people = _named_people(court_folder)
    pairs = [(elder, younger) for elder in people for younger in people
             if younger["given_name"].startswith(elder["given_name"] + " ")
             and younger["family_name"] == elder["family_name"]]
    for elder, younger in pairs:
        matches = index.match_group([_name(_transposed(elder)),
                                     (Kind.ADDRESS, normalize(Kind.ADDRESS, elder["address"]))])
        assert matches[0].person_id == elder["person_id"]
        if younger["address"] == elder["address"]:
            assert matches[1].person_id == younger["person_id"]
            assert matches[1].confidence >= HIGH


def test_rare_values_seed_and_common_ones_confirm(index: EdmIndex, court_folder: Path) -> None:
    """A birth date shared by several persons still pins the one whose name is also there."""
    people = _named_people(court_folder)
    for row in people:
        twins = [other for other in people if other["date_of_birth"] == row["date_of_birth"]]
        matches = index.match_group([_born(row), _name(_transposed(row))])
        assert matches[0].person_id == row["person_id"]
        assert len(matches) <= len(twins) + 5


# -- normal forms (a table per kind, with values that are not one) -------------------------------

NORMAL_FORMS = [
    (Kind.A_NUMBER, "a-012-345-678", "A012345678"),
    (Kind.A_NUMBER, "12345678", "A012345678"),
    (Kind.PERSON_NAME, "GARCÍA LÓPEZ, María-José", "garcia lopez maria jose"),
    (Kind.DATE_OF_BIRTH, " 1990-02-03 ", "1990-02-03"),
    (Kind.PHONE, "(212) 555-0100", "+12125550100"),
    (Kind.PHONE, "1-212-555-0100 ext. 12", "+12125550100"),
    (Kind.PHONE, "+52 55 1234 5678", "+525512345678"),
    (Kind.PHONE, "011 52 55 1234 5678", "+525512345678"),
    (Kind.EMAIL, " Mailto:Jose.Garcia@Example.ORG ", "jose.garcia@example.org"),
    (Kind.ADDRESS, "629 Shannon Walk, Apt. #7A", "629 shannon walk 7a"),
    (Kind.ADDRESS, "12 North Main Street", "12 n main st"),
]
NOT_A_VALUE = [
    (Kind.A_NUMBER, "A-000-000-000"),
    (Kind.A_NUMBER, "1234567"),
    (Kind.PERSON_NAME, " -- "),
    (Kind.DATE_OF_BIRTH, "1990-02-30"),
    (Kind.DATE_OF_BIRTH, "02/03/1990"),
    (Kind.PHONE, "555-0100"),
    (Kind.PHONE, "call me"),
    (Kind.EMAIL, "jose.garcia"),
    (Kind.ADDRESS, "Apt 7"),
    (Kind.SSN, "078-05-1120"),
]


@pytest.mark.parametrize(("kind", "text", "expected"), NORMAL_FORMS)
def test_normal_forms(kind: Kind, text: str, expected: str) -> None:
    assert normalize(kind, text) == expected


@pytest.mark.parametrize(("kind", "text"), NOT_A_VALUE)
def test_not_a_value_is_refused_without_repeating_it(kind: Kind, text: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        normalize(kind, text)
    assert text.strip() not in str(raised.value)
