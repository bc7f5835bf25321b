"""Accounts: enrolment, approval by a data owner, expiry, training, suspension, recertification.

Issue 4, item 2. An account starts ``pending`` when a user enrols (password and
TOTP secret), becomes ``active`` when a data owner approves it, and is
``suspended`` when a data owner stops it (every session ends at once). It is
*expired* on any day it has no current approval, and on any day outside the
user's directory entry; nothing needs to run for that to happen (see
``_records``). Each approval states the purposes it allows, a legal basis, an
expiry and a review date:

- outside parties (``is_outside_party``: external advisors, and anyone outside
  EOIR who is not a party to the proceedings) need at least one purpose, and an
  expiry at most ``OUTSIDE_PARTY_MAX_DAYS`` away; they renew by a new approval;
- staff approvals run up to ``STAFF_MAX_DAYS``;
- every approval is due for review after ``REVIEW_INTERVAL_DAYS`` (or at its
  expiry, if sooner); a data owner keeps or ends it, and ``lapse_unreviewed``
  ends those whose review date has passed.

A data owner is an active court administrator or privacy officer, and never
approves, renews, reinstates or recertifies their own account. The very first
one is made by ``bootstrap_owner``, which works only while no approval exists.

Every change, and every refused attempt, is a ledger event (``ACCOUNT_CHANGE``
with the operator as ``user_id`` and ``subject_user_id`` in its detail), appended
*before* the change is applied: if the ledger cannot be written, nothing changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final
from uuid import uuid4

from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from casevault.access import _credentials
from casevault.access._records import (
    DATA_OWNER_ROLES,
    FACT_COLUMNS,
    AccountFacts,
    account_change,
    account_facts,
    day_of,
    days,
    end_sessions,
    facts_from_row,
    facts_join,
    in_directory,
    is_outside_party,
    live_sessions,
    operator_refusal,
    purposes_from_store,
    purposes_to_store,
    reason_code,
    refuse,
    revocation,
    stored_instant,
)
from casevault.access.policy import AccountState, Principal
from casevault.audit.events import EventDraft
from casevault.audit.ledger import Clock, Ledger, utc_now
from casevault.domain import Agency, Purpose, Role
from casevault.errors import InputError, InvalidValue, NotFound
from casevault.store.tables import account_approvals, accounts, users

OUTSIDE_PARTY_MAX_DAYS: Final = 90
STAFF_MAX_DAYS: Final = 365
REVIEW_INTERVAL_DAYS: Final = 90
TRAINING_MAX_DAYS: Final = 366
"""Training is attested yearly (a day of slack for the anniversary)."""
MAX_LEGAL_BASIS: Final = 300


@dataclass(frozen=True, slots=True)
class Enrollment:
    """What a new account's owner needs once: the TOTP secret, also as an ``otpauth://`` URI.

    Neither is kept anywhere but the account row; they are hidden from ``repr``
    so that they do not end up in a log by accident.
    """

    user_id: str
    totp_secret: str = field(repr=False)
    provisioning_uri: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """An approval (grant) due for recertification, with the account it belongs to."""

    approval_id: str
    user_id: str
    role: Role
    agency: Agency
    outside_party: bool
    account_state: AccountState
    purposes: frozenset[Purpose]
    approved_by: str
    approved_at: datetime
    expires_on: date
    review_due_on: date
    reviewed_at: datetime | None
    training_valid_until: date | None


@dataclass(frozen=True, slots=True)
class _Terms:
    """An approval's terms once checked."""

    purposes: frozenset[Purpose]
    legal_basis: str
    expires_on: date
    review_due_on: date


