"""The court's writes over HTTP: hearings, appearances and filed documents.

Each route states its purpose (``X-Purpose``) and calls one guarded write
(``access/court_writes.py``, ``access/hearing_outcomes.py``): the decision and
the ledger event come before the row changes, a refusal is ledgered and comes
back as a 403 problem. Answers carry ids and the ledger event only, never a
personal value.
"""

# No ``from __future__ import annotations``: FastAPI must see the route signatures' types
# (a dependency alias made inside ``install_court_routes``) as objects, not strings.

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Final
from urllib.parse import unquote

from fastapi import Depends, FastAPI, Header, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from casevault.access._media import MAX_DOCUMENT_BYTES
from casevault.access.court_writes import CourtWrites, Written
from casevault.access.hearing_outcomes import HearingOutcomes
from casevault.access.identity import SessionContext
from casevault.api.models import TEXT_PATTERN
from casevault.domain import Purpose
from casevault.domain.vocab import Capacity, DocumentCategory, HearingOutcome, HearingType
from casevault.errors import InvalidValue

API: Final = "/api/v1"
_ID = r"^[A-Za-z0-9._-]+$"
RecordId = Annotated[str, PathParam(min_length=1, max_length=40, pattern=_ID)]
PurposeHeader = Annotated[Purpose, Header(alias="X-Purpose")]


class HearingIn(BaseModel):
    """A hearing to calendar: when (with its UTC offset), which kind, before whom."""

    model_config = ConfigDict(extra="forbid")

    scheduled_at: datetime
    hearing_type: HearingType
    judge_user_id: str = Field(min_length=1, max_length=40, pattern=_ID)
    interpreter_language: str | None = Field(default=None, pattern=r"^[a-z]{3}$")


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheduled_at: datetime
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT_PATTERN)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: HearingOutcome


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=40, pattern=_ID)
    capacity: Capacity


class WrittenOut(BaseModel):
    """What a write did: the record's id, its case, and the ledger event that recorded it."""

    record_id: str
    case_id: str
    event_id: str


def _out(written: Written) -> WrittenOut:
    return WrittenOut(record_id=written.record_id, case_id=written.case_id,
                      event_id=written.event_id)


