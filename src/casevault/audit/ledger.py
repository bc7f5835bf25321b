"""The ledger: an RFC 9162 Merkle log of access events, stored in the casevault database.

Appends use group commit: concurrent callers queue their events, one of them (the
leader) writes the whole queue in one transaction, and every caller returns only
after that transaction has committed (invariant 2: audit before answer). If the
write fails, every caller in the batch gets ``LedgerUnavailable`` and must refuse
the access it was about to grant (fail closed).

The tree is stored as the leaf hashes (one per event row) plus the hash of every
complete, aligned subtree (``ledger_nodes``), so an append writes one event row and
on average one node row, and any proof needs the hashes of O(log n) blocks, fetched
in one statement (see ``_tree_store``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Engine, func, select

from casevault.audit import merkle
from casevault.audit._leaf import leaf_bytes, list_encoder
from casevault.audit._tree_store import TreeReader
from casevault.audit.checkpoint import Checkpoint, Signer, Verifier
from casevault.audit.events import Action, Event, EventDraft, Result, format_at
from casevault.errors import ConfigError, LedgerUnavailable, ProofInvalid
from casevault.store import tables
from casevault.store.rows import instant_for_sqlite, instant_from_store, list_from_store
from casevault.store.tables import LIST_SEPARATOR

MAX_BATCH: Final = 5_000
_PERSON_CACHE_LIMIT: Final = 200_000
_PG_LOCK_KEY: Final = 0x6361_7365_7661  # "casevault" ledger writer lock
_GATHER_SHARE: Final = 0.5
"""A leader waits for its peers at most this share of a recent write (see ``_gather``)."""
_GATHER_CAP_S: Final = 0.002

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Pending:
    draft: EventDraft
    first_of_call: bool = False
    event: Event | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass(slots=True)
class _Sealed:
    """A batch ready to insert: its events, their rows, the new tree state and chain heads."""

    events: list[Event]
    rows: list[tuple[Any, ...]]
    nodes: list[tuple[int, int, bytes]]
    state: _TreeState
    heads: dict[str, bytes]


@dataclass(slots=True)
class _TreeState:
    """The log's size and the hashes of the complete subtrees along its right edge."""

    size: int = 0
    edge: list[tuple[int, bytes]] = field(default_factory=list)

    def copy(self) -> _TreeState:
        return _TreeState(self.size, list(self.edge))

    def append(self, leaf_hash: bytes, new_nodes: list[tuple[int, int, bytes]]) -> None:
        """Add one leaf; every subtree it completes goes into ``new_nodes``."""
        level, current = 0, leaf_hash
        index = self.size
        while self.edge and self.edge[-1][0] == level:
            _, left = self.edge.pop()
            current = merkle.node_hash(left, current)
            level += 1
            index >>= 1
            new_nodes.append((level, index, current))
        self.edge.append((level, current))
        self.size += 1

    def root(self) -> bytes:
        if not self.edge:
            return merkle.EMPTY_ROOT
        current = self.edge[-1][1]
        for _, left in reversed(self.edge[:-1]):
            current = merkle.node_hash(left, current)
        return current


