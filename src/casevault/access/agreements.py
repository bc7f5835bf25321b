"""Data-sharing agreements and the check every disclosure to an outsider passes (issue 9, item 1).

DESIGN.md: outside parties get answers, not records, "unless a policy with a
legal basis says otherwise". An **agreement** is that policy for one recipient:
its legal basis, the purposes and data categories it covers, the kinds of
disclosure (``statistics``, ``extract``, ``records``), a row limit per
disclosure, a frequency limit (``max_disclosures`` per ``period_days``), a
privacy-loss budget for statistics, a start and an expiry, and the data owner
who approved it (never the one who proposed it). An agreement is in force from
its approval, between its dates, until it is ended (by a data owner, or by the
revocation of its recipient).

``SharingGate`` is the guard's check (``Guard.sharing``): ``admit`` decides one
disclosure against the agreement and the account, and a refusal is a ``deny``
ledger event before ``DisclosureRefused`` is raised; ``record`` appends the
``disclosure`` event (the accounting of disclosures) and books the volume and
privacy loss, before the caller hands anything over. ``casevault.share`` builds
statistics and extracts on it; record disclosures go through ``Guard``.

Asylum (8 CFR 208.6, invariant 5): an agreement may list ``asylum`` only with a
reason to, and person-level data of that category (records, extract rows)
leaves only for persons whose written consent to this recipient is recorded
(``record_consent``). Differentially private aggregates reveal nothing about any
one person, so statistics need ``asylum`` in the agreement but no consent.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, NoReturn

from sqlalchemy import Connection, Engine, func, insert, select, update

from casevault.access._records import (
    DATA_OWNER_ROLES,
    account_facts,
    day_of,
    is_outside_party,
    operator_refusal,
)
from casevault.access.identity import SessionContext
from casevault.access.policy import AccountState
from casevault.access.redaction import RecordView, redact, redact_all
from casevault.audit.events import Action, Event, EventDraft, Result
from casevault.audit.ledger import Clock, Ledger, utc_now
from casevault.domain import DataCategory, Purpose, Role
from casevault.errors import (
    AccessDenied,
    BudgetExhausted,
    DisclosureRefused,
    InvalidValue,
    NotFound,
)
from casevault.logs import get_logger
from casevault.store import reads
from casevault.store.tables import LIST_SEPARATOR, accounts, persons
from casevault.store.tables_share import (
    share_agreements,
    share_budgets,
    share_consents,
    share_disclosures,
)

_LOG = get_logger("casevault.access.agreements")

MAX_AGREEMENT_DAYS: Final = 366
"""An agreement runs at most a year; renewing it is a new decision by a data owner."""
DEFAULT_ANALYST_EPSILON: Final = 10.0
"""An analyst's lifetime privacy-loss budget when a data owner has set none."""
MAX_EPSILON_PER_QUERY: Final = 5.0
ANALYTIC_ROLES: Final = frozenset({Role.ANALYST, Role.PRIVACY_OFFICER, Role.COURT_ADMIN})
"""Staff who may ask statistics without an agreement (purpose ``statistics``, own budget)."""
OUTSIDE_ONLY_AGGREGATE_ROLES: Final = frozenset({Role.EFFICIENCY_REVIEWER, Role.EXTERNAL_ADVISOR})
"""Recipients whose agreements can never include records (issue 9, item 5)."""


class DisclosureKind(StrEnum):
    STATISTICS = "statistics"
    EXTRACT = "extract"
    RECORDS = "records"


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """What a data owner proposes: validated by ``Agreements.propose``."""

    recipient_user_id: str
    legal_basis: str
    purposes: frozenset[Purpose]
    categories: frozenset[DataCategory]
    kinds: frozenset[DisclosureKind]
    starts_on: date
    expires_on: date
    max_rows: int = 10_000
    max_disclosures: int = 10
    period_days: int = 30
    epsilon_budget: float = 5.0


