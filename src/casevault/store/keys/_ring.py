"""The keyring: data keys unwrapped on demand, cached per process, bound to their wrapping.

The cache maps a person and their *wrapped* key (as stored) to its ready cipher. A read
always fetches the wrapped key with the row, in the same query, so:

* an erased person (no wrapped key any more) cannot be read from any process's cache;
* a key created in a transaction that was rolled back is never mistaken for the one
  created later (the wrapped bytes differ: each wrap has a fresh nonce);
* the cache is bounded (least recently used out) and holds no personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casevault.errors import KeyUnavailable
from casevault.store.keys._kek import KeyEncryptionKey

CACHE_SIZE: Final = 4096
"""Unwrapped data keys kept per process (32 bytes and one cipher object each)."""
FIELD_VERSION: Final = 1
FIELD_PREFIX: Final = bytes([FIELD_VERSION])
NONCE_BYTES: Final = 12
_FIELD_PREFIX: Final = FIELD_PREFIX
_NONCE: Final = NONCE_BYTES
BLIND_INDEX_HEX: Final = 32


def person_context(person_id: str) -> bytes:
    return b"casevault-dek v1|person|" + person_id.encode()


def meta_context(name: str) -> bytes:
    return b"casevault-dek v1|meta|" + name.encode()


def field_context(table: str, record_id: str, field: str) -> bytes:
    """The associated data of one field: a ciphertext opens only in its own row and column.

    (``casevault.store.sealed`` builds the same bytes from precomputed parts on hot paths.)
    """
    return f"casevault-field v1|{table}|{record_id}|{field}".encode()


def seal(cipher: AESGCM, plaintext: bytes, context: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return _FIELD_PREFIX + nonce + cipher.encrypt(nonce, plaintext, context)


def unseal(cipher: AESGCM, sealed: bytes, context: bytes) -> bytes:
    if sealed[:1] != _FIELD_PREFIX:
        raise KeyUnavailable("an encrypted field has an unknown format version")
    try:
        return cipher.decrypt(sealed[1:1 + _NONCE], sealed[1 + _NONCE:], context)
    except InvalidTag:
        raise KeyUnavailable("an encrypted field does not open for its record and column "
                             "(moved or altered)") from None


class Keyring:
    """The KEK plus a bounded cache of unwrapped data keys."""

    def __init__(self, kek: KeyEncryptionKey, *, cache_size: int = CACHE_SIZE) -> None:
        self.kek = kek
        self._cache: OrderedDict[tuple[str, bytes], AESGCM] = OrderedDict()
        self._blind: dict[tuple[str, bytes], bytes] = {}
        self._size = cache_size
        self._lock = threading.Lock()

    def new_data_key(self, person_id: str) -> tuple[AESGCM, bytes, str]:
        """A fresh random 256-bit data key: its cipher, its wrapped form and the KEK id."""
        key = AESGCM.generate_key(bit_length=256)
        wrapped, kek_id = self.kek.wrap(key, person_context(person_id))
        cipher = AESGCM(key)
        self._remember((person_id, wrapped), cipher)
        return cipher, wrapped, kek_id

    def data_key(self, wrapped: bytes, kek_id: str, person_id: str) -> AESGCM:
        """The person's data key; cached under (person, wrapped key), so a wrapped key copied
        to another person's row is unwrapped (and refused) for that person, never reused."""
        entry = (person_id, bytes(wrapped))
        with self._lock:
            cipher = self._cache.get(entry)
            if cipher is not None:
                self._cache.move_to_end(entry)
                return cipher
        cipher = AESGCM(self.kek.unwrap(entry[1], kek_id, person_context(person_id)))
        self._remember(entry, cipher)
        return cipher

    def _remember(self, entry: tuple[str, bytes], cipher: AESGCM) -> None:
        with self._lock:
            self._cache[entry] = cipher
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)

    def forget(self, person_id: str, wrapped: bytes) -> None:
        with self._lock:
            self._cache.pop((person_id, bytes(wrapped)), None)

    def meta_key(self, name: str, wrapped: bytes, kek_id: str) -> bytes:
        entry = (name, bytes(wrapped))
        key = self._blind.get(entry)
        if key is None:
            key = self.kek.unwrap(entry[1], kek_id, meta_context(name))
            self._blind[entry] = key
        return key

    def new_meta_key(self, name: str) -> tuple[bytes, bytes, str]:
        key = os.urandom(32)
        wrapped, kek_id = self.kek.wrap(key, meta_context(name))
        self._blind[(name, wrapped)] = key
        return key, wrapped, kek_id


def blind_index(key: bytes, kind: str, normal: str) -> str:
    """The keyed hash of a normalised value: equal values match, nothing else is revealed.

    Without the key the index cannot be computed, so a copy of the database cannot be
    searched by guessing names or dates of birth offline.
    """
    digest = hmac.new(key, f"{kind}\x00{normal}".encode(), hashlib.sha256).hexdigest()
    return digest[:BLIND_INDEX_HEX]