class Ledger:
    """The audit ledger of one casevault database.

    One ``Ledger`` per process and database: it keeps the right edge of the tree
    and recent per-person chain heads in memory, and checks under the database's
    writer lock, before each batch, that no other process has appended meanwhile
    (if one has, it reloads).
    """

    def __init__(self, engine: Engine, *, signer: Signer | None = None, clock: Clock = utc_now,
                 checkpoint_every: timedelta | None = None) -> None:
        self._engine = engine
        self._signer = signer
        self._clock = clock
        self._checkpoint_every = checkpoint_every
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        """Signalled when a batch has been written (or has failed)."""
        self._arrived = threading.Condition(self._lock)
        """Signalled when a caller queues events (a gathering leader counts them)."""
        self._queue: list[_Pending] = []
        self._queued_calls = 0
        self._last_batch_calls = 0
        self._write_seconds = 0.0
        self._flushing = False
        self._writer: Connection | None = None
        self._state: _TreeState | None = None
        self._person_heads: dict[str, bytes] = {}
        self._last_checkpoint_at: datetime | None = None
        self._encoder = list_encoder()
        self._reader_lock = threading.Lock()
        self._reader: Connection | None = None

    # --- appending ---------------------------------------------------------------------

    def append(self, draft: EventDraft) -> Event:
        """Append one event; returns once it is committed, or raises ``LedgerUnavailable``."""
        return self.append_many([draft])[0]

    def append_many(self, drafts: Sequence[EventDraft]) -> list[Event]:
        """Append events in order; returns once all are committed, or raises ``LedgerUnavailable``.

        Batches are taken from the front of the queue, so this call's last event
        is written last: when it is done, all of them are.
        """
        pendings = [_Pending(draft) for draft in drafts]
        if not pendings:
            return []
        pendings[0].first_of_call = True
        last = pendings[-1]
        with self._lock:
            self._queue.extend(pendings)
            self._queued_calls += 1
            self._arrived.notify()
            while not last.done:
                if self._flushing:
                    self._done.wait()
                    continue
                self._lead_one_flush()
        failed = next((p.error for p in pendings if p.error is not None), None)
        if failed is not None:
            msg = ("the audit ledger could not record this access, so it was refused; "
                   "try again, and tell the system administrator if it persists")
            raise LedgerUnavailable(msg) from failed
        return [p.event for p in pendings if p.event is not None]

    def _lead_one_flush(self) -> None:
        """Called with the lock held: gather, take a batch, write it unlocked, wake everyone."""
        self._flushing = True
        self._gather()
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        calls = sum(1 for pending in batch if pending.first_of_call)
        self._queued_calls -= calls
        self._last_batch_calls = calls
        self._lock.release()
        try:
            started = time.perf_counter()
            self._flush(batch)
            self._write_seconds = time.perf_counter() - started
        finally:
            self._lock.acquire()
            self._flushing = False
            self._done.notify_all()

    def _gather(self) -> None:
        """Wait briefly, lock held, for the callers the last batch had (group commit's delay).

        Each caller has one event in flight and returns only when its batch has
        committed, so when a batch ends all its callers come back at once, and
        the first would otherwise write alone while the rest queue behind it:
        batches alternate between one event and the rest. Waiting until as many
        callers are queued as the last batch held (at most half a recent write,
        capped at 2 ms) keeps them together. A lone caller never waits, and a
        caller that stops shrinks the next batch, hence the next wait.
        """
        target = self._last_batch_calls
        if target <= 1 or self._queued_calls >= target:
            return
        deadline = time.monotonic() + min(_GATHER_SHARE * self._write_seconds, _GATHER_CAP_S)
        while self._queued_calls < target and len(self._queue) < MAX_BATCH:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._arrived.wait(remaining):
                return

    def _flush(self, batch: list[_Pending]) -> None:
        try:
            sealed = self._write(batch)
        except Exception as exc:  # noqa: BLE001 -- any failure to record refuses the access
            self._discard_writer()
            for pending in batch:
                pending.error, pending.done = exc, True
            return
        self._state = sealed.state
        self._remember_heads(sealed.heads)
        for pending, event in zip(batch, sealed.events, strict=True):
            pending.event, pending.done = event, True
        self._maybe_checkpoint()

    def _write(self, batch: list[_Pending]) -> _Sealed:
        """One transaction on the writer's driver connection: lock, check, seal, insert, commit.

        The hot path runs on the DB-API connection itself (explicit ``BEGIN
        IMMEDIATE``/``COMMIT`` on SQLite, an advisory transaction lock on
        PostgreSQL): SQLAlchemy's per-statement machinery would cost more than
        the statements. On PostgreSQL it is two round trips: the lock with the
        reads that must follow it, then the inserts with the commit.
        """
        connection = self._writer_connection()
        driver: Any = connection.connection.dbapi_connection
        sqlite = connection.dialect.name == "sqlite"
        persons = {p.draft.person_id for p in batch if p.draft.person_id is not None}
        try:
            stored_size, found_heads = _begin(driver, sqlite, persons - self._person_heads.keys())
            state = self._current_state(TreeReader(driver, sqlite=sqlite), stored_size)
            heads = self._chain_heads(driver, sqlite, persons, found_heads)
            sealed = self._sealed(batch, state.copy(), heads, sqlite=sqlite)
            _insert_and_commit(driver, sqlite, sealed.rows, sealed.nodes)
        except BaseException:
            driver.rollback()
            raise
        return sealed

    def _sealed(self, batch: list[_Pending], state: _TreeState, heads: dict[str, bytes], *,
                sqlite: bool) -> _Sealed:
        """Give each draft its position, id, time and chain link; hash its leaf; make its row.

        What a batch shares is worked out once: its time (as leaf text and as the
        stored value) and the randomness of its event ids.
        """
        now = self._clock()
        at_text = format_at(now)
        stored_at: Any = instant_for_sqlite(now) if sqlite else now
        encoder, sha256 = self._encoder, hashlib.sha256
        sealed = _Sealed([], [], [], state, heads)
        for pending, event_id in zip(batch, uuid4_texts(os.urandom(16 * len(batch))),
                                     strict=True):
            draft = pending.draft
            seq = state.size
            person = draft.person_id
            previous = heads.get(person) if person is not None else None
            leaf = leaf_bytes(encoder, seq, event_id, at_text, draft.action, draft.result,
                              draft.user_id, draft.session_id, draft.device_id, draft.ip, person,
                              draft.case_id, draft.categories, draft.purpose,
                              draft.justification, draft.record_count, draft.policy_ids,
                              draft.query_hmac, draft.detail, previous)
            digest = sha256(b"\x00" + leaf).digest()  # merkle.leaf_hash, via OpenSSL's SHA-NI
            if person is not None:
                heads[person] = digest
            state.append(digest, sealed.nodes)
            sealed.events.append(Event(
                seq, event_id, now, draft.action, draft.result, draft.user_id, draft.session_id,
                draft.device_id, draft.ip, person, draft.case_id, draft.categories,
                draft.purpose, draft.justification, draft.record_count, draft.policy_ids,
                draft.query_hmac, dict(draft.detail), previous, digest))
            sealed.rows.append((
                seq, event_id, stored_at, draft.action.value, draft.result.value, draft.user_id,
                draft.session_id, draft.device_id, draft.ip, person, draft.case_id,
                LIST_SEPARATOR.join(draft.categories), draft.purpose, draft.justification,
                draft.record_count, LIST_SEPARATOR.join(draft.policy_ids), draft.query_hmac,
                json.dumps(draft.detail, sort_keys=True) if draft.detail else "{}",
                previous, digest))
        return sealed

    def _writer_connection(self) -> Connection:
        """The ledger's own connection, detached from the pool (its driver settings differ)."""
        if self._writer is None:
            connection = self._engine.connect()
            connection.detach()  # closed, not pooled, when the ledger lets go of it
            driver: Any = connection.connection.dbapi_connection
            if connection.dialect.name == "sqlite":
                driver.isolation_level = None  # we issue BEGIN IMMEDIATE / COMMIT ourselves
                driver.execute("PRAGMA synchronous=FULL")  # a committed event survives power loss
            self._writer = connection
        return self._writer

    def _discard_writer(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):  # already failing; the connection is dropped
                self._writer.close()
            self._writer = None
        self._state = None
        self._person_heads.clear()

    def _current_state(self, reader: TreeReader, stored_size: int) -> _TreeState:
        """Our in-memory edge if the stored log still has our size; reloaded otherwise.

        Reloading also forgets the cached chain heads: another writer has moved them.
        """
        if self._state is not None and self._state.size == stored_size:
            return self._state
        self._person_heads.clear()
        blocks = merkle.aligned_blocks(0, stored_size) if stored_size else []
        _, hashes = reader.block_hashes(blocks)
        return _TreeState(stored_size, [(level, hashes[(level, index)])
                                        for level, index in blocks])

    def _chain_heads(self, driver: Any, sqlite: bool, person_ids: set[str],
                     found: dict[str, bytes | None]) -> dict[str, bytes]:
        """Each person's newest leaf hash: cached, read with the lock (``found``), or read now.

        ``found`` holds what was read with the lock for the persons not cached
        then (None: no event yet); whoever the cache has lost since is read now.
        """
        heads = {p: self._person_heads[p] for p in person_ids if p in self._person_heads}
        missing = person_ids - heads.keys() - found.keys()
        if missing:
            found = {**found, **_stored_chain_heads(driver, sqlite, missing)}
        heads.update((person, digest) for person, digest in found.items()
                     if person in person_ids and digest is not None and person not in heads)
        return heads

    def _remember_heads(self, heads: dict[str, bytes]) -> None:
        if len(self._person_heads) + len(heads) > _PERSON_CACHE_LIMIT:
            self._person_heads.clear()
        self._person_heads.update(heads)

    # --- checkpoints ---------------------------------------------------------------------

    def _maybe_checkpoint(self) -> None:
        if self._signer is None or self._checkpoint_every is None:
            return
        now = self._clock()
        if self._last_checkpoint_at is None:
            self._last_checkpoint_at = self._latest_checkpoint_time() or datetime.min.replace(
                tzinfo=UTC)
        if now - self._last_checkpoint_at >= self._checkpoint_every:
            self.issue_checkpoint()

    def _latest_checkpoint_time(self) -> datetime | None:
        with self._engine.connect() as connection:
            found = connection.execute(select(func.max(tables.ledger_checkpoints.c.issued_at)))
            value = found.scalar()
        return None if value is None else instant_from_store(value)

    def origin(self) -> str:
        """The log's name in its checkpoints; fixed when the first checkpoint is issued."""
        with self._engine.connect() as connection:
            return _meta(connection).get("origin") or ""

    def verifier(self) -> Verifier:
        """The public key checkpoints of this log verify with (from the database)."""
        with self._engine.connect() as connection:
            vkey = _meta(connection).get("vkey")
        if vkey is None:
            msg = ("this ledger has no signed checkpoint yet: "
                   "run `casevault audit checkpoint --issue`")
            raise ConfigError(msg)
        return Verifier.from_vkey(vkey)

    @property
    def signer(self) -> Signer:
        """The key that signs this log's checkpoints (and reports built on them)."""
        if self._signer is None:
            msg = "no ledger signing key is configured (CASEVAULT_LEDGER_KEY or the key file)"
            raise ConfigError(msg)
        return self._signer

    def issue_checkpoint(self) -> str:
        """Sign the current tree head and keep it; returns the signed note."""
        signer = self.signer
        with self._engine.connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
            origin = self._bind_signer(connection, signer)
            reader = TreeReader(connection.connection.dbapi_connection,
                                sqlite=connection.dialect.name == "sqlite")
            size = reader.stored_size()
            root = _root(reader, size)
            note = signer.sign_checkpoint(Checkpoint(origin, size, root))
            now = self._clock()
            existing = connection.execute(select(tables.ledger_checkpoints.c.note).where(
                tables.ledger_checkpoints.c.size == size)).scalar()
            if existing is not None:
                return str(existing)
            connection.execute(tables.ledger_checkpoints.insert().values(
                size=size, root=root, issued_at=now, note=note))
        self._last_checkpoint_at = now
        return note

    @staticmethod
    def _bind_signer(connection: Connection, signer: Signer) -> str:
        """The first checkpoint fixes the log's origin and key; later ones must match."""
        meta = _meta(connection)
        vkey = signer.verifier_key()
        if not meta:
            origin = signer.verifier().name
            connection.execute(tables.ledger_meta.insert(), [
                {"name": "origin", "value": origin}, {"name": "vkey", "value": vkey}])
            return origin
        if meta.get("vkey") != vkey:
            msg = ("the configured ledger signing key is not the key this ledger was started "
                   "with; restore the original key file")
            raise ConfigError(msg)
        return meta["origin"]

    def checkpoints(self) -> list[tuple[int, str]]:
        """Every signed checkpoint, oldest first, as (size, note)."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(tables.ledger_checkpoints.c.size,
                                             tables.ledger_checkpoints.c.note)
                                      .order_by(tables.ledger_checkpoints.c.size))
            return [(int(size), str(note)) for size, note in rows]

    def latest_checkpoint(self) -> str | None:
        found = self.checkpoints()
        return found[-1][1] if found else None

    # --- reading the log -------------------------------------------------------------------

    @contextlib.contextmanager
    def _tree_reader(self) -> Iterator[TreeReader]:
        """A driver connection in autocommit: a proof is then one statement, one round trip.

        The ledger keeps one such connection of its own (no pool checkout and
        reset per proof, and its prepared statement stays); a caller that finds
        it busy borrows one from the pool instead. (On PostgreSQL a transaction
        would add BEGIN and ROLLBACK round trips; one statement reads one
        snapshot on its own. SQLite connections are in autocommit already.)
        """
        if not self._reader_lock.acquire(blocking=False):
            with self._pooled_tree_reader() as reader:
                yield reader
            return
        try:
            if self._reader is None:
                self._reader = _autocommit(self._engine.connect())
            yield TreeReader(self._reader.connection.dbapi_connection,
                             sqlite=self._engine.dialect.name == "sqlite")
        except (ProofInvalid, ValueError):
            raise  # a question the log cannot answer; the connection is fine
        except BaseException:
            self._close_reader()  # perhaps a broken connection: the next proof opens another
            raise
        finally:
            self._reader_lock.release()

    @contextlib.contextmanager
    def _pooled_tree_reader(self) -> Iterator[TreeReader]:
        raw = self._engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            sqlite = self._engine.dialect.name == "sqlite"
            if not sqlite:
                driver.autocommit = True
            try:
                yield TreeReader(driver, sqlite=sqlite)
            finally:
                if not sqlite:
                    driver.autocommit = False
        finally:
            raw.close()

    def _close_reader(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(Exception):  # closing what may already be broken
                self._reader.close()
            self._reader = None

    def size(self) -> int:
        with self._tree_reader() as reader:
            return reader.stored_size()

    def root(self, size: int | None = None) -> bytes:
        with self._tree_reader() as reader:
            return _root(reader, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        with self._tree_reader() as reader:
            return reader.range_hashes(lambda at: merkle.inclusion_ranges(index, at), size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        with self._tree_reader() as reader:
            return reader.range_hashes(lambda at: merkle.consistency_ranges(size1, at), size2)

    def events(self, *, person_id: str | None = None, since: datetime | None = None,
               until_size: int | None = None, batch: int = 10_000) -> Iterator[Event]:
        """Stored events in log order, optionally one person's or from a time on."""
        table = tables.ledger_events
        statement = select(*table.columns).order_by(table.c.seq)
        if person_id is not None:
            statement = statement.where(table.c.person_id == person_id)
        if since is not None:
            statement = statement.where(table.c.at >= since)
        if until_size is not None:
            statement = statement.where(table.c.seq < until_size)
        with self._engine.connect() as connection:
            result = connection.execute(statement.execution_options(stream_results=True,
                                                                    yield_per=batch))
            for row in result:
                yield event_from_row(row)

    def close(self) -> None:
        with self._lock:
            self._discard_writer()
        with self._reader_lock:
            self._close_reader()