@dataclass(frozen=True, slots=True)
class Agreement:
    agreement_id: str
    recipient_user_id: str
    legal_basis: str
    purposes: frozenset[Purpose]
    categories: frozenset[DataCategory]
    kinds: frozenset[DisclosureKind]
    max_rows: int
    max_disclosures: int
    period_days: int
    epsilon_budget: float
    starts_on: date
    expires_on: date
    created_by: str
    approved_by: str | None
    ended_at: datetime | None
    end_reason: str | None

    @classmethod
    def from_row(cls, row: Any) -> Agreement:
        return cls(
            agreement_id=row.agreement_id, recipient_user_id=row.recipient_user_id,
            legal_basis=row.legal_basis, purposes=frozenset(map(Purpose, _split(row.purposes))),
            categories=frozenset(map(DataCategory, _split(row.categories))),
            kinds=frozenset(map(DisclosureKind, _split(row.kinds))), max_rows=row.max_rows,
            max_disclosures=row.max_disclosures, period_days=row.period_days,
            epsilon_budget=float(row.epsilon_budget), starts_on=row.starts_on,
            expires_on=row.expires_on, created_by=row.created_by, approved_by=row.approved_by,
            ended_at=row.ended_at, end_reason=row.end_reason)

    def status(self, today: date) -> str:
        """``proposed``, ``not_started``, ``in_force``, ``expired`` or ``ended``."""
        if self.ended_at is not None:
            return "ended"
        if self.approved_by is None:
            return "proposed"
        if today < self.starts_on:
            return "not_started"
        return "in_force" if today <= self.expires_on else "expired"


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    """One disclosure asked for: what kind, why, which categories, how many rows, how much ε.

    ``recipient_user_id`` is who receives it: the signed-in user for statistics and
    extracts; the agreement's recipient for records a data owner sends.
    """

    kind: DisclosureKind
    purpose: Purpose
    categories: frozenset[DataCategory]
    rows: int
    agreement_id: str | None = None
    epsilon: float = 0.0
    person_ids: tuple[str, ...] = ()
    recipient_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Admission:
    """A disclosure the gate admitted, waiting to be recorded before it is handed over."""

    who: SessionContext
    request: DisclosureRequest
    recipient_user_id: str
    agreement: Agreement | None
    legal_basis: str
    disclosure_id: str
    """The booking reserved at admission (volume, frequency, ε), completed by ``record``."""


@dataclass(frozen=True, slots=True)
class Budget:
    """Privacy loss (ε) allowed and spent, for one analyst or one agreement."""

    scope: str
    scope_id: str
    total: float
    spent: float

    @property
    def remaining(self) -> float:
        return max(0.0, self.total - self.spent)


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split(LIST_SEPARATOR) if part]


