"""Exact data match: does a file contain identifiers of casevault's own people?

General-purpose detectors see "a name" or "a date"; exact data match knows which
person a value belongs to. It keeps an index of keyed hashes — HMAC-SHA256 under
a secret key of each normalised identifier of every person — and never the
values themselves, so the index file, a memory dump of it, or an error message
reveals nobody. The key lives in ``<key_dir>/shield-edm.key`` (mode 0600,
created on first use), outside the database and the index.

What is indexed, per person (``_edm_normal`` holds the rules):

=================  ==================================================================
kind               key
=================  ==================================================================
``a_number``       ``A`` + nine digits (every writing of ``domain.anumber``)
``person_name``    whole name: the sorted folded tokens of family + given names, and
                   of each other name on file; shortened (marked apart): family +
                   first given name (middle names dropped), first surname + given
                   names, first surname + first given name, and each form without
                   particles (de, la, van, ...)
``date_of_birth``  ISO ``YYYY-MM-DD``
``phone``          ``+`` country code and number (``+12125550100``)
``email``          lower case
``address``        each street line on file (current and past): folded, USPS
                   abbreviations, unit words dropped; also the building without unit
=================  ==================================================================

Because a name key is its sorted tokens, "GARCIA LOPEZ, MARIA JOSE", "Maria José
García López" and "maria garcia" (first surname, first given name) all meet the
person filed as family "García López", given "María José"; separate family and
given name columns are joined before the look-up.

A group is what a scanner found in one row, line or nearby span. Evidence for a
person is the set of kinds in the group that matched that person; confidence:

=====================================================  ===========
the group matched, for one person                      confidence
=====================================================  ===========
A-number (alone or with anything)                      0.99
whole name + date of birth                             0.98
shortened name + date of birth                         0.97
whole name + phone, e-mail or address                  0.96
shortened name + phone, e-mail or address              0.95
two of date of birth, phone, e-mail, address           0.80
a name row above, contradicted (*)                     0.80
name alone, unique to the person, with other           0.70
identifiers in the group (nationality, facility, ...)
e-mail alone (shared by at most 5 persons)             0.60
phone alone (shared by at most 5 persons)              0.50
two weak identifiers, contradicted (*)                 0.50
name alone, unique to the person                       0.40
name alone, shared by at most 5 persons                0.20
address alone (shared by at most 5 persons)            0.20
name alone, unique, contradicted (*)                   0.10
date of birth alone; anything shared more widely       no match
=====================================================  ===========

(*) Contradicted: the group holds an A-number or a date of birth, and it is not
this person's. High is ``>= HIGH`` (0.95), medium ``>= MEDIUM`` (0.7). A value
shared by more than 64 persons (a common name), and a date of birth, only
confirm persons that a rarer value of the group found, unless it is the rarest:
so a row whose A-number names one person and whose name and birth date name
another reports only the first.

Limitations: the persons table has no change timestamp, so ``refresh`` finds new
and removed persons by id, and re-reads an edited person only when told
(``changed=``) or on a rebuild. Names of a single word yield no key.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine

from casevault.audit.keys import load_or_create_hmac_key
from casevault.domain.anumber import normalize_a_number
from casevault.errors import InvalidValue
from casevault.settings import Settings
from casevault.shield import _edm_file
from casevault.shield._edm_normal import (
    SHORTENED,
    address_queries,
    name_queries,
    normalize_address,
    normalize_date,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from casevault.shield._edm_score import HIGH, MEDIUM, Found, Seen, confidence, evidence_of
from casevault.shield._edm_source import (
    PersonValues,
    all_person_ids,
    count_persons,
    person_batches,
)
from casevault.shield._edm_table import (
    ORDINAL_MASK,
    SHORTENED_FLAG,
    HashTable,
    KeyedHasher,
    PersonDirectory,
)
from casevault.shield.model import Kind
from casevault.store.database import is_postgres

__all__ = [
    "DEFAULT_INDEX_PATH", "HIGH", "INDEXED_KINDS", "KEY_FILE_NAME", "MEDIUM", "EdmIndex",
    "PersonMatch", "Progress", "RefreshReport", "edm_key", "normalize", "normalize_a_number",
    "normalize_address", "normalize_date", "normalize_email", "normalize_name",
    "normalize_phone",
]

KEY_FILE_NAME: Final = "shield-edm.key"
DEFAULT_INDEX_PATH: Final = Path("var/shield/edm-index.bin")
BATCH_SIZE: Final = 5_000
PROGRESS_TASK: Final = "edm index"

INDEXED_KINDS: Final = frozenset({
    Kind.A_NUMBER, Kind.PERSON_NAME, Kind.FAMILY_NAME, Kind.GIVEN_NAME, Kind.DATE_OF_BIRTH,
    Kind.PHONE, Kind.EMAIL, Kind.ADDRESS,
})
"""Kinds ``match_group`` looks up (family and given names are joined into a name first)."""

_SPLIT_NAME: Final = frozenset({Kind.FAMILY_NAME, Kind.GIVEN_NAME})
_MAX_NAME_PARTS: Final = 4

Progress = Callable[[str, int, int | None], None]
"""``(task, done, expected)``, as the interchange importer reports (the CLI draws a bar)."""

_NORMALIZERS: Final[dict[Kind, Callable[[str], str]]] = {
    Kind.A_NUMBER: normalize_a_number, Kind.PERSON_NAME: normalize_name,
    Kind.FAMILY_NAME: normalize_name, Kind.GIVEN_NAME: normalize_name,
    Kind.DATE_OF_BIRTH: normalize_date, Kind.PHONE: normalize_phone,
    Kind.EMAIL: normalize_email, Kind.ADDRESS: normalize_address,
}


def normalize(kind: Kind, text: str) -> str:
    """The normal form of ``text`` as a ``kind`` (what ``Match.normalized`` carries).

    Raises ``InvalidValue`` (naming the kind, never the value) when it is not one,
    and for kinds exact data match does not index.
    """
    normalizer = _NORMALIZERS.get(kind)
    if normalizer is None:
        raise InvalidValue(f"exact data match does not index {kind.value}")
    return normalizer(text)


def edm_key(settings: Settings) -> bytes:
    """The shield's secret for keyed hashes: ``<key_dir>/shield-edm.key``, made on first use.

    Its own key, not the ledger's search-term key: an index file and the ledger
    never share a secret, so one leaking does not expose the other.
    """
    return load_or_create_hmac_key(settings.key_dir / KEY_FILE_NAME)


@dataclass(frozen=True, slots=True)
class PersonMatch:
    """A person whose identifiers a group contains: which kinds matched, and how sure."""

    person_id: str
    kinds: frozenset[Kind]
    confidence: float


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What ``refresh`` changed (counts only)."""

    added: int
    removed: int
    reindexed: int
    persons: int
    seconds: float


