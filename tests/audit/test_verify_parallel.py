"""Verification in worker processes finds exactly what one scan in log order finds.

The log is cut into chunks of 8 leaves (instead of 65,536) so that a 40-event
log spans five chunks, and every planted edit of ``test_verify`` is checked
both ways: the same first bad index and the same message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from casevault.audit import verify
from casevault.audit._chunks import Source
from casevault.audit.checkpoint import Signer
from casevault.audit.events import Action, EventDraft, Result, encode_leaf
from casevault.audit.ledger import Ledger
from casevault.audit.merkle import leaf_hash
from casevault.audit.verify import VerifyResult, _Plan, _verified
from casevault.errors import LedgerTampered

from .test_verify import TAMPERING, _fill, _sql, _swap_seq

SINGLE_SCAN = _Plan(workers=1)
CHUNKS_OF_8 = _Plan(workers=2, chunk_levels=3, parallel_from=0)


def _draft(number: int) -> EventDraft:
    return EventDraft(action=Action.VIEW, result=Result.PERMIT, user_id="U1",
                      person_id=f"P{number % 5}", purpose="adjudication", record_count=1)


def _outcome(engine: Engine, signer: Signer, plan: _Plan) -> VerifyResult | tuple[int | None, str]:
    try:
        return _verified(engine, signer.verifier(), None, plan)[0]
    except LedgerTampered as caught:
        return caught.first_bad_index, str(caught)


def _both_ways(engine: Engine, signer: Signer) -> tuple[object, object]:
    return _outcome(engine, signer, SINGLE_SCAN), _outcome(engine, signer, CHUNKS_OF_8)


def test_an_untouched_ledger_gives_the_same_result(ledger: Ledger, ledger_engine: Engine,
                                                   signer: Signer) -> None:
    _fill(ledger)
    single, chunked = _both_ways(ledger_engine, signer)
    assert isinstance(single, VerifyResult)
    assert chunked == single


def test_progress_is_reported_per_chunk(ledger: Ledger, ledger_engine: Engine,
                                        signer: Signer) -> None:
    _fill(ledger)
    seen: list[int] = []
    _verified(ledger_engine, signer.verifier(), seen.append, CHUNKS_OF_8)
    assert seen == [8, 16, 24, 32, 40]


@pytest.mark.parametrize(("statement", "first_bad"), [(t[1], t[2]) for t in TAMPERING],
                         ids=[t[0] for t in TAMPERING])
def test_each_planted_edit_is_found_at_the_same_index(
        ledger: Ledger, ledger_engine: Engine, signer: Signer, statement: str,
        first_bad: int) -> None:
    _fill(ledger)
    _sql(ledger_engine, statement)
    single, chunked = _both_ways(ledger_engine, signer)
    assert chunked == single
    assert single[0] == first_bad  # type: ignore[index]


def test_reordered_events_are_found_at_the_same_index(ledger: Ledger, ledger_engine: Engine,
                                                      signer: Signer) -> None:
    _fill(ledger)
    with ledger_engine.begin() as connection:
        _swap_seq(connection, 9, 17)  # across a chunk boundary
    single, chunked = _both_ways(ledger_engine, signer)
    assert chunked == single == (9, single[1])  # type: ignore[index]


@pytest.mark.parametrize("seq", [8, 17, 31])
def test_a_relinked_chain_is_caught_across_chunks(ledger: Ledger, ledger_engine: Engine,
                                                  signer: Signer, seq: int) -> None:
    """An event re-sealed with a forged link: its leaf checks out, only the chain does not.

    The event is its person's first in its chunk, so only the join of chunks can
    see the break.
    """
    _fill(ledger)
    event = list(ledger.events(until_size=seq + 1))[-1]
    forged = bytes(32)
    leaf = encode_leaf(event.seq, event.event_id, event.at, event.action, event.result,
                       event.user_id, event.session_id, event.device_id, event.ip,
                       event.person_id, event.case_id, event.categories, event.purpose,
                       event.justification, event.record_count, event.policy_ids,
                       event.query_hmac, event.detail, forged)
    with ledger_engine.begin() as connection:
        connection.execute(text("UPDATE ledger_events SET person_prev_hash = :p, leaf_hash = :h "
                                "WHERE seq = :s"), {"p": forged, "h": leaf_hash(leaf), "s": seq})
    single, chunked = _both_ways(ledger_engine, signer)
    assert chunked == single == (seq, f"ledger event {seq} breaks its person's hash chain")


def test_a_gap_at_a_chunk_boundary_names_the_next_stored_event(
        ledger: Ledger, ledger_engine: Engine, signer: Signer) -> None:
    _fill(ledger)
    _sql(ledger_engine, "DELETE FROM ledger_events WHERE seq IN (15, 16)")
    single, chunked = _both_ways(ledger_engine, signer)
    assert chunked == single == (15, "ledger event 15 is missing (the next stored event is 17)")


@pytest.mark.parametrize("plan", [SINGLE_SCAN, CHUNKS_OF_8], ids=["single scan", "chunks"])
def test_appends_while_verifying_are_not_tampering(ledger: Ledger, ledger_engine: Engine,
                                                   signer: Signer, plan: _Plan) -> None:
    """The log keeps growing during a verification: it checks the log as it was at the start."""
    _fill(ledger)
    size, root = ledger.size(), ledger.root()
    grown: list[int] = []

    def grow(_verified_so_far: int) -> None:
        if not grown:
            ledger.append_many([_draft(i) for i in range(100, 130)])  # completes new subtrees
            ledger.issue_checkpoint()
            grown.append(ledger.size())

    while_growing = _Plan(plan.workers, plan.chunk_levels, plan.parallel_from, progress_every=8)
    result = _verified(ledger_engine, signer.verifier(), grow, while_growing)[0]
    assert grown == [size + 30]
    assert (result.size, result.root, result.checkpoints) == (size, root, 1)
    after = _outcome(ledger_engine, signer, plan)
    assert isinstance(after, VerifyResult)
    assert (after.size, after.checkpoints) == (size + 30, 2)


def test_workers_that_cannot_read_leave_the_work_to_this_process(
        ledger: Ledger, ledger_engine: Engine, signer: Signer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers pointed at a database without the ledger fail; verification still completes."""
    _fill(ledger)
    expected = _outcome(ledger_engine, signer, SINGLE_SCAN)
    elsewhere = Source("sqlite", str(tmp_path / "elsewhere.db"))
    real_view = verify._read_view

    @contextmanager
    def view_elsewhere(engine: Engine) -> Iterator[verify._View]:
        with real_view(engine) as view:
            yield verify._View(view.reader, elsewhere)

    monkeypatch.setattr(verify, "_read_view", view_elsewhere)
    assert _outcome(ledger_engine, signer, CHUNKS_OF_8) == expected
    assert (tmp_path / "elsewhere.db").exists()  # the workers did try, and failed
