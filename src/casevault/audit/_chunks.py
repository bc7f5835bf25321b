"""Verifying one contiguous range of the ledger: its leaves, chains and stored subtree hashes.

``casevault.audit.verify`` cuts the log into chunks of ``2**k`` leaves and hands
each to a worker process (or checks the whole log as one chunk in process).
A chunk starting at a multiple of ``2**k`` holds every complete aligned subtree
of level ``k`` or less over its leaves, so each worker can rebuild and check
those alone; the parent joins the chunk roots into the levels above.

A chunk's rows are checked exactly as one ordered scan of the whole log would
check them: position, leaf recomputed from the stored values, stored leaf hash,
and the person's chain. The one thing a chunk cannot know is each person's
chain head before the chunk; it reports the first event of each person it
sees (with the link that event stores) for the parent to check against the
chunks before. Everything it reports stops at its first bad row, so the
parent, walking the chunks in order, raises at the same index, with the same
message, as a single scan.

This module's ``main`` is also the worker program (see ``_workers``): it imports
drivers, not SQLAlchemy.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

from casevault.audit import merkle
from casevault.audit._leaf import SQLITE_INSTANT, InstantText, list_encoder
from casevault.audit.events import LEAF_VERSION

__all__ = [
    "EVENT_COLUMNS",
    "PG_INSTANT",
    "PROGRESS_EVERY",
    "Chunk",
    "ChunkResult",
    "Reader",
    "RowChecker",
    "Source",
    "check_chunk",
    "check_chunk_with",
    "level_hashes",
    "main",
    "nodes_match",
]

EVENT_COLUMNS: Final = (
    "seq", "event_id", "at", "action", "result", "user_id", "session_id", "device_id", "ip",
    "person_id", "case_id", "categories", "purpose", "justification", "record_count",
    "policy_ids", "query_hmac", "detail", "person_prev_hash", "leaf_hash")
"""``ledger_events``' columns in table order (``verify`` checks this against the schema)."""

PG_INSTANT: Final = (
    "CASE WHEN isfinite(at) AND at >= TIMESTAMPTZ '0001-01-01 00:00:00+00' "
    "THEN to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') END")
"""PostgreSQL's instants read as the text SQLite stores (see ``Reader.select_events``)."""
_NODES_SQL: Final = ("SELECT idx, hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ? "
                     "ORDER BY idx")
_SNAPSHOT_ID: Final = re.compile(r"[0-9A-Fa-f]+-[0-9A-Fa-f]+(?:-[0-9]+)?")
_SQLITE_CACHE_KIB: Final = 64 * 1024
PROGRESS_EVERY: Final = 1 << 14

Row = Sequence[Any]


@dataclass(frozen=True, slots=True)
class Source:
    """How a worker process reaches the database, and the snapshot it must read."""

    dialect: str
    target: str
    """A SQLite file path, or a PostgreSQL connection string."""
    snapshot: str | None = None
    """An exported PostgreSQL snapshot: every worker then reads the parent's view."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """Leaves ``[lo, lo + size)``; ``size`` None means "to the end of the log"."""

    lo: int
    size: int | None
    levels: int
    """Stored subtrees of levels ``1..levels`` inside the chunk are checked here."""


@dataclass(slots=True)
class ChunkResult:
    """What a chunk found, up to its first bad row (see the module docstring)."""

    lo: int
    count: int = 0
    error: tuple[int, str] | None = None
    firsts: list[tuple[int, str, bytes | None]] = field(default_factory=list)
    """(seq, person, stored link) of each person's first event in the chunk, in seq order."""
    lasts: dict[str, bytes] = field(default_factory=dict)
    """Each person's last leaf hash in the chunk."""
    levels: list[bytes] = field(default_factory=list)
    """Complete aligned subtree hashes over the chunk, one concatenation per level from 0."""
    nodes_ok: bool = False
    """Every stored subtree hash of levels ``1..levels`` in the chunk is present and right."""


class Reader:
    """Queries on a DB-API connection, written with ``?`` placeholders for either database."""

    def __init__(self, connection: Any, dialect: str) -> None:
        self.connection = connection
        self.sqlite = dialect == "sqlite"
        columns = ", ".join(PG_INSTANT if name == "at" and not self.sqlite else name
                            for name in EVENT_COLUMNS)
        self.select_events = f"SELECT {columns} FROM ledger_events"
        """Every event column; on PostgreSQL the instant as SQLite's stored text.

        PostgreSQL formats the UTC wall time itself, which for years 1 to 9999
        (all a datetime holds) is exactly the text ``_leaf.InstantText`` turns
        into leaf text, so one loop serves both databases and no datetime is
        built per row. An instant no datetime can hold (before year 1, after
        9999, infinite) arrives as NULL or longer text and fails as an altered
        value; read as a datetime it would fail in the driver instead.
        """

    def rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        """Rows one by one, straight off the cursor (binary on PostgreSQL: no hex bytea)."""
        cursor = self.connection.cursor() if self.sqlite else self.connection.cursor(binary=True)
        try:
            cursor.execute(sql if self.sqlite else sql.replace("?", "%s"), tuple(params))
            yield from cursor
        finally:
            cursor.close()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self.rows(sql, params))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        found = self.all(sql, params)
        return found[0][0] if found else None


