"""The exact-data-match table: keyed hashes to person ordinals, compact and sorted.

A Python dict of a million people's keyed hashes would cost about 100 bytes an
entry (key object, value object, slot); this table costs 12. It holds two parallel
arrays sorted by hash, ``hashes`` (64-bit) and ``ordinals`` (32-bit positions in
the person directory), and a bucket array giving, for the top ``bits`` bits of a
hash, where its run starts. A look-up reads one bucket and bisects a run of a
few entries, in C: about as fast as a dict, with one entry per (hash, person),
so a key shared by many people (a common name, a birth date) is a longer run.

Hashes are HMAC-SHA256 under the shield's secret key of ``kind || 0x00 ||
normalized`` truncated to 64 bits: with 10 million entries a look-up of an
unknown value meets a stored hash by chance with probability about 5e-13.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from casevault.shield.model import Kind

SHORTENED_FLAG: Final = 1 << 31
"""Set on the ordinal of a pair whose name key is a shortened form of the person's name:
one look-up finds whole and shortened matches, the whole ones first in the run."""
ORDINAL_MASK: Final = SHORTENED_FLAG - 1
MAX_BUCKET_BITS: Final = 24
_BLOCK: Final = 64  # SHA-256 block size, for the HMAC pads
_KEY_CHECK_LABEL: Final = b"casevault-edm key check v1"

if array("I").itemsize != 4 or array("Q").itemsize != 8:  # pragma: no cover -- exotic ABI
    raise ImportError("exact data match needs 32- and 64-bit array item sizes")


class KeyedHasher:
    """HMAC-SHA256 with the pads precomputed: one copy and update per half.

    ``hmac.digest`` sets up an OpenSSL context per call (about 2 us here); copying
    two prepared SHA-256 states gives the same HMAC in well under half that. The
    hash is a closure over its state (no attribute look-ups on the hot path).
    """

    __slots__ = ("_key", "hash")

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the exact-data-match key must be at least 16 bytes")
        self._key = key
        self.hash = _hmac_function(key)

    def __call__(self, kind: Kind, normalized: str) -> int:
        return self.hash(kind, normalized)

    def key_check(self) -> bytes:
        """A value that tells whether a stored index was built with this key (not the key)."""
        return hmac.digest(self._key, _KEY_CHECK_LABEL, "sha256")[:16]

    def mac(self) -> hmac.HMAC:
        """A fresh HMAC over a stored index, so an altered file is refused."""
        return hmac.new(self._key, digestmod="sha256")


def _hmac_function(key: bytes) -> Callable[[Kind, str], int]:
    """``HMAC-SHA256(key, kind || 0x00 || normalized)``, first 8 bytes, big-endian."""
    padded = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in padded))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in padded))
    prefixes = {kind: kind.value.encode("ascii") + b"\0" for kind in Kind}
    unpack = struct.Struct(">Q").unpack_from

    def keyed_hash(kind: Kind, normalized: str) -> int:
        state = inner.copy()
        state.update(prefixes[kind] + normalized.encode("utf-8"))
        final = outer.copy()
        final.update(state.digest())
        value: int = unpack(final.digest())[0]
        return value

    return keyed_hash


class PersonDirectory:
    """Person ids by ordinal, as one byte string (ids newline-terminated) and start offsets."""

    __slots__ = ("blob", "starts")

    def __init__(self, blob: bytes, starts: array[int]) -> None:
        self.blob = blob
        self.starts = starts

    @classmethod
    def of(cls, person_ids: Iterable[str]) -> PersonDirectory:
        encoded = [person_id.encode("utf-8") + b"\n" for person_id in person_ids]
        starts = array("I", [0])
        total = 0
        for item in encoded:
            total += len(item)
            starts.append(total)
        return cls(b"".join(encoded), starts)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def person_id(self, ordinal: int) -> str:
        return self.blob[self.starts[ordinal]:self.starts[ordinal + 1] - 1].decode("utf-8")

    def all_ids(self) -> list[str]:
        return self.blob.decode("utf-8").split("\n")[:-1]


class HashTable:
    """Sorted (hash, ordinal) pairs with a bucket index, and the person directory."""

    __slots__ = ("_shift", "buckets", "hashes", "ordinals", "persons")

    def __init__(self, hashes: array[int], ordinals: array[int], buckets: array[int],
                 persons: PersonDirectory) -> None:
        self.hashes = hashes
        self.ordinals = ordinals
        self.buckets = buckets
        self.persons = persons
        self._shift = 64 - self.bits

    @property
    def bits(self) -> int:
        return (len(self.buckets) - 1).bit_length() - 1

    @classmethod
    def from_pairs(cls, hashes: array[int], ordinals: array[int],
                   persons: PersonDirectory) -> HashTable:
        """Sort the pairs (any order, no duplicates) and index their buckets."""
        hashes, ordinals = _sorted_pairs(hashes, ordinals)
        return cls(hashes, ordinals, _bucket_starts(hashes, _bucket_bits(len(hashes))), persons)

    def lookup(self, hashed: int) -> array[int]:
        """The ordinals of the persons a hash belongs to (empty if none)."""
        bucket = hashed >> self._shift
        low, high = self.buckets[bucket], self.buckets[bucket + 1]
        first = bisect_left(self.hashes, hashed, low, high)
        if first == high or self.hashes[first] != hashed:
            return _EMPTY
        return self.ordinals[first:bisect_right(self.hashes, hashed, first, high)]

    def replaced(self, drop: set[int], hashes: array[int], ordinals: array[int],
                 added_ids: Sequence[str]) -> HashTable:
        """A table without the persons at ``drop`` and with ``added_ids`` appended.

        ``ordinals`` of the new pairs count from 0 within ``added_ids``; kept persons
        keep their order, so their ordinals shift down past the dropped ones.
        """
        kept_ids = [pid for ordinal, pid in enumerate(self.persons.all_ids())
                    if ordinal not in drop]
        remap = _ordinal_remap(len(self.persons), drop)
        old = _arrow(self.ordinals, pa.uint32())
        flags = pc.bit_wise_and(old, _u32(SHORTENED_FLAG))
        moved = pc.take(_arrow(remap, pa.uint32()), pc.bit_wise_and(old, _u32(ORDINAL_MASK)))
        keep = pc.not_equal(moved, _u32(_GONE))
        kept_ordinals = pc.filter(pc.bit_wise_or(moved, flags), keep)
        kept_hashes = pc.filter(_arrow(self.hashes, pa.uint64()), keep)
        shifted = pc.add(_arrow(ordinals, pa.uint32()), _u32(len(kept_ids)))
        all_hashes = _to_array(pa.concat_arrays([kept_hashes, _arrow(hashes, pa.uint64())]), "Q")
        all_ordinals = _to_array(pa.concat_arrays([kept_ordinals, shifted]), "I")
        return HashTable.from_pairs(all_hashes, all_ordinals,
                                    PersonDirectory.of([*kept_ids, *added_ids]))


_EMPTY: Final = array("I")
_GONE: Final = 0xFFFFFFFF


def _bucket_bits(entries: int) -> int:
    """About four entries a bucket: the bisect inside a bucket takes two or three steps."""
    return max(1, min(MAX_BUCKET_BITS, (entries // 4).bit_length()))


def _bucket_starts(hashes: array[int], bits: int) -> array[int]:
    """``starts[b]`` is the first position whose hash has top bits >= b (one past the end last)."""
    shift = 64 - bits
    count = 1 << bits
    starts = array("I", bytes(4 * (count + 1)))
    position = 0
    for bucket in range(count):
        position = bisect_left(hashes, bucket << shift, position)
        starts[bucket] = position
    starts[count] = len(hashes)
    return starts


def _ordinal_remap(persons: int, drop: set[int]) -> array[int]:
    remap = array("I", bytes(4 * persons))
    position = 0
    for ordinal in range(persons):
        if ordinal in drop:
            remap[ordinal] = _GONE
        else:
            remap[ordinal] = position
            position += 1
    return remap


def _u32(value: int) -> Any:
    return pa.scalar(value, pa.uint32())


def _arrow(values: array[int], arrow_type: Any) -> Any:
    """A zero-copy Arrow view of an array (pyarrow sorts and filters in C, without numpy)."""
    return pa.Array.from_buffers(arrow_type, len(values), [None, pa.py_buffer(values)])


def _to_array(arrow_array: Any, typecode: str) -> array[int]:
    if isinstance(arrow_array, pa.ChunkedArray):
        arrow_array = arrow_array.combine_chunks()
    out = array(typecode)
    width = out.itemsize
    buffer = arrow_array.buffers()[1]
    if buffer is not None:
        start = arrow_array.offset * width
        out.frombytes(memoryview(buffer)[start:start + len(arrow_array) * width])
    return out


def _sorted_pairs(hashes: array[int], ordinals: array[int]) -> tuple[array[int], array[int]]:
    table = pa.table({"h": _arrow(hashes, pa.uint64()), "o": _arrow(ordinals, pa.uint32())})
    order = pc.sort_indices(table, sort_keys=[("h", "ascending"), ("o", "ascending")])
    ordered = table.take(order)
    return _to_array(ordered.column("h"), "Q"), _to_array(ordered.column("o"), "I")


def little_endian(values: array[int]) -> array[int]:
    """The array as stored (little-endian), copied and swapped only on big-endian hosts."""
    if sys.byteorder == "little":
        return values
    swapped = array(values.typecode, values)
    swapped.byteswap()
    return swapped
