"""Reading the stored tree: the hashes a proof or a root needs, in one statement.

The tree is stored as leaf hashes (one per event row) and the hashes of complete
aligned subtrees (``ledger_nodes``). A proof needs O(log n) of them; they come
back in a single statement together with the log's stored size, so a proof is
one round trip to the database. On PostgreSQL the statement's text is the same
for every proof (the wanted blocks travel as arrays), so it is prepared once
per connection instead of parsed and planned each time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from casevault.audit import merkle
from casevault.errors import ProofInvalid

__all__ = ["TreeReader", "within"]

Block = tuple[int, int]

_PG_HASHES: Final = (
    "SELECT -1::smallint, max(seq), NULL::bytea FROM ledger_events "
    "UNION ALL SELECT 0::smallint, seq, leaf_hash FROM ledger_events WHERE seq = ANY(%s) "
    "UNION ALL SELECT n.level, n.idx, n.hash FROM ledger_nodes AS n "
    "JOIN unnest(%s::smallint[], %s::bigint[]) AS w(level, idx) "
    "ON n.level = w.level AND n.idx = w.idx")
"""Stored size (as the row of level -1), then leaves, then larger blocks, all by primary key."""

_SIZE_SQL: Final = "SELECT max(seq) FROM ledger_events"


def within(size: int, stored: int) -> int:
    """``size`` if the stored log has that many events; else ``ProofInvalid``."""
    if not 0 <= size <= stored:
        msg = f"the ledger has {stored} events; size {size} is out of range"
        raise ProofInvalid(msg)
    return size


class TreeReader:
    """Tree reads on a DB-API connection (autocommit, or inside the caller's transaction)."""

    def __init__(self, driver: Any, *, sqlite: bool) -> None:
        self._driver = driver
        self._sqlite = sqlite

    def stored_size(self) -> int:
        found = self._driver.execute(_SIZE_SQL).fetchone()[0]
        return 0 if found is None else int(found) + 1

    def block_hashes(self, blocks: Iterable[Block]) -> tuple[int, dict[Block, bytes]]:
        """The stored size and the hash of each wanted block; ``ProofInvalid`` if one is missing."""
        wanted = set(blocks)
        leaves = sorted(index for level, index in wanted if level == 0)
        nodes = sorted(block for block in wanted if block[0] > 0)
        if self._sqlite:
            rows = self._driver.execute(*_sqlite_hashes(leaves, nodes)).fetchall()
        else:
            arguments = (leaves, [level for level, _ in nodes], [index for _, index in nodes])
            rows = self._driver.execute(_PG_HASHES, arguments, prepare=True,
                                        binary=True).fetchall()
        stored = 0
        found: dict[Block, bytes] = {}
        for level, index, digest in rows:
            if level < 0:
                stored = 0 if index is None else int(index) + 1
            else:
                found[(int(level), int(index))] = bytes(digest)
        missing = wanted - found.keys()
        if missing:
            level, index = min(missing, key=lambda block: block[1] << block[0])
            msg = f"the ledger is missing the hash of leaves from index {index << level}"
            raise ProofInvalid(msg)
        return stored, found

    def range_hashes(self, ranges_at: Callable[[int], list[tuple[int, int]]],
                     size: int | None) -> list[bytes]:
        """MTH of each range ``ranges_at(size)`` names, at ``size`` (default: the stored size).

        Errors come in the order they always have: a size beyond the log before
        a range the size cannot hold, before a missing hash.
        """
        if size is None:
            size = self.stored_size()
            ranges = ranges_at(size)
        else:
            try:
                ranges = ranges_at(size)
            except ValueError:
                within(size, self.stored_size())
                raise
        blocks = [block for start, end in ranges for block in merkle.aligned_blocks(start, end)]
        hashes = self._checked_hashes(blocks, size)

        def block_hash(level: int, index: int) -> bytes:
            return hashes[(level, index)]

        return [merkle.range_hash_from_blocks(start, end, block_hash) for start, end in ranges]

    def _checked_hashes(self, blocks: Sequence[Block], size: int) -> dict[Block, bytes]:
        """The blocks' hashes, once ``size`` is known to be within the log read with them."""
        try:
            stored, hashes = self.block_hashes(blocks)
        except ProofInvalid:
            within(size, self.stored_size())  # beyond the log: say so, not "missing"
            raise
        within(size, stored)
        return hashes


def _sqlite_hashes(leaves: Sequence[int], nodes: Sequence[Block]) -> tuple[str, list[int]]:
    """The same statement for SQLite, one primary-key probe per block.

    Per level ``level = ? AND idx IN (...)``: a row-value IN list would make
    SQLite scan the whole table.
    """
    parts = ["SELECT -1, max(seq), NULL FROM ledger_events"]
    arguments: list[int] = []
    if leaves:
        parts.append("SELECT 0, seq, leaf_hash FROM ledger_events "
                     f"WHERE seq IN ({', '.join('?' for _ in leaves)})")
        arguments.extend(leaves)
    by_level: dict[int, list[int]] = {}
    for level, index in nodes:
        by_level.setdefault(level, []).append(index)
    if by_level:
        conditions = " OR ".join(f"(level = ? AND idx IN ({', '.join('?' for _ in indexes)}))"
                                 for indexes in by_level.values())
        parts.append(f"SELECT level, idx, hash FROM ledger_nodes WHERE {conditions}")
        arguments.extend(value for level, indexes in by_level.items()
                         for value in (level, *indexes))
    return " UNION ALL ".join(parts), arguments
