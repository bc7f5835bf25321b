"""The policy decision point: the decision table, fail-closed loading, reasons and ids.

The table (``tests/vectors/policy_decisions.json``) is the reviewed statement of
who may see what; the engine must agree with every row. The exhaustive checks
at the end go beyond the table: over every role, relationship, purpose and
action, asylum is only granted by a permit that states its basis, and accounts
that are not valid, or belong to outside parties, never get a category.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cedarpy
import pytest

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
from casevault.errors import AccessDenied, ConfigError

VECTORS = Path(__file__).parents[1] / "vectors" / "policy_decisions.json"
TABLE = json.loads(VECTORS.read_text(encoding="utf-8"))
AT = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)
SECRET_IDS = ("U-SECRET-0042", "C-SECRET-0099", "DEVICE-SECRET-7")


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine.load()


def _request(row: dict[str, Any], *, ids: tuple[str, str, str] = ("U1", "C1", "D1"),
             ) -> AccessRequest:
    row = {**TABLE["defaults"], **row}
    user_id, record_id, device_id = ids
    principal = Principal(
        user_id=user_id, role=Role(row["role"]), agency=Agency(row["agency"]),
        account_state=AccountState(row["account_state"]),
        training_current=row["training_current"], mfa_verified=row["mfa_verified"],
        outside_party=row["outside_party"],
        approved_purposes=frozenset(Purpose(p) for p in row["approved_purposes"]),
    )
    categories = (frozenset(DataCategory) if row["category"] == "all"
                  else frozenset({DataCategory(row["category"])}))
    return AccessRequest(
        principal=principal, action=AccessAction(row["action"]), kind=RecordKind(row["kind"]),
        record_id=record_id, purpose=Purpose(row["purpose"]), at=AT,
        device_id=device_id if row["device_bound"] else None,
        relationships=frozenset(Relationship(r) for r in row["relationships"]),
        categories=categories,
    )


ISSUE_CASES = (
    "outside-party analyst with an approved purpose sees no record",
    "outside party without approved purposes sees no record",
    "external advisor without the outside-party flag still sees no record",
    "attorney of record sees identity",
    "attorney whose representation ended is refused",
    "attorney whose representation ended does not see asylum",
    "DHS counsel does not see asylum for litigation",
    "DHS counsel sees asylum on appeal review",
    "expired judge is refused",
    "untrained judge is refused",
    "judge without MFA is refused",
)
"""The rows that state issue 4's named rules; the table must keep each of them."""


def _rows() -> list[dict[str, Any]]:
    return [{**TABLE["defaults"], **row} for row in TABLE["cases"]]


def test_the_table_is_large_enough_and_covers_every_vocabulary() -> None:
    rows = _rows()
    assert TABLE["version"] == "cv-policy-vectors/1"
    assert len(rows) >= 60
    names = [row["name"] for row in rows]
    assert len(set(names)) == len(names)
    assert set(ISSUE_CASES) <= set(names)
    assert {row["role"] for row in rows} == {role.value for role in Role}
    assert {row["purpose"] for row in rows} == {purpose.value for purpose in Purpose}
    assert {row["category"] for row in rows} == {c.value for c in DataCategory} | {"all"}
    assert {row["account_state"] for row in rows} == {state.value for state in AccountState}
    assert {row["action"] for row in rows} == {action.value for action in AccessAction}
    assert {row["kind"] for row in rows} == {kind.value for kind in RecordKind}
    assert {r for row in rows for r in row["relationships"]} == {r.value for r in Relationship}
    assert {row["expected"] for row in rows if "expected" in row} == {"permit", "deny"}


