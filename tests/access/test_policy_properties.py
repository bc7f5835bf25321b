"""Properties of the policy decision point over random attribute tuples (Hypothesis).

The decision table states who may see what case by case; these properties state
what must hold for every request whatsoever, however the attributes combine:

- outside parties and external advisors never get a category (invariant 1 of the
  issue's outside-party rule: de-identified or statistical data only);
- nobody whose account is not active, whose training is not current, whose
  session has no second factor or no bound device gets anything (invariant 4);
- asylum is only ever permitted by a policy listed in ``engine.asylum_policies``,
  never through break-glass (invariant 5);
- the statistics purpose never opens a record;
- memoised, fresh and batched evaluations agree, and agree with Cedar called the
  plain documented way (policy text, entity JSON and the schema on every request),
  so the engine's shortcuts change nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import cedarpy
from hypothesis import given, settings
from hypothesis import strategies as st

from casevault.access.policy import (
    DEFAULT_POLICY_DIR,
    AccessAction,
    AccessRequest,
    AccountState,
    PolicyEngine,
    Principal,
    RecordKind,
)
from casevault.access.relationships import Relationship
from casevault.domain import Agency, DataCategory, Purpose, Role

AT = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)
SETTINGS = settings(max_examples=200, deadline=None)
MEMOISED = PolicyEngine.load()
FRESH = PolicyEngine.load(memoise=False)


_USUAL: dict[Role, tuple[list[Purpose], frozenset[Relationship]]] = {
    Role.JUDGE: ([Purpose.ADJUDICATION], frozenset({Relationship.ASSIGNED_JUDGE})),
    Role.CLERK: ([Purpose.CASE_PROCESSING], frozenset({Relationship.COURT_CLERK})),
    Role.COURT_ADMIN: ([Purpose.CASE_PROCESSING], frozenset({Relationship.COURT_CLERK})),
    Role.DHS_COUNSEL: ([Purpose.LITIGATION, Purpose.APPEAL_REVIEW],
                       frozenset({Relationship.DHS_COUNSEL_AT_COURT})),
    Role.ATTORNEY: ([Purpose.REPRESENTATION], frozenset({Relationship.ATTORNEY_OF_RECORD})),
    Role.PRIVACY_OFFICER: ([Purpose.COMPLIANCE_AUDIT, Purpose.BREACH_RESPONSE], frozenset()),
    Role.ANALYST: ([Purpose.STATISTICS], frozenset()),
    Role.EXTERNAL_ADVISOR: ([Purpose.STATISTICS], frozenset()),
    Role.EFFICIENCY_REVIEWER: ([Purpose.STATISTICS], frozenset()),
    Role.RESPONDENT: ([Purpose.SELF_SERVICE], frozenset({Relationship.RESPONDENT_SELF})),
}
"""Each role's everyday purposes and relationship: drawn half the time, so permits are common."""


@st.composite
def requests(draw: st.DrawFn, **fixed: Any) -> AccessRequest:
    """Any request at all; keyword arguments pin principal fields or request fields."""
    def pick(name: str, strategy: st.SearchStrategy[Any]) -> Any:
        return fixed[name] if name in fixed else draw(strategy)

    def mostly(usual: Any, *others: Any) -> st.SearchStrategy[Any]:  # valid accounts, mostly
        return st.sampled_from([usual] * 4 + [usual, *others])

    role = pick("role", st.sampled_from(Role))
    purposes, relationships = _USUAL[role]
    any_relationships = st.frozensets(st.sampled_from(Relationship))
    principal = Principal(
        user_id="U1",
        role=role,
        agency=pick("agency", st.sampled_from(Agency)),
        account_state=pick("account_state", mostly(*AccountState)),
        training_current=pick("training_current", mostly(True, False)),
        mfa_verified=pick("mfa_verified", mostly(True, False)),
        outside_party=pick("outside_party", mostly(False, True)),
        approved_purposes=pick("approved_purposes", st.frozensets(st.sampled_from(Purpose))),
    )
    return AccessRequest(
        principal=principal,
        action=pick("action", st.sampled_from(AccessAction)),
        kind=pick("kind", st.sampled_from(RecordKind)),
        record_id="C1",
        purpose=pick("purpose", st.sampled_from(purposes) | st.sampled_from(Purpose)),
        at=AT,
        device_id=pick("device_id", mostly("D1", None)),
        relationships=pick("relationships", any_relationships.map(relationships.union)
                           | any_relationships),
        categories=pick("categories", st.frozensets(st.sampled_from(DataCategory), min_size=1)),
    )


@SETTINGS
@given(st.one_of(requests(outside_party=True), requests(role=Role.EXTERNAL_ADVISOR)))
def test_outside_parties_and_external_advisors_never_get_a_category(
        request: AccessRequest) -> None:
    decision = MEMOISED.decide(request)
    assert decision.categories == frozenset()
    assert "forbid-outside-party-records" in decision.policy_ids


