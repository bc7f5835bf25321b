"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519 only.

A checkpoint is the text (c2sp.org/tlog-checkpoint)::

    <origin>\\n<tree size in decimal>\\n<base64 root hash>\\n[<extension line>\\n]...

signed as a note (c2sp.org/signed-note; reference implementation
golang.org/x/mod/sumdb/note): the text, a blank line, then one or more lines
``— <key name> <base64(4-byte key ID || signature)>\\n``. For Ed25519 (type
byte 0x01) the key ID is ``SHA-256(name || "\\n" || 0x01 || public key)[:4]`` and
the signature is over the text bytes, final newline included. A verifier key
is written ``<name>+<hex key ID>+<base64(0x01 || public key)>``.

We use the standard format, not our own, so that outside witnesses and the Go
and transparency-dev tools can check and co-sign our tree heads. Parsing
follows the specifications' rules: signatures by unknown keys are skipped, a
known key whose signature fails rejects the whole note, and the text is not
believed until a signature from the given verifier checks out.

Errors: malformed text raises ``InputError``; a missing, wrong or failing
signature raises ``ProofInvalid``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from casevault.errors import InputError, ProofInvalid

__all__ = [
    "Checkpoint",
    "Signer",
    "Verifier",
    "is_valid_key_name",
    "key_id",
    "open_note",
    "parse_signed_checkpoint",
    "sign_note",
]

ED25519_TYPE = 0x01
ROOT_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1
MAX_SIGNATURES = 100
"""More signature lines than this make a note malformed (the spec asks verifiers to accept 16)."""

_EM_DASH_PREFIX = "\u2014 "
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)", re.ASCII)
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}", re.ASCII)


def is_valid_key_name(name: str) -> bool:
    """A note key name is non-empty and holds no Unicode space and no ``+``."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte Ed25519 key ID: ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``."""
    material = name.encode() + b"\n" + bytes([ED25519_TYPE]) + public_key
    return hashlib.sha256(material).digest()[:4]


