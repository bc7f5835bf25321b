"""The guarded write paths (both databases): nothing is written unless the ledger took the
event first, and the respondent's change of address is sealed and refused to anyone else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, text

from casevault.access.court_writes import CourtWrites
from casevault.access.policy import PolicyEngine
from casevault.access.self_service import NewAddress, SelfService
from casevault.audit.keys import Signer
from casevault.audit.ledger import Ledger
from casevault.domain import Purpose
from casevault.errors import AccessDenied, LedgerUnavailable
from clear_values import clear_person
from respondent_accounts import person_with_hearings, respondent_account

from .guard_helpers import SignIn, context_for

AT = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)


def _one(engine: Engine, sql: str, **params: str) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text(sql), params).scalars().first())


@pytest.fixture
def unwritable_ledger(guard_engine: Engine) -> Iterator[Ledger]:
    """A ledger whose database refuses writes (a read-only connection): a real outage."""
    if guard_engine.dialect.name == "sqlite":
        broken = create_engine(f"sqlite:///file:{guard_engine.url.database}?mode=ro&uri=true")
    else:
        broken = create_engine(
            guard_engine.url.set(query={"options": "-c default_transaction_read_only=on"}))
    log = Ledger(broken, signer=Signer.generate("casevault.test/broken"))
    yield log
    log.close()
    broken.dispose()


def test_a_hearing_is_not_scheduled_when_the_ledger_cannot_be_written(
        guard_engine: Engine, unwritable_ledger: Ledger, sign_in: SignIn) -> None:
    clerk, case_id, judge = _one(
        guard_engine, "SELECT u.user_id || '|' || c.case_id || '|' || j.user_id FROM users u "
        "JOIN cases c ON c.court_code = u.office_code JOIN users j ON j.office_code = "
        "c.court_code AND j.role = 'judge' WHERE u.role = 'clerk' "
        "ORDER BY u.user_id, c.case_id, j.user_id").split("|")
    writes = CourtWrites(guard_engine, unwritable_ledger, PolicyEngine.load(),
                         clock=sign_in.clock)
    before = _one(guard_engine, "SELECT COUNT(*) FROM hearings")
    with pytest.raises(LedgerUnavailable):
        writes.schedule_hearing(context_for(sign_in, clerk), case_id, scheduled_at=AT,
                                hearing_type="master", judge_user_id=judge,
                                purpose=Purpose.CASE_PROCESSING)
    assert _one(guard_engine, "SELECT COUNT(*) FROM hearings") == before


def test_an_address_is_not_changed_when_the_ledger_cannot_be_written(
        guard_engine: Engine, unwritable_ledger: Ledger, sign_in: SignIn) -> None:
    with respondent_account(guard_engine, person_with_hearings(guard_engine)) as person_id:
        before = clear_person(guard_engine, person_id)
        service = SelfService(guard_engine, unwritable_ledger, clock=sign_in.clock)
        with pytest.raises(LedgerUnavailable):
            service.change_address(context_for(sign_in, person_id),
                                   NewAddress("1 New Street", None, "TX", "79901"))
        assert clear_person(guard_engine, person_id) == before


def test_only_the_respondent_changes_their_address(
        guard_engine: Engine, guard_ledger: Ledger, sign_in: SignIn) -> None:
    clerk = _one(guard_engine, "SELECT user_id FROM users WHERE role = 'clerk' "
                 "ORDER BY user_id")
    service = SelfService(guard_engine, guard_ledger, clock=sign_in.clock)
    with pytest.raises(AccessDenied):
        service.change_address(context_for(sign_in, clerk),
                               NewAddress("1 New Street", None, "TX", "79901"))
    assert _one(guard_engine, "SELECT result FROM ledger_events WHERE action = 'update'"
                ) == "deny"
