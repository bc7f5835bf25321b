"""Sign-in sessions: password and TOTP, device-bound bearer tokens, timeouts, lock-out, revocation.

Issue 4, item 1. ``login`` checks the password (Argon2id) and, for every role a
policy may let see personal data, a TOTP code; it issues a random bearer token
bound to the device id it was presented from, and keeps only the token's
SHA-256. ``authenticate`` turns a token back into a ``SessionContext`` on every
request, checking *live* that the session was not ended, is within its absolute
and idle timeouts, comes from its own device, and that the account is not
suspended (so a suspension stops a session on its next request). Accounts that
are pending, expired, untrained or without a second factor still authenticate:
their principal says so and the policy refuses them with a message that tells
them what to do.

Failures answer with one message whatever went wrong, so that a guess learns
nothing about which user ids exist or which part was wrong; the ledger keeps a
coarse reason code. After ``max_failures`` failed attempts in a row an account
is locked for ``lockout``.

Ledger: every sign-in (``LOGIN``), failure (``LOGIN_FAILURE``, also for a refused
session), second factor (``MFA``), sign-out (``LOGOUT``) and ended session
(``SESSION_REVOKED``). A grant is recorded before the token is handed out.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, NoReturn

from sqlalchemy import Connection, Engine, String, bindparam, func, insert, select, update

from casevault.access import _credentials
from casevault.access._records import (
    FACT_COLUMNS,
    NO_PERSONAL_DATA_ROLES,
    AccountFacts,
    account_change,
    account_facts,
    day_of,
    end_sessions,
    facts_from_row,
    facts_join,
    live_sessions,
    operator_refusal,
    reason_code,
    refuse,
    revocation,
    stored_instant,
)
from casevault.access.accounts import Accounts
from casevault.access.identity import SessionContext
from casevault.access.policy import AccountState
from casevault.audit.events import Action, EventDraft, Result
from casevault.audit.ledger import Clock, Ledger, utc_now
from casevault.errors import AuthenticationFailed, InvalidValue, NotFound, SessionInvalid
from casevault.store.tables import accounts, sessions

TOUCH_INTERVAL: Final = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often: the idle timeout's granularity."""
MAX_DEVICE_ID: Final = 64

SIGN_IN_FAILED: Final = (
    "Sign-in failed. Check your user id, password and authenticator code, and try again. "
    "After repeated failures sign-in is paused for a while; if it keeps failing, "
    "contact your data owner.")
SESSION_ENDED: Final = "This session has ended (signed out, timed out or revoked). Sign in again."
SESSION_UNKNOWN: Final = "This session is not known. Sign in again."
SESSION_OTHER_DEVICE: Final = (
    "This session was issued to another device, so it has been ended. Sign in again on this "
    "device; if you did not use it elsewhere, tell your data owner.")
SESSION_SUSPENDED: Final = (
    "Your account is suspended, so this session no longer works. Ask your data owner.")


@dataclass(frozen=True, slots=True)
class Login:
    """A successful sign-in: the bearer token (shown once; hidden from ``repr``) and its session."""

    token: str = field(repr=False)
    session_id: str
    expires_at: datetime
    mfa_verified: bool


@dataclass(frozen=True, slots=True)
class _Attempt:
    """Who is signing in, from where, at what moment (for events and session rows)."""

    user_id: str
    device_id: str
    ip: str | None
    now: datetime

    def event(self, action: Action, result: Result, *, user_known: bool = True,
              session_id: str | None = None, **detail: str) -> EventDraft:
        # An unknown "user id" may be a password typed in the wrong box: it is not recorded.
        return EventDraft(action=action, result=result,
                          user_id=self.user_id if user_known else None, session_id=session_id,
                          device_id=self.device_id, ip=self.ip, detail=dict(detail))