class RowChecker:
    """Checks rows in log order from ``lo``, exactly as ``verify`` defines a good row.

    ``check`` may be called on successive slices of the rows; it returns False
    from the first bad row on, which ``result.error`` then names.
    """

    def __init__(self, lo: int) -> None:
        self.result = ChunkResult(lo)
        self.hashes: list[bytes] = []
        self._heads: dict[str, bytes] = {}
        self._instant_text = InstantText()
        self._encoder = list_encoder()

    def check(self, rows: Iterable[Row]) -> bool:
        """One loop with everything bound locally: this is where verification spends its time.

        The leaf is ``encode_leaf``'s, built inline from the stored values
        (``categories`` and ``policy_ids`` are stored ``;``-joined, ``detail`` as
        JSON text); see ``_leaf`` for the instant and the encoder.
        """
        result = self.result
        if result.error is not None:
            return False
        sha256 = hashlib.sha256  # OpenSSL: on ~400-byte leaves its SHA-NI path beats the built-in
        encoder, join, loads = self._encoder, "".join, json.loads
        instant_text = self._instant_text
        written, days = SQLITE_INSTANT.fullmatch, instant_text.days
        heads, firsts, keep = self._heads, result.firsts, self.hashes.append
        expected = result.lo + len(self.hashes)
        for row in rows:
            (seq, event_id, at, action, outcome, user_id, session_id, device_id, ip, person_id,
             case_id, categories, purpose, justification, record_count, policy_ids, query_hmac,
             detail, prev, stored) = row
            if seq != expected:
                result.error = (expected, f"ledger event {expected} is missing "
                                          f"(the next stored event is {seq})")
                break
            prev_hash = None if prev is None else bytes(prev)
            try:
                if type(at) is str and written(at) and at[:10] in days:
                    at_text = f"{at[:10]}T{at[11:]}Z"
                else:
                    at_text = instant_text(at)
                leaf = join(encoder([
                    LEAF_VERSION, seq, event_id, at_text, str(action), str(outcome),
                    user_id, session_id, device_id, ip, person_id, case_id,
                    categories.split(";") if categories else [], purpose, justification,
                    record_count, policy_ids.split(";") if policy_ids else [], query_hmac,
                    {} if detail == "{}" else dict(sorted(loads(detail).items())),
                    prev_hash.hex() if prev_hash else None], 0)).encode()
            except (ValueError, TypeError):
                result.error = (seq, f"ledger event {seq} cannot be read back "
                                     "(a stored value was altered)")
                break
            digest = sha256(b"\x00" + leaf).digest()
            if digest != bytes(stored):
                result.error = (seq, f"ledger event {seq} does not match its leaf hash "
                                     "(the event was edited)")
                break
            if person_id is not None:
                last = heads.get(person_id)
                if last is None:
                    firsts.append((seq, person_id, prev_hash))
                elif prev_hash != last:
                    result.error = (seq, f"ledger event {seq} breaks its person's hash chain")
                    break
                heads[person_id] = digest
            keep(digest)
            expected += 1
        result.count = len(self.hashes)
        result.lasts = heads
        return result.error is None


def level_hashes(leaves: list[bytes], top: int) -> list[bytes]:
    """Every complete aligned subtree hash over ``leaves``, levels ``0..top``, one bytes per level.

    ``leaves`` starts at a multiple of ``2**top``, so pairing neighbours level by
    level yields exactly the aligned subtrees; an odd last node has no complete
    parent. Concatenated hashes cost a fraction of the memory of a list of them.
    """
    sha256 = hashlib.sha256
    levels = [b"".join(leaves)]
    current = leaves
    for _ in range(top):
        pairs = zip(current[0::2], current[1::2], strict=False)
        current = [sha256(b"\x01" + left + right).digest() for left, right in pairs]
        levels.append(b"".join(current))
    return levels


