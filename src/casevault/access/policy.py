"""The policy decision point: Cedar policies decide which data categories a request may have.

DESIGN.md invariant 4 (least privilege, bound to purpose) and 5 (asylum
confidentiality), issue 4 item 4. The policies live in ``policies/*.cedar`` with
a Cedar schema, are loaded and validated once (``PolicyEngine.load``; a problem
stops start-up), and deny by default: a category is permitted only if a permit
applies and no forbid does. A request asks once per data category (one Cedar
batch), so a read learns in one call which categories it may return.

Cedar sees attributes, never identities. The principal and the record reach it
as fixed placeholders; what it decides on is the principal's role, agency and
account state, the action, the record's kind and the user's relationships to
it, the purpose and whether the session is device-bound. Time enters already
resolved (account state and relationships are computed at ``now`` upstream).
Two consequences, both intended: no policy can grant access to a named
individual, and a decision is a function of a small tuple of closed-vocabulary
values, so the engine evaluates each distinct tuple once and reuses the answer
(``memoise``; exact, since Cedar is given nothing but the tuple).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Final, NamedTuple, TypeVar

import cedarpy

from casevault.access._policy_files import NAMESPACE, LoadedPolicies, load_policies
from casevault.access.relationships import Relationship
from casevault.domain import Agency, DataCategory, Purpose, Role
from casevault.errors import AccessDenied, ConfigError

DEFAULT_POLICY_DIR: Final = Path(__file__).resolve().parents[3] / "policies"
"""``policies/`` at the root of a source checkout."""

ALL_CATEGORIES: Final = frozenset(DataCategory)
MEMO_LIMIT: Final = 1 << 16
"""Distinct attribute tuples remembered before the memo starts afresh."""


class AccountState(StrEnum):
    """Where an account is in its lifecycle (issue 4, item 2); only ``active`` may read."""

    ACTIVE = "active"
    PENDING = "pending"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


class AccessAction(StrEnum):
    """What a request does with a record; spelt as the ledger's ``audit.Action`` values."""

    VIEW = "view"
    SEARCH = "search"
    EXPORT = "export"
    PRINT = "print"
    UPDATE = "update"
    BREAK_GLASS = "break_glass"
    APPEARANCE = "appearance"
    """Entering or withdrawing an appearance as attorney of record (access/court_writes.py)."""


class RecordKind(StrEnum):
    CASE = "case"
    PERSON = "person"


@dataclass(frozen=True, slots=True)
class Principal:
    """The person asking, as the account lifecycle sees them at the time of the request."""

    user_id: str
    role: Role
    agency: Agency
    account_state: AccountState
    training_current: bool
    mfa_verified: bool
    outside_party: bool = False
    approved_purposes: frozenset[Purpose] = frozenset()
    """The purposes an outside party's approval lists (empty for staff)."""


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """One request for one record: who, doing what, to which record and categories, and why."""

    principal: Principal
    action: AccessAction
    kind: RecordKind
    record_id: str
    purpose: Purpose
    at: datetime
    device_id: str | None
    relationships: frozenset[Relationship] = frozenset()
    categories: frozenset[DataCategory] = ALL_CATEGORIES

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            msg = "the request time must be timezone-aware (UTC)"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to a request: the categories it may have, the policies that said so, and why not.

    ``policy_ids`` are the ``@id`` of every policy that determined a requested
    category (permits for those permitted, forbids for those refused; a category
    refused by default has none). ``refusals`` gives, per refused category, a
    message for the person asking; it never contains personal data or ids.
    """

    categories: frozenset[DataCategory]
    policy_ids: tuple[str, ...]
    refusals: tuple[tuple[DataCategory, str], ...] = field(default=())

    @property
    def permitted(self) -> bool:
        """True when at least one requested category may be returned."""
        return bool(self.categories)

    @property
    def reason(self) -> str | None:
        """Why the first refused category was refused (None when nothing was)."""
        return self.refusals[0][1] if self.refusals else None

    def require(self, *categories: DataCategory) -> Decision:
        """Raise ``AccessDenied`` unless each named category (or, naming none, any) is permitted."""
        if not categories and not self.categories:
            raise AccessDenied(self.reason or _NOTHING_ASKED, policy_ids=self.policy_ids)
        for category in categories:
            if category not in self.categories:
                reason = dict(self.refusals).get(category, _NOT_ASKED)
                raise AccessDenied(reason, policy_ids=self.policy_ids)
        return self


_NOTHING_ASKED: Final = "The request named no data category."
_NOT_ASKED: Final = "This category was not part of the request; ask for it explicitly."
_EVALUATION_FAILED: Final = ("A policy could not be evaluated, so the request is refused. "
                             "Report this to your administrator.")


class _Attributes(NamedTuple):
    """Everything Cedar is told about a request: the memo key, and the only input to Cedar."""

    role: Role
    agency: Agency
    account_state: AccountState
    training_current: bool
    mfa_verified: bool
    outside_party: bool
    approved_purposes: frozenset[Purpose]
    action: AccessAction
    kind: RecordKind
    relationships: frozenset[Relationship]
    purpose: Purpose
    device_bound: bool


class _Verdict(NamedTuple):
    allowed: bool
    policy_ids: tuple[str, ...]
    reason: str | None


_PrincipalKey = tuple[Role, Agency, AccountState, bool, bool, bool, frozenset[Purpose]]
"""The principal's part of ``_Attributes`` (its first seven fields): one Cedar entity each."""
_Verdicts = dict[DataCategory, _Verdict]


