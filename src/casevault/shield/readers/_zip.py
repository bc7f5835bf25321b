"""ZIP containers (archives, XLSX, DOCX) opened and decompressed within limits: no zip bombs.

A zip bomb is a small file that expands to gigabytes: by ratio (one member of
zeros), by count (millions of entries), by nesting (archives within archives)
or by overlapping entries. Each is refused with ``ArchiveRefused`` naming the
limit, checked at three points:

1. Before ``zipfile`` reads the central directory (which it holds in memory),
   the end record is read here: too many entries or too large a directory is
   refused without allocating it.
2. Each member's declared size and ratio are checked before it is opened.
3. While a member decompresses, the bytes that come out are counted against the
   member, ratio and whole-file limits, so a header that lies is caught as the
   data arrives. (``zipfile`` itself also never returns more than a member's
   declared size and checks its CRC, so a lying header cannot reach openpyxl
   either, which opens XLSX parts itself.)
"""

from __future__ import annotations

import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Protocol

from casevault.errors import ArchiveRefused, UnreadableFile
from casevault.shield.model import Unit
from casevault.shield.readers._limits import KIB, MIB, ReadLimits

_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_END_SIZE, _LOCATOR_SIZE, _END64_SIZE = 22, 20, 56
_MAX_COMMENT = 0xFFFF
_DIRECTORY_BYTES_PER_MEMBER = 1 * KIB
_COPY_CHUNK = 1 * MIB


@dataclass(slots=True)
class Budget:
    """Uncompressed bytes produced so far for one file, across all its archive levels."""

    limits: ReadLimits
    file: str
    produced: int = 0

    def spend(self, count: int) -> None:
        self.produced += count
        if self.produced > self.limits.max_total_bytes:
            raise ArchiveRefused(self.file, "expands to more than "
                                 f"{self.limits.max_total_bytes} bytes in all "
                                 "(ReadLimits.max_total_bytes)")


def open_zip(stream: IO[bytes], file: str, limits: ReadLimits) -> zipfile.ZipFile:
    """The archive, once its central directory is known to be of a bounded size."""
    entries, directory = _directory_extent(stream)
    if entries > limits.max_members:
        raise ArchiveRefused(file, f"has more than {limits.max_members} members "
                                   "(ReadLimits.max_members)")
    if directory > limits.max_members * _DIRECTORY_BYTES_PER_MEMBER:
        raise ArchiveRefused(file, "has a central directory too large for "
                                   f"{limits.max_members} members (ReadLimits.max_members)")
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            struct.error, UnicodeDecodeError) as exc:
        raise UnreadableFile(file, f"is a damaged ZIP container ({type(exc).__name__})") from exc
    if len(archive.infolist()) > limits.max_members:
        archive.close()
        raise ArchiveRefused(file, f"has more than {limits.max_members} members "
                                   "(ReadLimits.max_members)")
    return archive


def _directory_extent(stream: IO[bytes]) -> tuple[int, int]:
    """(entries, central directory bytes) as the end records claim them; the larger if two claim.

    Found the way ``zipfile`` finds them: the last end-of-directory signature in
    the final 64 KiB, and a ZIP64 end record just before its locator.
    """
    size = stream.seek(0, 2)
    start = max(size - _MAX_COMMENT - _END_SIZE, 0)
    stream.seek(start)
    tail = stream.read()
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < _END_SIZE:
        return 0, 0  # not a ZIP end record: zipfile will refuse the file itself
    entries, directory = struct.unpack("<HI", tail[at + 10:at + 16])
    locator = start + at - _LOCATOR_SIZE
    if locator >= _END64_SIZE:
        stream.seek(locator - _END64_SIZE)
        record = stream.read(_END64_SIZE + 4)
        if record[:4] == _END64 and record[_END64_SIZE:] == _END64_LOCATOR:
            entries64, directory64 = struct.unpack("<QQ", record[32:48])
            entries, directory = max(entries, entries64), max(directory, directory64)
    return entries, directory


def check_declared(info: zipfile.ZipInfo, file: str, limits: ReadLimits) -> None:
    """Refuse a member from its header alone: encrypted, too large, or too compressed."""
    if info.flag_bits & 0x1:
        raise UnreadableFile(file, f"has an encrypted member {info.filename!r} that cannot "
                                   "be scanned")
    if info.file_size > limits.max_member_bytes:
        raise ArchiveRefused(file, f"member {info.filename!r} expands to more than "
                                   f"{limits.max_member_bytes} bytes (ReadLimits.max_member_bytes)")
    _check_ratio(info, info.file_size, file, limits)


def _check_ratio(info: zipfile.ZipInfo, produced: int, file: str, limits: ReadLimits) -> None:
    allowed = limits.max_ratio * max(info.compress_size, 1)
    if produced > limits.ratio_floor_bytes and produced > allowed:
        raise ArchiveRefused(file, f"member {info.filename!r} expands more than "
                                   f"{limits.max_ratio} times (ReadLimits.max_ratio): a zip bomb?")


class Member:
    """A member's decompressed bytes, counted against the limits as they come out."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str,
                 budget: Budget) -> None:
        check_declared(info, file, budget.limits)
        self._info, self._file, self._budget = info, file, budget
        self._limits = budget.limits
        self._raw = archive.open(info)
        self.produced = 0

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return b"".join(self.chunks())
        data = self._raw.read(size)
        self.produced += len(data)
        if self.produced > self._limits.max_member_bytes:
            raise ArchiveRefused(self._file, f"member {self._info.filename!r} expands to "
                                 f"more than {self._limits.max_member_bytes} bytes "
                                 "(ReadLimits.max_member_bytes)")
        _check_ratio(self._info, self.produced, self._file, self._limits)
        self._budget.spend(len(data))
        return data

    def chunks(self) -> Iterator[bytes]:
        while data := self.read(_COPY_CHUNK):
            yield data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Member:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Reader(Protocol):
    """Reads one stream as whatever its content is (the dispatcher), at an archive depth."""

    def __call__(self, stream: IO[bytes], file: str, depth: int, /) -> Iterator[Unit]: ...


@contextmanager
def spooled(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str,
            budget: Budget) -> Iterator[IO[bytes]]:
    """A member decompressed (within the limits) into memory, or a temporary file if large."""
    with Member(archive, info, file, budget) as member, tempfile.SpooledTemporaryFile(
            max_size=budget.limits.spool_bytes) as spool:
        for chunk in member.chunks():
            spool.write(chunk)
        spool.seek(0)
        yield spool


def nested(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str, depth: int,
           budget: Budget, read: Reader) -> Iterator[Unit]:
    """The units of one member read as a file of its own, named ``file!member``."""
    if depth + 1 > budget.limits.max_depth:
        raise ArchiveRefused(file, f"nests archives deeper than {budget.limits.max_depth} "
                                   "levels (ReadLimits.max_depth)")
    with spooled(archive, info, file, budget) as member:
        yield from read(member, f"{file}!{info.filename}", depth + 1)


def read_archive(archive: zipfile.ZipFile, file: str, depth: int, budget: Budget,
                 read: Reader) -> Iterator[Unit]:
    """Every member of a plain archive, one after the other."""
    for info in archive.infolist():
        if not info.is_dir():
            yield from nested(archive, info, file, depth, budget, read)
