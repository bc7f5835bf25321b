"""The key-encryption key (KEK): held outside the database, behind one small interface.

Data keys are useless without the KEK, so the KEK never enters the database, its
backups or its logs. Three sources, one interface (``KeyEncryptionKey``):

* a key file (the default, ``<key_dir>/data-kek.key``), mode 0600 or stricter;
  a file readable by group or others is refused, never silently used;
* the ``CASEVAULT_KEK`` environment variable (``id:base64[,id:base64...]``, the
  first entry current), for containers that receive secrets as variables;
* an adapter seam: anything with ``current_id``, ``wrap`` and ``unwrap`` (a PKCS#11
  token or a cloud KMS does the wrapping itself and never reveals the key).

Key file format, version 1 (UTF-8)::

    casevault-kek v1
    current <id>
    key <id> <base64 of 32 bytes>
    key <older id> <base64 of 32 bytes>

Several keys may be listed so that a rotation can be resumed: data keys wrapped
under an older KEK stay readable until they are rewrapped and the old key retired.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casevault.errors import ConfigError, KeyUnavailable

KEK_FILE_NAME: Final = "data-kek.key"
KEK_ENV: Final = "CASEVAULT_KEK"
KEK_FILE_ENV: Final = "CASEVAULT_KEK_FILE"
HEADER: Final = "casevault-kek v1"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
WRAP_VERSION: Final = b"\x01"
_ID: Final = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class KeyEncryptionKey(Protocol):
    """What the store needs from a KEK: wrap and unwrap data keys, bound to a context."""

    @property
    def current_id(self) -> str: ...

    def wrap(self, key: bytes, context: bytes) -> tuple[bytes, str]:
        """``key`` wrapped under the current KEK, and that KEK's id."""
        ...

    def unwrap(self, wrapped: bytes, kek_id: str, context: bytes) -> bytes:
        """The data key; raises ``KeyUnavailable`` for an unknown KEK or a wrong context."""
        ...


class LocalKek:
    """KEKs held in process memory (from a key file or the environment); AES-256-GCM wrap.

    The context (a person id, or the name of a database-wide key) is the associated
    data, so a wrapped key moved to another person's row does not unwrap.
    """

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ConfigError(f"the current key-encryption key {current!r} is not listed")
        self._keys = {kek_id: AESGCM(key) for kek_id, key in keys.items()}
        self._current = current

    @property
    def current_id(self) -> str:
        return self._current

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def wrap(self, key: bytes, context: bytes) -> tuple[bytes, str]:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(nonce, key, context)
        return WRAP_VERSION + nonce + sealed, self._current

    def unwrap(self, wrapped: bytes, kek_id: str, context: bytes) -> bytes:
        cipher = self._keys.get(kek_id)
        if cipher is None:
            msg = (f"data key wrapped under key-encryption key {kek_id!r}, which is not "
                   "configured; restore that key to the key file (or CASEVAULT_KEK)")
            raise KeyUnavailable(msg)
        if wrapped[:1] != WRAP_VERSION:
            raise KeyUnavailable("a wrapped data key has an unknown format version")
        try:
            return cipher.decrypt(wrapped[1:1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES:], context)
        except InvalidTag:
            raise KeyUnavailable("a wrapped data key does not unwrap for its record "
                                 "(moved, altered, or wrapped under another key)") from None


def load_kek(key_dir: Path, environ: Mapping[str, str] | None = None) -> LocalKek:
    """The KEK in force: ``CASEVAULT_KEK``, else ``CASEVAULT_KEK_FILE``, else the key file."""
    env = os.environ if environ is None else environ
    if env.get(KEK_ENV):
        return kek_from_env(env[KEK_ENV])
    path = Path(env[KEK_FILE_ENV]) if env.get(KEK_FILE_ENV) else key_dir / KEK_FILE_NAME
    if not path.exists():
        create_kek_file(path)
    return read_kek_file(path)


def kek_from_env(value: str) -> LocalKek:
    keys: dict[str, bytes] = {}
    for entry in value.split(","):
        kek_id, _, encoded = entry.strip().partition(":")
        key = _decode(encoded)
        if not _ID.fullmatch(kek_id) or key is None:
            raise ConfigError(f"{KEK_ENV} must be id:base64-of-32-bytes[,id:base64...]")
        keys[kek_id] = key
    return LocalKek(keys, next(iter(keys)))


def new_kek_id() -> str:
    return f"kek-{secrets.token_hex(6)}"


def _decode(text: str) -> bytes | None:
    try:
        key = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return key if len(key) == KEY_BYTES else None


def read_kek_file(path: Path) -> LocalKek:
    """The KEKs of a key file, refusing a file that others can read."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"key-encryption key {path} is not a regular file")
        if mode & 0o077:
            raise ConfigError(f"key-encryption key {path} is accessible to group or others "
                              f"(mode {stat.S_IMODE(mode):04o}); run chmod 600 on it")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read key-encryption key {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a casevault key-encryption key file") from None
    return _parse(text, path)


def _parse(text: str, path: Path) -> LocalKek:
    keys, current = _parse_keys(text, path)
    return LocalKek(keys, current)


def _parse_keys(text: str, path: Path) -> tuple[dict[str, bytes], str]:
    lines = [line for line in text.split("\n") if line]
    if not lines or lines[0] != HEADER:
        raise ConfigError(f"key-encryption key {path} does not start with {HEADER!r}")
    current: str | None = None
    keys: dict[str, bytes] = {}
    for line in lines[1:]:
        parts = line.split(" ")
        if len(parts) == 2 and parts[0] == "current":
            current = parts[1]
        elif len(parts) == 3 and parts[0] == "key" and _ID.fullmatch(parts[1]):
            key = _decode(parts[2])
            if key is None:
                raise ConfigError(f"key-encryption key {path}: key {parts[1]!r} is malformed")
            keys[parts[1]] = key
        else:
            raise ConfigError(f"key-encryption key {path} has a malformed line")
    if current is None:
        raise ConfigError(f"key-encryption key {path} names no current key")
    return keys, current


def write_kek_file(path: Path, keys: Mapping[str, bytes], current: str, *,
                   replace: bool = True) -> None:
    """Write a key file with mode 0600: atomically replacing it, or only if there is none.

    Creation never replaces an existing file: if two processes race, the loser keeps
    the winner's key, so one database never gets data keys under two unknown KEKs.
    """
    lines = [HEADER, f"current {current}"]
    lines += [f"key {kek_id} {base64.b64encode(key).decode('ascii')}"
              for kek_id, key in keys.items()]
    content = ("\n".join(lines) + "\n").encode()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            if replace:
                temporary.replace(path)
            else:
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    except OSError as exc:
        raise ConfigError(f"cannot write key-encryption key {path}: {exc.strerror}") from None


def create_kek_file(path: Path) -> None:
    """A new key file with one random KEK (never replaces an existing file)."""
    kek_id = new_kek_id()
    write_kek_file(path, {kek_id: secrets.token_bytes(KEY_BYTES)}, kek_id, replace=False)


def file_keys(path: Path) -> tuple[dict[str, bytes], str]:
    """The raw keys of a key file and its current id (for rotation), after the same checks."""
    read_kek_file(path)
    return _parse_keys(path.read_text(encoding="utf-8"), path)