class PolicyEngine:
    """Holds the parsed policy set and schema; decides requests. Build with ``load``.

    With ``memoise`` (the default, and the production path) each distinct attribute
    tuple is evaluated once, for every category, and its decisions reused. Without
    it every request goes to Cedar, for the categories it asks only. Either way the
    policy set and schema are parsed once, and so is each distinct principal entity
    (with the schema's action hierarchy): a Cedar call only builds the requests'
    small contexts from pre-serialised parts.
    """

    def __init__(self, policies: LoadedPolicies, *, memoise: bool = True) -> None:
        _check_actions(policies.schema)
        self._policies = policies
        self._memoise = memoise
        self._verdicts: dict[_Attributes, _Verdicts] = {}
        self._decisions: dict[tuple[_Attributes, frozenset[DataCategory]], Decision] = {}
        self._principals: dict[_PrincipalKey, cedarpy.Entities] = {}

    @classmethod
    def load(cls, directory: Path = DEFAULT_POLICY_DIR, *, memoise: bool = True) -> PolicyEngine:
        """Load and validate ``directory``; raises ``ConfigError`` if the guard must not start."""
        vocabularies = {
            "Role": Role, "Agency": Agency, "AccountState": AccountState, "Purpose": Purpose,
            "Category": DataCategory, "Relationship": Relationship,
        }
        return cls(load_policies(directory, vocabularies), memoise=memoise)

    @property
    def policy_ids(self) -> tuple[str, ...]:
        """Every policy's ``@id``, in file order."""
        return tuple(self._policies.ids.values())

    @property
    def asylum_policies(self) -> frozenset[str]:
        """The permits that can grant the asylum category (each states its ``@asylum`` basis)."""
        return self._policies.asylum_policies

    def decide(self, request: AccessRequest) -> Decision:
        """Decide ``request``: the permitted subset of its categories, with ids and reasons."""
        attributes = _attributes(request)
        if not self._memoise:
            verdicts = self._evaluate({attributes: _asked(request.categories)},
                                      self._principal(attributes), _the_principal)
            return self._decision(verdicts[attributes], request.categories)
        key = (attributes, request.categories)
        decision = self._decisions.get(key)
        if decision is None:
            verdicts_of = self._verdicts.get(attributes)
            if verdicts_of is None:
                verdicts_of = self._evaluate({attributes: _CATEGORY_ORDER},
                                             self._principal(attributes),
                                             _the_principal)[attributes]
                _remember(self._verdicts, attributes, verdicts_of)
            decision = self._decision(verdicts_of, request.categories)
            _remember(self._decisions, key, decision)
        return decision

    def decide_many(self, requests: Iterable[AccessRequest]) -> list[Decision]:
        """Decide each request, in order: the same decisions as ``decide`` of each.

        Every distinct attribute tuple not already known is evaluated in a single
        Cedar batch (one call for the whole list), so deciding many requests, such
        as the rows of a search, costs one call into Cedar rather than one per row.
        """
        keys = [(_attributes(request), request.categories) for request in requests]
        found = [self._decisions.get(key) if self._memoise else None for key in keys]
        verdicts: dict[_Attributes, _Verdicts] = {}
        pending: dict[_Attributes, tuple[DataCategory, ...]] = {}
        if self._memoise:
            for attributes in {key[0] for key, decision in zip(keys, found, strict=True)
                               if decision is None}:
                known = self._verdicts.get(attributes)
                if known is None:
                    pending[attributes] = _CATEGORY_ORDER
                else:
                    verdicts[attributes] = known
        else:
            asked: dict[_Attributes, set[DataCategory]] = {}
            for attributes, categories in keys:
                asked.setdefault(attributes, set()).update(categories)
            pending = {a: _asked(frozenset(c)) for a, c in asked.items()}
        if pending:
            evaluated = self._evaluate_batch(pending)
            verdicts.update(evaluated)
            if self._memoise:
                for attributes, verdicts_of in evaluated.items():
                    _remember(self._verdicts, attributes, verdicts_of)
        decisions = []
        for key, memoised in zip(keys, found, strict=True):
            decision = memoised or self._decision(verdicts[key[0]], key[1])
            if memoised is None and self._memoise:
                _remember(self._decisions, key, decision)
            decisions.append(decision)
        return decisions

    def _principal(self, attributes: _Attributes) -> cedarpy.Entities:
        """The principal's entity (and the schema's actions), parsed once per principal tuple."""
        key: _PrincipalKey = attributes[:7]
        entities = self._principals.get(key)
        if entities is None:
            entities = cedarpy.Entities.from_json_str(
                f"[{_principal_json(attributes, _PRINCIPAL_ID)}]", self._policies.schema)
            _remember(self._principals, key, entities)
        return entities

    def _evaluate_batch(self, pending: Mapping[_Attributes, tuple[DataCategory, ...]],
                        ) -> dict[_Attributes, _Verdicts]:
        """Several tuples in one Cedar batch, with an entity for each distinct principal."""
        ids: dict[_PrincipalKey, str] = {}
        entities = []
        for attributes in pending:
            key: _PrincipalKey = attributes[:7]
            if key not in ids:
                ids[key] = f"{_PRINCIPAL_ID}-{len(ids)}"
                entities.append(_principal_json(attributes, ids[key]))
        parsed = cedarpy.Entities.from_json_str(f"[{','.join(entities)}]", self._policies.schema)
        uids = {key: {"type": _USER_TYPE, "id": value} for key, value in ids.items()}
        return self._evaluate(pending, parsed, lambda a: uids[a[:7]])

    def _evaluate(self, pending: Mapping[_Attributes, tuple[DataCategory, ...]],
                  entities: cedarpy.Entities,
                  principal_uid: Callable[[_Attributes], Mapping[str, str]],
                  ) -> dict[_Attributes, _Verdicts]:
        """One Cedar batch: a request per data category asked of each tuple.

        Cedar is not handed the schema here, on purpose: the requests are built from
        the vocabularies that start-up proved equal to the schema's enumerations, and
        the entities were validated against the schema when they were parsed (which
        also gave them the schema's action hierarchy), so checking again per request
        would only cost time.
        """
        requests = [request for attributes, categories in pending.items()
                    for request in _cedar_requests(attributes, categories,
                                                   principal_uid(attributes))]
        results = iter(cedarpy.is_authorized_batch(requests, self._policies.policy_set, entities))
        return {attributes: {category: self._verdict(attributes, category, next(results))
                             for category in categories}
                for attributes, categories in pending.items()}

    def _verdict(self, attributes: _Attributes, category: DataCategory,
                 result: cedarpy.AuthzResult) -> _Verdict:
        ids = self._named(result.diagnostics.reasons)
        if result.diagnostics.errors:  # an erroring forbid is skipped by Cedar: fail closed instead
            return _Verdict(allowed=False, policy_ids=ids, reason=_EVALUATION_FAILED)
        if result.allowed:
            return _Verdict(allowed=True, policy_ids=ids, reason=None)
        forbid_reasons = [self._policies.reasons[i] for i in ids if i in self._policies.reasons]
        reason = forbid_reasons[0] if forbid_reasons else _default_reason(attributes, category)
        return _Verdict(allowed=False, policy_ids=ids, reason=reason)

    def _named(self, cedar_ids: Iterable[str]) -> tuple[str, ...]:
        names = {self._policies.ids[cedar_id] for cedar_id in cedar_ids}
        return tuple(sorted(names, key=self._policies.order.__getitem__))

    def _decision(self, verdicts: Mapping[DataCategory, _Verdict],
                  categories: frozenset[DataCategory]) -> Decision:
        asked = [(c, verdicts[c]) for c in _CATEGORY_ORDER if c in categories]
        ids = {policy_id for _, verdict in asked for policy_id in verdict.policy_ids}
        refusals = [(c, v.reason) for c, v in asked if v.reason is not None]
        # A prohibition's reason (account, training, ...) is more useful than a default refusal.
        refusals.sort(key=lambda item: item[1] not in self._policies.reasons.values())
        return Decision(
            categories=frozenset(c for c, v in asked if v.allowed),
            policy_ids=tuple(sorted(ids, key=self._policies.order.__getitem__)),
            refusals=tuple(refusals),
        )