class Sessions:
    """Sign-in and sessions of one casevault database; time comes from ``clock``."""

    def __init__(self, engine: Engine, ledger: Ledger, accounts: Accounts, *,
                 clock: Clock = utc_now, idle: timedelta = timedelta(minutes=30),
                 absolute: timedelta = timedelta(hours=12), max_failures: int = 5,
                 lockout: timedelta = timedelta(minutes=15)) -> None:
        if max_failures < 1 or idle <= timedelta(0) or absolute <= timedelta(0):
            msg = "session timeouts must be positive and max_failures at least 1"
            raise ValueError(msg)
        self._engine = engine
        self._ledger = ledger
        self._accounts = accounts
        self._clock = clock
        self._idle = idle
        self._absolute = absolute
        self._max_failures = max_failures
        self._lockout = lockout

    # --- signing in ----------------------------------------------------------------------------

    def login(self, user_id: str, password: str, code: str | None, *, device_id: str,
              ip: str | None = None) -> Login:
        """Check the password and (where the role needs it) the TOTP code; open a session.

        Raises ``AuthenticationFailed`` with one message whatever was wrong.
        """
        attempt = _Attempt(user_id, _device(device_id), _ip(ip), self._clock())
        with self._engine.connect() as connection:
            row = connection.execute(_FOR_LOGIN, {"user_id": user_id,
                                                  "today": day_of(attempt.now)}).first()
        if row is None:
            _credentials.spend_a_verification(self._accounts.password_hasher)
            self._ledger.append(attempt.event(Action.LOGIN_FAILURE, Result.DENY,
                                              user_known=False, reason="unknown_user"))
            raise AuthenticationFailed(SIGN_IN_FAILED)
        facts = facts_from_row(row)
        password_hash, secret, locked_until, last_mfa_at = row[len(FACT_COLUMNS):]
        locked = stored_instant(locked_until)
        if locked is not None and attempt.now < locked:
            self._ledger.append(attempt.event(Action.LOGIN_FAILURE, Result.DENY, reason="locked"))
            raise AuthenticationFailed(SIGN_IN_FAILED)
        if not _credentials.password_matches(self._accounts.password_hasher, password_hash,
                                             password):
            self._fail(attempt, [], "password")
        mfa = self._second_factor(attempt, facts, secret, code, stored_instant(last_mfa_at))
        if facts.stored_state is AccountState.SUSPENDED:
            self._ledger.append_many([*mfa, attempt.event(Action.LOGIN_FAILURE, Result.DENY,
                                                          reason="suspended")])
            raise AuthenticationFailed(SIGN_IN_FAILED)
        return self._open(attempt, mfa, password_hash, password)

    def _second_factor(self, attempt: _Attempt, facts: AccountFacts, secret: str | None,
                       code: str | None, last_mfa_at: datetime | None) -> list[EventDraft]:
        """The MFA events of a sign-in whose password matched; a bad or missing code fails it.

        Roles that can see personal data must give a code; the others may, and a
        code they give must be right. No code, no ``MFA`` event (and no second factor).
        """
        required = facts.role not in NO_PERSONAL_DATA_ROLES
        if code is None and not required:
            return []
        if code is None or secret is None:
            self._fail(attempt, [], "code_missing" if code is None else "mfa_not_enrolled")
        after = None if last_mfa_at is None else _credentials.totp_step(secret, last_mfa_at)
        if _credentials.accepted_step(secret, code, attempt.now, after_step=after) is None:
            self._fail(attempt, [attempt.event(Action.MFA, Result.DENY, method="totp")], "code")
        return [attempt.event(Action.MFA, Result.PERMIT, method="totp")]

    def _fail(self, attempt: _Attempt, events: list[EventDraft], reason: str) -> NoReturn:
        """Count a failed attempt (locking the account at the limit), ledger it, refuse."""
        with self._engine.begin() as connection:
            connection.execute(update(accounts).where(accounts.c.user_id == attempt.user_id)
                               .values(failed_logins=accounts.c.failed_logins + 1))
            failures = connection.execute(select(accounts.c.failed_logins).where(
                accounts.c.user_id == attempt.user_id)).scalar_one()
            locks = failures >= self._max_failures
            if locks:
                connection.execute(update(accounts).where(accounts.c.user_id == attempt.user_id)
                                   .values(failed_logins=0,
                                           locked_until=attempt.now + self._lockout))
        events = [*events, attempt.event(Action.LOGIN_FAILURE, Result.DENY, reason=reason)]
        if locks:
            until = (attempt.now + self._lockout).isoformat()
            events.append(account_change("locked", attempt.user_id, attempt.user_id,
                                         failures=str(failures), until=until))
        self._ledger.append_many(events)
        raise AuthenticationFailed(SIGN_IN_FAILED)

    def _open(self, attempt: _Attempt, mfa: list[EventDraft], password_hash: str,
              password: str) -> Login:
        """Ledger the sign-in, then store the session (token hash only) and reset the count."""
        token = secrets.token_urlsafe(32)
        session_id = f"S-{secrets.token_hex(16)}"
        expires_at = attempt.now + self._absolute
        verified = bool(mfa)
        events = [_with_session(e, session_id) for e in mfa]
        events.append(attempt.event(Action.LOGIN, Result.PERMIT, session_id=session_id,
                                    mfa="totp" if verified else "none"))
        self._ledger.append_many(events)
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        hasher = self._accounts.password_hasher
        if hasher.check_needs_rehash(password_hash):
            values["password_hash"] = hasher.hash(password)
        with self._engine.begin() as connection:
            connection.execute(insert(sessions).values(
                session_id=session_id, user_id=attempt.user_id, token_hash=_digest(token),
                device_id=attempt.device_id, ip=attempt.ip, created_at=attempt.now,
                last_seen_at=attempt.now, expires_at=expires_at,
                mfa_verified_at=attempt.now if verified else None, revoked_at=None,
                revoked_reason=None))
            connection.execute(update(accounts).where(accounts.c.user_id == attempt.user_id)
                               .values(**values))
        return Login(token=token, session_id=session_id, expires_at=expires_at,
                     mfa_verified=verified)

    # --- every request -------------------------------------------------------------------------

    def authenticate(self, token: str, *, device_id: str, ip: str | None = None
                     ) -> SessionContext:
        """The live session behind ``token``, presented from ``device_id``; else ``SessionInvalid``.

        One indexed read (session, account, user and current approval joined), and
        a write of ``last_seen_at`` at most once per ``TOUCH_INTERVAL``.
        """
        now = self._clock()
        today = day_of(now)
        with self._engine.connect() as connection:
            row = connection.execute(_BY_TOKEN, {"token_hash": _digest(token),
                                                 "today": today}).first()
            connection.rollback()  # end the read before any write (SQLite: no lock upgrade)
            if row is None:
                raise SessionInvalid(SESSION_UNKNOWN)
            facts = facts_from_row(row)
            session = _SessionRow.of(row[len(FACT_COLUMNS):])
            problem = self._problem(session, facts, device_id, now)
            if problem is not None:
                self._refuse_session(session, problem, device_id, ip, now)
            if now - session.last_seen_at >= TOUCH_INTERVAL:
                connection.execute(_TOUCH, {"touched_id": session.session_id, "seen_at": now})
                connection.commit()
        return SessionContext(
            session_id=session.session_id, user_id=facts.user_id, device_id=device_id, ip=ip,
            principal=facts.principal(today, mfa_verified=session.mfa_verified),
        )

    def _problem(self, session: _SessionRow, facts: AccountFacts, device_id: str,
                 now: datetime) -> str | None:
        if session.revoked:
            return "revoked"
        if not secrets.compare_digest(session.device_id.encode(), device_id.encode()):
            return "other_device"
        if now >= session.expires_at:
            return "expired"
        if now - session.last_seen_at > self._idle:
            return "idle"
        if facts.stored_state is AccountState.SUSPENDED:
            return "account_suspended"
        return None

    def _refuse_session(self, session: _SessionRow, problem: str, device_id: str,
                        ip: str | None, now: datetime) -> None:
        """Ledger the refusal; a live session refused for a reason that ends it is ended."""
        refused = EventDraft(action=Action.LOGIN_FAILURE, result=Result.DENY,
                             user_id=session.user_id, session_id=session.session_id,
                             device_id=device_id[:MAX_DEVICE_ID], ip=_ip_or_none(ip),
                             detail={"stage": "session", "reason": problem})
        ends = problem != "revoked"
        drafts = [refused]
        if ends:
            drafts.append(revocation(session.session_id, session.user_id, None, problem))
        self._ledger.append_many(drafts)
        if ends:
            with self._engine.begin() as connection:
                end_sessions(connection, [session.session_id], now, problem)
        raise SessionInvalid({
            "revoked": SESSION_ENDED, "other_device": SESSION_OTHER_DEVICE,
            "account_suspended": SESSION_SUSPENDED,
        }.get(problem, SESSION_ENDED))

    # --- ending sessions -----------------------------------------------------------------------

    def logout(self, token: str) -> None:
        """End the session behind ``token``; signing out of an ended session does nothing."""
        now = self._clock()
        with self._engine.connect() as connection:
            row = connection.execute(
                select(sessions.c.session_id, sessions.c.user_id, sessions.c.device_id,
                       sessions.c.revoked_at)
                .where(sessions.c.token_hash == _digest(token))).first()
        if row is None:
            raise SessionInvalid(SESSION_UNKNOWN)
        session_id, user_id, device_id, revoked_at = row
        if revoked_at is not None:
            return
        self._ledger.append(EventDraft(action=Action.LOGOUT, result=Result.PERMIT,
                                       user_id=user_id, session_id=session_id,
                                       device_id=device_id))
        with self._engine.begin() as connection:
            end_sessions(connection, [session_id], now, "logout")

    def revoke(self, session_id: str, *, by: str, reason: str) -> bool:
        """End one session, by its owner or a data owner; False if it had already ended."""
        code = reason_code(reason)
        now = self._clock()
        with self._engine.connect() as connection:
            row = connection.execute(
                select(sessions.c.user_id, sessions.c.revoked_at, sessions.c.expires_at)
                .where(sessions.c.session_id == session_id)).first()
            if row is None:
                raise NotFound("session", session_id)
            user_id, revoked_at, expires_at = row
            self._authorise(connection, "session_revoked", user_id, by, now)
        if revoked_at is not None or now >= _instant(expires_at):
            return False
        self._ledger.append(revocation(session_id, user_id, by, code))
        with self._engine.begin() as connection:
            return end_sessions(connection, [session_id], now, code) == 1

    def revoke_all(self, user_id: str, *, by: str, reason: str) -> int:
        """End every live session of a user, by them or a data owner; returns how many ended."""
        code = reason_code(reason)
        now = self._clock()
        with self._engine.connect() as connection:
            if account_facts(connection, user_id, day_of(now)) is None:
                raise NotFound("account", user_id)
            self._authorise(connection, "sessions_revoked", user_id, by, now)
            ended = live_sessions(connection, user_id, now)
        if not ended:
            return 0
        self._ledger.append_many([revocation(s, user_id, by, code) for s in ended])
        with self._engine.begin() as connection:
            return end_sessions(connection, ended, now, code)

    def _authorise(self, connection: Connection, change: str, subject: str, by: str,
                   now: datetime) -> None:
        refusal = operator_refusal(connection, by, subject, day_of(now), subject_may_act=True)
        if refusal is not None:
            refuse(self._ledger, change, subject, by, refusal)