def _join(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(sorted(set(values)))


class Agreements:
    """Proposing, approving and ending agreements; consents; analysts' budgets. Ledger first."""

    def __init__(self, engine: Engine, ledger: Ledger, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._ledger = ledger
        self._clock = clock

    def propose(self, terms: AgreementTerms, *, by: str) -> str:
        """A data owner proposes an agreement; it is in force only once another approves it."""
        today = day_of(self._clock())
        with self._engine.connect() as connection:
            self._require_owner(connection, by, terms.recipient_user_id, today, "proposed")
            recipient = account_facts(connection, terms.recipient_user_id, today)
        if recipient is None:
            raise NotFound("account", terms.recipient_user_id)
        _check_terms(terms, recipient.role, today)
        agreement_id = f"AG-{secrets.token_hex(8)}"
        self._ledger.append(_change("proposed", agreement_id, by, detail={
            "recipient_user_id": terms.recipient_user_id, "legal_basis": terms.legal_basis,
            "purposes": _join(terms.purposes), "categories": _join(terms.categories),
            "kinds": _join(terms.kinds), "max_rows": str(terms.max_rows),
            "max_disclosures": f"{terms.max_disclosures}/{terms.period_days}d",
            "epsilon_budget": repr(terms.epsilon_budget),
            "starts_on": terms.starts_on.isoformat(), "expires_on": terms.expires_on.isoformat()}))
        with self._engine.begin() as connection:
            connection.execute(insert(share_agreements).values(
                agreement_id=agreement_id, recipient_user_id=terms.recipient_user_id,
                legal_basis=" ".join(terms.legal_basis.split()), purposes=_join(terms.purposes),
                categories=_join(terms.categories), kinds=_join(terms.kinds),
                max_rows=terms.max_rows, max_disclosures=terms.max_disclosures,
                period_days=terms.period_days, epsilon_budget=terms.epsilon_budget,
                starts_on=terms.starts_on, expires_on=terms.expires_on, created_by=by,
                created_at=self._clock()))
        return agreement_id

    def approve(self, agreement_id: str, *, by: str) -> None:
        """A second data owner approves: two people decide every agreement."""
        agreement = self.get(agreement_id)
        today = day_of(self._clock())
        with self._engine.connect() as connection:
            self._require_owner(connection, by, agreement.recipient_user_id, today, "approved")
        if by == agreement.created_by:
            self._ledger.append(_change("approved", agreement_id, by, result=Result.DENY,
                                        detail={"reason": "proposer"}))
            msg = ("the data owner who proposed an agreement cannot approve it: ask another "
                   "data owner")
            raise AccessDenied(msg)
        if agreement.status(today) != "proposed":
            msg = f"agreement {agreement_id} is {agreement.status(today)}; only a proposed one "
            raise InvalidValue(msg + "can be approved")
        self._ledger.append(_change("approved", agreement_id, by))
        with self._engine.begin() as connection:
            connection.execute(update(share_agreements).where(
                share_agreements.c.agreement_id == agreement_id).values(
                approved_by=by, approved_at=self._clock()))

    def end(self, agreement_id: str, *, by: str, reason: str) -> None:
        """End an agreement now (it stays on record; nothing more is disclosed under it)."""
        agreement = self.get(agreement_id)
        with self._engine.connect() as connection:
            self._require_owner(connection, by, None, day_of(self._clock()), "ended")
        if agreement.ended_at is not None:
            msg = f"agreement {agreement_id} has already ended"
            raise InvalidValue(msg)
        self._ledger.append(_change("ended", agreement_id, by, detail={"reason": reason}))
        with self._engine.begin() as connection:
            end_agreements(connection, [agreement_id], self._clock(), reason)

    def get(self, agreement_id: str) -> Agreement:
        with self._engine.connect() as connection:
            return get_agreement(connection, agreement_id)

    def of_recipient(self, user_id: str) -> list[Agreement]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(share_agreements).where(
                share_agreements.c.recipient_user_id == user_id)
                .order_by(share_agreements.c.created_at)).all()
        return [Agreement.from_row(row) for row in rows]

    def all(self) -> list[Agreement]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(share_agreements)
                                      .order_by(share_agreements.c.created_at)).all()
        return [Agreement.from_row(row) for row in rows]

    # --- consent (8 CFR 208.6) -------------------------------------------------------------

    def record_consent(self, person_id: str, *, recipient_user_id: str, signed_on: date,
                       by: str, evidence_document_id: str | None = None) -> str:
        """Record a person's written consent to disclose their asylum data to one recipient.

        The consent is on the person (a ledger event with their id, so their own
        report shows it) and names the recipient: consent to one agency is not
        consent to all. ``evidence_document_id`` points at the signed form.
        """
        today = day_of(self._clock())
        with self._engine.connect() as connection:
            self._require_owner(connection, by, recipient_user_id, today, "consent_recorded")
            if connection.execute(select(persons.c.person_id).where(
                    persons.c.person_id == person_id)).first() is None:
                raise NotFound("person", person_id)
            if account_facts(connection, recipient_user_id, today) is None:
                raise NotFound("account", recipient_user_id)
        if signed_on > today:
            msg = "the consent's signature date cannot be in the future"
            raise InvalidValue(msg)
        consent_id = f"CO-{secrets.token_hex(8)}"
        self._ledger.append(EventDraft(
            action=Action.POLICY_CHANGE, result=Result.PERMIT, user_id=by, person_id=person_id,
            categories=(DataCategory.ASYLUM.value,),
            detail={"what": "consent", "step": "recorded", "consent_id": consent_id,
                    "recipient_user_id": recipient_user_id, "signed_on": signed_on.isoformat()}))
        with self._engine.begin() as connection:
            connection.execute(insert(share_consents).values(
                consent_id=consent_id, person_id=person_id, category=DataCategory.ASYLUM.value,
                recipient_user_id=recipient_user_id, signed_on=signed_on,
                evidence_document_id=evidence_document_id, recorded_by=by,
                recorded_at=self._clock()))
        return consent_id

    def withdraw_consent(self, consent_id: str, *, by: str) -> None:
        with self._engine.connect() as connection:
            row = connection.execute(select(share_consents).where(
                share_consents.c.consent_id == consent_id)).first()
            if row is None:
                raise NotFound("consent", consent_id)
            self._require_owner(connection, by, None, day_of(self._clock()), "consent_withdrawn")
        self._ledger.append(EventDraft(
            action=Action.POLICY_CHANGE, result=Result.PERMIT, user_id=by,
            person_id=row.person_id, categories=(DataCategory.ASYLUM.value,),
            detail={"what": "consent", "step": "withdrawn", "consent_id": consent_id}))
        with self._engine.begin() as connection:
            connection.execute(update(share_consents).where(
                share_consents.c.consent_id == consent_id).values(withdrawn_at=self._clock()))

    # --- budgets ---------------------------------------------------------------------------

    def set_budget(self, user_id: str, epsilon_total: float, *, by: str) -> None:
        """Set an analyst's lifetime privacy-loss budget (what is spent stays spent)."""
        if not 0 < epsilon_total <= 100:
            msg = "a privacy-loss budget is an epsilon above 0 and at most 100"
            raise InvalidValue(msg)
        with self._engine.connect() as connection:
            self._require_owner(connection, by, user_id, day_of(self._clock()), "budget_set")
        self._ledger.append(EventDraft(
            action=Action.POLICY_CHANGE, result=Result.PERMIT, user_id=by,
            detail={"what": "privacy_budget", "subject_user_id": user_id,
                    "epsilon_total": repr(epsilon_total)}))
        with self._engine.begin() as connection:
            connection.execute(share_budgets.delete().where(share_budgets.c.user_id == user_id))
            connection.execute(insert(share_budgets).values(
                user_id=user_id, epsilon_total=epsilon_total, set_by=by, set_at=self._clock()))

    def _require_owner(self, connection: Connection, by: str, subject: str | None, today: date,
                       step: str) -> None:
        refusal = operator_refusal(connection, by, subject, today)
        if refusal is not None:
            self._ledger.append(_change(step, "*", by, result=Result.DENY,
                                        detail={"reason": refusal[0]}))
            raise AccessDenied(refusal[1])


