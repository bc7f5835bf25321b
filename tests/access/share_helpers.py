"""Helpers of the agreement tests (and of ``tests/share``): a recipient, an agreement in force.

Everything goes through the real services: accounts approved by data owners of
the synthetic court, agreements proposed by one data owner and approved by
another, sessions signed in with real TOTP codes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, text

from casevault.access.agreements import Agreements, AgreementTerms, DisclosureKind
from casevault.access.identity import SessionContext
from casevault.domain import DataCategory, Purpose, Role
from casevault.store import tables, tables_share

from .guard_helpers import SignIn, context_for
from .identities import TODAY, data_owner, user_with_role

SHARE_TABLES = (tables_share.share_revocations, tables_share.share_disclosures,
                tables_share.share_budgets, tables_share.share_consents,
                tables_share.share_agreements)
"""Emptied (children first) around each share test, before the guard tables are."""

BASIS = "Data-sharing agreement DSA-2026-14 under 5 U.S.C. 552a(b)(3), routine use 7"


def clear_share_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in SHARE_TABLES:
            connection.execute(delete(table))


def cleared(engine: Engine) -> Iterator[None]:
    clear_share_tables(engine)
    yield
    clear_share_tables(engine)


@dataclass
class Parties:
    """Two data owners, an outside recipient, and the recipient's signed-in context."""

    owner: str
    second_owner: str
    recipient: str
    recipient_ctx: SessionContext
    owner_ctx: SessionContext
    agreements: Agreements


def parties(sign_in: SignIn, engine: Engine, *, role: Role = Role.EXTERNAL_ADVISOR,
            recipient: str | None = None) -> Parties:
    owner = data_owner(sign_in.accounts)
    second = data_owner(sign_in.accounts, other_than=owner)
    who = recipient or user_with_role(engine, role)
    ctx = context_for(sign_in, who, purposes=frozenset({Purpose.STATISTICS,
                                                        Purpose.COMPLIANCE_AUDIT}))
    owner_ctx = context_for(sign_in, owner)
    return Parties(owner, second, who, ctx, owner_ctx,
                   Agreements(engine, sign_in.accounts.ledger, clock=sign_in.clock))


def terms(recipient: str, **changes: Any) -> AgreementTerms:
    base = AgreementTerms(
        recipient_user_id=recipient, legal_basis=BASIS,
        purposes=frozenset({Purpose.STATISTICS}),
        categories=frozenset({DataCategory.CASE}),
        kinds=frozenset({DisclosureKind.STATISTICS, DisclosureKind.EXTRACT}),
        starts_on=TODAY, expires_on=TODAY + timedelta(days=60), max_rows=50,
        max_disclosures=3, period_days=7, epsilon_budget=2.0)
    return replace(base, **changes)


def in_force(found: Parties, **changes: Any) -> str:
    """An agreement for the recipient, proposed by one data owner and approved by the other."""
    agreement_id = found.agreements.propose(terms(found.recipient, **changes), by=found.owner)
    found.agreements.approve(agreement_id, by=found.second_owner)
    return agreement_id


def ledger_events_of(engine: Engine, action: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT * FROM ledger_events WHERE action = :a ORDER BY seq"), {"a": action})
        return [{**row._mapping, "detail": json.loads(row.detail)} for row in rows]


def add_efficiency_reviewer(engine: Engine) -> str:
    """A directory entry of role ``efficiency_reviewer``, made from a synthetic advisor's row.

    The synthetic court has no such account type, so the test takes an outside
    advisor's generated entry and gives it the new role under a new id.
    """
    users = tables.users
    with engine.begin() as connection:
        advisor = connection.execute(select(users).where(
            users.c.role == Role.EXTERNAL_ADVISOR.value).order_by(users.c.user_id)
            .limit(1)).mappings().one()
        reviewer_id = f"ER-{advisor['user_id']}"
        connection.execute(insert(users).values({
            **advisor, "user_id": reviewer_id, "role": Role.EFFICIENCY_REVIEWER.value,
            "active_from": TODAY - timedelta(days=10), "active_to": None}))
    return reviewer_id


def remove_user(engine: Engine, user_id: str) -> None:
    """Remove a test-made user and everything the guard and share tables hold of them."""
    clear_share_tables(engine)
    with engine.begin() as connection:
        for table in (tables.sessions, tables.account_approvals, tables.accounts):
            connection.execute(delete(table).where(table.c.user_id == user_id))
        connection.execute(delete(tables.users).where(tables.users.c.user_id == user_id))
