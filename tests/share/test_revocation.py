"""Revocation and disgorgement (issue 9, item 4): the inventory is exactly what the ledger shows.

The expected inventory is computed here from the stored ``ledger_events`` rows
with SQL and ``json``, independently of the code under test.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from access.guard_helpers import SignIn, context_for
from access.identities import TODAY
from access.share_helpers import Parties, in_force, parties
from casevault.access.agreements import DisclosureKind, DisclosureRequest, SharingGate
from casevault.access.guard import Guard
from casevault.domain import DataCategory, Purpose, Role
from casevault.errors import AccessDenied, DisclosureRefused, InvalidValue, SessionInvalid
from casevault.share.revocation import Revocations

RECEIVING = ("view", "search", "export", "print", "break_glass", "disclosure")


def _expected(engine: Engine, user_id: str) -> list[str]:
    """Event ids of what ``user_id`` received, straight from the stored ledger rows."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT event_id, action, result, user_id, detail FROM ledger_events "
            "ORDER BY seq")).all()
    found = []
    for event_id, action, result, actor, detail in rows:
        if result != "permit" or action not in RECEIVING:
            continue
        recipient = json.loads(detail).get("recipient_user_id")
        if (action == "disclosure" and recipient == user_id) or (
                action != "disclosure" and actor == user_id):
            found.append(event_id)
    return found


def _disclose(gate: SharingGate, found: Parties, agreement_id: str, kind: DisclosureKind,
              reference: str) -> None:
    request = DisclosureRequest(kind=kind, purpose=Purpose.COMPLIANCE_AUDIT,
                                categories=frozenset({DataCategory.CASE}), rows=5,
                                agreement_id=agreement_id, epsilon=0.1 if kind ==
                                DisclosureKind.STATISTICS else 0.0)
    admission = gate.admit(found.recipient_ctx, request)
    key = "query" if kind is DisclosureKind.STATISTICS else "extract_id"
    gate.record(admission, rows=5, detail={key: reference})


def _person_ids(engine: Engine, count: int) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT person_id FROM persons ORDER BY person_id")).scalars().all())[:count]


@pytest.fixture
def revoked_setup(guard: Guard, guard_engine: Engine, sign_in: SignIn) -> tuple[Parties, str]:
    """An analyst who received statistics, an extract and records; another who got one too."""
    found = parties(sign_in, guard_engine, role=Role.ANALYST)
    agreement_id = in_force(found, kinds=frozenset(DisclosureKind),
                            purposes=frozenset({Purpose.COMPLIANCE_AUDIT}),
                            categories=frozenset({DataCategory.CASE, DataCategory.IDENTITY}))
    _disclose(guard.sharing, found, agreement_id, DisclosureKind.STATISTICS, "count by court")
    _disclose(guard.sharing, found, agreement_id, DisclosureKind.EXTRACT, "EX-1")
    guard.sharing.disclose_records(found.owner_ctx, agreement_id, _person_ids(guard_engine, 2),
                                   categories={DataCategory.IDENTITY},
                                   purpose=Purpose.COMPLIANCE_AUDIT)
    other = parties(sign_in, guard_engine, role=Role.EXTERNAL_ADVISOR)
    other_agreement = in_force(other, purposes=frozenset({Purpose.COMPLIANCE_AUDIT}))
    _disclose(guard.sharing, other, other_agreement, DisclosureKind.STATISTICS, "other")
    return found, agreement_id


def test_revocation_ends_sessions_and_agreements_and_inventories_exactly_the_ledger(
        guard: Guard, guard_engine: Engine, sign_in: SignIn,
        revoked_setup: tuple[Parties, str]) -> None:
    found, agreement_id = revoked_setup
    expected = _expected(guard_engine, found.recipient)
    revocations = Revocations(guard_engine, guard.sharing.ledger, sign_in.accounts,
                              clock=sign_in.clock)
    result = revocations.revoke(found.recipient, by=found.owner, reason="court_order")

    assert [item.event_id for item in result.inventory] == expected
    assert sorted({item.kind for item in result.inventory}) == ["extract", "records",
                                                                 "statistics"]
    assert sum(1 for i in result.inventory if i.person_id is not None) == 2
    assert result.agreements_ended == (agreement_id,)
    assert result.sessions_ended >= 1
    with pytest.raises(SessionInvalid):
        sign_in.sessions.authenticate(_token_of(sign_in, found), device_id="device-1",
                                      ip="192.0.2.1")
    with pytest.raises(DisclosureRefused):
        _disclose(guard.sharing, found, agreement_id, DisclosureKind.STATISTICS, "again")
    assert found.agreements.get(agreement_id).status(TODAY) == "ended"


def _token_of(sign_in: SignIn, found: Parties) -> str:
    """A fresh sign-in's token is refused too: the account itself is suspended."""
    from access.identities import login  # noqa: PLC0415

    sign_in.clock.advance(timedelta(seconds=31))
    try:
        return login(sign_in.accounts, sign_in.sessions, found.recipient).token
    except AccessDenied as refused:
        raise SessionInvalid(str(refused)) from None


def test_deletion_is_certified_by_one_data_owner_and_accepted_by_another(
        guard: Guard, guard_engine: Engine, sign_in: SignIn,
        revoked_setup: tuple[Parties, str]) -> None:
    found, _ = revoked_setup
    revocations = Revocations(guard_engine, guard.sharing.ledger, sign_in.accounts,
                              clock=sign_in.clock)
    result = revocations.revoke(found.recipient, by=found.owner, reason="court_order")
    with pytest.raises(InvalidValue, match="certify it first"):
        revocations.accept(result.revocation_id, by=found.second_owner)
    with pytest.raises(InvalidValue, match="64 lower-case hex"):
        revocations.certify(result.revocation_id, by=found.owner, certificate_sha256="abc")
    revocations.certify(result.revocation_id, by=found.owner, certificate_sha256="ab" * 32)
    assert revocations.status(result.revocation_id) == "certified"
    with pytest.raises(AccessDenied, match="another data owner"):
        revocations.accept(result.revocation_id, by=found.owner)
    revocations.accept(result.revocation_id, by=found.second_owner)
    assert revocations.status(result.revocation_id) == "closed"
    analyst = context_for(sign_in, found.recipient)  # the cached context of the revoked party
    with pytest.raises(AccessDenied):
        revocations.certify(result.revocation_id, by=analyst.user_id,
                            certificate_sha256="cd" * 32)
