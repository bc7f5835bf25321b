"""RFC 9162 Merkle tree: published vectors, an independent reference, corruption, properties.

The reference functions below transcribe the RFC's recursive definitions of MTH,
PATH and SUBPROOF literally (slicing lists), so the fast iterative code in
``casevault.audit.merkle`` is checked against the specification's own words as
well as against the published RFC 6962 vectors.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casevault.audit import merkle
from casevault.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    aligned_blocks,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    range_hash_from_blocks,
    root,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from casevault.errors import ProofInvalid

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "rfc6962.json").read_text())
LEAVES = [bytes.fromhex(leaf) for leaf in VECTORS["leaves_hex"]]
TREE = MemoryTree.from_leaves(LEAVES)
ROOTS = {int(size): bytes.fromhex(value) for size, value in VECTORS["roots_by_size"].items()}
INCLUSION = [(v["index0"], v["size"], [bytes.fromhex(p) for p in v["proof"]])
             for v in VECTORS["inclusion"]]
CONSISTENCY = [(v["size1"], v["size2"], [bytes.fromhex(p) for p in v["proof"]])
               for v in VECTORS["consistency"]]
QUICK = settings(max_examples=200, deadline=None)


# -- the RFC's definitions, transcribed -------------------------------------------------------

def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = _k(len(leaves))
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if whole else [ref_mth(leaves)]
    k = _k(len(leaves))
    if m <= k:
        return [*ref_subproof(m, leaves[:k], whole), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def _leaves(count: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(count)]


def _flip(proof: list[bytes], position: int, bit: int = 0) -> list[bytes]:
    changed = bytearray(proof[position])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:position], bytes(changed), *proof[position + 1:]]


# -- published vectors ------------------------------------------------------------------------

def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert root([]) == EMPTY_ROOT == bytes.fromhex(VECTORS["empty_root"])
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_roots_of_the_first_leaves_match_the_vectors(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size]
    assert TREE.root(size) == ROOTS[size]


def test_leaf_and_node_hashes_follow_the_rfc_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_published_inclusion_proofs_are_produced_and_verify(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert TREE.inclusion_proof(index, size) == proof
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_published_consistency_proofs_are_produced_and_verify(
    size1: int, size2: int, proof: list[bytes]
) -> None:
    assert TREE.consistency_proof(size1, size2) == proof
    verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2], proof)


# -- corrupted inclusion proofs ---------------------------------------------------------------

def _inclusion_corruptions() -> list[tuple[str, int, int, int, list[bytes], bytes]]:
    """(label, leaf position, index, size, proof, root): every one must be rejected.

    A wrong size is paired with the root of that size: a proof checked against
    its own root at a size of the same path shape verifies, as in every RFC 9162
    verifier, because the signed checkpoint, not the proof, binds root to size.
    """
    cases = []
    for index, size, proof in INCLUSION:
        good_root = ROOTS[size]
        for position in range(len(proof)):
            for bit in (0, 131, 255):
                cases.append((f"flip e{position} b{bit}", index, index, size,
                              _flip(proof, position, bit), good_root))
        cases += [
            ("wrong index", index, (index + 1) % size, size, proof, good_root),
            ("index out of range", index, size, size, proof, good_root),
            ("size of another tree", index, index, size - 1, proof, ROOTS[size - 1]),
            ("truncated", index, index, size, proof[:-1], good_root),
            ("extended", index, index, size, [*proof, proof[0]], good_root),
            ("extra leading element", index, index, size, [proof[0], *proof], good_root),
            ("wrong root", index, index, size, proof, ROOTS[size - 1]),
            ("wrong leaf", (index + 1) % size, index, size, proof, good_root),
            ("short element", index, index, size, [proof[0][:31], *proof[1:]], good_root),
            ("long element", index, index, size, [proof[0] + b"\0", *proof[1:]], good_root),
        ]
    return cases


@pytest.mark.parametrize(("label", "leaf", "index", "size", "proof", "tree_root"),
                         _inclusion_corruptions())
def test_corrupted_inclusion_proofs_are_rejected(
    label: str, leaf: int, index: int, size: int, proof: list[bytes], tree_root: bytes
) -> None:
    with pytest.raises(ProofInvalid):
        verify_inclusion(leaf_hash(LEAVES[leaf]), index, size, proof, tree_root)


def test_inclusion_rejects_bad_root_and_leaf_sizes() -> None:
    index, size, proof = INCLUSION[0]
    with pytest.raises(ProofInvalid):
        verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size][:16])
    with pytest.raises(ProofInvalid):
        verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


# -- corrupted consistency proofs -------------------------------------------------------------

def _consistency_corruptions() -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    cases = []
    for size1, size2, proof in CONSISTENCY:
        r1, r2 = ROOTS[size1], ROOTS[size2]
        for position in range(len(proof)):
            for bit in (0, 77, 255):
                cases.append((f"flip e{position} b{bit}", size1, size2, r1, r2,
                              _flip(proof, position, bit)))
        cases += [
            ("another size1", size1 + 1, size2, ROOTS[size1 + 1], r2, proof),
            ("another size2", size1, size2 - 1, r1, ROOTS[size2 - 1], proof),
            ("size1 > size2", size2 + 1, size2, r1, r2, proof),
            ("truncated", size1, size2, r1, r2, proof[:-1]),
            ("empty", size1, size2, r1, r2, []),
            ("extended", size1, size2, r1, r2, [*proof, proof[0]]),
            ("wrong root1", size1, size2, ROOTS[size1 + 1], r2, proof),
            ("wrong root2", size1, size2, r1, ROOTS[size2 - 1], proof),
            ("swapped roots", size1, size2, r2, r1, proof),
            ("short element", size1, size2, r1, r2, [proof[0][:31], *proof[1:]]),
        ]
    return cases


@pytest.mark.parametrize(("label", "size1", "size2", "root1", "root2", "proof"),
                         _consistency_corruptions())
def test_corrupted_consistency_proofs_are_rejected(
    label: str, size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> None:
    with pytest.raises(ProofInvalid):
        verify_consistency(size1, size2, root1, root2, proof)


def test_consistency_with_equal_sizes_needs_equal_roots_and_no_proof() -> None:
    verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    with pytest.raises(ProofInvalid):
        verify_consistency(5, 5, ROOTS[5], ROOTS[6], [])
    with pytest.raises(ProofInvalid):
        verify_consistency(5, 5, ROOTS[5], ROOTS[5], [ROOTS[1]])


def test_consistency_from_the_empty_tree_needs_the_empty_root_and_no_proof() -> None:
    assert TREE.consistency_proof(0, 8) == []
    verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [])
    with pytest.raises(ProofInvalid):
        verify_consistency(0, 8, ROOTS[1], ROOTS[8], [])
    with pytest.raises(ProofInvalid):
        verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [ROOTS[8]])


# -- argument checking ------------------------------------------------------------------------

@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (4, 3), (-1, 3)])
def test_inclusion_proof_for_a_leaf_outside_the_tree_is_a_value_error(
    index: int, size: int
) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_ranges(index, size)


@pytest.mark.parametrize(("size1", "size2"), [(4, 3), (-1, 3)])
def test_consistency_proof_backwards_is_a_value_error(size1: int, size2: int) -> None:
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_ranges(size1, size2)


def test_memory_tree_refuses_ranges_past_its_end() -> None:
    with pytest.raises(ValueError, match="outside"):
        TREE.subtree(0, 9)


def test_memory_tree_append_grows_the_tree() -> None:
    tree = MemoryTree()
    for leaf in LEAVES:
        tree.append(leaf)
    assert len(tree) == 8
    assert tree.root() == ROOTS[8]
    assert tree.leaf_hash(2) == leaf_hash(LEAVES[2])


# -- aligned blocks and range hashes ----------------------------------------------------------

def test_aligned_blocks_of_a_small_range() -> None:
    assert aligned_blocks(3, 13) == [(0, 3), (2, 1), (2, 2), (0, 12)]
    assert aligned_blocks(0, 8) == [(3, 0)]
    assert aligned_blocks(5, 5) == []


def test_left_fold_of_blocks_is_not_the_rfc_hash_but_range_hash_is() -> None:
    """The naive fold is wrong for ranges that do not start on their own alignment."""
    hashes = [leaf_hash(leaf) for leaf in LEAVES]
    blocks = aligned_blocks(1, 4)
    assert blocks == [(0, 1), (1, 1)]
    right_fold = node_hash(hashes[1], node_hash(hashes[2], hashes[3]))
    assert right_fold != root_from_leaf_hashes(hashes[1:4])

    def block(level: int, index: int) -> bytes:
        return root_from_leaf_hashes(hashes[index << level:(index + 1) << level])
    assert range_hash_from_blocks(1, 4, block) == root_from_leaf_hashes(hashes[1:4])


@st.composite
def ranges(draw: st.DrawFn, limit: int = 300) -> tuple[int, int]:
    start = draw(st.integers(0, limit - 1))
    end = draw(st.integers(start + 1, limit))
    return start, end


@QUICK
@given(ranges())
def test_aligned_blocks_tile_the_range_minimally(bounds: tuple[int, int]) -> None:
    start, end = bounds
    blocks = aligned_blocks(start, end)
    position = start
    for level, index in blocks:
        assert index << level == position
        position += 1 << level
    assert position == end
    for (level_a, index_a), (level_b, _) in itertools.pairwise(blocks):
        assert not (level_a == level_b and index_a % 2 == 0), "two blocks could merge"


@QUICK
@given(ranges())
def test_range_hash_from_blocks_is_the_root_of_the_slice(bounds: tuple[int, int]) -> None:
    start, end = bounds
    hashes = [leaf_hash(leaf) for leaf in _leaves(end)]

    def block(level: int, index: int) -> bytes:
        return root_from_leaf_hashes(hashes[index << level:(index + 1) << level])
    assert range_hash_from_blocks(start, end, block) == ref_mth(_leaves(end)[start:end])


def _rfc_shaped(start: int, end: int) -> bool:
    span = 1
    while span < end - start:
        span *= 2
    return start % span == 0


@QUICK
@given(st.integers(1, 300), st.data())
def test_proof_ranges_are_rfc_shaped_and_need_only_their_aligned_blocks(
    size: int, data: st.DataObject
) -> None:
    """The claim storage relies on: a proof range's hash is the right fold of its blocks."""
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(0, size))
    hashes = [leaf_hash(leaf) for leaf in _leaves(size)]
    for start, end in inclusion_ranges(index, size) + consistency_ranges(size1, size):
        assert _rfc_shaped(start, end)
        blocks = [root_from_leaf_hashes(hashes[i << lv:(i + 1) << lv])
                  for lv, i in aligned_blocks(start, end)]
        folded = blocks[-1]
        for left in reversed(blocks[:-1]):
            folded = node_hash(left, folded)
        assert folded == root_from_leaf_hashes(hashes[start:end])
        asked: list[tuple[int, int]] = []

        def block(level: int, idx: int, asked: list[tuple[int, int]] = asked) -> bytes:
            asked.append((level, idx))
            return root_from_leaf_hashes(hashes[idx << level:(idx + 1) << level])
        range_hash_from_blocks(start, end, block)
        assert asked == aligned_blocks(start, end)