def uuid4_texts(randomness: bytes) -> list[str]:
    """Version 4 UUIDs as text, one per 16 bytes: ``str(uuid.UUID(bytes=..., version=4))``.

    The same bits set the same way (version 4, RFC 4122 variant), without a UUID
    object per event, which costs more than hashing the event's leaf.
    """
    raw = bytearray(randomness)
    raw[6::16] = bytes((byte & 0x0F) | 0x40 for byte in raw[6::16])
    raw[8::16] = bytes((byte & 0x3F) | 0x80 for byte in raw[8::16])
    text = raw.hex()
    return [f"{text[at:at + 8]}-{text[at + 8:at + 12]}-{text[at + 12:at + 16]}-"
            f"{text[at + 16:at + 20]}-{text[at + 20:at + 32]}" for at in range(0, len(text), 32)]


def _autocommit(connection: Connection) -> Connection:
    """``connection``, detached from the pool (it is the ledger's), in autocommit on PostgreSQL."""
    connection.detach()
    if connection.dialect.name != "sqlite":
        driver: Any = connection.connection.dbapi_connection
        driver.autocommit = True
    return connection


def _root(reader: TreeReader, size: int | None) -> bytes:
    """MTH of the first ``size`` leaves (default: all): the empty-tree hash for none."""
    found = reader.range_hashes(lambda at: [(0, at)] if at else [], size)
    return found[0] if found else merkle.EMPTY_ROOT


