"""Per-person data keys under a key-encryption key held outside the database.

The public surface: the KEK interface and its loaders, the process keyring, and the
field sealing helpers used by ``casevault.store.sealed``. See ``docs/dev/encryption.md``.
"""

from __future__ import annotations

import threading

from casevault.settings import load_settings
from casevault.store.keys._kek import (
    KEK_ENV,
    KEK_FILE_ENV,
    KEK_FILE_NAME,
    KeyEncryptionKey,
    LocalKek,
    create_kek_file,
    file_keys,
    kek_from_env,
    load_kek,
    new_kek_id,
    read_kek_file,
    write_kek_file,
)
from casevault.store.keys._register import (
    REGISTER_ENV,
    REGISTER_FILE_NAME,
    ErasureRegister,
    erasure_register,
)
from casevault.store.keys._ring import (
    CACHE_SIZE,
    Keyring,
    blind_index,
    field_context,
    seal,
    unseal,
)

_lock = threading.Lock()
_keyring: Keyring | None = None


def keyring() -> Keyring:
    """The process's keyring, loaded on first use from the environment or the key file."""
    global _keyring  # noqa: PLW0603 -- one keyring per process, like one engine per URL
    with _lock:
        if _keyring is None:
            _keyring = Keyring(load_kek(load_settings().key_dir))
        return _keyring


def default_register() -> ErasureRegister:
    """The erasure register in force (``CASEVAULT_ERASURE_REGISTER``, else in the key folder)."""
    return erasure_register(load_settings().key_dir)


def use_keyring(ring: Keyring | None) -> None:
    """Replace the process's keyring (after a KEK rotation, or to reload the configuration)."""
    global _keyring  # noqa: PLW0603
    with _lock:
        _keyring = ring


__all__ = [
    "CACHE_SIZE",
    "KEK_ENV",
    "KEK_FILE_ENV",
    "KEK_FILE_NAME",
    "REGISTER_ENV",
    "REGISTER_FILE_NAME",
    "ErasureRegister",
    "KeyEncryptionKey",
    "Keyring",
    "LocalKek",
    "blind_index",
    "create_kek_file",
    "default_register",
    "erasure_register",
    "field_context",
    "file_keys",
    "kek_from_env",
    "keyring",
    "load_kek",
    "new_kek_id",
    "read_kek_file",
    "seal",
    "unseal",
    "use_keyring",
    "write_kek_file",
]