class Accounts:
    """The account lifecycle of one casevault database; time comes from ``clock``."""

    def __init__(self, engine: Engine, ledger: Ledger, *, clock: Clock = utc_now,
                 password_hasher: PasswordHasher = _credentials.DEFAULT_HASHER) -> None:
        self._engine = engine
        self._ledger = ledger
        self._clock = clock
        self._hasher = password_hasher

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def password_hasher(self) -> PasswordHasher:
        return self._hasher

    # --- enrolment -------------------------------------------------------------------------

    def enroll(self, user_id: str, password: str, *, by: str) -> Enrollment:
        """Open a pending account for a user of the directory; by the user or a data owner."""
        _credentials.check_password_rules(password)
        now = self._clock()
        today = day_of(now)
        with self._engine.connect() as connection:
            refusal = operator_refusal(connection, by, user_id, today, subject_may_act=True)
            if refusal is not None:
                refuse(self._ledger, "enrolled", user_id, by, refusal)
            role, agency = _current_user(connection, user_id, today)
            if account_facts(connection, user_id, today) is not None:
                msg = (f"user {user_id} already has an account; to reset its password or "
                       "authenticator, ask a data owner")
                raise InputError(msg)
        outside = is_outside_party(role, agency)
        secret = _credentials.new_totp_secret()
        password_hash = _credentials.hash_password(self._hasher, password)
        self._ledger.append(account_change("enrolled", user_id, by,
                                           outside_party=str(outside).lower()))
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(accounts).values(
                    user_id=user_id, state=AccountState.PENDING.value,
                    password_hash=password_hash, totp_secret=secret, outside_party=outside,
                    training_valid_until=None, failed_logins=0, locked_until=None,
                    created_at=now, changed_at=now))
        except IntegrityError:
            msg = f"user {user_id} already has an account (enrolled at the same moment)"
            raise InputError(msg) from None
        return Enrollment(user_id, secret, _credentials.provisioning_uri(secret, user_id))

    # --- approvals -------------------------------------------------------------------------

    def bootstrap_owner(self, user_id: str, *, by: str, legal_basis: str,
                        expires_on: date) -> str:
        """Approve the first data owner of a new installation; refused once any approval exists.

        Every later approval needs an active data owner, so the first one has no
        one to approve it. This works only on an installation where no approval
        was ever given, for an enrolled court administrator or privacy officer.
        """
        now = self._clock()
        today = day_of(now)
        with self._engine.connect() as connection:
            facts = self._facts(connection, user_id, today)
            if connection.execute(select(account_approvals.c.approval_id).limit(1)).first():
                msg = ("this installation already has approved accounts: ask an active data "
                       "owner to approve the account (casevault access approve)")
                raise InputError(msg)
        if facts.role not in DATA_OWNER_ROLES or facts.outside_party:
            msg = ("the first account must be a data owner's (a court administrator or privacy "
                   "officer of the court)")
            raise InputError(msg)
        terms = _terms(facts, (), legal_basis, expires_on, today)
        return self._grant("bootstrapped", facts, by, terms, now)

    def approve(self, user_id: str, *, by: str, purposes: Iterable[Purpose], legal_basis: str,
                expires_on: date) -> str:
        """Approve an account (pending or expired to active); replaces any current approval.

        ``by`` must be an active data owner other than the user. Returns the approval id.
        """
        now = self._clock()
        today = day_of(now)
        with self._engine.connect() as connection:
            self._authorise(connection, "approved", user_id, by, today)
            facts = self._facts(connection, user_id, today)
        terms = _terms(facts, purposes, legal_basis, expires_on, today)
        return self._grant("approved", facts, by, terms, now)

    def renew(self, user_id: str, *, by: str, expires_on: date,
              purposes: Iterable[Purpose] | None = None, legal_basis: str | None = None) -> str:
        """Approve again with a new expiry; purposes and legal basis default to the last approval's.

        Works before the current approval runs out (renewal) and after (an expired
        account comes back). Returns the new approval id.
        """
        now = self._clock()
        today = day_of(now)
        with self._engine.connect() as connection:
            self._authorise(connection, "renewed", user_id, by, today)
            facts = self._facts(connection, user_id, today)
            last = connection.execute(
                select(account_approvals.c.purposes, account_approvals.c.legal_basis)
                .where(account_approvals.c.user_id == user_id)
                .order_by(account_approvals.c.approved_at.desc()).limit(1)).first()
        if last is None:
            msg = f"account {user_id} was never approved: approve it (casevault access approve)"
            raise InputError(msg)
        terms = _terms(facts, purposes_from_store(last[0]) if purposes is None else purposes,
                       last[1] if legal_basis is None else legal_basis, expires_on, today)
        return self._grant("renewed", facts, by, terms, now)

    def _grant(self, change: str, facts: AccountFacts, by: str, terms: _Terms,
               now: datetime) -> str:
        """Ledger, then end the current approval and store the new one, activating the account."""
        if facts.stored_state is AccountState.SUSPENDED:
            msg = (f"account {facts.user_id} is suspended: reinstate it first "
                   "(casevault access reinstate)")
            raise InputError(msg)
        approval_id = f"AP-{uuid4().hex}"
        stored_purposes = purposes_to_store(terms.purposes)
        self._ledger.append(account_change(
            change, facts.user_id, by, approval_id=approval_id, purposes=stored_purposes,
            legal_basis=terms.legal_basis, expires_on=terms.expires_on.isoformat(),
            review_due_on=terms.review_due_on.isoformat()))
        with self._engine.begin() as connection:
            _end_current_approvals(connection, facts.user_id, now, "superseded")
            connection.execute(insert(account_approvals).values(
                approval_id=approval_id, user_id=facts.user_id, approved_by=by,
                purposes=stored_purposes, legal_basis=terms.legal_basis, approved_at=now,
                expires_on=terms.expires_on, review_due_on=terms.review_due_on,
                reviewed_at=None, ended_at=None, end_reason=None))
            connection.execute(
                update(accounts)
                .where(accounts.c.user_id == facts.user_id,
                       accounts.c.state != AccountState.SUSPENDED.value)
                .values(state=AccountState.ACTIVE.value, changed_at=now))
        return approval_id

    # --- suspension --------------------------------------------------------------------------

    def suspend(self, user_id: str, *, by: str, reason: str) -> int:
        """Stop an account now: it is suspended and every live session ends at once.

        ``by`` must be an active data owner (suspending one's own account is allowed:
        it only ever removes access). Returns the number of sessions ended.
        """
        code = reason_code(reason)
        now = self._clock()
        today = day_of(now)
        with self._engine.connect() as connection:
            refusal = operator_refusal(connection, by, user_id, today, owner_on_self=True)
            if refusal is not None:
                refuse(self._ledger, "suspended", user_id, by, refusal)
            facts = self._facts(connection, user_id, today)
            ended = live_sessions(connection, user_id, now)
        if facts.stored_state is AccountState.SUSPENDED:
            msg = f"account {user_id} is already suspended"
            raise InputError(msg)
        drafts: list[EventDraft] = [account_change("suspended", user_id, by, reason=code)]
        drafts += [revocation(s, user_id, by, "account_suspended") for s in ended]
        self._ledger.append_many(drafts)
        with self._engine.begin() as connection:
            _set_state(connection, user_id, AccountState.SUSPENDED, now)
            # Only the sessions ledgered above: one opened since is refused, and then ended
            # with its own event, on its next request (the state is checked live).
            return end_sessions(connection, ended, now, "account_suspended")

    def reinstate(self, user_id: str, *, by: str, reason: str) -> AccountState:
        """Lift a suspension; the account is active again if it has a current approval.

        Sessions ended by the suspension stay ended: the person signs in again.
        Returns the state the account is in afterwards.
        """
        code = reason_code(reason)
        now = self._clock()
        today = day_of(now)
        with self._engine.connect() as connection:
            self._authorise(connection, "reinstated", user_id, by, today)
            facts = self._facts(connection, user_id, today)
            approved_before = connection.execute(
                select(account_approvals.c.approval_id)
                .where(account_approvals.c.user_id == user_id).limit(1)).first() is not None
        if facts.stored_state is not AccountState.SUSPENDED:
            msg = f"account {user_id} is not suspended; nothing to reinstate"
            raise InputError(msg)
        state = AccountState.ACTIVE if approved_before else AccountState.PENDING
        self._ledger.append(account_change("reinstated", user_id, by, reason=code))
        with self._engine.begin() as connection:
            _set_state(connection, user_id, state, now)
        return dataclasses.replace(facts, stored_state=state).state(today)

    # --- training ----------------------------------------------------------------------------

    def attest_training(self, user_id: str, *, valid_until: date, by: str) -> None:
        """Record a privacy-training attestation, valid through ``valid_until``.

        Attested by the person trained or by a data owner. Without a current one,
        the policy refuses every read and says why (forbid-training-not-current).
        """
        now = self._clock()
        today = day_of(now)
        if not today <= valid_until <= today + days(TRAINING_MAX_DAYS):
            msg = (f"a training attestation must be valid from today for at most "
                   f"{TRAINING_MAX_DAYS} days (until {today + days(TRAINING_MAX_DAYS)} at the "
                   "latest)")
            raise InvalidValue(msg)
        with self._engine.connect() as connection:
            refusal = operator_refusal(connection, by, user_id, today, subject_may_act=True)
            if refusal is not None:
                refuse(self._ledger, "training_attested", user_id, by, refusal)
            self._facts(connection, user_id, today)
        self._ledger.append(account_change("training_attested", user_id, by,
                                           valid_until=valid_until.isoformat()))
        with self._engine.begin() as connection:
            connection.execute(update(accounts).where(accounts.c.user_id == user_id)
                               .values(training_valid_until=valid_until, changed_at=now))

    # --- the principal -----------------------------------------------------------------------

    def principal(self, user_id: str, *, mfa_verified: bool,
                  connection: Connection | None = None) -> Principal:
        """The user as the policy sees them now: lifecycle state, training, purposes.

        One indexed read (on ``connection`` if given). ``NotFound`` if the user has
        no account.
        """
        today = day_of(self._clock())
        if connection is not None:
            facts = self._facts(connection, user_id, today)
        else:
            with self._engine.connect() as own:
                facts = self._facts(own, user_id, today)
        return facts.principal(today, mfa_verified=mfa_verified)

    # --- recertification ---------------------------------------------------------------------

    def due_for_review(self, on: date) -> list[ReviewItem]:
        """Current approvals whose review date is ``on`` or earlier, oldest due first."""
        statement = (
            select(*FACT_COLUMNS, account_approvals.c.approved_by,
                   account_approvals.c.approved_at, account_approvals.c.expires_on,
                   account_approvals.c.review_due_on, account_approvals.c.reviewed_at)
            .select_from(facts_join())
            .where(account_approvals.c.review_due_on <= on)
            .order_by(account_approvals.c.review_due_on, accounts.c.user_id)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(statement, {"today": on}).all()
        return [_review_item(row, on) for row in rows]

    def review(self, approval_id: str, *, by: str, keep: bool) -> None:
        """Recertify an approval (``keep``: due again in 90 days or at expiry) or end it now."""
        now = self._clock()
        today = day_of(now)
        change = "review_kept" if keep else "review_ended"
        with self._engine.connect() as connection:
            found = connection.execute(
                select(account_approvals.c.user_id, account_approvals.c.expires_on)
                .where(account_approvals.c.approval_id == approval_id,
                       account_approvals.c.ended_at.is_(None),
                       account_approvals.c.expires_on > today)).first()
            if found is None:
                msg = (f"no current approval with id {approval_id!r} (it may have ended or "
                       "expired); list those due with `casevault access review`")
                raise InputError(msg)
            user_id, expires_on = found
            self._authorise(connection, change, user_id, by, today)
        self._ledger.append(account_change(change, user_id, by, approval_id=approval_id))
        with self._engine.begin() as connection:
            approval = account_approvals.c.approval_id == approval_id
            if keep:
                due = min(expires_on, today + days(REVIEW_INTERVAL_DAYS))
                connection.execute(update(account_approvals).where(approval)
                                   .values(reviewed_at=now, review_due_on=due))
            else:
                connection.execute(update(account_approvals).where(approval)
                                   .values(reviewed_at=now, ended_at=now,
                                           end_reason="review_ended"))

    def lapse_unreviewed(self, on: date, *, by: str) -> list[str]:
        """End every current approval whose review date passed before ``on`` without a review.

        Returns the ids of the approvals ended; their accounts are expired from now
        on unless approved again.
        """
        now = self._clock()
        today = day_of(now)
        with self._engine.connect() as connection:
            refusal = operator_refusal(connection, by, None, today)
            if refusal is not None:
                refuse(self._ledger, "approvals_lapsed", "", by, refusal)
            overdue = connection.execute(
                select(account_approvals.c.approval_id, account_approvals.c.user_id)
                .where(account_approvals.c.ended_at.is_(None),
                       account_approvals.c.expires_on > on,
                       account_approvals.c.review_due_on < on)
                .order_by(account_approvals.c.approval_id)).all()
        if not overdue:
            return []
        self._ledger.append_many([account_change("approval_lapsed", user_id, by,
                                                 approval_id=approval_id)
                                  for approval_id, user_id in overdue])
        ids = [approval_id for approval_id, _ in overdue]
        with self._engine.begin() as connection:
            connection.execute(
                update(account_approvals)
                .where(account_approvals.c.approval_id.in_(ids),
                       account_approvals.c.ended_at.is_(None))
                .values(ended_at=now, end_reason="lapsed"))
        return ids

    # --- helpers -----------------------------------------------------------------------------

    def _authorise(self, connection: Connection, change: str, subject: str, by: str,
                   today: date) -> None:
        """Only an active data owner, never on their own account; a refusal is ledgered."""
        refusal = operator_refusal(connection, by, subject, today)
        if refusal is not None:
            refuse(self._ledger, change, subject, by, refusal)

    @staticmethod
    def _facts(connection: Connection, user_id: str, today: date) -> AccountFacts:
        facts = account_facts(connection, user_id, today)
        if facts is None:
            raise NotFound("account", user_id)
        return facts


def _current_user(connection: Connection, user_id: str, today: date) -> tuple[Role, Agency]:
    """The user's role and agency; only users in the directory today may have an account."""
    row = connection.execute(
        select(users.c.role, users.c.agency, users.c.active_from, users.c.active_to)
        .where(users.c.user_id == user_id)).first()
    if row is None:
        raise NotFound("user", user_id)
    role, agency, active_from, active_to = row
    if not in_directory(active_from, active_to, today):
        msg = (f"user {user_id} is not in the directory today (outside their active dates); "
               "an account can only be opened for current staff and parties")
        raise InputError(msg)
    return Role(role), Agency(agency)


def _terms(facts: AccountFacts, purposes: Iterable[Purpose], legal_basis: str,
           expires_on: date, today: date) -> _Terms:
    """Check an approval's terms against the account's kind; ``InvalidValue`` says what to fix."""
    chosen = frozenset(Purpose(p) for p in purposes)
    outside = facts.outside_party or is_outside_party(facts.role, facts.agency)
    if outside and not chosen:
        msg = ("an outside party's approval must list the purposes it allows "
               "(for example --purpose statistics)")
        raise InvalidValue(msg)
    basis = " ".join(legal_basis.split())
    if not basis or len(basis) > MAX_LEGAL_BASIS:
        msg = (f"state the legal basis of the access (a statute, agreement or order), in at "
               f"most {MAX_LEGAL_BASIS} characters on one line")
        raise InvalidValue(msg)
    limit = OUTSIDE_PARTY_MAX_DAYS if outside else STAFF_MAX_DAYS
    if not today < expires_on <= today + days(limit):
        kind = "an outside party's" if outside else "a staff"
        msg = (f"{kind} approval must expire after today and at most {limit} days from now "
               f"(on {today + days(limit)} at the latest); renew it when it runs out")
        raise InvalidValue(msg)
    review_due_on = min(expires_on, today + days(REVIEW_INTERVAL_DAYS))
    return _Terms(chosen, basis, expires_on, review_due_on)


def _end_current_approvals(connection: Connection, user_id: str, now: datetime,
                           reason: str) -> None:
    connection.execute(
        update(account_approvals)
        .where(account_approvals.c.user_id == user_id, account_approvals.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason))


def _set_state(connection: Connection, user_id: str, state: AccountState, now: datetime) -> None:
    connection.execute(update(accounts).where(accounts.c.user_id == user_id)
                       .values(state=state.value, changed_at=now))


def _review_item(row: Any, on: date) -> ReviewItem:
    facts = facts_from_row(row)
    approved_by, approved_at, expires_on, review_due_on, reviewed_at = row[len(FACT_COLUMNS):]
    approved = stored_instant(approved_at)
    assert approved is not None  # noqa: S101 -- the column is NOT NULL
    return ReviewItem(
        approval_id=str(facts.approval_id), user_id=facts.user_id, role=facts.role,
        agency=facts.agency, outside_party=facts.outside_party or is_outside_party(
            facts.role, facts.agency),
        account_state=facts.state(on), purposes=facts.approved_purposes,
        approved_by=approved_by, approved_at=approved, expires_on=expires_on,
        review_due_on=review_due_on, reviewed_at=stored_instant(reviewed_at),
        training_valid_until=facts.training_valid_until,
    )


__all__ = [
    "OUTSIDE_PARTY_MAX_DAYS", "REVIEW_INTERVAL_DAYS", "STAFF_MAX_DAYS", "TRAINING_MAX_DAYS",
    "Accounts", "Enrollment", "ReviewItem",
]