def _change(step: str, agreement_id: str, by: str, *, result: Result = Result.PERMIT,
            detail: Mapping[str, str] | None = None) -> EventDraft:
    return EventDraft(action=Action.POLICY_CHANGE, result=result, user_id=by,
                      detail={"what": "agreement", "step": step, "agreement_id": agreement_id,
                              **(detail or {})})


def _check_terms(terms: AgreementTerms, recipient_role: Role, today: date) -> None:
    """``InvalidValue`` naming the term to fix; nothing is stored."""
    problems = []
    basis = " ".join(terms.legal_basis.split())
    if not 10 <= len(basis) <= 300:
        problems.append("state the legal basis (a statute, agreement or order) in 10 to 300 "
                        "characters")
    if not terms.purposes:
        problems.append("list at least one purpose")
    if Purpose.EMERGENCY in terms.purposes:
        problems.append("emergency access is break-glass, never an agreement's purpose")
    if not terms.categories:
        problems.append("list at least one data category")
    if not terms.kinds:
        problems.append("list at least one kind of disclosure (statistics, extract, records)")
    if DisclosureKind.RECORDS in terms.kinds and recipient_role in OUTSIDE_ONLY_AGGREGATE_ROLES:
        problems.append(f"a {recipient_role.value} receives statistics and extracts only, "
                        "never records")
    if not 1 <= terms.max_rows <= 1_000_000:
        problems.append("the row limit is 1 to 1,000,000 rows per disclosure")
    if not (1 <= terms.max_disclosures <= 10_000 and 1 <= terms.period_days <= 366):
        problems.append("the frequency limit is 1 to 10,000 disclosures per 1 to 366 days")
    if not 0 <= terms.epsilon_budget <= 100:
        problems.append("the privacy-loss budget is an epsilon from 0 to 100")
    if not (today <= terms.expires_on and terms.starts_on < terms.expires_on
            <= terms.starts_on + timedelta(days=MAX_AGREEMENT_DAYS)):
        problems.append(f"the agreement must start before it expires, expire on or after "
                        f"today and run at most {MAX_AGREEMENT_DAYS} days")
    if problems:
        raise InvalidValue("; ".join(problems))