def nodes_match(reader: Reader, lo: int, levels: Sequence[bytes], first_level: int = 1) -> bool:
    """Whether the stored subtree hashes from ``first_level`` up are exactly ``levels``.

    ``levels[level]`` holds the hashes of consecutive blocks from leaf ``lo`` on.
    One range read per level on the primary key, compared as a whole: the right
    rows, in order, with the right hashes. Anything else sends the parent to the
    row-by-row search that names the first bad leaf.
    """
    size = merkle.HASH_SIZE
    for level in range(first_level, len(levels)):
        first = lo >> level
        count = len(levels[level]) // size
        rows = reader.all(_NODES_SQL, (level, first, first + count))
        if [row[0] for row in rows] != list(range(first, first + count)):
            return False
        if b"".join([row[1] for row in rows]) != levels[level]:
            return False
    return True


def _in_log_order(reader: Reader, chunk: Chunk, progress: Callable[[int], None] | None,
                  every: int = PROGRESS_EVERY) -> RowChecker:
    """The chunk's rows as a scan of the whole log in ``seq`` order reaches them.

    Only the first chunk starts without a lower bound, so a stored position
    below zero is read where a full scan would read it (first).
    """
    where, params = ("", []) if chunk.lo == 0 else (" WHERE seq >= ?", [chunk.lo])
    limit = ""
    if chunk.size is not None:
        limit = " LIMIT ?"
        params.append(chunk.size)
    rows = reader.rows(f"{reader.select_events}{where} ORDER BY seq{limit}", params)
    checker = RowChecker(chunk.lo)
    if progress is None:
        checker.check(rows)
        return checker
    done = -1
    while checker.check(_take(rows, every)) and checker.result.count - done > 0:
        done = checker.result.count
        if not done or done % every:
            break  # the rows ran out inside this slice
        progress(done)
    return checker


def _take(rows: Iterator[Row], count: int) -> Iterator[Row]:
    for _, row in zip(range(count), rows, strict=False):
        yield row


def check_chunk_with(reader: Reader, chunk: Chunk,
                     progress: Callable[[int], None] | None = None,
                     progress_every: int = PROGRESS_EVERY) -> ChunkResult:
    """Check one chunk: rows first, then (if they pass) the stored subtrees inside it."""
    checker = _in_log_order(reader, chunk, progress, progress_every)
    result = checker.result
    if result.error is None:
        top = chunk.levels if chunk.size is not None else max(result.count.bit_length() - 1, 0)
        result.levels = level_hashes(checker.hashes, top)
        result.nodes_ok = nodes_match(reader, chunk.lo, result.levels)
    return result


# --- the worker program -----------------------------------------------------------------------

def _connect(source: Source) -> Any:
    """A connection of the worker's own (it shares nothing with the parent)."""
    if source.dialect == "sqlite":
        import sqlite3  # noqa: PLC0415 -- a worker imports only the driver it uses

        connection: Any = sqlite3.connect(source.target, isolation_level=None)
        for pragma in ("query_only=ON", "busy_timeout=5000",
                       f"cache_size=-{_SQLITE_CACHE_KIB}"):
            connection.execute(f"PRAGMA {pragma}")
        return connection
    import psycopg  # noqa: PLC0415 -- a worker imports only the driver it uses

    return psycopg.connect(source.target, autocommit=True)


def begin_read(connection: Any, source: Source) -> None:
    """Open one read transaction (on PostgreSQL, on the parent's exported snapshot)."""
    if source.dialect == "sqlite":
        connection.execute("BEGIN")
        return
    connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    if source.snapshot is not None:
        if not _SNAPSHOT_ID.fullmatch(source.snapshot):
            msg = f"not a PostgreSQL snapshot id: {source.snapshot!r}"
            raise ValueError(msg)
        connection.execute(f"SET TRANSACTION SNAPSHOT '{source.snapshot}'")


def check_chunk(source: Source, chunk: Chunk) -> ChunkResult:
    """Check ``chunk`` in one read transaction on a connection of its own."""
    connection = _connect(source)
    try:
        begin_read(connection, source)
        return check_chunk_with(Reader(connection, source.dialect), chunk)
    finally:
        connection.close()


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer pickled ``(source, chunk)`` requests with pickled ``(ok, result or error)``.

    Both ends are casevault: the parent started this process and owns its pipes,
    so the pickles come from, and go to, nobody else.
    """
    while True:
        try:
            source, chunk = pickle.load(requests)  # noqa: S301 -- our parent, over its own pipe
        except EOFError:
            return
        try:
            reply: tuple[bool, object] = (True, check_chunk(source, chunk))
        except Exception as exc:  # noqa: BLE001 -- handed to the parent, which raises it
            reply = (False, _portable(exc))
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


def _portable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 -- our own bytes
    except Exception:  # noqa: BLE001 -- some driver errors do not survive pickling
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def main() -> None:
    """The worker program: replies on the original stdout, anything printed goes to stderr."""
    gc.disable()  # no reference cycles here; the collector would only walk the rows
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, replies)