def _has_control_characters(text: str) -> bool:
    return any(ord(ch) < 0x20 and ch != "\n" for ch in text)


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InputError(f"{what} is not valid base64") from None


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size and its RFC 9162 root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "checkpoint origin")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise InputError(f"checkpoint tree size {self.size} is outside 0..2**64-1")
        if len(self.root) != ROOT_SIZE:
            raise InputError(f"checkpoint root hash is {len(self.root)} bytes, not {ROOT_SIZE}")
        for extension in self.extensions:
            _check_line(extension, "checkpoint extension line")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extensions, each ending in a newline."""
        root = base64.b64encode(self.root).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (already verified: see ``parse_signed_checkpoint``)."""
        if not text.endswith("\n"):
            raise InputError("checkpoint text does not end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InputError("checkpoint text has fewer than three lines")
        origin, size_text, root_text, *extensions = lines
        if not _DECIMAL.fullmatch(size_text):
            raise InputError("checkpoint tree size is not a decimal number without leading zeros")
        root = _b64decode(root_text, "checkpoint root hash")
        if base64.b64encode(root).decode("ascii") != root_text:
            raise InputError("checkpoint root hash is not in canonical base64")
        return cls(origin, int(size_text), root, tuple(extensions))


def _check_line(line: str, what: str) -> None:
    if not line:
        raise InputError(f"{what} is empty")
    if "\n" in line or _has_control_characters(line):
        raise InputError(f"{what} contains a newline or control character")


class Verifier:
    """An Ed25519 note verifier key: a name, its key ID and the public key."""

    def __init__(self, name: str, public_key: bytes) -> None:
        if not is_valid_key_name(name):
            raise InputError("key name must be non-empty, without spaces or '+'")
        if len(public_key) != 32:
            raise InputError("an Ed25519 public key is 32 bytes")
        try:
            self._key = Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError:
            raise InputError("not a usable Ed25519 public key") from None
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex key ID>+<base64(0x01 || public key)>``; the ID must match."""
        parts = vkey.split("+", 2)
        if len(parts) != 3 or not _KEY_ID_HEX.fullmatch(parts[1]):
            raise InputError("verifier key is not of the form name+keyid+key")
        name, id_hex, key_text = parts
        material = _b64decode(key_text, "verifier key material")
        if not material or material[0] != ED25519_TYPE:
            raise InputError("verifier key is not an Ed25519 (type 0x01) key")
        verifier = cls(name, material[1:])
        if verifier.key_id != bytes.fromhex(id_hex):
            raise InputError("verifier key ID does not match its name and public key")
        return verifier

    def vkey(self) -> str:
        """The verifier key string, to give to anyone who checks our checkpoints."""
        material = base64.b64encode(bytes([ED25519_TYPE]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise ``ProofInvalid`` unless ``signature`` is this key's signature of ``message``."""
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            key = f"{self.name}+{self.key_id.hex()}"
            raise ProofInvalid(f"signature by key {key} does not verify") from None

    def __repr__(self) -> str:
        return f"Verifier({self.vkey()!r})"


class Signer:
    """An Ed25519 private key with its note key name. Holds the key; never prints it."""

    def __init__(self, private_key: Ed25519PrivateKey, key_name: str) -> None:
        if not is_valid_key_name(key_name):
            raise InputError("key name must be non-empty, without spaces or '+'")
        self._private_key = private_key
        self.name = key_name
        self._verifier = Verifier(key_name, private_key.public_key().public_bytes_raw())

    @classmethod
    def generate(cls, key_name: str) -> Signer:
        """A signer with a fresh random key."""
        return cls(Ed25519PrivateKey.generate(), key_name)

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID that starts each of this key's signatures."""
        return self._verifier.key_id

    def verifier(self) -> Verifier:
        """The matching public verifier."""
        return self._verifier

    def verifier_key(self) -> str:
        """The public verifier key string (``name+keyid+base64key``)."""
        return self._verifier.vkey()

    def signature_line(self, text: str) -> str:
        """One signature line ``— <name> <base64(key ID || signature)>\\n`` over ``text``."""
        signature = self._private_key.sign(text.encode())
        encoded = base64.b64encode(self.key_id + signature).decode("ascii")
        return f"{_EM_DASH_PREFIX}{self.name} {encoded}\n"

    def sign_checkpoint(self, checkpoint: Checkpoint) -> str:
        """The full signed note for ``checkpoint``."""
        return sign_note(checkpoint.body(), [self])

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_id={self.key_id.hex()!r})"


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """Sign ``text`` (which must end in a newline) by each signer, in order."""
    if not signers:
        raise ValueError("a signed note needs at least one signer")
    if not text.endswith("\n") or _has_control_characters(text):
        raise InputError("note text must end in a newline and hold no control characters")
    return text + "\n" + "".join(signer.signature_line(text) for signer in signers)


def _split_note(note: str) -> tuple[str, list[str]]:
    """Split a note at its last blank line into text and signature lines."""
    if _has_control_characters(note):
        raise InputError("note contains a control character")
    split = note.rfind("\n\n")
    if split < 0:
        raise InputError("note has no blank line before its signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    if not signatures.endswith("\n"):
        raise InputError("note does not end with a signature line and a newline")
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InputError(f"note has more than {MAX_SIGNATURES} signatures")
    return text, lines


def _parse_signature_line(line: str) -> tuple[str, bytes, bytes]:
    """Return (key name, key ID, signature) of one ``— name base64`` line."""
    if not line.startswith(_EM_DASH_PREFIX):
        raise InputError("signature line does not start with an em dash and a space")
    name, _, encoded = line[len(_EM_DASH_PREFIX) :].partition(" ")
    if not is_valid_key_name(name) or not encoded:
        raise InputError("signature line has no valid key name and signature")
    raw = _b64decode(encoded, "signature")
    if len(raw) < 5:
        raise InputError("signature is too short to hold a key ID and a signature")
    return name, raw[:4], raw[4:]


def open_note(note: str, verifier: Verifier) -> str:
    """Verify a signed note against one trusted key; return its text.

    Lines from other keys (witnesses, a rotated key) are skipped, as the spec
    requires; every line from ``verifier``'s name and key ID must verify, and
    at least one must be present.
    """
    text, lines = _split_note(note)
    message = text.encode()
    verified = 0
    for line in lines:
        name, signer_id, signature = _parse_signature_line(line)
        if name == verifier.name and signer_id == verifier.key_id:
            verifier.verify(message, signature)
            verified += 1
    if not verified:
        raise ProofInvalid(f"note is not signed by key {verifier.name}+{verifier.key_id.hex()}")
    return text


def parse_signed_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    """Verify a signed checkpoint note and return the checkpoint it vouches for."""
    return Checkpoint.from_body(open_note(note, verifier))