def test_the_table_permits_and_refuses_each_role_category_and_condition() -> None:
    rows = _rows()
    single = [row for row in rows if row["category"] != "all"]
    for category in DataCategory:
        outcomes = {row["expected"] for row in single if row["category"] == category}
        assert outcomes == {"permit", "deny"}, category
    for role in Role:
        outcomes = {row["expected"] for row in single if row["role"] == role}
        assert "deny" in outcomes, role
        if role not in {Role.ANALYST, Role.EXTERNAL_ADVISOR, Role.EFFICIENCY_REVIEWER}:
            assert "permit" in outcomes, role
    for action in AccessAction:
        assert {row["expected"] for row in single if row["action"] == action} == {"permit", "deny"}
    for flag in ("training_current", "mfa_verified", "device_bound"):  # each refused on its own
        assert any(not row[flag] and row["account_state"] == "active" for row in single), flag
    outside = [row for row in rows if row["outside_party"]]
    assert any(row["approved_purposes"] for row in outside)
    assert any(not row["approved_purposes"] for row in outside)


@pytest.mark.parametrize("row", TABLE["cases"], ids=[row["name"] for row in TABLE["cases"]])
def test_decision_table(engine: PolicyEngine, row: dict[str, Any]) -> None:
    decision = engine.decide(_request(row))
    if row["category"] == "all":
        assert decision.categories == {DataCategory(c) for c in row["permitted"]}
        return
    assert decision.permitted == (row["expected"] == "permit")
    if "policy_ids" in row:
        assert decision.policy_ids == tuple(row["policy_ids"])
    if not decision.permitted:
        assert decision.reason


@pytest.mark.parametrize("row", [r for r in TABLE["cases"] if r.get("expected") == "deny"],
                         ids=lambda row: row["name"])
def test_a_refusal_names_no_id_of_the_request(engine: PolicyEngine, row: dict[str, Any]) -> None:
    decision = engine.decide(_request(row, ids=SECRET_IDS))
    with pytest.raises(AccessDenied) as refused:
        decision.require()
    texts = [str(refused.value), *(reason for _, reason in decision.refusals)]
    for text in texts:
        assert text
        for secret in SECRET_IDS:
            assert secret not in text
    assert refused.value.policy_ids == decision.policy_ids


def test_require_names_the_missing_category(engine: PolicyEngine) -> None:
    name = "DHS counsel litigating reads four categories"
    row = next(r for r in TABLE["cases"] if r["name"] == name)
    decision = engine.decide(_request(row))
    assert decision.require(DataCategory.IDENTITY) is decision
    with pytest.raises(AccessDenied, match="purpose litigation"):
        decision.require(DataCategory.IDENTITY, DataCategory.ASYLUM)


def test_a_prohibition_is_the_reason_given_first(engine: PolicyEngine) -> None:
    row = {"name": "x", "role": "clerk", "relationships": [], "purpose": "emergency",
           "action": "break_glass", "category": "all"}
    decision = engine.decide(_request(row))
    assert decision.categories == {DataCategory.IDENTITY, DataCategory.CONTACT, DataCategory.CASE}
    assert decision.reason is not None
    assert "8 CFR 208.6" in decision.reason
    assert decision.policy_ids == ("forbid-break-glass-asylum", "break-glass-court-staff")


