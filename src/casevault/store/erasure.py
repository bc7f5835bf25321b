"""Crypto-shredding: destroying a person's data key, and every clear trace of their fields.

What erasure does to the live database, in one transaction:

* the person's wrapped data key is deleted (``person_keys``): every ciphertext of
  theirs, here and in every backup and export encrypted the same way, is now noise;
* their blind indexes and name keys are removed (nothing finds them by search);
* their sealed columns are set to NULL and their address history and encounters
  deleted (less ciphertext lying around; it could not be opened anyway);
* their documents keep their place in the case record, without content.

What remains says that the person was erased: the ``persons`` row with its id and
its non-personal attributes, the cases (non-personal case statistics), the
``erasures`` row, and the ledger, whose events name ids, not content, and which is
never rewritten. The register beside the KEK is written first, so a restore of an
older backup shreds the person again (``shred_again``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, delete, select, update

from casevault.errors import InvalidValue, NotFound
from casevault.store import tables
from casevault.store.keys import ErasureRegister, keyring
from casevault.store.sealed import SEALED, forget_transaction_keys
from casevault.store.tables_keys import erasures, person_keys

PENDING: Final = "pending"
ERASED: Final = "erased"
BASES: Final = frozenset({"request", "retention"})


@dataclass(frozen=True, slots=True)
class ErasureRecord:
    erasure_id: str
    person_id: str
    state: str
    basis: str
    requested_by: str
    approved_by: str | None


def check_request(connection: Connection, person_id: str, *, reason: str, basis: str) -> None:
    """Refuse a request that cannot be carried out, before anything is recorded."""
    if basis not in BASES:
        raise InvalidValue(f"erasure basis must be one of {sorted(BASES)}")
    if not reason.strip():
        raise InvalidValue("an erasure needs a reason (the legal basis or the request it answers)")
    exists = connection.execute(select(tables.persons.c.person_id).where(
        tables.persons.c.person_id == person_id)).first()
    if exists is None:
        raise NotFound("person", person_id)
    if connection.execute(select(erasures.c.erasure_id).where(
            erasures.c.person_id == person_id, erasures.c.state == ERASED)).first() is not None:
        raise InvalidValue(f"person {person_id} is already erased")


def new_erasure_id() -> str:
    return str(uuid.uuid4())


def request(connection: Connection, person_id: str, *, reason: str, requested_by: str,
            basis: str, now: datetime, erasure_id: str | None = None) -> str:
    """Record an erasure request (pending a second officer's approval); returns its id."""
    check_request(connection, person_id, reason=reason, basis=basis)
    erasure_id = erasure_id or new_erasure_id()
    connection.execute(erasures.insert().values(
        erasure_id=erasure_id, person_id=person_id, state=PENDING, basis=basis,
        reason=reason.strip(), requested_by=requested_by, requested_at=now))
    return erasure_id


def pending(connection: Connection, erasure_id: str) -> ErasureRecord:
    row = connection.execute(select(
        erasures.c.erasure_id, erasures.c.person_id, erasures.c.state, erasures.c.basis,
        erasures.c.requested_by, erasures.c.approved_by).where(
        erasures.c.erasure_id == erasure_id)).first()
    if row is None:
        raise NotFound("erasure", erasure_id)
    return ErasureRecord(*row)


def complete(connection: Connection, erasure_id: str, *, approved_by: str, now: datetime,
             register: ErasureRegister) -> ErasureRecord:
    """Carry out an approved erasure: register it, then shred the person (one transaction)."""
    record = pending(connection, erasure_id)
    if record.state != PENDING:
        raise InvalidValue(f"erasure {erasure_id} is {record.state}, not pending")
    register.add(record.person_id, erasure_id)
    shred(connection, record.person_id)
    connection.execute(update(erasures).where(erasures.c.erasure_id == erasure_id).values(
        state=ERASED, approved_by=approved_by, erased_at=now))
    return pending(connection, erasure_id)


def shred(connection: Connection, person_id: str) -> None:
    """Destroy the person's data key and every sealed value and search key of theirs."""
    wrapped = connection.execute(select(person_keys.c.wrapped).where(
        person_keys.c.person_id == person_id)).scalar_one_or_none()
    if connection.dialect.name == "sqlite":  # freed pages are overwritten, not left behind
        connection.exec_driver_sql("PRAGMA secure_delete=ON")
    connection.execute(delete(person_keys).where(person_keys.c.person_id == person_id))
    forget_transaction_keys()
    if wrapped is not None:
        keyring().forget(person_id, wrapped)
    p = tables.persons
    cleared = dict.fromkeys([*SEALED["persons"].fields, "name_key", "a_number_bidx",
                             "dob_bidx"])
    connection.execute(update(p).where(p.c.person_id == person_id).values(cleared))
    connection.execute(delete(tables.person_names).where(
        tables.person_names.c.person_id == person_id))
    connection.execute(delete(tables.person_addresses).where(
        tables.person_addresses.c.person_id == person_id))
    connection.execute(delete(tables.encounters).where(
        tables.encounters.c.person_id == person_id))
    connection.execute(delete(tables.relatives).where(tables.relatives.c.person_id == person_id))
    d = tables.documents
    connection.execute(update(d).where(d.c.case_id.in_(
        select(tables.cases.c.case_id).where(tables.cases.c.person_id == person_id)))
        .values(content=None, content_sha256=None))


def shred_again(connection: Connection, erased: dict[str, str]) -> list[str]:
    """After a restore: shred every person erased since (person id → erasure id); their ids."""
    done: list[str] = []
    for person_id, erasure_id in sorted(erased.items()):
        shred(connection, person_id)
        known = connection.execute(select(erasures.c.state).where(
            erasures.c.erasure_id == erasure_id)).scalar_one_or_none()
        if known is None:
            connection.execute(erasures.insert().values(
                erasure_id=erasure_id, person_id=person_id, state=ERASED, basis="request",
                reason="(re-applied on restore)", requested_by="-", requested_at=_epoch(),
                erased_at=_epoch()))
        elif known != ERASED:
            connection.execute(update(erasures).where(erasures.c.erasure_id == erasure_id)
                               .values(state=ERASED))
        done.append(person_id)
    return done


def erased_persons(connection: Connection) -> dict[str, str]:
    """Person id → erasure id of every completed erasure in this database."""
    return {str(person_id): str(erasure_id) for person_id, erasure_id in connection.execute(
        select(erasures.c.person_id, erasures.c.erasure_id).where(erasures.c.state == ERASED))}


def _epoch() -> datetime:
    return datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def persons_exist(connection: Connection, person_ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(person_ids))
    return set(connection.execute(select(tables.persons.c.person_id).where(
        tables.persons.c.person_id.in_(wanted))).scalars())