class EdmIndex:
    """Keyed hashes of every person's identifiers, looked up per value or per group."""

    __slots__ = ("_hasher", "_table")

    def __init__(self, key: bytes, table: HashTable) -> None:
        self._hasher = KeyedHasher(key)
        self._table = table

    # -- building, saving, loading ------------------------------------------------

    @classmethod
    def build(cls, source: Engine | Connection, key: bytes, *, progress: Progress | None = None,
              batch_size: int = BATCH_SIZE) -> EdmIndex:
        """Index every person in the database (streamed a batch at a time)."""
        hasher = KeyedHasher(key)
        with _reading(source) as connection:
            total = count_persons(connection)
            batches = person_batches(connection, batch_size=batch_size)
            hashes, ordinals, ids = _hashed(hasher, batches, progress, total)
        return cls(key, HashTable.from_pairs(hashes, ordinals, PersonDirectory.of(ids)))

    @classmethod
    def load(cls, path: Path, key: bytes) -> EdmIndex:
        """The index saved at ``path``; refused if another key built it or it was altered."""
        return cls(key, _edm_file.load(path, KeyedHasher(key)))

    @classmethod
    def load_or_build(cls, source: Engine | Connection, key: bytes, path: Path, *,
                      progress: Progress | None = None) -> EdmIndex:
        """The saved index if there is one, else a new one, saved for the next scan."""
        if path.exists():
            return cls.load(path, key)
        index = cls.build(source, key, progress=progress)
        index.save(path)
        return index

    def save(self, path: Path) -> None:
        """Write the index (keyed hashes and opaque ids only) atomically, mode 0600."""
        _edm_file.save(self._table, self._hasher, path)

    def refresh(self, source: Engine | Connection, *, changed: Iterable[str] = (),
                progress: Progress | None = None, batch_size: int = BATCH_SIZE) -> RefreshReport:
        """Add persons not yet indexed, drop persons gone, re-read the ``changed`` ones.

        There is no change timestamp on persons: an edit to an indexed person is
        picked up only when its id is in ``changed`` (or by ``build``). Look-ups
        may run meanwhile; two refreshes of one index must not.
        """
        started = time.perf_counter()
        indexed = self._table.persons.all_ids()
        with _reading(source) as connection:
            current = set(all_person_ids(connection, batch_size=batch_size))
            known = set(indexed)
            wanted = set(changed) & current & known
            fresh = (current - known) | wanted
            drop = {ordinal for ordinal, pid in enumerate(indexed)
                    if pid not in current or pid in wanted}
            batches = person_batches(connection, batch_size=batch_size, only=fresh)
            hashes, ordinals, ids = _hashed(self._hasher, batches, progress, len(fresh))
        if drop or ids:  # one assignment: a concurrent look-up sees the old table or the new
            self._table = self._table.replaced(drop, hashes, ordinals, ids)
        gone = sum(1 for pid in known if pid not in current)
        return RefreshReport(added=len(fresh) - len(wanted), removed=gone,
                             reindexed=len(wanted), persons=len(self._table.persons),
                             seconds=time.perf_counter() - started)

    @property
    def persons(self) -> int:
        """How many persons the index covers."""
        return len(self._table.persons)

    @property
    def entries(self) -> int:
        """How many (keyed hash, person) pairs it holds."""
        return len(self._table.hashes)

    # -- matching -------------------------------------------------------------------

    def lookup(self, kind: Kind, normalized: str) -> frozenset[str]:
        """The ids of the persons who have this value (``normalized`` as ``normalize`` gives).

        A name finds the persons of its whole-name and shortened keys alike.
        """
        table = self._table
        if kind in _LOOKED_UP:
            hits = table.lookup(self._hasher.hash(kind, normalized))
            if not hits:
                return _NOBODY
            person_id = table.persons.person_id
            return frozenset([person_id(ordinal) for ordinal in hits])
        person_id = table.persons.person_id
        return frozenset([person_id(ordinal & ORDINAL_MASK) for _, hits, _, _
                          in _found(table, self._hasher.hash, _ALONE[kind], kind, normalized)
                          for ordinal in hits])

    def match_group(self, values: Iterable[tuple[Kind, str]]) -> list[PersonMatch]:
        """The persons a group of normalised values points at, most certain first.

        See the module docstring for the confidence table. Persons with no match
        worth reporting (a birth date alone, a very common name) are left out.
        """
        table, hash_of = self._table, self._hasher.hash
        present: set[Kind] = set()
        found: list[Found] = []
        families: list[str] = []
        givens: list[str] = []
        for kind, value in values:
            present.add(kind)
            if kind is Kind.FAMILY_NAME:
                families.append(value)
            elif kind is Kind.GIVEN_NAME:
                givens.append(value)
            else:
                found += _found(table, hash_of, _ALONE[kind], kind, value)
        for family in families[:_MAX_NAME_PARTS]:
            for given in givens[:_MAX_NAME_PARTS]:
                found += _found(table, hash_of, _SPLIT_NAME, Kind.PERSON_NAME,
                                f"{family} {given}")
        return _scored(table.persons, evidence_of(found), present)


