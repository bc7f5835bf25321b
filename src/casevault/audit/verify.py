"""Verifying the whole ledger: every leaf, every stored hash, every checkpoint.

``verify_ledger`` recomputes each event's leaf from its stored columns and
compares it with the stored leaf hash; checks that positions run 0, 1, 2, ... with
no gap; checks every person's hash chain; rebuilds the tree level by level and
compares every stored subtree hash; and checks each signed checkpoint's signature,
its root against the rebuilt tree, and consistency between consecutive
checkpoints. The first inconsistency raises ``LedgerTampered`` naming the lowest
leaf index involved.

The verifier key must come from outside the database (the key file, or a vkey
the user supplies): a database administrator who can edit events could also
replace a key stored beside them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, select

from casevault.audit import merkle
from casevault.audit.checkpoint import Checkpoint, Verifier, parse_signed_checkpoint
from casevault.audit.events import encode_leaf
from casevault.errors import InputError, LedgerTampered, ProofInvalid
from casevault.store import tables
from casevault.store.rows import instant_from_store, list_from_store

_FETCH: Final = 20_000

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    size: int
    root: bytes
    checkpoints: int
    persons: int


def _rows(engine: Engine, table_sql: str) -> Iterator[Sequence[Any]]:
    """Rows straight from the driver, in batches: verification reads millions of them."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(table_sql)
        while rows := cursor.fetchmany(_FETCH):
            yield from rows
        cursor.close()
    finally:
        connection.close()


