"""The ledger: an RFC 9162 Merkle log of access events, stored in the casevault database.

Appends use group commit: concurrent callers queue their events, one of them (the
leader) writes the whole queue in one transaction, and every caller returns only
after that transaction has committed (invariant 2: audit before answer). If the
write fails, every caller in the batch gets ``LedgerUnavailable`` and must refuse
the access it was about to grant (fail closed).

The tree is stored as the leaf hashes (one per event row) plus the hash of every
complete, aligned subtree (``ledger_nodes``), so an append writes one event row and
on average one node row, and any proof needs the hashes of O(log n) blocks, fetched
in two queries.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Engine, func, select

from casevault.audit import merkle
from casevault.audit.checkpoint import Checkpoint, Signer, Verifier
from casevault.audit.events import Action, Event, EventDraft, Result, encode_leaf
from casevault.errors import ConfigError, LedgerUnavailable, ProofInvalid
from casevault.store import tables
from casevault.store.rows import instant_for_sqlite, instant_from_store, list_from_store
from casevault.store.tables import LIST_SEPARATOR

MAX_BATCH: Final = 5_000
_PERSON_CACHE_LIMIT: Final = 200_000
_PG_LOCK_KEY: Final = 0x6361_7365_7661  # "casevault" ledger writer lock

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Pending:
    draft: EventDraft
    event: Event | None = None
    error: BaseException | None = None
    done: bool = False


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
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._flushing = False
        self._writer: Connection | None = None
        self._state: _TreeState | None = None
        self._person_heads: dict[str, bytes] = {}
        self._last_checkpoint_at: datetime | None = None

    # --- appending ---------------------------------------------------------------------

    def append(self, draft: EventDraft) -> Event:
        """Append one event; returns once it is committed, or raises ``LedgerUnavailable``."""
        return self.append_many([draft])[0]

    def append_many(self, drafts: Sequence[EventDraft]) -> list[Event]:
        pendings = [_Pending(draft) for draft in drafts]
        with self._cond:
            self._queue.extend(pendings)
            while not all(p.done for p in pendings):
                if self._flushing:
                    self._cond.wait()
                    continue
                self._lead_one_flush()
        failed = next((p.error for p in pendings if p.error is not None), None)
        if failed is not None:
            msg = ("the audit ledger could not record this access, so it was refused; "
                   "try again, and tell the system administrator if it persists")
            raise LedgerUnavailable(msg) from failed
        return [p.event for p in pendings if p.event is not None]

    def _lead_one_flush(self) -> None:
        """Called with the condition held: take the queue, write it unlocked, wake everyone."""
        self._flushing = True
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        self._cond.release()
        try:
            self._flush(batch)
        finally:
            self._cond.acquire()
            self._flushing = False
            self._cond.notify_all()

    def _flush(self, batch: list[_Pending]) -> None:
        try:
            events, new_state, heads = self._write(batch)
        except Exception as exc:  # noqa: BLE001 -- any failure to record refuses the access
            self._discard_writer()
            for pending in batch:
                pending.error, pending.done = exc, True
            return
        self._state = new_state
        self._remember_heads(heads)
        for pending, event in zip(batch, events, strict=True):
            pending.event, pending.done = event, True
        self._maybe_checkpoint()

    def _write(self, batch: list[_Pending]) -> tuple[list[Event], _TreeState, dict[str, bytes]]:
        """One transaction on the writer's driver connection: check, seal, insert, commit.

        The hot path runs on the DB-API connection itself (explicit ``BEGIN
        IMMEDIATE``/``COMMIT`` on SQLite, an advisory transaction lock on
        PostgreSQL): SQLAlchemy's per-statement machinery would cost more than
        the statements.
        """
        connection = self._writer_connection()
        driver: Any = connection.connection.dbapi_connection
        sqlite = connection.dialect.name == "sqlite"
        driver.execute("BEGIN IMMEDIATE" if sqlite
                       else f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        try:
            state = self._current_state(connection)
            new_state = state.copy()
            heads = self._chain_heads(connection, {p.draft.person_id for p in batch
                                                   if p.draft.person_id is not None})
            events: list[Event] = []
            nodes: list[tuple[int, int, bytes]] = []
            now = self._clock()
            for pending in batch:
                event = self._sealed(pending.draft, new_state.size, now, heads)
                new_state.append(event.leaf_hash, nodes)
                events.append(event)
            _insert(driver, sqlite, events, nodes)
        except BaseException:
            driver.rollback()
            raise
        driver.commit()
        return events, new_state, heads

    def _sealed(self, draft: EventDraft, seq: int, now: datetime,
                heads: dict[str, bytes]) -> Event:
        """Give a draft its position, id, time and chain link, and hash its leaf."""
        previous = heads.get(draft.person_id) if draft.person_id is not None else None
        event_id = str(uuid.uuid4())
        leaf = encode_leaf(seq, event_id, now, draft.action, draft.result, draft.user_id,
                           draft.session_id, draft.device_id, draft.ip, draft.person_id,
                           draft.case_id, draft.categories, draft.purpose, draft.justification,
                           draft.record_count, draft.policy_ids, draft.query_hmac, draft.detail,
                           previous)
        leaf_hash = merkle.leaf_hash(leaf)
        if draft.person_id is not None:
            heads[draft.person_id] = leaf_hash
        return Event(seq, event_id, now, draft.action, draft.result, draft.user_id,
                     draft.session_id, draft.device_id, draft.ip, draft.person_id,
                     draft.case_id, draft.categories, draft.purpose, draft.justification,
                     draft.record_count, draft.policy_ids, draft.query_hmac,
                     dict(draft.detail), previous, leaf_hash)

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

    def _current_state(self, connection: Connection) -> _TreeState:
        """Our in-memory edge if the stored log still has our size; reloaded otherwise."""
        stored_size = _stored_size(connection)
        if self._state is not None and self._state.size == stored_size:
            return self._state
        self._person_heads.clear()
        blocks = merkle.aligned_blocks(0, stored_size) if stored_size else []
        hashes = _block_hashes(connection, blocks)
        return _TreeState(stored_size, [(level, hashes[(level, index)])
                                        for level, index in blocks])

    def _chain_heads(self, connection: Connection, person_ids: set[str]) -> dict[str, bytes]:
        heads = {p: self._person_heads[p] for p in person_ids if p in self._person_heads}
        missing = person_ids - heads.keys()
        if missing:
            heads.update(_stored_chain_heads(connection, missing))
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
            size = _stored_size(connection)
            root = _root_at(connection, size)
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

    def size(self) -> int:
        with self._engine.connect() as connection:
            return _stored_size(connection)

    def root(self, size: int | None = None) -> bytes:
        with self._engine.connect() as connection:
            stored = _stored_size(connection)
            return _root_at(connection, stored if size is None else _within(size, stored))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        with self._engine.connect() as connection:
            stored = _stored_size(connection)
            size = stored if size is None else _within(size, stored)
            return _proof(connection, merkle.inclusion_ranges(index, size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        with self._engine.connect() as connection:
            stored = _stored_size(connection)
            size2 = stored if size2 is None else _within(size2, stored)
            return _proof(connection, merkle.consistency_ranges(size1, size2))

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
        with self._cond:
            self._discard_writer()


def _within(size: int, stored: int) -> int:
    if not 0 <= size <= stored:
        msg = f"the ledger has {stored} events; size {size} is out of range"
        raise ProofInvalid(msg)
    return size


def _driver_rows(connection: Connection, sql: str, arguments: Sequence[Any]) -> list[Any]:
    """Run a small hand-written query on the driver connection (proofs are a hot path).

    Statements here vary in their number of parameters, which would make SQLAlchemy
    compile each one afresh; the SQL is simple enough to write once per dialect.
    """
    if connection.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    driver: Any = connection.connection.dbapi_connection
    rows: list[Any] = driver.execute(sql, tuple(arguments)).fetchall()
    return rows


_EVENT_COLUMNS: Final = [c.name for c in tables.ledger_events.columns]


def _insert(driver: Any, sqlite: bool, events: list[Event],
            nodes: list[tuple[int, int, bytes]]) -> None:
    marker = "?" if sqlite else "%s"
    cursor = driver.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {tables.ledger_events.name} ({', '.join(_EVENT_COLUMNS)}) "
            f"VALUES ({', '.join(marker for _ in _EVENT_COLUMNS)})",
            [_event_row(event, sqlite=sqlite) for event in events])
        if nodes:
            cursor.executemany(
                f"INSERT INTO {tables.ledger_nodes.name} (level, idx, hash) "
                f"VALUES ({marker}, {marker}, {marker})", nodes)
    finally:
        cursor.close()


def _stored_size(connection: Connection) -> int:
    found = _driver_rows(connection, "SELECT max(seq) FROM ledger_events", ())[0][0]
    return 0 if found is None else int(found) + 1


def _block_hashes(connection: Connection,
                  blocks: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Hashes of aligned blocks: leaves from the events, larger blocks from the nodes.

    At most two queries, each on a primary key: ``seq IN (...)`` for leaves and, per
    level, ``level = ? AND idx IN (...)`` for larger blocks (a row-value IN list would
    make SQLite scan the whole table).
    """
    wanted = set(blocks)
    leaves = sorted(index for level, index in wanted if level == 0)
    by_level: dict[int, list[int]] = {}
    for level, index in sorted(block for block in wanted if block[0] > 0):
        by_level.setdefault(level, []).append(index)
    found: dict[tuple[int, int], bytes] = {}
    if leaves:
        marks = ", ".join("?" for _ in leaves)
        for seq, digest in _driver_rows(
                connection, f"SELECT seq, leaf_hash FROM ledger_events WHERE seq IN ({marks})",
                leaves):
            found[(0, int(seq))] = bytes(digest)
    if by_level:
        conditions = " OR ".join(f"(level = ? AND idx IN ({', '.join('?' for _ in indexes)}))"
                                 for indexes in by_level.values())
        arguments = [value for level, indexes in by_level.items() for value in (level, *indexes)]
        for level, index, digest in _driver_rows(
                connection, f"SELECT level, idx, hash FROM ledger_nodes WHERE {conditions}",
                arguments):
            found[(int(level), int(index))] = bytes(digest)
    missing = wanted - found.keys()
    if missing:
        level, index = min(missing, key=lambda block: block[1] << block[0])
        msg = f"the ledger is missing the hash of leaves from index {index << level}"
        raise ProofInvalid(msg)
    return found