def _begin(driver: Any, sqlite: bool,
           uncached: set[str]) -> tuple[int, dict[str, bytes | None]]:
    """Take the writer lock; then read the stored size and the chain heads not cached.

    The reads come after the lock (on PostgreSQL each statement sees what was
    committed before it started), so no other writer can move them before we
    commit. On PostgreSQL the three go out as one pipeline: one round trip.
    """
    if sqlite:
        driver.execute("BEGIN IMMEDIATE")
        return TreeReader(driver, sqlite=True).stored_size(), _stored_chain_heads(
            driver, sqlite, uncached)
    ordered = sorted(uncached)
    with driver.pipeline():
        driver.execute(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        size = driver.execute("SELECT max(seq) FROM ledger_events")
        heads = driver.execute(_PG_CHAIN_HEADS, (ordered,), prepare=True) if ordered else None
    found = size.fetchone()[0]
    return (0 if found is None else int(found) + 1,
            _heads_found(ordered, [] if heads is None else heads.fetchall()))


_EVENT_COLUMNS: Final = [c.name for c in tables.ledger_events.columns]


def _insert_and_commit(driver: Any, sqlite: bool, rows: list[tuple[Any, ...]],
                       nodes: list[tuple[int, int, bytes]]) -> None:
    """Insert a sealed batch and commit it (on PostgreSQL in one pipeline: one round trip)."""
    marker = "?" if sqlite else "%s"
    events_sql = (f"INSERT INTO {tables.ledger_events.name} ({', '.join(_EVENT_COLUMNS)}) "
                  f"VALUES ({', '.join(marker for _ in _EVENT_COLUMNS)})")
    nodes_sql = (f"INSERT INTO {tables.ledger_nodes.name} (level, idx, hash) "
                 f"VALUES ({marker}, {marker}, {marker})")
    with contextlib.nullcontext() if sqlite else driver.pipeline():
        cursor = driver.cursor()
        try:
            cursor.executemany(events_sql, rows)
            if nodes:
                cursor.executemany(nodes_sql, nodes)
        finally:
            cursor.close()
        driver.commit()


_PG_CHAIN_HEADS: Final = (
    "SELECT p.person_id, e.leaf_hash FROM unnest(%s::text[]) AS p(person_id) "
    "CROSS JOIN LATERAL (SELECT leaf_hash FROM ledger_events AS l "
    "WHERE l.person_id = p.person_id ORDER BY seq DESC LIMIT 1) AS e")


def _heads_found(asked: Sequence[str], rows: Sequence[Any]) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = dict.fromkeys(asked)
    found.update((str(person), bytes(digest)) for person, digest in rows)
    return found


def _stored_chain_heads(driver: Any, sqlite: bool,
                        person_ids: set[str]) -> dict[str, bytes | None]:
    """Each person's newest leaf hash (None if none yet): a primary-key-ordered probe each.

    On PostgreSQL all probes go in one statement (one round trip); SQLite has no
    round trips to save.
    """
    ordered = sorted(person_ids)
    if not ordered:
        return {}
    if not sqlite:
        return _heads_found(ordered, driver.execute(_PG_CHAIN_HEADS, (ordered,),
                                                    prepare=True).fetchall())
    rows = []
    for person_id in ordered:
        found = driver.execute("SELECT leaf_hash FROM ledger_events WHERE person_id = ? "
                               "ORDER BY seq DESC LIMIT 1", (person_id,)).fetchone()
        if found is not None:
            rows.append((person_id, found[0]))
    return _heads_found(ordered, rows)


def _meta(connection: Connection) -> dict[str, str]:
    rows = connection.execute(select(tables.ledger_meta.c.name, tables.ledger_meta.c.value))
    return {str(name): str(value) for name, value in rows}


def event_from_row(row: Sequence[Any]) -> Event:
    """A stored event from a ``ledger_events`` row in column order (as stored: may be tampered)."""
    (seq, event_id, at, action, result, user_id, session_id, device_id, ip, person_id, case_id,
     categories, purpose, justification, record_count, policy_ids, query_hmac, detail,
     person_prev_hash, leaf_hash) = row
    return Event(int(seq), str(event_id), instant_from_store(at), Action(action), Result(result),
                 user_id, session_id, device_id, ip, person_id, case_id,
                 list_from_store(categories), purpose, justification, int(record_count),
                 list_from_store(policy_ids), query_hmac,
                 json.loads(detail), None if person_prev_hash is None else bytes(person_prev_hash),
                 bytes(leaf_hash))

