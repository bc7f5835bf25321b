"""What accounts and sessions share: the lifecycle rules, the account query, ledger drafts.

Internal to ``casevault.access``. The lifecycle of an account is *resolved* at a
date, not stored: ``accounts.state`` holds only what a person decided (pending,
active, suspended), and whether the account is usable today also depends on
its current approval, the user's directory entry and the date. Resolving it on
every read means an approval that runs out, or a user who leaves the court,
stops working on the day, with no job to run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, NoReturn

from sqlalchemy import (
    Connection,
    Date,
    Join,
    Row,
    String,
    and_,
    bindparam,
    select,
    update,
)

from casevault.access.policy import AccountState, Principal
from casevault.audit.events import Action, EventDraft, Result
from casevault.audit.ledger import Ledger
from casevault.domain import Agency, Purpose, Role
from casevault.errors import AccessDenied, InvalidValue
from casevault.store.rows import instant_from_store
from casevault.store.tables import (
    LIST_SEPARATOR,
    account_approvals,
    accounts,
    sessions,
    users,
)

DATA_OWNER_ROLES: Final = frozenset({Role.COURT_ADMIN, Role.PRIVACY_OFFICER})
"""Who may approve, renew, suspend, reinstate and recertify accounts."""

NO_PERSONAL_DATA_ROLES: Final = frozenset({Role.ANALYST, Role.EXTERNAL_ADVISOR,
                                           Role.EFFICIENCY_REVIEWER})
"""Roles no policy lets see personal data: the only ones that may sign in without TOTP."""

PARTY_ROLES: Final = frozenset({Role.ATTORNEY, Role.DHS_COUNSEL, Role.RESPONDENT})
"""Parties to the proceedings: outside the court's agency, yet not outside parties."""

_REASON_CODE: Final = re.compile(r"[a-z][a-z0-9_]{0,23}")


def is_outside_party(role: Role, agency: Agency) -> bool:
    """Whether an account belongs to an outside party (another agency, a contractor, an advisor).

    An ``external_advisor`` or ``efficiency_reviewer`` always is. Anyone else outside EOIR is
    too, except
    the parties to the proceedings: attorneys (respondents' counsel, agency
    ``PRIVATE``) and DHS counsel (agency ``ICE``) have a part in the cases they
    read, which relationships and policies already bound.
    """
    if role in (Role.EXTERNAL_ADVISOR, Role.EFFICIENCY_REVIEWER):
        return True
    return agency is not Agency.EOIR and role not in PARTY_ROLES


def in_directory(active_from: date, active_to: date | None, today: date) -> bool:
    """Whether a user's directory entry covers ``today`` (both ends inclusive, as in the court's
    records)."""
    return active_from <= today and (active_to is None or today <= active_to)


def day_of(moment: datetime) -> date:
    """The UTC day of an instant: approvals, training and reviews run by UTC days."""
    return moment.astimezone(UTC).date()


def reason_code(reason: str) -> str:
    """A short reason code (``lost_device``), never free text: it goes into the ledger."""
    if not _REASON_CODE.fullmatch(reason):
        msg = ("give the reason as a short code of lower-case letters, digits and underscores, "
               "at most 24 characters (for example lost_device or left_the_court); "
               "write details in the ticket, not here")
        raise InvalidValue(msg)
    return reason


def purposes_to_store(purposes: Iterable[Purpose]) -> str:
    return LIST_SEPARATOR.join(sorted({Purpose(p).value for p in purposes}))


def purposes_from_store(value: str | None) -> frozenset[Purpose]:
    return frozenset(Purpose(p) for p in (value or "").split(LIST_SEPARATOR) if p)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """One account as the lifecycle sees it: the stored decisions and the current approval."""

    user_id: str
    role: Role
    agency: Agency
    stored_state: AccountState
    outside_party: bool
    training_valid_until: date | None
    directory_from: date
    directory_to: date | None
    approval_id: str | None
    approved_purposes: frozenset[Purpose]

    def state(self, today: date) -> AccountState:
        """The state on ``today``: suspension first, then the directory, then the approval."""
        if self.stored_state is AccountState.SUSPENDED:
            return AccountState.SUSPENDED
        if not in_directory(self.directory_from, self.directory_to, today):
            return AccountState.EXPIRED
        if self.stored_state is AccountState.PENDING:
            return AccountState.PENDING
        return AccountState.ACTIVE if self.approval_id is not None else AccountState.EXPIRED

    def training_current(self, today: date) -> bool:
        """An attestation is valid through its ``valid_until`` day."""
        return self.training_valid_until is not None and today <= self.training_valid_until

    def principal(self, today: date, *, mfa_verified: bool) -> Principal:
        outside = self.outside_party or is_outside_party(self.role, self.agency)
        return Principal(
            user_id=self.user_id, role=self.role, agency=self.agency,
            account_state=self.state(today), training_current=self.training_current(today),
            mfa_verified=mfa_verified, outside_party=outside,
            approved_purposes=self.approved_purposes if outside else frozenset(),
        )

    def is_active_data_owner(self, today: date) -> bool:
        return (self.role in DATA_OWNER_ROLES and self.state(today) is AccountState.ACTIVE
                and not (self.outside_party or is_outside_party(self.role, self.agency)))


TODAY: Final = bindparam("today", type_=Date())
"""The day lifecycle queries resolve the current approval at."""