def _found(table: HashTable, hash_of: Callable[[Kind, str], int], kinds: frozenset[Kind],
           kind: Kind, normalized: str) -> list[Found]:
    """The persons one value matched, as evidence for ``kinds``."""
    if kind is Kind.PERSON_NAME:
        for key, shortened in name_queries(normalized):
            run = table.lookup(hash_of(kind, key))
            if run:
                return _name_runs(kinds, run, whole=not shortened)
        return []
    if kind is Kind.ADDRESS:
        queries = address_queries(normalized)
    elif kind in _LOOKED_UP:
        queries = [normalized]
    else:
        return []
    for query in queries:
        if hits := table.lookup(hash_of(kind, query)):
            return [(kinds, hits, False, False)]
    return []


def _name_runs(kinds: frozenset[Kind], run: array[int], *, whole: bool) -> list[Found]:
    """A name key's run split into whole-name persons and (flagged) shortened-form ones."""
    split = bisect_left(run, SHORTENED_FLAG)
    if split == len(run):
        return [(kinds, run, whole, False)]
    if split == 0:
        return [(kinds, run, False, True)]
    return [(kinds, run[:split], whole, False), (kinds, run[split:], False, True)]


def _scored(persons: PersonDirectory, evidence: dict[int, Seen],
            present: set[Kind]) -> list[PersonMatch]:
    matches = []
    for ordinal, seen in evidence.items():
        sure = confidence(seen, present)
        if sure > 0:
            matches.append(PersonMatch(persons.person_id(ordinal), frozenset(seen.shares), sure))
    matches.sort(key=lambda match: (-match.confidence, match.person_id))
    return matches


_ALONE: Final = {kind: frozenset((kind,)) for kind in Kind}
_NOBODY: Final[frozenset[str]] = frozenset()
_LOOKED_UP: Final = frozenset({Kind.A_NUMBER, Kind.DATE_OF_BIRTH, Kind.PHONE, Kind.EMAIL})


def _hashed(hasher: KeyedHasher, batches: Iterable[list[PersonValues]],
            progress: Progress | None, total: int) -> tuple[array[int], array[int], list[str]]:
    """Hash every person's values: (hash, ordinal) pairs and the ids in ordinal order.

    A shortened name key is hashed without its marker and flags its ordinal.
    """
    hashes, ordinals = array("Q"), array("I")
    hash_of = hasher.hash
    ids: list[str] = []
    for batch in batches:
        for person_id, values in batch:
            ordinal = len(ids)
            ids.append(person_id)
            for kind, value in values:
                if value[0] == SHORTENED:
                    hashes.append(hash_of(kind, value[1:]))
                    ordinals.append(ordinal | SHORTENED_FLAG)
                else:
                    hashes.append(hash_of(kind, value))
                    ordinals.append(ordinal)
        if progress is not None:
            progress(PROGRESS_TASK, len(ids), total)
    return hashes, ordinals, ids


@contextmanager
def _reading(source: Engine | Connection) -> Iterator[Connection]:
    """A connection whose batches all see one snapshot (the caller's, if it passed one)."""
    if isinstance(source, Connection):
        yield source
        return
    with source.connect() as connection:
        if is_postgres(source):
            connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection
