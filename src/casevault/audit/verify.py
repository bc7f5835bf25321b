"""Verifying the whole ledger: every leaf, every stored hash, every checkpoint.

``verify_ledger`` recomputes each event's leaf from its stored columns and
compares it with the stored leaf hash; checks that positions run 0, 1, 2, ... with
no gap; checks every person's hash chain; rebuilds the tree level by level and
compares every stored subtree hash; and checks each signed checkpoint's signature,
its root against the rebuilt tree, and consistency between consecutive
checkpoints. The first inconsistency raises ``LedgerTampered`` naming the lowest
leaf index involved.

Large logs are checked in chunks of ``2**16`` leaves by worker processes, one
per core (see ``_chunks``): each recomputes its leaves and the subtrees inside
it, and checks the stored hashes of those subtrees. This process joins the
chunks in order (chains across chunks, the levels above), so the result and
the first bad index are those of one scan in log order. Everything is read in
one view of the database: on PostgreSQL the workers import this process's
snapshot; on SQLite they read only leaves and subtrees below the size this
process counted, which appends never change, and everything else is read here,
in one read transaction. Appends made while verifying are therefore not
mistaken for tampering.

The verifier key must come from outside the database (the key file, or a vkey
the user supplies): a database administrator who can edit events could also
replace a key stored beside them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from casevault.audit import merkle
from casevault.audit._chunks import (
    EVENT_COLUMNS,
    PROGRESS_EVERY,
    Chunk,
    ChunkResult,
    Reader,
    Source,
    check_chunk_with,
    nodes_match,
)
from casevault.audit._workers import ChunkWorkers, WorkerFailed, can_start_workers
from casevault.audit.checkpoint import Checkpoint, Verifier, parse_signed_checkpoint
from casevault.errors import InputError, LedgerTampered, ProofInvalid
from casevault.store import tables

CHUNK_LEVELS: Final = 16
"""Worker chunks hold ``2**16`` leaves: enough to amortise a query, small enough to balance."""
PARALLEL_FROM: Final = 1 << 17
"""Smaller logs are checked in this process: starting workers would cost more than it saves."""

Progress = Callable[[int], None]

if tuple(c.name for c in tables.ledger_events.columns) != EVENT_COLUMNS:  # pragma: no cover
    raise RuntimeError("ledger_events' columns changed: update _chunks.EVENT_COLUMNS")


@dataclass(frozen=True, slots=True)
class VerifyResult:
    size: int
    root: bytes
    checkpoints: int
    persons: int


@dataclass(frozen=True, slots=True)
class _View:
    """This process's read transaction: a driver connection, how to query it, how workers can."""

    reader: Reader
    source: Source | None
    """None when workers cannot reach the database (an in-memory SQLite database)."""


class _Tree:
    """Every complete aligned subtree hash of the verified log, one concatenation per level."""

    def __init__(self, levels: list[bytes]) -> None:
        while len(levels) > 1 and not levels[-1]:
            levels.pop()
        self.levels = levels
        self.size = len(levels[0]) // merkle.HASH_SIZE

    def count(self, level: int) -> int:
        return len(self.levels[level]) // merkle.HASH_SIZE

    def node(self, level: int, index: int) -> bytes:
        """The hash of block ``(level, index)``, which must lie inside the tree."""
        start = index * merkle.HASH_SIZE
        if not 0 <= level < len(self.levels) or not 0 <= index < self.count(level):
            msg = f"no complete subtree ({level}, {index}) in a tree of {self.size}"
            raise IndexError(msg)
        return self.levels[level][start:start + merkle.HASH_SIZE]

    def root(self, size: int) -> bytes:
        if size == 0:
            return merkle.EMPTY_ROOT
        return merkle.range_hash_from_blocks(0, size, self.node)

    def subtree(self, start: int, end: int) -> bytes:
        return merkle.range_hash_from_blocks(start, end, self.node)


# --- one read view --------------------------------------------------------------------------

@contextmanager
def _read_view(engine: Engine) -> Iterator[_View]:
    """One read transaction on a pooled driver connection, and the way workers can join it."""
    raw = engine.raw_connection()
    driver: Any = raw.driver_connection
    sqlite = engine.dialect.name == "sqlite"
    try:
        if sqlite:
            driver.execute("BEGIN")
            source = _sqlite_source(engine)
        else:
            driver.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = driver.execute("SELECT pg_export_snapshot()").fetchone()[0]
            target = engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False)
            source = Source("postgresql", target, str(snapshot))
        yield _View(Reader(driver, engine.dialect.name), source)
    finally:
        try:
            if sqlite:
                driver.execute("ROLLBACK")
            else:
                driver.rollback()
        finally:
            raw.close()


def _sqlite_source(engine: Engine) -> Source | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Source("sqlite", str(Path(database).resolve()))


# --- leaves and chains ----------------------------------------------------------------------

def _worker_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover -- not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class _Leaves:
    """Stage one's outcome: every chunk's findings, the chunk level ``k``, the persons seen."""

    results: list[ChunkResult]
    chunk_levels: int
    persons: int


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to check the leaves: worker processes, chunk level, smallest log worth the workers."""

    workers: int
    chunk_levels: int = CHUNK_LEVELS
    parallel_from: int = PARALLEL_FROM
    progress_every: int = PROGRESS_EVERY
    """Rows between progress reports when checking in this process."""


def _checked_leaves(view: _View, progress: Progress | None, plan: _Plan) -> _Leaves:
    """Every chunk's findings, after raising at the first bad leaf.

    Workers check chunks of the ``size`` events counted in this process's view;
    if they cannot (they fail to start or to reach the database), this process
    checks the whole log itself, so a verification never depends on them.
    """
    size = int(view.reader.scalar("SELECT count(*) FROM ledger_events"))
    step = 1 << plan.chunk_levels
    if (view.source is not None and plan.workers > 1 and can_start_workers()
            and size >= max(plan.parallel_from, 2 * step)):
        chunks = [Chunk(lo, min(step, size - lo), plan.chunk_levels)
                  for lo in range(0, size, step)]
        try:
            with ChunkWorkers(plan.workers) as workers:
                return _joined(workers.map(view.source, chunks), progress, plan.chunk_levels)
        except WorkerFailed:
            pass  # checked here instead, below
    result = check_chunk_with(view.reader, Chunk(0, None, 0), progress, plan.progress_every)
    _raise_first_bad(result, {})
    return _Leaves([result], len(result.levels) - 1, len(result.lasts))


def _joined(results: Iterable[ChunkResult], progress: Progress | None,
            chunk_levels: int) -> _Leaves:
    """Chunks in log order, raising at the first bad leaf (chains checked across chunks)."""
    heads: dict[str, bytes] = {}
    done: list[ChunkResult] = []
    verified = 0
    for result in results:
        _raise_first_bad(result, heads)
        heads.update(result.lasts)
        result.lasts = {}  # joined into heads; no need to keep a copy per chunk
        done.append(result)
        verified += result.count
        if progress is not None:
            progress(verified)
    return _Leaves(done, chunk_levels, len(heads))


def _raise_first_bad(result: ChunkResult, heads: dict[str, bytes]) -> None:
    """Raise at a chunk's first bad row: a broken link into it, or its own first bad row.

    ``heads`` holds each person's last leaf hash before the chunk. The chunk
    reported links only for rows before its own first bad row, in order.
    """
    for seq, person_id, prev_hash in result.firsts:
        if prev_hash != heads.get(person_id):
            msg = f"ledger event {seq} breaks its person's hash chain"
            raise LedgerTampered(msg, first_bad_index=seq)
    if result.error is not None:
        index, msg = result.error
        raise LedgerTampered(msg, first_bad_index=index)


def _tree(results: list[ChunkResult], chunk_levels: int) -> _Tree:
    """The whole tree: chunk levels side by side, then the levels above the chunks."""
    levels = [b"".join(r.levels[level] for r in results) for level in range(chunk_levels + 1)]
    size = merkle.HASH_SIZE
    current = [levels[-1][i:i + size] for i in range(0, len(levels[-1]), size)]
    while len(current) > 1:
        pairs = zip(current[0::2], current[1::2], strict=False)
        current = [merkle.node_hash(left, right) for left, right in pairs]
        levels.append(b"".join(current))
    return _Tree(levels)


# --- stored subtree hashes ------------------------------------------------------------------

def _check_stored_nodes(view: _View, tree: _Tree, results: list[ChunkResult],
                        chunk_levels: int) -> None:
    """Fast when all is well (chunks compared whole); else the row-by-row search below."""
    expected = sum(tree.count(level) for level in range(1, len(tree.levels)))
    if (all(r.nodes_ok for r in results)
            and int(view.reader.scalar("SELECT count(*) FROM ledger_nodes")) == expected
            and nodes_match(view.reader, 0, tree.levels, first_level=chunk_levels + 1)):
        return
    worst = _first_bad_node(view, tree, expected)
    if worst is not None:
        msg = f"the stored tree hashes disagree with the events from leaf {worst} on"
        raise LedgerTampered(msg, first_bad_index=worst)


def _first_bad_node(view: _View, tree: _Tree, expected: int) -> int | None:
    """The lowest leaf a wrong, misplaced or (failing those) missing subtree hash covers.

    Every stored row is judged: one over leaves beyond the log stands for the
    log's end; a malformed position (level or index below zero) for leaf 0.
    """
    worst: int | None = None
    stored = 0
    present: set[tuple[int, int]] = set()
    for level_value, index_value, digest in view.reader.rows(
            "SELECT level, idx, hash FROM ledger_nodes"):
        stored += 1
        level, index = int(level_value), int(index_value)
        present.add((level, index))
        bad = _node_badness(tree, level, index, bytes(digest))
        if bad is not None:
            worst = bad if worst is None else min(worst, bad)
    if worst is None and stored != expected:
        missing = [index << level for level in range(1, len(tree.levels))
                   for index in range(tree.count(level)) if (level, index) not in present]
        worst = min(missing) if missing else 0
    return worst


def _node_badness(tree: _Tree, level: int, index: int, digest: bytes) -> int | None:
    if level < 0 or index < 0:
        return 0
    start, end = index << level, (index + 1) << level
    if end > tree.size:
        return tree.size  # a subtree over events that are no longer there
    if level < 1 or tree.node(level, index) != digest:
        return start
    return None


# --- checkpoints ----------------------------------------------------------------------------

def _check_checkpoints(view: _View, tree: _Tree, verifier: Verifier) -> int:
    rows = view.reader.all("SELECT size, root, note FROM ledger_checkpoints ORDER BY size")
    size = tree.size
    previous: Checkpoint | None = None
    for stored_size, stored_root, note in rows:
        try:
            checkpoint = parse_signed_checkpoint(str(note), verifier)
        except (ProofInvalid, InputError):
            msg = f"the checkpoint at size {stored_size} is not signed by the ledger key"
            raise LedgerTampered(msg, first_bad_index=min(int(stored_size), size)) from None
        if checkpoint.size != stored_size or checkpoint.root != bytes(stored_root):
            msg = f"the checkpoint at size {stored_size} was altered"
            raise LedgerTampered(msg, first_bad_index=min(int(stored_size), size))
        if checkpoint.size > size or tree.root(checkpoint.size) != checkpoint.root:
            msg = (f"the log no longer matches its signed checkpoint at size {checkpoint.size}: "
                   "events before it were changed or removed")
            raise LedgerTampered(msg, first_bad_index=min(checkpoint.size, size))
        if previous is not None:
            proof = merkle.consistency_proof(previous.size, checkpoint.size, tree.subtree)
            merkle.verify_consistency(previous.size, checkpoint.size, previous.root,
                                      checkpoint.root, proof)
        previous = checkpoint
    return len(rows)


# --- the whole -------------------------------------------------------------------------------

def _verified(engine: Engine, verifier: Verifier, progress: Progress | None,
              plan: _Plan | None = None) -> tuple[VerifyResult, _Tree]:
    """Leaves and chains, then stored subtrees, then checkpoints, all in one read view.

    ``plan`` is for tests, which prove the parallel path finds what the single
    scan finds, on logs small enough to plant edits in.
    """
    plan = plan or _Plan(_worker_count())
    with _read_view(engine) as view:
        leaves = _checked_leaves(view, progress, plan)
        tree = _tree(leaves.results, leaves.chunk_levels)
        _check_stored_nodes(view, tree, leaves.results, leaves.chunk_levels)
        checkpoints = _check_checkpoints(view, tree, verifier)
    return VerifyResult(tree.size, tree.root(tree.size), checkpoints, leaves.persons), tree


def verify_ledger(engine: Engine, verifier: Verifier, *,
                  progress: Progress | None = None) -> VerifyResult:
    """Recompute everything; raises ``LedgerTampered`` on the first inconsistency."""
    return _verified(engine, verifier, progress)[0]


def verify_extends(engine: Engine, kept_note: str, verifier: Verifier, *,
                   progress: Progress | None = None) -> VerifyResult:
    """Prove the current log extends a checkpoint someone kept (after verifying it all)."""
    kept = parse_signed_checkpoint(kept_note, verifier)
    result, tree = _verified(engine, verifier, progress)
    if kept.size > result.size:
        msg = (f"the kept checkpoint covers {kept.size} events but the log has only "
               f"{result.size}: events were removed")
        raise LedgerTampered(msg, first_bad_index=result.size)
    if tree.root(kept.size) != kept.root:
        msg = f"the log does not extend the kept checkpoint at size {kept.size}"
        raise LedgerTampered(msg, first_bad_index=0)
    proof = merkle.consistency_proof(kept.size, result.size, tree.subtree)
    merkle.verify_consistency(kept.size, result.size, kept.root, result.root, proof)
    return result
