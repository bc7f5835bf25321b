"""Encrypted, consistent backups of the whole database (ledger included), and their restore.

A backup is every row of every table read in one transaction (a snapshot on both
SQLite and PostgreSQL, ``REPEATABLE READ`` there), encoded as versioned JSON lines,
compressed, and encrypted in 1 MiB chunks with AES-256-GCM under a fresh backup key.
The backup key is wrapped by the KEK, so the file is useless without it. Each chunk's
associated data binds the file header, the chunk's index and whether it is the
last, so chunks cannot be reordered, dropped or truncated unnoticed.

Sealed fields stay sealed inside: the backup holds the same ciphertexts and wrapped
data keys as the database. Restoring shreds again every person erased since the
backup was taken (the live database's ``erasures`` and the erasure register beside
the KEK), before the restored database is handed back: an erased person stays erased.

File layout::

    casevault-backup v1\\n
    <header JSON>\\n            {"format", "version", "kek_id", "wrapped_key", "created_at", ...}
    (<4-byte length><chunk>)*   AES-256-GCM, nonce = 4 zero bytes + 8-byte index
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, DateTime, Engine, Table, delete, func, insert, select

from casevault.errors import InputError, KeyUnavailable
from casevault.store import erasure as store_erasure
from casevault.store.database import upgrade_schema
from casevault.store.keys import ErasureRegister, keyring
from casevault.store.keys._ring import meta_context
from casevault.store.tables import metadata

MAGIC: Final = b"casevault-backup v1\n"
FORMAT_VERSION: Final = 1
CHUNK: Final = 1 << 20
_ROWS: Final = 5_000


@dataclass(frozen=True, slots=True)
class BackupReport:
    tables: int
    rows: int
    bytes_written: int


@dataclass(frozen=True, slots=True)
class RestoreReport:
    rows: int
    erased_again: tuple[str, ...]


def _tables() -> list[Table]:
    return list(metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | memoryview | bytearray):
        return {"b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"t": moment.astimezone(UTC).isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "b" in value:
            return base64.b64decode(value["b"])
        if "t" in value:
            return datetime.fromisoformat(value["t"])
        if "d" in value:
            return date.fromisoformat(value["d"])
    return value


def _snapshot_lines(connection: Connection) -> Iterator[bytes]:
    for table in _tables():
        names = [c.name for c in table.columns]
        yield json.dumps({"table": table.name, "columns": names}).encode() + b"\n"
        order = list(table.primary_key.columns) or list(table.columns)
        result = connection.execute(select(*table.columns).order_by(*order).execution_options(
            stream_results=True, yield_per=_ROWS))
        for row in result:
            yield json.dumps([_encode(v) for v in row], separators=(",", ":")).encode() + b"\n"


class _ChunkWriter:
    def __init__(self, out: IO[bytes], cipher: AESGCM, header_digest: bytes) -> None:
        self._out, self._cipher, self._digest = out, cipher, header_digest
        self._buffer = bytearray()
        self._index = 0
        self.written = 0

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    def close(self) -> None:
        self._emit(bytes(self._buffer), last=True)

    def _emit(self, plain: bytes, *, last: bool) -> None:
        nonce = b"\0\0\0\0" + struct.pack(">Q", self._index)
        sealed = self._cipher.encrypt(nonce, plain, _chunk_aad(self._digest, self._index, last))
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self.written += 4 + len(sealed)
        self._index += 1


def _chunk_aad(digest: bytes, index: int, last: bool) -> bytes:
    return digest + struct.pack(">Q?", index, last)


def backup(engine: Engine, out: Path) -> BackupReport:
    """Write an encrypted snapshot of the whole database to ``out`` (never overwritten)."""
    if out.exists():
        raise InputError(f"{out} exists; choose a new file name for the backup")
    key = AESGCM.generate_key(bit_length=256)
    ring = keyring()
    backup_id = hashlib.sha256(key).hexdigest()[:16]
    wrapped, kek_id = ring.kek.wrap(key, meta_context(f"backup:{backup_id}"))
    header = json.dumps({
        "format": "casevault-backup", "version": FORMAT_VERSION, "backup_id": backup_id,
        "kek_id": kek_id, "wrapped_key": base64.b64encode(wrapped).decode("ascii"),
        "created_at": datetime.now(UTC).isoformat(), "dialect": engine.dialect.name,
    }, sort_keys=True).encode()
    rows = 0
    compressor = zlib.compressobj(6)
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" \
        else {}
    with out.open("xb") as handle:
        handle.write(MAGIC + header + b"\n")
        writer = _ChunkWriter(handle, AESGCM(key), hashlib.sha256(MAGIC + header).digest())
        with engine.connect().execution_options(**options) as connection, connection.begin():
            for line in _snapshot_lines(connection):
                rows += 1
                writer.write(compressor.compress(line))
        writer.write(compressor.flush())
        writer.close()
        handle.flush()
    return BackupReport(len(_tables()), rows - len(_tables()), writer.written + len(header))


def _read_plain(path: Path) -> Iterator[bytes]:
    """The decrypted, decompressed lines of a backup, each chunk checked before use."""
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise InputError(f"{path} is not a casevault backup")
        header = handle.readline().rstrip(b"\n")
        meta = json.loads(header)
        if meta.get("version") != FORMAT_VERSION:
            raise InputError(f"{path}: backup format version {meta.get('version')!r} is not "
                             f"supported (this release reads version {FORMAT_VERSION})")
        key = keyring().kek.unwrap(base64.b64decode(meta["wrapped_key"]), meta["kek_id"],
                                   meta_context(f"backup:{meta['backup_id']}"))
        cipher, digest = AESGCM(key), hashlib.sha256(MAGIC + header).digest()
        decompressor = zlib.decompressobj()
        pending = b""
        index = 0
        last = False
        while not last:
            size = handle.read(4)
            if len(size) < 4:
                raise InputError(f"{path} is truncated (its last chunk is missing)")
            sealed = handle.read(struct.unpack(">I", size)[0])
            plain = None
            for last in (False, True):
                try:
                    plain = cipher.decrypt(b"\0\0\0\0" + struct.pack(">Q", index), sealed,
                                           _chunk_aad(digest, index, last))
                    break
                except InvalidTag:
                    continue
            if plain is None:
                raise KeyUnavailable(f"{path}: chunk {index} does not decrypt (altered, "
                                     "reordered, or another backup's)")
            index += 1
            pending += decompressor.decompress(plain)
            *lines, pending = pending.split(b"\n")
            yield from lines
        pending += decompressor.flush()
        if pending:
            yield pending


def restore(engine: Engine, source: Path, *, register: ErasureRegister,
            replace: bool = False) -> RestoreReport:
    """Load a backup into ``engine``'s database, then shred everyone erased since.

    The database must be empty unless ``replace``: then its rows are replaced, after its
    own list of erasures is read (so erasures made after the backup are applied again).
    """
    upgrade_schema(engine)
    with engine.connect() as connection:
        erased = store_erasure.erased_persons(connection)
        populated = any(connection.execute(select(func.count()).select_from(t)).scalar_one()
                        for t in _tables())
    if populated and not replace:
        raise InputError("the database is not empty; restore into an empty database, or "
                         "pass --replace to replace its content with the backup's")
    erased.update(register.erased())
    rows = 0
    with engine.begin() as connection:
        for table in reversed(_tables()):
            connection.execute(delete(table))
        rows = _load(connection, _read_plain(source))
        again = store_erasure.shred_again(connection, erased)
    return RestoreReport(rows, tuple(again))


def _load(connection: Connection, lines: Iterator[bytes]) -> int:
    by_name = {t.name: t for t in _tables()}
    table: Table | None = None
    names: list[str] = []
    batch: list[dict[str, Any]] = []
    rows = 0

    def flush() -> None:
        if table is not None and batch:
            connection.execute(insert(table), batch)
            batch.clear()

    for line in lines:
        if not line:
            continue
        item = json.loads(line)
        if isinstance(item, dict):
            flush()
            table = by_name.get(item["table"])
            if table is None:
                raise InputError(f"the backup holds table {item['table']!r}, unknown to this "
                                 "release")
            names = item["columns"]
            continue
        values = [_decode(v) for v in item]
        if table is not None:
            record = dict(zip(names, values, strict=True))
            for name, column in table.columns.items():
                if isinstance(column.type, DateTime) and isinstance(record.get(name), str):
                    record[name] = datetime.fromisoformat(record[name])
            batch.append(record)
            rows += 1
        if len(batch) >= _ROWS:
            flush()
    flush()
    return rows