_K = TypeVar("_K")
_V = TypeVar("_V")
_CATEGORY_ORDER: Final = tuple(DataCategory)
_RELATED_ROLES: Final = frozenset({Role.JUDGE, Role.CLERK, Role.COURT_ADMIN, Role.DHS_COUNSEL,
                                   Role.ATTORNEY, Role.RESPONDENT})
_USER_TYPE: Final = f"{NAMESPACE}::User"
_PRINCIPAL_ID: Final = "principal"
_PRINCIPAL_UID: Final = {"type": _USER_TYPE, "id": _PRINCIPAL_ID}
_RESOURCE_UIDS: Final = {
    RecordKind.CASE: {"type": f"{NAMESPACE}::Case", "id": "record"},
    RecordKind.PERSON: {"type": f"{NAMESPACE}::Person", "id": "record"},
}
_ACTION_UIDS: Final = {action: {"type": f"{NAMESPACE}::Action", "id": action.value}
                       for action in AccessAction}


def _remember(memo: dict[_K, _V], key: _K, value: _V) -> None:
    """Keep ``value``; the memo is bounded, and starting afresh only costs re-evaluation."""
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def _check_actions(schema: cedarpy.Schema) -> None:
    """Every ``AccessAction`` must be an action of the schema (requests are not re-validated)."""
    actions = json.loads(str(cedarpy.Entities.from_json_str("[]", schema)))
    declared = {e["uid"]["id"] for e in actions if e["uid"]["type"] == f"{NAMESPACE}::Action"}
    missing = sorted(action.value for action in AccessAction if action.value not in declared)
    if missing:
        msg = f"the Cedar schema declares no action {', '.join(missing)}; the guard cannot start"
        raise ConfigError(msg)