def _lock(connection: Connection, user_id: str, agreement_id: str | None) -> None:
    """Lock the account and agreement rows whose limits a disclosure checks (PostgreSQL)."""
    connection.execute(select(accounts.c.user_id).where(accounts.c.user_id == user_id)
                       .with_for_update())
    if agreement_id is not None:
        connection.execute(select(share_agreements.c.agreement_id).where(
            share_agreements.c.agreement_id == agreement_id).with_for_update())


def get_agreement(connection: Connection, agreement_id: str) -> Agreement:
    row = connection.execute(select(share_agreements).where(
        share_agreements.c.agreement_id == agreement_id)).first()
    if row is None:
        raise NotFound("agreement", agreement_id)
    return Agreement.from_row(row)


def end_agreements(connection: Connection, agreement_ids: Collection[str], now: datetime,
                   reason: str) -> int:
    if not agreement_ids:
        return 0
    return connection.execute(update(share_agreements).where(
        share_agreements.c.agreement_id.in_(sorted(agreement_ids)),
        share_agreements.c.ended_at.is_(None)).values(ended_at=now, end_reason=reason)).rowcount


def data_owner_refusal(engine: Engine, by: str, subject: str | None,
                       now: datetime) -> tuple[str, str] | None:
    """Why ``by`` may not act as a data owner on ``subject`` now (code, message), or None."""
    with engine.connect() as connection:
        return operator_refusal(connection, by, subject, day_of(now))


def consenting_persons(connection: Connection, recipient_user_id: str,
                       person_ids: Collection[str] | None = None) -> frozenset[str]:
    """Persons whose written asylum consent to this recipient is recorded and not withdrawn."""
    query = select(share_consents.c.person_id).where(
        share_consents.c.recipient_user_id == recipient_user_id,
        share_consents.c.category == DataCategory.ASYLUM.value,
        share_consents.c.withdrawn_at.is_(None))
    if person_ids is not None:
        query = query.where(share_consents.c.person_id.in_(sorted(set(person_ids))))
    return frozenset(str(p) for (p,) in connection.execute(query))


# --- the gate --------------------------------------------------------------------------------

_REFUSALS: Final = {
    "account": "Your account is not active or your privacy training is out of date. Ask your "
               "data owner.",
    "no_agreement": "Outside parties receive data only under a data-sharing agreement: name "
                    "the agreement (--agreement).",
    "not_recipient": "This agreement names another recipient.",
    "not_in_force": "This agreement is not in force (not yet approved, not yet started, "
                    "expired or ended). Ask your data owner.",
    "purpose": "The purpose you stated is not one this agreement (or your account's approval) "
               "permits.",
    "kind": "This agreement does not permit this kind of disclosure.",
    "category": "This agreement does not cover a data category the request needs.",
    "consent": "Asylum information (8 CFR 208.6) leaves only with the applicant's written "
               "consent to this recipient, and it is not recorded for every person requested.",
    "volume": "The request exceeds the agreement's row limit per disclosure: ask for fewer rows.",
    "frequency": "The agreement's limit on disclosures per period is reached: wait for the "
                 "period to pass.",
    "not_analyst": "Statistics without an agreement are for the court's analysts, for the "
                   "statistics purpose.",
    "records_operator": "Records are disclosed under an agreement by an active data owner "
                        "(signed in with the second factor), never by the recipient.",
    "leak_scan": "The leak shield blocked this extract, so nothing was released. Ask for a "
                 "larger k or fewer columns, or ask a privacy officer.",
    "epsilon": f"Each query spends an epsilon above 0 and at most {MAX_EPSILON_PER_QUERY}.",
}