@dataclass(frozen=True, slots=True)
class _SessionRow:
    session_id: str
    user_id: str
    device_id: str
    last_seen_at: datetime
    expires_at: datetime
    mfa_verified: bool
    revoked: bool

    @classmethod
    def of(cls, values: Any) -> _SessionRow:
        session_id, user_id, device_id, last_seen_at, expires_at, mfa_at, revoked_at = values
        return cls(session_id, user_id, device_id, _instant(last_seen_at), _instant(expires_at),
                   mfa_at is not None, revoked_at is not None)


def _instant(value: Any) -> datetime:
    moment = stored_instant(value)
    assert moment is not None  # noqa: S101 -- read from a NOT NULL column
    return moment


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _device(device_id: str) -> str:
    if not device_id or len(device_id) > MAX_DEVICE_ID or not device_id.isprintable():
        msg = f"the device id must be 1 to {MAX_DEVICE_ID} printable characters"
        raise InvalidValue(msg)
    return device_id


def _ip(ip: str | None) -> str | None:
    if ip is None:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        msg = "the client address is not an IPv4 or IPv6 address"
        raise InvalidValue(msg) from None


def _ip_or_none(ip: str | None) -> str | None:
    try:
        return _ip(ip)
    except InvalidValue:
        return None


def _with_session(draft: EventDraft, session_id: str) -> EventDraft:
    return EventDraft(action=draft.action, result=draft.result, user_id=draft.user_id,
                      session_id=session_id, device_id=draft.device_id, ip=draft.ip,
                      detail=draft.detail)