def test_decisions_are_immutable(engine: PolicyEngine) -> None:
    decision = engine.decide(_request(TABLE["cases"][0]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.categories = frozenset()  # type: ignore[misc]


def test_a_request_time_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        dataclasses.replace(_request(TABLE["cases"][0]), at=datetime(2025, 1, 1))  # noqa: DTZ001


def test_memoised_and_fresh_evaluations_agree() -> None:
    memoised, fresh = PolicyEngine.load(), PolicyEngine.load(memoise=False)
    for row in TABLE["cases"]:
        request = _request(row)
        first = memoised.decide(request)
        assert memoised.decide(request) == first == fresh.decide(request)


@pytest.mark.parametrize("memoise", [True, False], ids=["memoised", "fresh"])
def test_deciding_many_at_once_gives_each_request_its_own_decision(memoise: bool) -> None:
    reference = PolicyEngine.load(memoise=False)
    requests = [_request(row) for row in TABLE["cases"]]
    requests += requests[::3]  # repeated tuples, in another order
    batched = PolicyEngine.load(memoise=memoise)
    assert batched.decide_many(requests) == [reference.decide(r) for r in requests]
    assert batched.decide_many(reversed(requests)) == [reference.decide(r) for r in requests[::-1]]
    assert batched.decide_many([]) == []


def test_deciding_many_asks_cedar_once(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = PolicyEngine.load()
    calls: list[int] = []
    batch = cedarpy.is_authorized_batch

    def counting(requests: list[dict[str, Any]], *args: Any) -> list[cedarpy.AuthzResult]:
        calls.append(len(requests))
        return batch(requests, *args)

    monkeypatch.setattr(cedarpy, "is_authorized_batch", counting)
    requests = [_request(row) for row in TABLE["cases"][:40]]
    engine.decide_many(requests)
    distinct = len({(r.principal, r.action, r.kind, r.purpose, r.relationships, bool(r.device_id))
                    for r in requests})
    assert calls == [distinct * len(DataCategory)]
    engine.decide_many(requests)  # all remembered: Cedar is not asked again
    assert len(calls) == 1


# --- Exhaustive properties over the closed vocabularies ---------------------------------

# Policies only ever ask whether a relationship is present, so holding every relationship
# opens at least as much as holding any one of them: none and all bound the space.
_RELATIONSHIP_SETS = [frozenset(), frozenset(Relationship)]


def _everything(**principal: Any) -> list[AccessRequest]:
    base = {"user_id": "U1", "agency": Agency.EOIR, "account_state": AccountState.ACTIVE,
            "training_current": True, "mfa_verified": True, **principal}
    requests = []
    for role, relationships, purpose, action in itertools.product(
            Role, _RELATIONSHIP_SETS, Purpose, AccessAction):
        requests.append(AccessRequest(
            principal=Principal(role=role, **base), action=action, kind=RecordKind.CASE,
            record_id="C1", purpose=purpose, at=AT, device_id="D1", relationships=relationships,
        ))
    return requests


def test_asylum_is_granted_only_by_permits_that_state_their_basis(engine: PolicyEngine) -> None:
    assert engine.asylum_policies == {
        "judge-adjudication-asylum", "clerk-case-processing-asylum",
        "attorney-representation-asylum", "dhs-counsel-appeal-review-asylum",
        "privacy-breach-response-asylum",
    }
    for request in _everything():
        decision = engine.decide(dataclasses.replace(
            request, categories=frozenset({DataCategory.ASYLUM})))
        if decision.permitted:
            assert set(decision.policy_ids) <= engine.asylum_policies
            assert request.action is not AccessAction.BREAK_GLASS


@pytest.mark.parametrize("principal", [
    {"outside_party": True, "approved_purposes": frozenset(Purpose)},
    {"account_state": AccountState.SUSPENDED},
    {"account_state": AccountState.EXPIRED},
    {"account_state": AccountState.PENDING},
    {"training_current": False},
    {"mfa_verified": False},
], ids=["outside party", "suspended", "expired", "pending", "untrained", "no MFA"])
def test_some_accounts_never_get_any_category(engine: PolicyEngine,
                                              principal: dict[str, Any]) -> None:
    for request in _everything(**principal):
        assert engine.decide(request).categories == frozenset()


def test_external_advisors_and_statistics_never_get_any_category(engine: PolicyEngine) -> None:
    for request in _everything():
        if request.principal.role is Role.EXTERNAL_ADVISOR or request.purpose is Purpose.STATISTICS:
            assert engine.decide(request).categories == frozenset()


# --- Loading fails closed -----------------------------------------------------------------

@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEFAULT_POLICY_DIR, tmp_path / "policies"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_policies_load(policy_dir: Path) -> None:
    assert "judge-adjudication-read" in PolicyEngine.load(policy_dir).policy_ids


def test_no_policies_at_all_refuse_to_start(policy_dir: Path) -> None:
    for path in policy_dir.glob("*.cedar"):
        path.unlink()
    with pytest.raises(ConfigError, match="no policies"):
        PolicyEngine.load(policy_dir)


def test_empty_policy_files_refuse_to_start(policy_dir: Path) -> None:
    for path in policy_dir.glob("*.cedar"):
        path.write_text("// nothing\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        PolicyEngine.load(policy_dir)


def test_a_missing_directory_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        PolicyEngine.load(tmp_path / "nowhere")


def test_only_prohibitions_refuse_to_start(policy_dir: Path) -> None:
    for path in policy_dir.glob("*.cedar"):
        if not path.name.startswith("00-"):
            path.unlink()
    with pytest.raises(ConfigError, match="permit nothing"):
        PolicyEngine.load(policy_dir)


def test_a_syntax_error_refuses_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "10-court.cedar", "permit (", "permit ((")
    with pytest.raises(ConfigError, match="do not parse"):
        PolicyEngine.load(policy_dir)


def test_a_misspelt_role_refuses_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "10-court.cedar", 'Role::"judge"', 'Role::"jduge"')
    with pytest.raises(ConfigError, match=r"\[judge-adjudication-read\].*jduge"):
        PolicyEngine.load(policy_dir)


def test_an_unknown_attribute_refuses_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "30-oversight.cedar", "context.purpose", "context.reason")
    with pytest.raises(ConfigError, match="do not validate"):
        PolicyEngine.load(policy_dir)


def test_a_policy_without_an_id_refuses_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "30-oversight.cedar", '@id("privacy-compliance-audit")', "")
    with pytest.raises(ConfigError, match="no @id"):
        PolicyEngine.load(policy_dir)