@dataclass
class SharingGate:
    """The guard's check of disclosures under agreements (``Guard.sharing``)."""

    engine: Engine
    ledger: Ledger
    clock: Clock = utc_now
    default_analyst_epsilon: float = DEFAULT_ANALYST_EPSILON

    def admit(self, who: SessionContext, request: DisclosureRequest) -> Admission:
        """Decide one disclosure; a refusal is ledgered (``deny``) and raised."""
        now = self.clock()
        today = day_of(now)
        disclosure_id = f"DS-{secrets.token_hex(8)}"
        with self.engine.begin() as connection:
            # The checks and the booking they allow are one transaction, with the rows whose
            # limits are checked locked (PostgreSQL; SQLite serialises writers), so two
            # concurrent requests cannot both spend the last of a budget or a frequency.
            _lock(connection, who.user_id, request.agreement_id)
            agreement = (get_agreement(connection, request.agreement_id)
                         if request.agreement_id is not None else None)
            recipient = self._recipient(who, request, agreement)
            code = self._refusal(connection, who, request, agreement, now, today)
            if code is None and request.epsilon > 0:
                code = self._budget_refusal(connection, who, request, agreement)
            if code is None:
                connection.execute(insert(share_disclosures).values(
                    disclosure_id=disclosure_id, event_id=f"pending:{disclosure_id}",
                    agreement_id=request.agreement_id, user_id=who.user_id,
                    recipient_user_id=recipient, kind=request.kind.value, at=now,
                    rows=request.rows, epsilon=request.epsilon))
        if code is not None:
            self.refuse(who, request, recipient, code)
        return Admission(who, request, recipient, agreement,
                         agreement.legal_basis if agreement is not None
                         else "internal statistics", disclosure_id)

    def cancel(self, admission: Admission) -> None:
        """Release an admission's booking when nothing was disclosed (a blocked extract).

        A statistics query that fails after admission keeps its booking: privacy loss
        is counted as spent whenever the data may have been touched.
        """
        with self.engine.begin() as connection:
            connection.execute(share_disclosures.delete().where(
                share_disclosures.c.disclosure_id == admission.disclosure_id,
                share_disclosures.c.event_id.like("pending:%")))

    def record(self, admission: Admission, *, rows: int, detail: Mapping[str, str],
               per_person: Iterable[tuple[str, str | None]] = ()) -> Event:
        """Append the disclosure event(s), then book them; returns the summary event.

        ``per_person`` lists (person_id, case_id) for record disclosures: each gets
        its own event, so the person's accounting of disclosures names it.
        """
        request, who = admission.request, admission.who
        common = {"kind": request.kind.value, "recipient_user_id": admission.recipient_user_id,
                  "legal_basis": admission.legal_basis, "epsilon": repr(request.epsilon),
                  **({"agreement_id": admission.agreement.agreement_id}
                     if admission.agreement is not None else {}), **detail}
        drafts = [EventDraft(
            action=Action.DISCLOSURE, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            categories=tuple(sorted(c.value for c in request.categories)),
            purpose=request.purpose, record_count=rows, detail=common)]
        drafts += [EventDraft(
            action=Action.DISCLOSURE, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip, person_id=person_id,
            case_id=case_id, categories=tuple(sorted(c.value for c in request.categories)),
            purpose=request.purpose, record_count=1, detail=common)
            for person_id, case_id in per_person]
        events = self.ledger.append_many(drafts)
        with self.engine.begin() as connection:
            connection.execute(update(share_disclosures).where(
                share_disclosures.c.disclosure_id == admission.disclosure_id).values(
                event_id=events[0].event_id, rows=rows))
        return events[0]

    def disclose_records(self, who: SessionContext, agreement_id: str,
                         person_ids: Collection[str], *, categories: Collection[DataCategory],
                         purpose: Purpose) -> RecordDisclosure:
        """A data owner sends named persons' records to an agreement's recipient (all or none)."""
        return _disclose_records(self, who, agreement_id, person_ids, categories=categories,
                                 purpose=purpose)

    def budgets(self, user_id: str, agreement_id: str | None = None) -> list[Budget]:
        """The analyst's budget and, when named, the agreement's: total, spent, remaining.

        Only the agreement's own recipient sees its budget; for anyone else it does not
        exist (``NotFound``), so agreement ids cannot be probed.
        """
        with self.engine.connect() as connection:
            found = [self._analyst_budget(connection, user_id)]
            if agreement_id is not None:
                agreement = get_agreement(connection, agreement_id)
                if agreement.recipient_user_id != user_id:
                    raise NotFound("agreement", agreement_id)
                found.append(self._agreement_budget(connection, agreement))
        return found

    # --- the checks --------------------------------------------------------------------------

    def _refusal(self, connection: Connection, who: SessionContext, request: DisclosureRequest,
                 agreement: Agreement | None, now: datetime, today: date) -> str | None:
        principal = who.principal
        if principal.account_state is not AccountState.ACTIVE or not principal.training_current:
            return "account"
        if request.kind is DisclosureKind.RECORDS and (
                principal.role not in DATA_OWNER_ROLES or principal.outside_party
                or not principal.mfa_verified):
            return "records_operator"
        if not 0 <= request.epsilon <= MAX_EPSILON_PER_QUERY or (
                request.kind is DisclosureKind.STATISTICS and request.epsilon <= 0):
            return "epsilon"
        outside = principal.outside_party or is_outside_party(principal.role, principal.agency)
        if agreement is None:
            if (outside or request.kind is not DisclosureKind.STATISTICS
                    or principal.role not in ANALYTIC_ROLES
                    or request.purpose is not Purpose.STATISTICS):
                return "no_agreement" if outside else "not_analyst"
            return None
        return self._agreement_refusal(connection, who, request, agreement, now, today, outside)

    @staticmethod
    def _agreement_refusal(connection: Connection, who: SessionContext,
                           request: DisclosureRequest, agreement: Agreement, now: datetime,
                           today: date, outside: bool) -> str | None:
        checks: list[tuple[str, bool]] = [
            ("not_recipient", request.kind is not DisclosureKind.RECORDS
             and who.user_id != agreement.recipient_user_id),
            ("not_in_force", agreement.status(today) != "in_force"),
            ("purpose", request.purpose not in agreement.purposes or (
                outside and request.purpose not in who.principal.approved_purposes)),
            ("kind", request.kind not in agreement.kinds),
            ("category", not request.categories <= agreement.categories),
            ("volume", request.rows > agreement.max_rows),
        ]
        for code, failed in checks:
            if failed:
                return code
        if (request.kind is not DisclosureKind.STATISTICS
                and DataCategory.ASYLUM in request.categories):
            consenting = consenting_persons(connection, agreement.recipient_user_id,
                                            request.person_ids)
            if not request.person_ids or not set(request.person_ids) <= consenting:
                return "consent"
        since = now - timedelta(days=agreement.period_days)
        recent = connection.execute(select(func.count()).select_from(share_disclosures).where(
            share_disclosures.c.agreement_id == agreement.agreement_id,
            share_disclosures.c.at > since)).scalar_one()
        return "frequency" if recent >= agreement.max_disclosures else None

    def _budget_refusal(self, connection: Connection, who: SessionContext,
                        request: DisclosureRequest, agreement: Agreement | None) -> str | None:
        scopes = [self._analyst_budget(connection, who.user_id)]
        if agreement is not None:
            scopes.append(self._agreement_budget(connection, agreement))
        for budget in scopes:
            if request.epsilon > budget.remaining + 1e-9:
                return f"budget_{budget.scope}"
        return None

    def _analyst_budget(self, connection: Connection, user_id: str) -> Budget:
        total = connection.execute(select(share_budgets.c.epsilon_total).where(
            share_budgets.c.user_id == user_id)).scalar_one_or_none()
        spent = connection.execute(select(func.coalesce(func.sum(share_disclosures.c.epsilon),
                                                        0.0)).where(
            share_disclosures.c.user_id == user_id)).scalar_one()
        return Budget("analyst", user_id,
                      float(total) if total is not None else self.default_analyst_epsilon,
                      float(spent))

    @staticmethod
    def _agreement_budget(connection: Connection, agreement: Agreement) -> Budget:
        spent = connection.execute(select(func.coalesce(func.sum(share_disclosures.c.epsilon),
                                                        0.0)).where(
            share_disclosures.c.agreement_id == agreement.agreement_id)).scalar_one()
        return Budget("agreement", agreement.agreement_id, agreement.epsilon_budget, float(spent))

    @staticmethod
    def _recipient(who: SessionContext, request: DisclosureRequest,
                   agreement: Agreement | None) -> str:
        if request.kind is DisclosureKind.RECORDS and agreement is not None:
            return agreement.recipient_user_id
        return request.recipient_user_id or who.user_id

    def refuse(self, who: SessionContext, request: DisclosureRequest, recipient: str,
               code: str) -> NoReturn:
        """Ledger a refused disclosure (``deny``, with the limit's code), then raise."""
        _LOG.info("disclosure.refused", user_id=who.user_id, kind=request.kind.value,
                  agreement_id=request.agreement_id, reason=code)
        detail = {"kind": request.kind.value, "recipient_user_id": recipient, "reason": code,
                  "rows": str(request.rows), "epsilon": repr(request.epsilon)}
        if request.agreement_id is not None:
            detail["agreement_id"] = request.agreement_id
        self.ledger.append(EventDraft(
            action=Action.DISCLOSURE, result=Result.DENY, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            categories=tuple(sorted(c.value for c in request.categories)),
            purpose=request.purpose, detail=detail))
        if code.startswith("budget_"):
            scope = code.removeprefix("budget_")
            msg = (f"This query would spend epsilon {request.epsilon:g}, more than the {scope}'s "
                   "privacy-loss budget has left. Ask a data owner, or ask with a smaller epsilon.")
            raise BudgetExhausted(msg)
        raise DisclosureRefused(_REFUSALS[code], policy_ids=(f"agreement:{code}",))