def _recomputed_leaves(engine: Engine, progress: Progress | None) -> tuple[list[bytes], int]:
    """Leaf hashes recomputed from the stored columns, after checking each against its row."""
    columns = ", ".join(c.name for c in tables.ledger_events.columns)
    heads: dict[str, bytes] = {}
    hashes: list[bytes] = []
    leaf_hash = merkle.leaf_hash
    for row in _rows(engine, f"SELECT {columns} FROM ledger_events ORDER BY seq"):
        (seq, event_id, at, action, result, user_id, session_id, device_id, ip, person_id,
         case_id, categories, purpose, justification, record_count, policy_ids, query_hmac,
         detail, prev, stored) = row
        expected = len(hashes)
        if seq != expected:
            msg = f"ledger event {expected} is missing (the next stored event is {seq})"
            raise LedgerTampered(msg, first_bad_index=expected)
        prev_hash = None if prev is None else bytes(prev)
        try:
            leaf = encode_leaf(seq, event_id, instant_from_store(at), action, result, user_id,
                               session_id, device_id, ip, person_id, case_id,
                               list_from_store(categories), purpose, justification,
                               record_count, list_from_store(policy_ids), query_hmac,
                               {} if detail == "{}" else json.loads(detail), prev_hash)
        except (ValueError, TypeError):
            msg = f"ledger event {seq} cannot be read back (a stored value was altered)"
            raise LedgerTampered(msg, first_bad_index=seq) from None
        digest = leaf_hash(leaf)
        if digest != bytes(stored):
            msg = f"ledger event {seq} does not match its leaf hash (the event was edited)"
            raise LedgerTampered(msg, first_bad_index=seq)
        if person_id is not None:
            if prev_hash != heads.get(person_id):
                msg = f"ledger event {seq} breaks its person's hash chain"
                raise LedgerTampered(msg, first_bad_index=seq)
            heads[person_id] = digest
        hashes.append(digest)
        if progress is not None and len(hashes) % _FETCH == 0:
            progress(len(hashes))
    return hashes, len(heads)


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every complete aligned subtree hash, level by level (level 0 = the leaves)."""
    levels = [leaves]
    node_hash = merkle.node_hash
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _check_stored_nodes(engine: Engine, levels: list[list[bytes]]) -> None:
    worst: int | None = None
    leaves = len(levels[0])
    for level, index, digest in _rows(engine, "SELECT level, idx, hash FROM ledger_nodes"):
        start, end = int(index) << int(level), (int(index) + 1) << int(level)
        if end > leaves:
            bad = leaves  # a subtree over events that are no longer there
        elif level < 1 or _computed_differs(levels, int(level), int(index), bytes(digest)):
            bad = start
        else:
            continue
        worst = bad if worst is None else min(worst, bad)
    stored = sum(1 for _ in _rows(engine, "SELECT level FROM ledger_nodes"))
    expected = sum(len(level) for level in levels[1:])
    if worst is None and stored != expected:
        worst = _first_missing_node(engine, levels)
    if worst is not None:
        msg = f"the stored tree hashes disagree with the events from leaf {worst} on"
        raise LedgerTampered(msg, first_bad_index=worst)


def _computed_differs(levels: list[list[bytes]], level: int, index: int, digest: bytes) -> bool:
    return levels[level][index] != digest


def _first_missing_node(engine: Engine, levels: list[list[bytes]]) -> int:
    present = {(int(level), int(index))
               for level, index in _rows(engine, "SELECT level, idx FROM ledger_nodes")}
    missing = [index << level for level in range(1, len(levels))
               for index in range(len(levels[level])) if (level, index) not in present]
    return min(missing) if missing else 0


def _root_from_levels(levels: list[list[bytes]], size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.range_hash_from_blocks(0, size, lambda level, index: levels[level][index])


def _subtree_from_levels(levels: list[list[bytes]]) -> merkle.SubtreeHash:
    def subtree(start: int, end: int) -> bytes:
        return merkle.range_hash_from_blocks(start, end,
                                             lambda level, index: levels[level][index])

    return subtree


def _check_checkpoints(engine: Engine, levels: list[list[bytes]], size: int,
                       verifier: Verifier) -> int:
    checkpoint_table = tables.ledger_checkpoints
    with engine.connect() as connection:
        rows = connection.execute(select(checkpoint_table.c.size, checkpoint_table.c.root,
                                         checkpoint_table.c.note)
                                  .order_by(checkpoint_table.c.size)).all()
    previous: Checkpoint | None = None
    subtree = _subtree_from_levels(levels)
    for stored_size, stored_root, note in rows:
        try:
            checkpoint = parse_signed_checkpoint(str(note), verifier)
        except (ProofInvalid, InputError):
            msg = f"the checkpoint at size {stored_size} is not signed by the ledger key"
            raise LedgerTampered(msg, first_bad_index=min(int(stored_size), size)) from None
        if checkpoint.size != stored_size or checkpoint.root != bytes(stored_root):
            msg = f"the checkpoint at size {stored_size} was altered"
            raise LedgerTampered(msg, first_bad_index=min(int(stored_size), size))
        if checkpoint.size > size or _root_from_levels(levels, checkpoint.size) != checkpoint.root:
            msg = (f"the log no longer matches its signed checkpoint at size {checkpoint.size}: "
                   "events before it were changed or removed")
            raise LedgerTampered(msg, first_bad_index=min(checkpoint.size, size))
        if previous is not None:
            proof = merkle.consistency_proof(previous.size, checkpoint.size, subtree)
            merkle.verify_consistency(previous.size, checkpoint.size, previous.root,
                                      checkpoint.root, proof)
        previous = checkpoint
    return len(rows)


def _verified(engine: Engine, verifier: Verifier,
              progress: Progress | None) -> tuple[VerifyResult, list[list[bytes]]]:
    leaves, persons = _recomputed_leaves(engine, progress)
    levels = _levels(leaves)
    _check_stored_nodes(engine, levels)
    checkpoints = _check_checkpoints(engine, levels, len(leaves), verifier)
    result = VerifyResult(len(leaves), _root_from_levels(levels, len(leaves)), checkpoints,
                          persons)
    return result, levels


def verify_ledger(engine: Engine, verifier: Verifier, *,
                  progress: Progress | None = None) -> VerifyResult:
    """Recompute everything; raises ``LedgerTampered`` on the first inconsistency."""
    return _verified(engine, verifier, progress)[0]


def verify_extends(engine: Engine, kept_note: str, verifier: Verifier, *,
                   progress: Progress | None = None) -> VerifyResult:
    """Prove the current log extends a checkpoint someone kept (after verifying it all)."""
    kept = parse_signed_checkpoint(kept_note, verifier)
    result, levels = _verified(engine, verifier, progress)
    if kept.size > result.size:
        msg = (f"the kept checkpoint covers {kept.size} events but the log has only "
               f"{result.size}: events were removed")
        raise LedgerTampered(msg, first_bad_index=result.size)
    if _root_from_levels(levels, kept.size) != kept.root:
        msg = f"the log does not extend the kept checkpoint at size {kept.size}"
        raise LedgerTampered(msg, first_bad_index=0)
    proof = merkle.consistency_proof(kept.size, result.size, _subtree_from_levels(levels))
    merkle.verify_consistency(kept.size, result.size, kept.root, result.root, proof)
    return result
