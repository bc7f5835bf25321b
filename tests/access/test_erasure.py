"""Crypto-shredding through the door: two privacy officers, ledgered by id, and real afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from casevault.access import PolicyEngine
from casevault.access.erasure import Erasures
from casevault.access.guard import Guard
from casevault.audit.ledger import Ledger
from casevault.audit.verify import verify_ledger
from casevault.domain import Purpose, Role
from casevault.errors import AccessDenied, InvalidValue, PersonErased
from casevault.store import reads, tables
from casevault.store.keys import ErasureRegister
from casevault.store.sealed import ERASED_TITLE
from casevault.store.tables_keys import person_keys
from clear_values import clear_person

from .guard_helpers import TERMS_KEY, SignIn, calendared_case, context_for, ledger_rows

REASON = "Court order 2026-114 to delete the record of this respondent"


@pytest.fixture
def erasures(guard_engine: Engine, guard_ledger: Ledger, tmp_path: Path) -> Erasures:
    return Erasures(guard_engine, guard_ledger, register=ErasureRegister(tmp_path / "register"))


def _officers(engine: Engine) -> tuple[str, str]:
    users = tables.users
    with engine.connect() as connection:
        found = list(connection.execute(select(users.c.user_id).where(
            users.c.role == Role.PRIVACY_OFFICER.value).order_by(users.c.user_id)).scalars())
    return found[0], found[1]


def test_only_privacy_officers_request_and_a_second_one_must_approve(
        erasures: Erasures, guard_engine: Engine, sign_in: SignIn) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)
    with pytest.raises(AccessDenied, match="only a privacy officer"):
        erasures.request(judge, found.person_id, reason=REASON)
    first, _ = _officers(guard_engine)
    officer = context_for(sign_in, first)
    asked = erasures.request(officer, found.person_id, reason=REASON)
    with pytest.raises(AccessDenied, match="two-person rule"):
        erasures.approve(officer, asked.erasure_id)
    assert clear_person(guard_engine, found.person_id).person_id == found.person_id
    with pytest.raises(InvalidValue, match="reason"):
        erasures.request(officer, found.person_id, reason="  ")
    results = [(row["result"], row["person_id"]) for row in ledger_rows(guard_engine)]
    assert results == [("deny", found.person_id), ("permit", found.person_id),
                       ("deny", found.person_id)]


def test_after_erasure_nothing_of_the_person_can_be_read_and_the_ledger_verifies(
        erasures: Erasures, guard_engine: Engine, guard_ledger: Ledger, sign_in: SignIn,
        tmp_path: Path) -> None:
    found = calendared_case(guard_engine)
    before = clear_person(guard_engine, found.person_id)
    assert before.a_number is not None
    first, second = _officers(guard_engine)
    asked = erasures.request(context_for(sign_in, first), found.person_id, reason=REASON)
    done = erasures.approve(context_for(sign_in, second), asked.erasure_id)
    assert done.state == "erased"
    with guard_engine.connect() as connection:
        with pytest.raises(PersonErased, match=asked.erasure_id):
            reads.person(connection, found.person_id)
        assert reads.person_by_a_number(connection, before.a_number) is None
        assert reads.address_history(connection, found.person_id) == []
        assert reads.encounters(connection, found.person_id) == []
        documents = reads.documents_of_case(connection, found.case_id)
        assert all(d.title == ERASED_TITLE and d.content is None for d in documents)
        assert connection.execute(select(person_keys).where(
            person_keys.c.person_id == found.person_id)).first() is None
        assert reads.case(connection, found.case_id).person_id == found.person_id  # case stays
    guard = Guard(guard_engine, guard_ledger, PolicyEngine.load(), terms_key=TERMS_KEY,
                  clock=sign_in.clock)
    with pytest.raises(PersonErased):
        guard.person_file(context_for(sign_in, found.judge_id), found.person_id,
                          purpose=Purpose.ADJUDICATION)
    assert ErasureRegister(tmp_path / "register").erased() == {found.person_id: asked.erasure_id}
    rows = ledger_rows(guard_engine)
    steps = [row["detail"] for row in rows if "erasure" in str(row["detail"])]
    assert len(steps) == 2
    assert all(REASON not in str(row) for row in rows)  # ids only in the ledger
    guard_ledger.issue_checkpoint()
    assert verify_ledger(guard_engine, guard_ledger.verifier()).size >= len(rows)
    with pytest.raises(InvalidValue, match="already erased"):
        erasures.request(context_for(sign_in, first), found.person_id, reason=REASON)
