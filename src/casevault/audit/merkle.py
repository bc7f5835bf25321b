"""RFC 9162 (Certificate Transparency 2.0), section 2.1, Merkle hash trees.

The tree, hashes and proofs are exactly those of RFC 9162 (identical to RFC
6962 section 2.1): the leaf hash is ``SHA-256(0x00 || leaf)``, an interior node
is ``SHA-256(0x01 || left || right)``, the hash of the empty list is
``SHA-256("")``, and a list of ``n > 1`` items is split at ``k``, the largest
power of two smaller than ``n``. Anyone with an RFC 9162 or RFC 6962 verifier
(transparency-dev/merkle, sigstore, Go's sumdb) can check our proofs.

Everything here is pure: no I/O. Storage supplies a ``SubtreeHash`` that
returns MTH(D[start:end]) for the ranges proofs need; ``inclusion_ranges`` and
``consistency_ranges`` say in advance which ranges those are, so storage can
fetch every hash a proof needs in one database query. Every range they return
is *RFC-shaped*: its start is a multiple of the smallest power of two at least
its length, so its hash is the right fold of the hashes of its
``aligned_blocks`` (see ``range_hash_from_blocks``).

Verification raises ``ProofInvalid``; it never returns ``False``.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Sequence
from typing import Protocol

from casevault.errors import ProofInvalid

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTree",
    "SubtreeHash",
    "aligned_blocks",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "range_hash_from_blocks",
    "root",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]
"""``subtree(start, end)`` returns MTH(D[start:end]), the RFC 9162 hash of leaves start..end-1."""



class _Digest(Protocol):
    def digest(self) -> bytes: ...


_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def _pick_sha256() -> Callable[[bytes], _Digest]:
    """Return the SHA-256 constructor with the least per-call overhead.

    Tree hashing makes one call per node on 33- or 65-byte inputs, where the
    cost is the call, not the compression: CPython's built-in SHA-256
    (``_sha256`` on 3.11, HACL*-based ``_sha2`` from 3.12) is about a third
    cheaper per call than OpenSSL's here. Either is checked against
    ``hashlib.sha256`` before use; builds without them use ``hashlib``.
    """
    expected = hashlib.sha256(b"abc").digest()
    for module_name in ("_sha2", "_sha256"):
        try:
            constructor: Callable[[bytes], _Digest] = importlib.import_module(module_name).sha256
        except (ImportError, AttributeError):
            continue
        if constructor(b"abc").digest() == expected:
            return constructor
    return hashlib.sha256


_sha256 = _pick_sha256()


def leaf_hash(leaf: bytes) -> bytes:
    """Hash one leaf: ``SHA-256(0x00 || leaf)`` (the prefix stops a leaf posing as a node)."""
    return _sha256(_LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node: ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over raw leaves (each is leaf-hashed first)."""
    return root_from_leaf_hashes([leaf_hash(leaf) for leaf in leaves])


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over already leaf-hashed entries, in ``n - 1`` hash calls and no recursion.

    Pairing neighbours level by level and carrying an odd last node up
    unchanged builds exactly the RFC tree: the RFC's left subtree is always a
    complete power of two, so the unpaired node of any level is the right
    edge of the tree, which the RFC joins as late as this does.
    """
    if not hashes:
        return EMPTY_ROOT
    sha = _sha256
    prefix = _NODE_PREFIX
    level = list(hashes)
    while len(level) > 1:
        # strict=False: an odd last node has no partner and is carried up below.
        pairs = zip(level[0::2], level[1::2], strict=False)
        parents = [sha(prefix + a + b).digest() for a, b in pairs]
        if len(level) & 1:
            parents.append(level[-1])
        level = parents
    return level[0]


def aligned_blocks(start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) into the fewest aligned complete subtrees, left to right.

    Block ``(level, index)`` covers leaves ``[index * 2**level, (index + 1) * 2**level)``.
    These are the subtrees whose hashes the store keeps, so a range's hash can
    be assembled from O(log n) stored rows.
    """
    if not 0 <= start <= end:
        raise ValueError(f"invalid range [{start}, {end})")
    blocks: list[tuple[int, int]] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        blocks.append((level, start >> level))
        start += 1 << level
    return blocks