# -- properties against the reference ---------------------------------------------------------

@QUICK
@given(st.integers(0, 300))
def test_iterative_root_matches_the_recursive_definition(size: int) -> None:
    assert root(_leaves(size)) == ref_mth(_leaves(size))


@QUICK
@given(st.integers(1, 300), st.data())
def test_inclusion_proofs_match_the_rfc_and_verify(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    leaves = _leaves(size)
    tree = MemoryTree.from_leaves(leaves)
    proof = inclusion_proof(index, size, tree.subtree)
    assert proof == ref_path(index, leaves)
    verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root(leaves))


@QUICK
@given(st.integers(1, 300), st.data())
def test_consistency_proofs_match_the_rfc_and_verify(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.integers(1, size2))
    leaves = _leaves(size2)
    tree = MemoryTree.from_leaves(leaves)
    proof = consistency_proof(size1, size2, tree.subtree)
    assert proof == ref_subproof(size1, leaves, True)
    verify_consistency(size1, size2, root(leaves[:size1]), root(leaves), proof)


@QUICK
@given(st.integers(2, 300), st.data())
def test_any_single_byte_change_to_an_inclusion_proof_is_caught(
    size: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, size - 1))
    tree = MemoryTree.from_leaves(_leaves(size))
    proof = tree.inclusion_proof(index)
    position = data.draw(st.integers(0, len(proof) - 1))
    offset = data.draw(st.integers(0, 31))
    delta = data.draw(st.integers(1, 255))
    changed = bytearray(proof[position])
    changed[offset] ^= delta
    proof[position] = bytes(changed)
    with pytest.raises(ProofInvalid):
        verify_inclusion(tree.leaf_hash(index), index, size, proof, tree.root())