def _proof(connection: Connection, ranges: list[tuple[int, int]]) -> list[bytes]:
    blocks = [block for start, end in ranges for block in merkle.aligned_blocks(start, end)]
    hashes = _block_hashes(connection, blocks)

    def block_hash(level: int, index: int) -> bytes:
        return hashes[(level, index)]

    return [merkle.range_hash_from_blocks(start, end, block_hash) for start, end in ranges]


def _root_at(connection: Connection, size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return _proof(connection, [(0, size)])[0]


def _stored_chain_heads(connection: Connection, person_ids: set[str]) -> dict[str, bytes]:
    """The newest leaf hash of each person's chain: one primary-key-ordered probe per person."""
    heads = {}
    for person_id in sorted(person_ids):
        rows = _driver_rows(connection, "SELECT leaf_hash FROM ledger_events WHERE person_id = ? "
                            "ORDER BY seq DESC LIMIT 1", (person_id,))
        if rows:
            heads[person_id] = bytes(rows[0][0])
    return heads


def _meta(connection: Connection) -> dict[str, str]:
    rows = connection.execute(select(tables.ledger_meta.c.name, tables.ledger_meta.c.value))
    return {str(name): str(value) for name, value in rows}


def _event_row(event: Event, *, sqlite: bool) -> tuple[Any, ...]:
    at: Any = (instant_for_sqlite(event.at) if sqlite else event.at)
    return (event.seq, event.event_id, at, event.action.value, event.result.value, event.user_id,
            event.session_id, event.device_id, event.ip, event.person_id, event.case_id,
            LIST_SEPARATOR.join(event.categories), event.purpose, event.justification,
            event.record_count, LIST_SEPARATOR.join(event.policy_ids), event.query_hmac,
            json.dumps(event.detail, sort_keys=True), event.person_prev_hash, event.leaf_hash)


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

