"""Key rotation, resumable: rewrapping data keys under a new KEK, and renewing persons' data keys.

* **KEK rotation** rewraps every wrapped key (``person_keys``, ``key_meta``) under the
  current KEK; no field is touched. Rows are rewrapped in batches, each in its own
  transaction, so an interrupted rotation leaves every row wrapped under either the
  old or the new KEK (both configured meanwhile) and a rerun picks up the rest.
* **Data-key rotation** gives a person a new data key and re-encrypts every sealed
  field of theirs in *one* transaction: a kill half-way leaves the old key and the
  old ciphertexts, never a mix. A run over many persons records when it started
  (``key_rotations``), and a rerun skips persons rotated since.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from casevault.store.keys import field_context, keyring, seal
from casevault.store.keys._ring import meta_context, person_context
from casevault.store.sealed import (
    SEALED,
    Opener,
    SealedTable,
    forget_transaction_keys,
    owner_column,
    record_id,
    sealed_select,
)
from casevault.store.tables_keys import key_meta, key_rotations, person_keys

DEFAULT_BATCH: Final = 500
Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class RotationReport:
    rotation_id: str
    done: int
    resumed: bool


def _run(connection: Connection, kind: str, target: str | None,
         now: datetime) -> tuple[str, datetime, bool]:
    """The unfinished run of this kind (to resume), else a new one."""
    found = connection.execute(select(key_rotations.c.rotation_id, key_rotations.c.started_at,
                                      key_rotations.c.target_kek_id).where(
        key_rotations.c.kind == kind, key_rotations.c.finished_at.is_(None))
        .order_by(key_rotations.c.started_at)).first()
    if found is not None and (kind != "kek" or found[2] == target):
        started = found[1] if found[1].tzinfo else found[1].replace(tzinfo=UTC)
        return str(found[0]), started, True
    rotation_id = str(uuid.uuid4())
    connection.execute(insert(key_rotations).values(rotation_id=rotation_id, kind=kind,
                                                    target_kek_id=target, started_at=now))
    return rotation_id, now, False


def _finish(engine: Engine, rotation_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(key_rotations).where(
            key_rotations.c.rotation_id == rotation_id).values(finished_at=datetime.now(UTC)))


def unfinished_kek_target(engine: Engine) -> str | None:
    """The KEK an interrupted KEK rotation was moving to (the key file must keep it current)."""
    with engine.connect() as connection:
        return connection.execute(select(key_rotations.c.target_kek_id).where(
            key_rotations.c.kind == "kek", key_rotations.c.finished_at.is_(None))).scalar()


def rotate_kek(engine: Engine, *, batch: int = DEFAULT_BATCH, throttle: float = 0.0,
               progress: Progress | None = None) -> RotationReport:
    """Rewrap every data key under the keyring's current KEK, a committed batch at a time."""
    ring = keyring()
    target = ring.kek.current_id
    with engine.begin() as connection:
        rotation_id, _, resumed = _run(connection, "kek", target, datetime.now(UTC))
        for name, wrapped, kek_id in connection.execute(select(
                key_meta.c.name, key_meta.c.wrapped, key_meta.c.kek_id).where(
                key_meta.c.kek_id != target)).all():
            key = ring.kek.unwrap(bytes(wrapped), kek_id, meta_context(name))
            rewrapped, new_id = ring.kek.wrap(key, meta_context(name))
            connection.execute(update(key_meta).where(key_meta.c.name == name).values(
                wrapped=rewrapped, kek_id=new_id))
    done = 0
    while True:
        with engine.begin() as connection:
            rows = connection.execute(select(
                person_keys.c.person_id, person_keys.c.wrapped, person_keys.c.kek_id).where(
                person_keys.c.kek_id != target).order_by(person_keys.c.person_id)
                .limit(batch)).all()
            for person_id, wrapped, kek_id in rows:
                key = ring.kek.unwrap(bytes(wrapped), kek_id, person_context(person_id))
                rewrapped, new_id = ring.kek.wrap(key, person_context(person_id))
                connection.execute(update(person_keys).where(
                    person_keys.c.person_id == person_id).values(wrapped=rewrapped,
                                                                 kek_id=new_id))
        done += len(rows)
        if progress is not None and rows:
            progress("rewrapped", done)
        if len(rows) < batch:
            break
        if throttle:
            time.sleep(throttle)
    _finish(engine, rotation_id)
    return RotationReport(rotation_id, done, resumed)


