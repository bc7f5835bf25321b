"""Tampering made with plain SQL behind the application's back is detected by verification."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, text

from casevault.audit.checkpoint import Signer
from casevault.audit.events import Action, EventDraft, Result
from casevault.audit.ledger import Ledger
from casevault.audit.verify import verify_extends, verify_ledger
from casevault.errors import LedgerTampered, ProofInvalid

EVENTS = 40
CHECKPOINT_AT = 32


def _fill(ledger: Ledger) -> str:
    drafts = [EventDraft(action=Action.VIEW, result=Result.PERMIT, user_id=f"U{i % 4}",
                         person_id=f"P{i % 5}", case_id=f"C{i}", categories=("case",),
                         purpose="adjudication", justification=f"calendar item {i}",
                         record_count=1) for i in range(EVENTS)]
    ledger.append_many(drafts[:CHECKPOINT_AT])
    kept = ledger.issue_checkpoint()
    ledger.append_many(drafts[CHECKPOINT_AT:])
    return kept


def _sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement), params)


def _swap_seq(connection: Connection, first: int, second: int) -> None:
    connection.execute(text("UPDATE ledger_events SET seq = -1 WHERE seq = :a"), {"a": first})
    connection.execute(text("UPDATE ledger_events SET seq = :a WHERE seq = :b"),
                       {"a": first, "b": second})
    connection.execute(text("UPDATE ledger_events SET seq = :b WHERE seq = -1"), {"b": second})


def test_an_untouched_ledger_verifies(ledger: Ledger, ledger_engine: Engine,
                                      signer: Signer) -> None:
    kept = _fill(ledger)
    result = verify_ledger(ledger_engine, signer.verifier())
    assert (result.size, result.root, result.checkpoints) == (EVENTS, ledger.root(), 1)
    assert verify_extends(ledger_engine, kept, signer.verifier()).size == EVENTS


TAMPERING: list[tuple[str, str, int]] = [
    ("edit a justification", "UPDATE ledger_events SET justification = 'nothing' WHERE seq = 7", 7),
    ("edit who looked", "UPDATE ledger_events SET user_id = 'U9' WHERE seq = 12", 12),
    ("edit a result", "UPDATE ledger_events SET result = 'deny' WHERE seq = 3", 3),
    ("edit the time", "UPDATE ledger_events SET at = '2020-01-01 00:00:00.000000' WHERE seq = 5",
     5),
    ("delete an event", "DELETE FROM ledger_events WHERE seq = 9", 9),
    ("delete the last event", "DELETE FROM ledger_events WHERE seq = 39", 39),
    ("move a person's event", "UPDATE ledger_events SET person_id = 'P4' WHERE seq = 20", 20),
    ("edit a leaf hash", "UPDATE ledger_events SET leaf_hash = "
     "(SELECT leaf_hash FROM ledger_events WHERE seq = 1) WHERE seq = 2", 2),
    ("edit a stored subtree hash", "UPDATE ledger_nodes SET hash = "
     "(SELECT hash FROM ledger_nodes WHERE level = 1 AND idx = 0) WHERE level = 1 AND idx = 5", 10),
    ("delete a stored subtree hash", "DELETE FROM ledger_nodes WHERE level = 2 AND idx = 3", 12),
    ("drop the checkpoint's events", "DELETE FROM ledger_events WHERE seq >= 30", 30),
]


@pytest.mark.parametrize(("statement", "first_bad"), [(t[1], t[2]) for t in TAMPERING],
                         ids=[t[0] for t in TAMPERING])
def test_each_kind_of_edit_is_detected(ledger: Ledger, ledger_engine: Engine, signer: Signer,
                                       statement: str, first_bad: int) -> None:
    _fill(ledger)
    _sql(ledger_engine, statement)
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(ledger_engine, signer.verifier())
    assert caught.value.first_bad_index == first_bad


def test_reordered_events_are_detected(ledger: Ledger, ledger_engine: Engine,
                                       signer: Signer) -> None:
    _fill(ledger)
    with ledger_engine.begin() as connection:
        _swap_seq(connection, 4, 6)
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(ledger_engine, signer.verifier())
    assert caught.value.first_bad_index == 4


def test_an_inserted_event_is_detected(ledger: Ledger, ledger_engine: Engine,
                                       signer: Signer) -> None:
    """Insert a copy of event 5 in the middle by shifting every later event up by one."""
    _fill(ledger)
    with ledger_engine.begin() as connection:
        for seq in range(EVENTS - 1, 5, -1):
            connection.execute(text("UPDATE ledger_events SET seq = :n WHERE seq = :o"),
                               {"n": seq + 1, "o": seq})
        connection.execute(text(
            "INSERT INTO ledger_events SELECT 6, 'forged-0000', at, action, result, user_id, "
            "session_id, device_id, ip, person_id, case_id, categories, purpose, justification, "
            "record_count, policy_ids, query_hmac, detail, person_prev_hash, leaf_hash "
            "FROM ledger_events WHERE seq = 5"))
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(ledger_engine, signer.verifier())
    assert caught.value.first_bad_index == 6


def test_a_rewritten_checkpoint_is_detected(ledger: Ledger, ledger_engine: Engine,
                                            signer: Signer) -> None:
    _fill(ledger)
    _sql(ledger_engine, "UPDATE ledger_checkpoints SET note = replace(note, '32', '31')")
    with pytest.raises(LedgerTampered, match="not signed by the ledger key"):
        verify_ledger(ledger_engine, signer.verifier())


def test_another_key_does_not_verify(ledger: Ledger, ledger_engine: Engine) -> None:
    _fill(ledger)
    with pytest.raises(LedgerTampered, match="not signed by the ledger key"):
        verify_ledger(ledger_engine, Signer.generate("casevault.test/ledger").verifier())


def test_a_log_rebuilt_after_the_kept_checkpoint_is_caught(ledger: Ledger, ledger_engine: Engine,
                                                           signer: Signer) -> None:
    """Someone holding a checkpoint can prove the log was cut back, even with all rows gone."""
    kept = _fill(ledger)
    _sql(ledger_engine, "DELETE FROM ledger_checkpoints")
    _sql(ledger_engine, "DELETE FROM ledger_nodes")
    _sql(ledger_engine, "DELETE FROM ledger_events WHERE seq >= 10")
    rebuilt = Ledger(ledger_engine, signer=signer)
    rebuilt.close()
    with pytest.raises((LedgerTampered, ProofInvalid)):
        verify_extends(ledger_engine, kept, signer.verifier())

