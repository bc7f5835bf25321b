"""The ledger's signing key, kept outside the database.

A database administrator who could also read the signing key could rewrite
the log and re-sign its checkpoints, so the key lives in a file (or the
``CASEVAULT_LEDGER_KEY`` environment variable) that the database never holds.

Key file format, version 1 (UTF-8, three lines)::

    casevault-ledger-key v1
    name <note key name>
    ed25519-seed <base64 of the 32-byte Ed25519 private key seed>

The file must be readable by its owner only (mode 0600 or stricter). Errors
name the file and what to do, never the key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casevault.audit.checkpoint import Signer, is_valid_key_name
from casevault.errors import ConfigError

__all__ = ["KEY_FILE_HEADER", "load_or_create_hmac_key", "load_or_create_signing_key",
           "signing_key_from_env"]

KEY_FILE_HEADER = "casevault-ledger-key v1"
SEED_SIZE = 32


def load_or_create_signing_key(path: Path, key_name: str) -> Signer:
    """Load the signing key at ``path``, or create one there if there is none.

    Creation is atomic and never replaces a file: if two processes race, the
    loser loads the winner's key, so one log never gets two keys.
    """
    _check_key_name(key_name)
    if not path.exists():
        _create_key_file(path, key_name)
    return _load_key_file(path, key_name)


def signing_key_from_env(value: str, key_name: str) -> Signer:
    """Build the signer from ``CASEVAULT_LEDGER_KEY``: base64 of the 32-byte seed."""
    _check_key_name(key_name)
    seed = _decode_seed(value.strip())
    if seed is None:
        raise ConfigError("CASEVAULT_LEDGER_KEY must be the base64 of a 32-byte Ed25519 seed")
    return Signer(Ed25519PrivateKey.from_private_bytes(seed), key_name)


def _check_key_name(key_name: str) -> None:
    if not is_valid_key_name(key_name):
        raise ConfigError("the ledger key name must be non-empty, without spaces or '+'")


def _decode_seed(text: str) -> bytes | None:
    try:
        seed = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return seed if len(seed) == SEED_SIZE else None


def _load_key_file(path: Path, key_name: str) -> Signer:
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"ledger key {path} is not a regular file")
        if mode & 0o077:
            raise ConfigError(
                f"ledger key {path} is accessible to group or others "
                f"(mode {stat.S_IMODE(mode):04o}); run chmod 600 on it"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read ledger key {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"ledger key {path} is not a casevault key file") from None
    name, seed = _parse_key_file(text, path)
    if name != key_name:
        raise ConfigError(
            f"ledger key {path} is for key name {name!r}, not {key_name!r}; "
            "point the key file setting at the right file"
        )
    return Signer(Ed25519PrivateKey.from_private_bytes(seed), name)


def _parse_key_file(text: str, path: Path) -> tuple[str, bytes]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != KEY_FILE_HEADER:
        raise ConfigError(f"ledger key {path} does not start with {KEY_FILE_HEADER!r}")
    if len(lines) != 3 or not lines[1].startswith("name ") or not lines[2].startswith(
        "ed25519-seed "
    ):
        raise ConfigError(f"ledger key {path} is malformed: expected name and ed25519-seed lines")
    name = lines[1].removeprefix("name ")
    seed = _decode_seed(lines[2].removeprefix("ed25519-seed "))
    if not is_valid_key_name(name) or seed is None:
        raise ConfigError(f"ledger key {path} is malformed: bad key name or seed")
    return name, seed


def _create_key_file(path: Path, key_name: str) -> None:
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    encoded = base64.b64encode(seed).decode("ascii")
    content = f"{KEY_FILE_HEADER}\nname {key_name}\ned25519-seed {encoded}\n".encode()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            _write_private(temporary, content)
            with contextlib.suppress(FileExistsError):  # another process won: use its key
                os.link(temporary, path)  # unlike rename, never replaces an existing key
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        _fsync_directory(path.parent)
    except OSError as exc:
        raise ConfigError(f"cannot create ledger key {path}: {exc.strerror}") from None


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # the umask may only have narrowed it; be explicit
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    """Make the new directory entry durable (best effort where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


HMAC_FILE_HEADER = "casevault-hmac-key v1"


def load_or_create_hmac_key(path: Path) -> bytes:
    """The secret for keyed hashes of search terms (32 random bytes, file mode 0600).

    Search terms are personal data; the ledger keeps only their keyed hash, which
    lets an investigator check a suspected query without anyone reading the terms.
    """
    if not path.exists():
        encoded = base64.b64encode(secrets.token_bytes(SEED_SIZE)).decode("ascii")
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
            try:
                _write_private(temporary, f"{HMAC_FILE_HEADER}\n{encoded}\n".encode())
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    temporary.unlink()
        except OSError as exc:
            raise ConfigError(f"cannot create key file {path}: {exc.strerror}") from None
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        msg = f"key file {path} is readable by others: chmod 600 it"
        raise ConfigError(msg)
    lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    key = _decode_seed(lines[1]) if len(lines) == 2 and lines[0] == HMAC_FILE_HEADER else None
    if key is None:
        msg = f"key file {path} is not a casevault keyed-hash key"
        raise ConfigError(msg)
    return key