def _asked(categories: frozenset[DataCategory]) -> tuple[DataCategory, ...]:
    return tuple(c for c in _CATEGORY_ORDER if c in categories)


def _the_principal(_: _Attributes) -> Mapping[str, str]:
    return _PRINCIPAL_UID


def _attributes(request: AccessRequest) -> _Attributes:
    p = request.principal
    return _Attributes(
        p.role, p.agency, p.account_state, p.training_current, p.mfa_verified, p.outside_party,
        p.approved_purposes, request.action, request.kind, request.relationships, request.purpose,
        bool(request.device_id),
    )


# Cedar's JSON, serialised once: a request only joins these pieces.

def _entity(kind: str, value: str) -> dict[str, dict[str, str]]:
    return {"__entity": {"type": f"{NAMESPACE}::{kind}", "id": value}}


def _entity_json(kind: str, value: str) -> str:
    return json.dumps(_entity(kind, value))


def _set_json(kind: str, values: Iterable[str]) -> str:
    return json.dumps([_entity(kind, value) for value in sorted(values)])


_PURPOSE_JSON: Final = {p: _entity_json("Purpose", p) for p in Purpose}
_CATEGORY_JSON: Final = {c: _entity_json("Category", c) for c in DataCategory}
_RELATIONSHIPS_JSON: Final = {
    frozenset(chosen): _set_json("Relationship", chosen)
    for size in range(len(Relationship) + 1)
    for chosen in itertools.combinations(Relationship, size)
}


def _principal_json(a: _Attributes, principal_id: str) -> str:
    """The request's only entity: the principal, under a placeholder id."""
    attrs = {
        "role": _entity("Role", a.role), "agency": _entity("Agency", a.agency),
        "account_state": _entity("AccountState", a.account_state),
        "training_current": a.training_current, "mfa_verified": a.mfa_verified,
        "outside_party": a.outside_party,
        "approved_purposes": [_entity("Purpose", p) for p in sorted(a.approved_purposes)],
    }
    return json.dumps({"uid": {"type": _USER_TYPE, "id": principal_id}, "attrs": attrs,
                       "parents": []})


def _cedar_requests(a: _Attributes, categories: Iterable[DataCategory],
                    principal_uid: Mapping[str, str]) -> list[dict[str, object]]:
    """A request per category; they differ only in the context's ``category``."""
    prefix = (f'{{"purpose": {_PURPOSE_JSON[a.purpose]}, '
              f'"relationships": {_RELATIONSHIPS_JSON[a.relationships]}, '
              f'"device_bound": {"true" if a.device_bound else "false"}, "category": ')
    principal, action, resource = principal_uid, _ACTION_UIDS[a.action], _RESOURCE_UIDS[a.kind]
    return [{"principal": principal, "action": action, "resource": resource,
             "context": f"{prefix}{_CATEGORY_JSON[category]}}}"}
            for category in categories]


def _default_reason(a: _Attributes, category: DataCategory) -> str:
    """Why nothing permitted this category: written for the person asking, naming no record."""
    if a.action is AccessAction.BREAK_GLASS:
        return ("Break-glass is for court staff in an emergency: state the emergency purpose; "
                "it opens identity, contact and case information only.")
    if a.role in _RELATED_ROLES and not a.relationships:
        return ("You have no recorded relationship to this record (a hearing, assignment, "
                "representation or your court). Ask to be assigned, or use break-glass "
                "in an emergency.")
    return (f"The role {a.role} may not {a.action} {category} information for the purpose "
            f"{a.purpose} with your relationship to this record. Check the purpose you chose, "
            "or ask your data owner for access.")
