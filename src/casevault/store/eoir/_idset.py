"""A set of numeric ids that stays small for the release's tens of millions of rows.

EOIR ids are dense positive integers, so a bitmap (one bit per possible id) holds
the ~50 million schedule ids in a few megabytes where a Python ``set`` would take
gigabytes. Ids too large for a sensible bitmap fall back to a ``set``.
"""

from __future__ import annotations

from typing import Final

_BITMAP_LIMIT: Final = 1 << 31
"""Ids below this live in the bitmap (at most 256 MiB, only if ids are that large)."""


class IdSet:
    """Membership of non-negative integer ids."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._overflow: set[int] = set()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __contains__(self, id_: int) -> bool:
        if id_ >= _BITMAP_LIMIT:
            return id_ in self._overflow
        byte = id_ >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (id_ & 7)))

    def add(self, id_: int) -> bool:
        """Add ``id_``; True when it was not there before."""
        if id_ in self:
            return False
        if id_ >= _BITMAP_LIMIT:
            self._overflow.add(id_)
        else:
            byte = id_ >> 3
            if byte >= len(self._bits):
                self._bits.extend(bytes(max(byte + 1, 2 * len(self._bits)) - len(self._bits)))
            self._bits[byte] |= 1 << (id_ & 7)
        self._size += 1
        return True