def range_hash_from_blocks(start: int, end: int, block_hash: Callable[[int, int], bytes]) -> bytes:
    """MTH(D[start:end]) computed from hashes of aligned blocks, by the RFC's split rule.

    For the RFC-shaped ranges that proofs use (``start`` a multiple of the
    smallest power of two >= ``end - start``), this asks ``block_hash`` for
    exactly ``aligned_blocks(start, end)`` and folds them from the right. For
    any other range the RFC tree straddles block boundaries (MTH(D[1:4]) is
    ``H(H(d1, d2), d3)``, while its blocks are ``[d1]`` and ``[d2, d3]``), so the
    answer is still correct but may need many small blocks, down to single
    leaves.
    """
    if not 0 <= start < end:
        raise ValueError(f"invalid non-empty range [{start}, {end})")
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return block_hash(level, start >> level)
    middle = start + _split(size)
    return node_hash(
        range_hash_from_blocks(start, middle, block_hash),
        range_hash_from_blocks(middle, end, block_hash),
    )


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The [start, end) ranges whose hashes form PATH(index, D[size]), leaf to root.

    RFC 9162 section 2.1.3.1. Storage can fetch all of them (via their
    ``aligned_blocks``) in one query before calling ``inclusion_proof``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The [start, end) ranges whose hashes form PROOF(size1, D[size2]), in proof order.

    RFC 9162 section 2.1.4.1 (SUBPROOF). The proof is empty when
    ``size1 == size2`` (the RFC's SUBPROOF(m, D[m], true)) and, by our choice,
    when ``size1 == 0``: the RFC defines proofs only for ``0 < m``, and every
    tree extends the empty one, so there is nothing to prove (as in
    transparency-dev/merkle). ``verify_consistency`` then checks that the old
    root is the empty-tree hash.
    """
    if not 0 <= size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    if size1 in (0, size2):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, size2, True
    while end != size1:
        middle = start + _split(end - start)
        if size1 <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start, whole = middle, False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """The RFC 9162 inclusion proof (audit path) for leaf ``index`` in a tree of ``size``."""
    return [subtree(start, end) for start, end in inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, subtree: SubtreeHash) -> list[bytes]:
    """The RFC 9162 consistency proof that the tree of ``size2`` extends the one of ``size1``."""
    return [subtree(start, end) for start, end in consistency_ranges(size1, size2)]


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofInvalid(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _check_path(proof: Sequence[bytes]) -> None:
    for position, element in enumerate(proof):
        _check_hash(element, f"proof element {position}")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof by RFC 9162 section 2.1.3.2; raise ``ProofInvalid`` if it fails."""
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root hash")
    _check_path(proof)
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf index {index} is not in a tree of size {size}")
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofInvalid("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid("inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofInvalid(f"inclusion proof for leaf {index} does not lead to the root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof by RFC 9162 section 2.1.4.2; raise ``ProofInvalid`` if it fails.

    Trivial cases first, as ``consistency_ranges`` documents: equal sizes need
    an empty proof and equal roots; size 0 needs an empty proof and the empty
    tree's root.
    """
    _check_hash(root1, "first root")
    _check_hash(root2, "second root")
    _check_path(proof)
    if not 0 <= size1 <= size2:
        raise ProofInvalid(f"tree size {size2} cannot extend tree size {size1}")
    if size1 in (0, size2):
        _verify_trivial_consistency(size1, size2, root1, root2, proof)
        return
    if not proof:
        raise ProofInvalid("consistency proof is empty")
    fr, sr = _consistency_roots(size1, size2, root1, proof)
    if fr != root1:
        raise ProofInvalid(f"consistency proof does not reproduce the root of size {size1}")
    if sr != root2:
        raise ProofInvalid(f"consistency proof does not reproduce the root of size {size2}")


def _consistency_roots(
    size1: int, size2: int, root1: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Steps 2 to 7 of RFC 9162 section 2.1.4.2: the two roots a proof implies."""
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid("consistency proof is shorter than the tree is deep")
    return fr, sr


def _verify_trivial_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    if proof:
        raise ProofInvalid(f"consistency from size {size1} to {size2} needs an empty proof")
    if size1 == 0 and root1 != EMPTY_ROOT:
        raise ProofInvalid("a tree of size 0 must have the empty-tree root")
    if size1 == size2 and root1 != root2:
        raise ProofInvalid(f"two different roots for the same tree size {size1}")


class MemoryTree:
    """A tree held in memory as its leaf hashes: for tests and offline tools.

    ``subtree`` recomputes each range, so a proof costs O(n); the database
    store keeps complete-subtree hashes instead.
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        for position, value in enumerate(leaf_hashes):
            if len(value) != HASH_SIZE:
                raise ValueError(f"leaf hash {position} is not {HASH_SIZE} bytes")
        self._hashes = list(leaf_hashes)

    @classmethod
    def from_leaves(cls, leaves: Sequence[bytes]) -> MemoryTree:
        """Build a tree from raw leaves."""
        return cls([leaf_hash(leaf) for leaf in leaves])

    def __len__(self) -> int:
        return len(self._hashes)

    def append(self, leaf: bytes) -> int:
        """Add a raw leaf; return its index."""
        self._hashes.append(leaf_hash(leaf))
        return len(self._hashes) - 1

    def leaf_hash(self, index: int) -> bytes:
        """The stored hash of leaf ``index``."""
        return self._hashes[index]

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]); the ``SubtreeHash`` for this tree."""
        if not 0 <= start <= end <= len(self._hashes):
            raise ValueError(f"range [{start}, {end}) is outside a tree of {len(self._hashes)}")
        return root_from_leaf_hashes(self._hashes[start:end])

    def root(self, size: int | None = None) -> bytes:
        """The root at ``size`` leaves (default: all of them)."""
        return self.subtree(0, len(self._hashes) if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Inclusion proof for leaf ``index`` at ``size`` (default: current size)."""
        return inclusion_proof(index, len(self) if size is None else size, self.subtree)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Consistency proof from ``size1`` to ``size2`` (default: current size)."""
        return consistency_proof(size1, len(self) if size2 is None else size2, self.subtree)
