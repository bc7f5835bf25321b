"""Secrets a person proves who they are with: an Argon2id password and a TOTP second factor.

Internal to ``casevault.access``. Nothing here logs, stores or raises with a
password, a code or a TOTP secret in it.

Passwords are hashed with Argon2id (RFC 9106) at argon2-cffi's default cost (its
"low memory" profile: 64 MiB, 3 passes); a stored hash made at another cost is
re-hashed at the next successful sign-in. TOTP follows RFC 6238 (30-second steps,
6 digits). A code is accepted for the current step or the one before (a code
read, typed and sent just as the step turns), and only for a step later than the
last one a sign-in of the same account accepted, so a code cannot be replayed.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Final

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from casevault.errors import InvalidValue

MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 1024
"""Longer input is refused before hashing, so a huge password cannot tie up the hasher."""
TOTP_ISSUER: Final = "casevault"
TOTP_DIGITS: Final = 6

DEFAULT_HASHER: Final = PasswordHasher()
"""Argon2id with RFC 9106's low-memory parameters (argon2-cffi's defaults)."""

_DUMMY_PASSWORD: Final = secrets.token_urlsafe(16)
"""Hashed once per cost setting and verified against for unknown user ids (timing only)."""


def check_password_rules(password: str) -> None:
    """Refuse a password too short or too long; the message never repeats the password."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        msg = (f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters "
               "(a phrase of several words is easiest to remember)")
        raise InvalidValue(msg)
    if len(password) > MAX_PASSWORD_LENGTH:
        msg = f"the password is too long: use at most {MAX_PASSWORD_LENGTH} characters"
        raise InvalidValue(msg)


def hash_password(hasher: PasswordHasher, password: str) -> str:
    """The Argon2id hash to store (PHC string: algorithm, parameters, salt, hash)."""
    check_password_rules(password)
    return hasher.hash(password)


def password_matches(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a malformed stored hash never matches.

    A bool rather than an exception because the caller (sign-in) must go on to
    record the failure and answer with one uniform message whatever went wrong.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def spend_a_verification(hasher: PasswordHasher) -> None:
    """Verify against a throw-away hash, so an unknown user id costs as long as a known one."""
    password_matches(hasher, _dummy_hash(hasher), _DUMMY_PASSWORD + "x")


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    found = _DUMMY_HASHES.get(key)
    if found is None:
        found = _DUMMY_HASHES[key] = hasher.hash(_DUMMY_PASSWORD)
    return found


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, user_id: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans; it names the user id only."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS).provisioning_uri(
        name=user_id, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, at: datetime) -> int:
    """The RFC 6238 time step (counter) of instant ``at``."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS).timecode(at)


def accepted_step(secret: str, code: str, at: datetime, *, after_step: int | None) -> int | None:
    """The time step ``code`` belongs to if it is accepted at ``at``, else None.

    Accepted: six digits equal to the code of the current step or the one before,
    and that step later than ``after_step`` (the step of the account's last
    accepted code, so each code works once).
    """
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS)
    now = totp.timecode(at)
    for step in (now, now - 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(code.encode(), totp.generate_otp(step).encode()):
            return step
    return None