@QUICK
@given(st.integers(3, 300), st.data())
def test_any_single_byte_change_to_a_consistency_proof_is_caught(
    size2: int, data: st.DataObject
) -> None:
    size1 = data.draw(st.integers(1, size2 - 1))
    tree = MemoryTree.from_leaves(_leaves(size2))
    proof = tree.consistency_proof(size1)
    position = data.draw(st.integers(0, len(proof) - 1))
    offset = data.draw(st.integers(0, 31))
    delta = data.draw(st.integers(1, 255))
    changed = bytearray(proof[position])
    changed[offset] ^= delta
    proof[position] = bytes(changed)
    with pytest.raises(ProofInvalid):
        verify_consistency(size1, size2, tree.root(size1), tree.root(), proof)


@QUICK
@given(st.integers(2, 300), st.data())
def test_a_proof_for_one_size_does_not_verify_at_another(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 2))
    tree = MemoryTree.from_leaves(_leaves(size))
    proof = tree.inclusion_proof(index, size - 1)
    with pytest.raises(ProofInvalid):
        verify_inclusion(tree.leaf_hash(index), index, size, proof, tree.root())


def test_fast_sha256_agrees_with_hashlib() -> None:
    data = bytes(range(256)) * 3
    assert merkle._sha256(data).digest() == hashlib.sha256(data).digest()