@SETTINGS
@given(st.one_of(
    requests(account_state=AccountState.PENDING),
    requests(account_state=AccountState.SUSPENDED),
    requests(account_state=AccountState.EXPIRED),
    requests(training_current=False),
    requests(mfa_verified=False),
    requests(device_id=None),
))
def test_invalid_accounts_and_sessions_never_get_a_category(request: AccessRequest) -> None:
    decision = MEMOISED.decide(request)
    assert decision.categories == frozenset()
    assert decision.policy_ids  # a prohibition, not merely the absence of a permit
    assert decision.reason is not None


_VALID = {"account_state": AccountState.ACTIVE, "training_current": True, "mfa_verified": True,
          "device_id": "D1", "outside_party": False}
_ASYLUM = frozenset({DataCategory.ASYLUM})


@st.composite
def asylum_requests(draw: st.DrawFn) -> AccessRequest:
    """Valid staff asking for asylum, with every relationship half the time (most permissive)."""
    relationships = draw(st.just(frozenset(Relationship))
                         | st.frozensets(st.sampled_from(Relationship)))
    return draw(requests(**_VALID, categories=_ASYLUM, relationships=relationships))


@SETTINGS
@given(asylum_requests())
def test_asylum_is_permitted_only_by_the_listed_asylum_policies(request: AccessRequest) -> None:
    decision = MEMOISED.decide(request)
    if decision.permitted:
        assert decision.policy_ids
        assert set(decision.policy_ids) <= MEMOISED.asylum_policies
        assert request.action is not AccessAction.BREAK_GLASS
        assert request.principal.role is not Role.ANALYST


@SETTINGS
@given(requests(purpose=Purpose.STATISTICS))
def test_the_statistics_purpose_never_opens_a_record(request: AccessRequest) -> None:
    decision = MEMOISED.decide(request)
    assert decision.categories == frozenset()
    assert "forbid-statistics-record-level" in decision.policy_ids


@SETTINGS
@given(requests())
def test_memoised_and_fresh_engines_agree(request: AccessRequest) -> None:
    memoised = MEMOISED.decide(request)
    assert MEMOISED.decide(request) == memoised == FRESH.decide(request)
    assert memoised.categories <= request.categories
    assert {category for category, _ in memoised.refusals} == \
        request.categories - memoised.categories


@settings(max_examples=60, deadline=None)
@given(st.lists(requests(), min_size=1, max_size=25))
def test_batched_decisions_agree_with_single_ones(batch: list[AccessRequest]) -> None:
    expected = [FRESH.decide(request) for request in batch]
    assert FRESH.decide_many(batch) == expected
    assert PolicyEngine.load().decide_many(batch) == expected


# --- Cedar called the plain way is the reference -----------------------------------------

_TEXT = "\n".join(path.read_text(encoding="utf-8")
                  for path in sorted(DEFAULT_POLICY_DIR.glob("*.cedar")))
_POLICIES = cedarpy.PolicySet.from_str(_TEXT)
_SCHEMA = cedarpy.Schema.from_str(
    (DEFAULT_POLICY_DIR / "casevault.cedarschema").read_text(encoding="utf-8"))
_NS = "Casevault"


def _ref(kind: str, value: str) -> dict[str, dict[str, str]]:
    return {"__entity": {"type": f"{_NS}::{kind}", "id": value}}


def _reference(request: AccessRequest) -> dict[DataCategory, tuple[bool, set[str]]]:
    """Each category's Cedar decision and the ``@id`` of its determining policies."""
    p = request.principal
    user = {"type": f"{_NS}::User", "id": "someone"}
    entities = json.dumps([{"uid": user, "parents": [], "attrs": {
        "role": _ref("Role", p.role), "agency": _ref("Agency", p.agency),
        "account_state": _ref("AccountState", p.account_state),
        "training_current": p.training_current, "mfa_verified": p.mfa_verified,
        "outside_party": p.outside_party,
        "approved_purposes": [_ref("Purpose", purpose) for purpose in p.approved_purposes],
    }}])
    resource = {"type": f"{_NS}::{'Case' if request.kind is RecordKind.CASE else 'Person'}",
                "id": "something"}
    answers = {}
    for category in request.categories:
        result = cedarpy.is_authorized({
            "principal": user, "resource": resource,
            "action": {"type": f"{_NS}::Action", "id": request.action.value},
            "context": {
                "purpose": _ref("Purpose", request.purpose),
                "category": _ref("Category", category),
                "relationships": [_ref("Relationship", r) for r in request.relationships],
                "device_bound": request.device_id is not None,
            },
        }, _POLICIES, entities, _SCHEMA)
        assert not result.diagnostics.errors
        named = result.diagnostics.id_annotations_by_reason
        answers[category] = (result.allowed, {named[r] for r in result.diagnostics.reasons})
    return answers


@SETTINGS
@given(requests())
def test_the_engine_agrees_with_cedar_called_plainly(request: AccessRequest) -> None:
    reference = _reference(request)
    decision = FRESH.decide(request)
    assert decision.categories == {c for c, (allowed, _) in reference.items() if allowed}
    assert set(decision.policy_ids) == {i for _, ids in reference.values() for i in ids}
