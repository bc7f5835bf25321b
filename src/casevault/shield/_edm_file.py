"""The exact-data-match index on disk, so a scan need not rebuild it.

Format, version 1 (little-endian throughout)::

    b"casevault-edm-index v1\\n"
    header   16 bytes key check (HMAC of a fixed label: which key built the index)
             1 byte bucket bits, 3 zero bytes,
             8 bytes entry count n, 8 bytes person count p, 8 bytes id-blob length
    buckets  (2**bits + 1) x uint32      first entry of each hash bucket
    hashes   n x uint64                  keyed hashes, sorted
    ordinals n x uint32                  person ordinal of each hash
    starts   (p + 1) x uint32            where each person id starts in the blob
    blob     person ids, each followed by a newline (opaque ids, no personal data)
    trailer  32 bytes HMAC-SHA256 under the shield key of everything before it

The file holds keyed hashes and opaque person ids only. The trailer means that
someone who can write the file but does not hold the key cannot quietly remove a
person from the index (which would let a leak of that person pass).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import struct
from array import array
from pathlib import Path
from typing import BinaryIO, Final

from casevault.errors import ConfigError, FormatVersionError
from casevault.shield._edm_table import HashTable, KeyedHasher, PersonDirectory, little_endian

MAGIC: Final = b"casevault-edm-index v1\n"
_MAGIC_STEM: Final = b"casevault-edm-index v"
_HEADER: Final = struct.Struct("<16sB3xQQQ")
_TRAILER: Final = 32


def save(table: HashTable, hasher: KeyedHasher, path: Path) -> None:
    """Write the index atomically (a reader sees the old file or the new one), mode 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            _write(handle, table, hasher)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write the exact-data-match index {path}: "
                          f"{exc.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _write(handle: BinaryIO, table: HashTable, hasher: KeyedHasher) -> None:
    mac = hasher.mac()
    header = _HEADER.pack(hasher.key_check(), table.bits, len(table.hashes),
                          len(table.persons), len(table.persons.blob))
    parts = (MAGIC, header, little_endian(table.buckets), little_endian(table.hashes),
             little_endian(table.ordinals), little_endian(table.persons.starts),
             table.persons.blob)
    for part in parts:
        data = memoryview(part).cast("B")
        mac.update(data)
        handle.write(data)
    handle.write(mac.digest())


def load(path: Path, hasher: KeyedHasher) -> HashTable:
    """Read an index written by ``save`` with the same key; refuse any other file."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the exact-data-match index {path}: "
                          f"{exc.strerror}; build it first") from None
    body = memoryview(content)[:-_TRAILER] if len(content) > _TRAILER else memoryview(b"")
    if not content.startswith(MAGIC):
        _refuse_header(content, path)
    mac = hasher.mac()
    mac.update(body)
    header = body[len(MAGIC):len(MAGIC) + _HEADER.size]
    if len(header) == _HEADER.size and not hmac.compare_digest(
            _HEADER.unpack(header)[0], hasher.key_check()):
        raise ConfigError(f"the exact-data-match index {path} was built with another key; "
                          "rebuild it")
    if not hmac.compare_digest(mac.digest(), content[-_TRAILER:]):
        raise ConfigError(f"the exact-data-match index {path} is damaged or was altered; "
                          "rebuild it")
    return _parse(body[len(MAGIC):], path)


def _refuse_header(content: bytes, path: Path) -> None:
    if content.startswith(_MAGIC_STEM):
        raise FormatVersionError(f"the exact-data-match index {path} has a format version this "
                                 "release cannot read; rebuild it")
    raise ConfigError(f"{path} is not a casevault exact-data-match index")


def _parse(data: memoryview, path: Path) -> HashTable:
    _, bits, entries, persons, blob_length = _HEADER.unpack(data[:_HEADER.size])
    sizes = (("I", (1 << bits) + 1), ("Q", entries), ("I", entries), ("I", persons + 1))
    position = _HEADER.size
    arrays: list[array[int]] = []
    for typecode, count in sizes:
        values = array(typecode)
        end = position + count * values.itemsize
        values.frombytes(data[position:end])
        arrays.append(little_endian(values))
        position = end
    blob = bytes(data[position:position + blob_length])
    if position + blob_length != len(data) or len(arrays[-1]) != persons + 1:
        raise ConfigError(f"the exact-data-match index {path} is truncated; rebuild it")
    buckets, hashes, ordinals, starts = arrays
    return HashTable(hashes, ordinals, buckets, PersonDirectory(blob, starts))