def kek_in_use(engine: Engine, kek_id: str) -> int:
    """How many wrapped keys still need this KEK (a KEK may be retired only at zero)."""
    with engine.connect() as connection:
        keys = connection.execute(select(person_keys.c.person_id).where(
            person_keys.c.kek_id == kek_id)).all()
        meta = connection.execute(select(key_meta.c.name).where(
            key_meta.c.kek_id == kek_id)).all()
    return len(keys) + len(meta)


# --- data keys ------------------------------------------------------------------------------


def rotate_data_keys(engine: Engine, person_ids: Sequence[str] | None = None, *,
                     throttle: float = 0.0, progress: Progress | None = None) -> RotationReport:
    """A new data key for each person (all when ``person_ids`` is None), fields re-encrypted."""
    with engine.begin() as connection:
        rotation_id, started, resumed = _run(connection, "dek", None, datetime.now(UTC))
    done = 0
    for person_id in _due(engine, person_ids, started):
        with engine.begin() as connection:
            rotate_person_key(connection, person_id)
        done += 1
        if progress is not None:
            progress("rotated", done)
        if throttle:
            time.sleep(throttle)
    _finish(engine, rotation_id)
    return RotationReport(rotation_id, done, resumed)


def _due(engine: Engine, person_ids: Sequence[str] | None, started: datetime) -> list[str]:
    pending = or_(person_keys.c.rotated_at.is_(None) & (person_keys.c.created_at < started),
                  person_keys.c.rotated_at < started)
    query = select(person_keys.c.person_id).where(pending).order_by(person_keys.c.person_id)
    if person_ids is not None:
        query = query.where(person_keys.c.person_id.in_(sorted(set(person_ids))))
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def rotate_person_key(connection: Connection, person_id: str) -> None:
    """Re-encrypt every sealed field of one person under a new data key (one transaction)."""
    ring = keyring()
    cipher, wrapped, kek_id = ring.new_data_key(person_id)
    for spec in SEALED.values():
        _reseal(connection, spec, person_id, cipher)
    old = connection.execute(select(person_keys.c.wrapped).where(
        person_keys.c.person_id == person_id)).scalar_one()
    connection.execute(update(person_keys).where(person_keys.c.person_id == person_id).values(
        wrapped=wrapped, kek_id=kek_id, rotated_at=datetime.now(UTC)))
    ring.forget(person_id, old)
    forget_transaction_keys()


def _reseal(connection: Connection, spec: SealedTable, person_id: str, cipher: Any) -> None:
    names = [*spec.record_id, *sorted(spec.fields)]
    columns = [spec.table.c[name] for name in names]
    opener = Opener(spec, names)
    rows = connection.execute(sealed_select(spec, columns).where(
        owner_column(spec) == person_id)).all()
    for row in rows:
        values = opener.open(connection, row)
        ids = values[:len(spec.record_id)]
        rid = record_id(ids)
        changes: dict[str, Any] = {}
        for name, value in zip(names[len(spec.record_id):], values[len(spec.record_id):],
                               strict=True):
            if value is not None:
                plain = value if isinstance(value, bytes) else str(value).encode()
                changes[name] = seal(cipher, plain, field_context(spec.name, rid, name))
        if changes:
            key = and_(*(spec.table.c[name] == row[i] for i, name in enumerate(spec.record_id)))
            connection.execute(update(spec.table).where(key).values(changes))
