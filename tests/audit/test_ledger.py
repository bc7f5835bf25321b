"""The stored ledger: appends, group commit, proofs and checkpoints on both databases."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from casevault.audit import merkle
from casevault.audit.checkpoint import Signer, parse_signed_checkpoint
from casevault.audit.events import Action, EventDraft, Result
from casevault.audit.ledger import Ledger, uuid4_texts
from casevault.errors import ConfigError, ProofInvalid
from casevault.store import tables


def _draft(number: int, person: str | None = None) -> EventDraft:
    return EventDraft(
        action=Action.VIEW, result=Result.PERMIT if number % 3 else Result.DENY,
        user_id=f"U{number % 5:03d}", session_id=f"S{number % 7}", device_id="D1",
        ip="192.0.2.10", person_id=person, case_id=f"C{number:05d}" if person else None,
        categories=("identity", "case"), purpose="adjudication",
        justification=f"hearing on case C{number:05d}", record_count=1,
        policy_ids=("judge-own-calendar",), detail={"n": str(number)},
    )


def test_appends_are_numbered_and_hash_their_leaves(ledger: Ledger) -> None:
    events = ledger.append_many([_draft(i, f"P{i % 3}") for i in range(10)])
    assert [e.seq for e in events] == list(range(10))
    for event in events:
        assert event.leaf_hash == merkle.leaf_hash(event.leaf())
    assert ledger.root() == merkle.root([e.leaf() for e in events])
    assert ledger.size() == 10


def test_each_person_has_a_hash_chain(ledger: Ledger) -> None:
    events = [ledger.append(_draft(i, f"P{i % 3}")) for i in range(9)]
    events += ledger.append_many([_draft(9, None), _draft(10, "P1")])
    by_person: dict[str, bytes] = {}
    for event in events:
        if event.person_id is None:
            assert event.person_prev_hash is None
            continue
        assert event.person_prev_hash == by_person.get(event.person_id)
        by_person[event.person_id] = event.leaf_hash


def test_chain_continues_across_ledger_instances(ledger_engine: Engine, signer: Signer) -> None:
    first = Ledger(ledger_engine, signer=signer)
    earlier = first.append(_draft(1, "P9"))
    first.close()
    second = Ledger(ledger_engine, signer=signer)
    later = second.append(_draft(2, "P9"))
    second.close()
    assert later.seq == earlier.seq + 1
    assert later.person_prev_hash == earlier.leaf_hash


def test_two_writers_interleave_without_losing_events(ledger_engine: Engine,
                                                      signer: Signer) -> None:
    """Two Ledger objects (as two processes would) see each other's appends."""
    one, two = Ledger(ledger_engine, signer=signer), Ledger(ledger_engine, signer=signer)
    try:
        seqs = [one.append(_draft(0, "P1")).seq, two.append(_draft(1, "P1")).seq,
                one.append(_draft(2, "P1")).seq]
        assert seqs == [0, 1, 2]
        events = list(one.events(person_id="P1"))
        assert [e.person_prev_hash for e in events[1:]] == [e.leaf_hash for e in events[:-1]]
    finally:
        one.close()
        two.close()


def test_proofs_from_the_database_match_an_independent_tree(ledger: Ledger) -> None:
    events = ledger.append_many([_draft(i, f"P{i % 4}") for i in range(37)])
    memory = merkle.MemoryTree([e.leaf_hash for e in events])
    for size in (1, 2, 5, 16, 31, 37):
        root = memory.root(size)
        assert ledger.root(size) == root
        for index in {0, size // 2, size - 1}:
            proof = ledger.inclusion_proof(index, size)
            assert proof == memory.inclusion_proof(index, size)
            merkle.verify_inclusion(events[index].leaf_hash, index, size, proof, root)
    for size1, size2 in [(1, 37), (7, 8), (16, 37), (20, 33), (37, 37)]:
        proof = ledger.consistency_proof(size1, size2)
        merkle.verify_consistency(size1, size2, memory.root(size1), memory.root(size2), proof)


def test_proof_beyond_the_log_is_refused(ledger: Ledger) -> None:
    ledger.append_many([_draft(i) for i in range(3)])
    with pytest.raises(ProofInvalid, match="out of range"):
        ledger.inclusion_proof(0, 4)


def test_group_commit_under_concurrent_writers(ledger: Ledger) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        for i in range(40):
            event = ledger.append(_draft(number * 100 + i, f"P{i % 6}"))
            with lock:
                results.append(event.seq)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(320))
    stored = list(ledger.events())
    assert [e.seq for e in stored] == list(range(320))
    assert ledger.root() == merkle.root_from_leaf_hashes([e.leaf_hash for e in stored])