def test_two_policies_with_one_id_refuse_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "30-oversight.cedar", '@id("privacy-breach-response")',
          '@id("privacy-compliance-audit")')
    with pytest.raises(ConfigError, match="share the @id"):
        PolicyEngine.load(policy_dir)


def test_a_forbid_without_a_reason_refuses_to_start(policy_dir: Path) -> None:
    path = policy_dir / "00-baseline.cedar"
    text = path.read_text(encoding="utf-8")
    start = text.index('@reason("Break-glass')
    path.write_text(text[:start] + text[text.index("\n", start) + 1:], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"forbid-break-glass-asylum.*@reason"):
        PolicyEngine.load(policy_dir)


def test_an_asylum_permit_without_its_basis_refuses_to_start(policy_dir: Path) -> None:
    path = policy_dir / "20-parties.cedar"
    text = path.read_text(encoding="utf-8")
    start = text.index('@asylum("8 CFR 208.6: the applicant')
    path.write_text(text[:start] + text[text.index("\n", start) + 1:], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"attorney-representation-asylum.*@asylum"):
        PolicyEngine.load(policy_dir)


def test_a_policy_naming_a_user_refuses_to_start(policy_dir: Path) -> None:
    with (policy_dir / "50-extra.cedar").open("a", encoding="utf-8") as handle:
        handle.write('\n@id("friend-of-the-court")\n'
                     'permit (principal == Casevault::User::"U00042", action, resource);\n')
    with pytest.raises(ConfigError, match=r"friend-of-the-court.*individual"):
        PolicyEngine.load(policy_dir)


def test_removing_a_required_prohibition_refuses_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "00-baseline.cedar", '@id("forbid-mfa-not-verified")',
          '@id("forbid-mfa-renamed")')
    with pytest.raises(ConfigError, match="forbid-mfa-not-verified"):
        PolicyEngine.load(policy_dir)


def test_a_schema_out_of_step_with_the_vocabularies_refuses_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "casevault.cedarschema", '"self_service", ', "")
    with pytest.raises(ConfigError, match="Purpose"):
        PolicyEngine.load(policy_dir)


def test_a_schema_without_one_of_the_actions_refuses_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "casevault.cedarschema", "action view, search, print in [read]",
          "action view, search in [read]")
    with pytest.raises(ConfigError, match="no action print"):
        PolicyEngine.load(policy_dir)


def test_a_broken_schema_refuses_to_start(policy_dir: Path) -> None:
    _edit(policy_dir / "casevault.cedarschema", "namespace Casevault {", "namespace Casevault")
    with pytest.raises(ConfigError, match="schema"):
        PolicyEngine.load(policy_dir)