_CURRENT_APPROVAL = and_(
    account_approvals.c.user_id == accounts.c.user_id,
    account_approvals.c.ended_at.is_(None),
    account_approvals.c.expires_on > TODAY,
)
"""An approval is current from its approval until the day before ``expires_on``, unless ended."""

FACT_COLUMNS: Final = (
    accounts.c.user_id, users.c.role, users.c.agency, accounts.c.state,
    accounts.c.outside_party, accounts.c.training_valid_until, users.c.active_from,
    users.c.active_to, account_approvals.c.approval_id, account_approvals.c.purposes,
)
"""The columns ``facts_from_row`` reads, first in every lifecycle query, in this order."""


def facts_join() -> Join:
    """Accounts with their users and (outer) their current approval."""
    return (accounts.join(users, users.c.user_id == accounts.c.user_id)
            .outerjoin(account_approvals, _CURRENT_APPROVAL))


def facts_from_row(row: Row[Any] | tuple[Any, ...]) -> AccountFacts:
    (user_id, role, agency, state, outside, training, active_from, active_to,
     approval_id, purposes) = tuple(row[:len(FACT_COLUMNS)])
    return AccountFacts(
        user_id=user_id, role=Role(role), agency=Agency(agency),
        stored_state=AccountState(state), outside_party=bool(outside),
        training_valid_until=training, directory_from=active_from, directory_to=active_to,
        approval_id=approval_id, approved_purposes=purposes_from_store(purposes),
    )


_FACTS_BY_USER: Final = (
    select(*FACT_COLUMNS).select_from(facts_join())
    .where(accounts.c.user_id == bindparam("user_id", type_=String()))
    .order_by(account_approvals.c.approved_at.desc())
    .limit(1)
)


def account_facts(connection: Connection, user_id: str, today: date) -> AccountFacts | None:
    """One indexed read: the account, its user and its current approval; None if no account."""
    row = connection.execute(_FACTS_BY_USER, {"user_id": user_id, "today": today}).first()
    return None if row is None else facts_from_row(row)


# --- who may change an account ----------------------------------------------------------

NOT_A_DATA_OWNER: Final = (
    "Only an active data owner (a court administrator or privacy officer whose own account "
    "is approved) may do this. Ask your data owner.")
NOT_FOR_YOURSELF: Final = (
    "You cannot do this for your own account: ask another data owner, so that two people "
    "are involved.")


def operator_refusal(connection: Connection, by: str, subject: str | None, today: date, *,
                     subject_may_act: bool = False,
                     owner_on_self: bool = False) -> tuple[str, str] | None:
    """Why ``by`` may not change ``subject``'s account, as (reason code, message), or None.

    The subject themselves may when ``subject_may_act`` (enrolling, attesting their
    own training, ending their own session). Otherwise only an active data owner
    may, and never on their own account unless ``owner_on_self`` (a change that
    only ever removes access, such as a suspension). ``subject`` is None for
    changes to no one account in particular (lapsing overdue approvals).
    """
    if by == subject:
        if subject_may_act:
            return None
        if not owner_on_self:
            return ("self", NOT_FOR_YOURSELF)
    facts = account_facts(connection, by, today)
    if facts is None or not facts.is_active_data_owner(today):
        return ("not_data_owner", NOT_A_DATA_OWNER)
    return None


def account_change(change: str, subject: str, by: str, *, result: Result = Result.PERMIT,
                   **detail: str) -> EventDraft:
    """The ledger event of an account change: the operator, the subject and ids only."""
    return EventDraft(action=Action.ACCOUNT_CHANGE, result=result, user_id=by,
                      detail={"change": change, "subject_user_id": subject, **detail})


def refuse(ledger: Ledger, change: str, subject: str, by: str, refusal: tuple[str, str]
           ) -> NoReturn:
    """Record a refused account change, then raise ``AccessDenied`` saying what to do."""
    code, message = refusal
    ledger.append(account_change(change, subject, by, result=Result.DENY, reason=code))
    raise AccessDenied(message)


# --- sessions, as account changes touch them -------------------------------------------

def live_sessions(connection: Connection, user_id: str, now: datetime) -> list[str]:
    """Ids of the user's sessions not yet ended nor past their absolute expiry."""
    rows = connection.execute(
        select(sessions.c.session_id)
        .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None),
               sessions.c.expires_at > now)
        .order_by(sessions.c.session_id))
    return [session_id for (session_id,) in rows]


def end_sessions(connection: Connection, session_ids: list[str], now: datetime,
                 reason: str) -> int:
    """Mark sessions ended (``revoked_at``) unless they already are; returns how many."""
    if not session_ids:
        return 0
    result = connection.execute(
        update(sessions)
        .where(sessions.c.session_id.in_(session_ids), sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason))
    return result.rowcount


def revocation(session_id: str, user_id: str, by: str | None, reason: str) -> EventDraft:
    """The ledger event of a session being ended by someone or by a rule (``by`` None)."""
    detail = {"reason": reason, "subject_user_id": user_id}
    if by is not None:
        detail["by"] = by
    return EventDraft(action=Action.SESSION_REVOKED, result=Result.PERMIT,
                      user_id=by or user_id, session_id=session_id, detail=detail)


def stored_instant(value: Any) -> datetime | None:
    return None if value is None else instant_from_store(value)


def days(n: int) -> timedelta:
    return timedelta(days=n)