def test_checkpoints_are_signed_kept_and_verifiable(ledger: Ledger, signer: Signer) -> None:
    ledger.append_many([_draft(i) for i in range(5)])
    note = ledger.issue_checkpoint()
    checkpoint = parse_signed_checkpoint(note, signer.verifier())
    assert (checkpoint.size, checkpoint.root) == (5, ledger.root())
    assert checkpoint.origin == ledger.origin()
    ledger.append_many([_draft(i) for i in range(5, 9)])
    later = parse_signed_checkpoint(ledger.issue_checkpoint(), signer.verifier())
    assert [size for size, _ in ledger.checkpoints()] == [5, 9]
    merkle.verify_consistency(5, 9, checkpoint.root, later.root, ledger.consistency_proof(5, 9))
    assert ledger.latest_checkpoint() == ledger.checkpoints()[-1][1]
    assert ledger.verifier().vkey() == signer.verifier_key()


def test_a_different_key_cannot_sign_for_the_ledger(ledger_engine: Engine, signer: Signer) -> None:
    Ledger(ledger_engine, signer=signer).issue_checkpoint()
    impostor = Ledger(ledger_engine, signer=Signer.generate("casevault.test/ledger"))
    with pytest.raises(ConfigError, match="not the key this ledger was started with"):
        impostor.issue_checkpoint()


def test_checkpoints_on_a_schedule(ledger_engine: Engine, signer: Signer) -> None:
    now = [datetime(2026, 1, 1, 9, 0, tzinfo=UTC)]
    log = Ledger(ledger_engine, signer=signer, clock=lambda: now[0],
                 checkpoint_every=timedelta(minutes=5))
    log.append(_draft(1))
    now[0] += timedelta(minutes=1)
    log.append(_draft(2))
    now[0] += timedelta(minutes=5)
    log.append(_draft(3))
    log.close()
    assert [size for size, _ in log.checkpoints()] == [1, 3]


def test_events_stream_back_as_stored(ledger: Ledger) -> None:
    appended = ledger.append_many([_draft(i, "P1" if i % 2 else "P2") for i in range(6)])
    assert list(ledger.events()) == appended
    assert [e.seq for e in ledger.events(person_id="P1")] == [1, 3, 5]
    assert [e.seq for e in ledger.events(until_size=2)] == [0, 1]


def test_no_rows_are_written_for_a_failed_batch(ledger_engine: Engine, signer: Signer) -> None:
    log = Ledger(ledger_engine, signer=signer)
    log.append(_draft(1))
    with ledger_engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(tables.ledger_events))
        assert count.scalar_one() == 1
    log.close()


def test_proof_errors_keep_their_order(ledger: Ledger) -> None:
    """A size beyond the log is named as such, before an index the size cannot hold."""
    ledger.append_many([_draft(i) for i in range(5)])
    with pytest.raises(ProofInvalid, match="out of range"):
        ledger.inclusion_proof(9, 7)
    with pytest.raises(ProofInvalid, match="out of range"):
        ledger.consistency_proof(3, 6)
    with pytest.raises(ProofInvalid, match="out of range"):
        ledger.root(6)
    with pytest.raises(ValueError, match="not in a tree of size 4"):
        ledger.inclusion_proof(4, 4)
    assert ledger.root(0) == merkle.EMPTY_ROOT
    assert ledger.consistency_proof(0) == []


def test_a_missing_stored_hash_fails_the_proof(ledger: Ledger, ledger_engine: Engine) -> None:
    ledger.append_many([_draft(i) for i in range(8)])
    with ledger_engine.begin() as connection:
        connection.execute(tables.ledger_nodes.delete().where(tables.ledger_nodes.c.level == 2))
    with pytest.raises(ProofInvalid, match="missing the hash of leaves from index 4"):
        ledger.inclusion_proof(1, 8)


def test_a_lone_caller_never_waits_for_company(ledger: Ledger) -> None:
    """Group commit waits for the callers the last batch had; one caller alone never waits."""
    ledger.append(_draft(0))
    ledger._write_seconds = 10.0  # a slow disk would make any wait long
    started = time.perf_counter()
    for i in range(1, 6):
        ledger.append(_draft(i))
    assert time.perf_counter() - started < 1.0
    assert ledger._last_batch_calls == 1


@given(st.binary(min_size=16, max_size=16 * 9).filter(lambda raw: len(raw) % 16 == 0))
def test_event_ids_are_the_uuid4s_of_their_randomness(randomness: bytes) -> None:
    expected = [str(uuid.UUID(bytes=randomness[at:at + 16], version=4))
                for at in range(0, len(randomness), 16)]
    assert uuid4_texts(randomness) == expected


def test_proofs_on_a_busy_or_broken_reader(ledger: Ledger) -> None:
    """The ledger's own reader is lent to one caller at a time; others use the pool.

    A reader whose connection broke is dropped, and the next proof opens another.
    """
    ledger.append_many([_draft(i) for i in range(8)])
    expected = ledger.inclusion_proof(3, 8)
    with ledger._reader_lock:
        assert ledger.inclusion_proof(3, 8) == expected
    reader = ledger._reader
    assert reader is not None
    reader.connection.dbapi_connection.close()  # type: ignore[union-attr]
    with pytest.raises(Exception, match="closed"):
        ledger.inclusion_proof(3, 8)
    assert ledger._reader is None
    assert ledger.inclusion_proof(3, 8) == expected