_LAST_MFA = (select(func.max(sessions.c.mfa_verified_at))
             .where(sessions.c.user_id == accounts.c.user_id)
             .scalar_subquery())

_FOR_LOGIN: Final = (
    select(*FACT_COLUMNS, accounts.c.password_hash, accounts.c.totp_secret,
           accounts.c.locked_until, _LAST_MFA)
    .select_from(facts_join())
    .where(accounts.c.user_id == bindparam("user_id", type_=String()))
    .limit(1)
)

_BY_TOKEN: Final = (
    select(*FACT_COLUMNS, sessions.c.session_id, sessions.c.user_id, sessions.c.device_id,
           sessions.c.last_seen_at, sessions.c.expires_at, sessions.c.mfa_verified_at,
           sessions.c.revoked_at)
    .select_from(facts_join().join(sessions, sessions.c.user_id == accounts.c.user_id))
    .where(sessions.c.token_hash == bindparam("token_hash", type_=sessions.c.token_hash.type))
    .limit(1)
)

_TOUCH: Final = (
    update(sessions)
    .where(sessions.c.session_id == bindparam("touched_id", type_=String()),
           sessions.c.revoked_at.is_(None))
    .values(last_seen_at=bindparam("seen_at", type_=sessions.c.last_seen_at.type))
)


__all__ = ["MAX_DEVICE_ID", "TOUCH_INTERVAL", "Login", "Sessions"]