async def _document_body(request: Request) -> bytes:
    """The body, streamed and refused as soon as it passes the cap (nothing is kept)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_DOCUMENT_BYTES:
            msg = f"a document is at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"
            raise InvalidValue(msg)
        chunks.append(chunk)
    return b"".join(chunks)


def _paths(request: Request) -> tuple[CourtWrites, HearingOutcomes]:
    """The write paths on the app's door, built on first use and kept.

    They take the door's clock, so "today" is the same day for a write as for the
    sessions and reads around it.
    """
    state = request.app.state
    found: tuple[CourtWrites, HearingOutcomes] | None = getattr(state, "court_paths", None)
    if found is None:
        door = state.door
        clock = door.accounts.clock
        found = state.court_paths = (CourtWrites(door.engine, door.ledger, clock=clock),
                                     HearingOutcomes(door.engine, door.ledger, clock=clock))
    return found


def court_writes(request: Request) -> CourtWrites:
    return _paths(request)[0]


def hearing_outcomes(request: Request) -> HearingOutcomes:
    return _paths(request)[1]


def install_court_routes(app: FastAPI, current_session: Callable[..., SessionContext]) -> None:
    """Add the write routes to ``app`` (its ``state.door`` is the guard's door)."""
    who_dep = Annotated[SessionContext, Depends(current_session)]
    writes_dep = Annotated[CourtWrites, Depends(court_writes)]

    @app.post(f"{API}/cases/{{case_id}}/hearings", response_model=WrittenOut, status_code=201,
              tags=["hearings"])
    def schedule_hearing(case_id: RecordId, body: HearingIn, who: who_dep,
                         purpose: PurposeHeader, writes: writes_dep) -> WrittenOut:
        """Calendar a hearing (clerks of the case's court, for ``case_processing``)."""
        return _out(writes.schedule_hearing(
            who, case_id, scheduled_at=body.scheduled_at, hearing_type=body.hearing_type.value,
            judge_user_id=body.judge_user_id, purpose=purpose,
            interpreter_language=body.interpreter_language))

    @app.post(f"{API}/hearings/{{hearing_id}}/reschedule", response_model=WrittenOut,
              tags=["hearings"])
    def reschedule_hearing(hearing_id: RecordId, body: RescheduleIn, who: who_dep,
                           purpose: PurposeHeader, writes: writes_dep) -> WrittenOut:
        """Move a hearing; the reason is kept with it and in the ledger."""
        return _out(writes.reschedule_hearing(who, hearing_id, scheduled_at=body.scheduled_at,
                                              reason=body.reason, purpose=purpose))

    @app.post(f"{API}/hearings/{{hearing_id}}/outcome", response_model=WrittenOut,
              tags=["hearings"])
    def record_outcome(hearing_id: RecordId, body: OutcomeIn, who: who_dep,
                       purpose: PurposeHeader,
                       outcomes: Annotated[HearingOutcomes, Depends(hearing_outcomes)],
                       ) -> WrittenOut:
        """Record the outcome (the hearing's judge, or a clerk; a breach hold blocks removal)."""
        done = outcomes.record(who, hearing_id, body.outcome.value, purpose=purpose)
        return WrittenOut(record_id=done.hearing_id, case_id=done.case_id,
                          event_id=done.event_id)

    @app.post(f"{API}/cases/{{case_id}}/appearances", response_model=WrittenOut,
              status_code=201, tags=["representations"])
    def enter_appearance(case_id: RecordId, who: who_dep, purpose: PurposeHeader,
                         writes: writes_dep) -> WrittenOut:
        """Enter an appearance as attorney of record (EOIR-28), from today."""
        return _out(writes.enter_appearance(who, case_id, purpose=purpose))

    @app.delete(f"{API}/cases/{{case_id}}/appearances/mine", response_model=WrittenOut,
                tags=["representations"])
    def withdraw_appearance(case_id: RecordId, who: who_dep, purpose: PurposeHeader,
                            writes: writes_dep) -> WrittenOut:
        """Withdraw your appearance; your access to the case ends today."""
        return _out(writes.withdraw_appearance(who, case_id, purpose=purpose))

    @app.post(f"{API}/cases/{{case_id}}/assignments", response_model=WrittenOut,
              status_code=201, tags=["assignments"])
    def assign(case_id: RecordId, body: AssignmentIn, who: who_dep, purpose: PurposeHeader,
               writes: writes_dep) -> WrittenOut:
        """Assign a staff member to the case (court administrators of its court)."""
        return _out(writes.assign(who, case_id, user_id=body.user_id,
                                  capacity=body.capacity.value, purpose=purpose))

    @app.post(f"{API}/cases/{{case_id}}/assignments/end", response_model=WrittenOut,
              tags=["assignments"])
    def end_assignment(case_id: RecordId, body: AssignmentIn, who: who_dep,
                       purpose: PurposeHeader, writes: writes_dep) -> WrittenOut:
        """End an assignment today (the staff member's access through it ends)."""
        return _out(writes.end_assignment(who, case_id, user_id=body.user_id,
                                          capacity=body.capacity.value, purpose=purpose))

    @app.post(f"{API}/cases/{{case_id}}/documents", response_model=WrittenOut,
              status_code=201, tags=["documents"])
    async def file_document(
        case_id: RecordId, request: Request, who: who_dep, purpose: PurposeHeader,
        writes: writes_dep,
        category: Annotated[DocumentCategory, Header(alias="X-Document-Category")],
        title: Annotated[str, Header(alias="X-Document-Title", min_length=1, max_length=600)],
    ) -> WrittenOut:
        """File a document: the body is the file (PDF, PNG, JPEG or TIFF by content; 25 MB).

        The title travels percent-encoded in ``X-Document-Title``, never in the URL.
        """
        content = await _document_body(request)
        return _out(await run_in_threadpool(
            writes.file_document, who, case_id, category=category.value,
            title=unquote(title), content=content, purpose=purpose))


__all__ = ["AssignmentIn", "HearingIn", "OutcomeIn", "RescheduleIn", "WrittenOut", "court_writes",
           "hearing_outcomes", "install_court_routes"]