@dataclass(frozen=True, slots=True)
class DisclosedPerson:
    """One person's row and cases as disclosed under an agreement, redacted to its categories."""

    person: RecordView
    cases: tuple[RecordView, ...]


@dataclass(frozen=True, slots=True)
class RecordDisclosure:
    persons: tuple[DisclosedPerson, ...]
    event_id: str
    agreement_id: str
    recipient_user_id: str


def _disclose_records(gate: SharingGate, who: SessionContext, agreement_id: str,
                      person_ids: Collection[str], *, categories: Collection[DataCategory],
                      purpose: Purpose) -> RecordDisclosure:
    """Records of named persons sent by a data owner to an agreement's recipient.

    All or nothing: the gate checks the agreement (purpose, kind ``records``,
    categories, row limit, frequency, dates) and, when ``asylum`` is asked,
    every person's recorded consent; then one ``disclosure`` event per person
    (their accounting of disclosures) is appended before anything is returned.
    """
    scope = tuple(sorted(set(person_ids)))
    if not scope:
        msg = "name at least one person to disclose"
        raise InvalidValue(msg)
    wanted = frozenset(categories)
    admission = gate.admit(who, DisclosureRequest(
        kind=DisclosureKind.RECORDS, purpose=purpose, categories=wanted, rows=len(scope),
        agreement_id=agreement_id, person_ids=scope))
    try:
        with gate.engine.connect() as connection:
            found = [(reads.person(connection, p), reads.cases_of_person(connection, p))
                     for p in scope]
    except BaseException:
        gate.cancel(admission)  # nothing was disclosed (an unknown id): release the booking
        raise
    value = tuple(DisclosedPerson(redact(person, wanted), tuple(redact_all(cases, wanted)))
                  for person, cases in found)
    event = gate.record(admission, rows=len(scope), detail={"persons": str(len(scope))},
                        per_person=[(p, None) for p in scope])
    return RecordDisclosure(value, event.event_id, agreement_id, admission.recipient_user_id)


__all__ = [
    "ANALYTIC_ROLES",
    "DEFAULT_ANALYST_EPSILON",
    "MAX_EPSILON_PER_QUERY",
    "Admission",
    "Agreement",
    "AgreementTerms",
    "Agreements",
    "Budget",
    "DisclosedPerson",
    "DisclosureKind",
    "DisclosureRequest",
    "RecordDisclosure",
    "SharingGate",
    "consenting_persons",
    "data_owner_refusal",
    "end_agreements",
    "get_agreement",
]
