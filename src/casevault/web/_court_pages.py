"""The court's work in the console: clerks schedule hearings, attorneys enter and withdraw
appearances and file documents.

``GET /court`` shows the forms the signed-in role has a use for; each ``POST``
calls one guarded write (``access/court_writes.py``) — decided, ledgered before
the row changes, refused with the guard's message on a 403 page — and renders
what was done by id, with the audit event. Nothing on these pages shows a
personal value. Times are entered in UTC (the form says so).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Protocol

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import Field

from casevault.access.court_writes import SCHEDULERS, CourtWrites, Written
from casevault.access.identity import SessionContext
from casevault.access.intake import Intake
from casevault.access.setup import Door
from casevault.domain import Purpose, Role
from casevault.domain.vocab import ApplicationKind, Capacity, DocumentCategory, HearingType
from casevault.web._forms import RECORD_ID_PATTERN, F, Form, read_form, validated
from casevault.web._pages import Page
from casevault.web._security import Csrf
from casevault.web._upload import read_upload

RecordField = Annotated[str, Field(min_length=1, max_length=40, pattern=RECORD_ID_PATTERN)]
LOCAL_TIME: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"
TEXT_PATTERN: Final = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Free text: no control characters but tab and line breaks (PostgreSQL refuses NUL)."""


class SignedIn(Protocol):
    """What the console's session dependency gives (its ``Signed``)."""

    @property
    def who(self) -> SessionContext: ...


class ScheduleForm(Form):
    case_id: RecordField
    scheduled_at: str = Field(pattern=LOCAL_TIME)
    hearing_type: HearingType
    judge_user_id: RecordField
    purpose: Purpose = Purpose.CASE_PROCESSING


class RescheduleForm(Form):
    hearing_id: RecordField
    scheduled_at: str = Field(pattern=LOCAL_TIME)
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT_PATTERN)
    purpose: Purpose = Purpose.CASE_PROCESSING


class DocumentForm(Form):
    case_id: RecordField
    category: DocumentCategory
    title: str = Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)
    purpose: Purpose = Purpose.REPRESENTATION


class ApplicationForm(Form):
    case_id: RecordField
    kind: ApplicationKind
    filed_on: date
    purpose: Purpose = Purpose.CASE_PROCESSING


class AssignmentForm(Form):
    case_id: RecordField
    user_id: RecordField
    capacity: Capacity
    ending: bool = False
    purpose: Purpose = Purpose.CASE_PROCESSING


class AppearanceForm(Form):
    case_id: RecordField
    purpose: Purpose = Purpose.REPRESENTATION


def _at(value: str) -> datetime:
    """A time typed in the form's UTC field."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _writes(request: Request) -> CourtWrites:
    """The write paths on the console's door, built on first use (with the door's clock)."""
    state = request.app.state
    found: CourtWrites | None = getattr(state, "court_writes", None)
    if found is None:
        door: Door = state.door
        found = state.court_writes = CourtWrites(door.engine, door.ledger,
                                                 clock=door.accounts.clock)
    return found


def _intake(request: Request) -> Intake:
    """The intake paths on the console's door, built on first use (with the door's clock)."""
    state = request.app.state
    found: Intake | None = getattr(state, "intake", None)
    if found is None:
        door: Door = state.door
        found = state.intake = Intake(door.engine, door.ledger, clock=door.accounts.clock)
    return found


def _forms(role: Role) -> dict[str, bool]:
    return {"schedule": role in SCHEDULERS, "appear": role is Role.ATTORNEY,
            "assign": role is Role.COURT_ADMIN}


def _choices() -> dict[str, Any]:
    return {"categories": [c.value for c in DocumentCategory],
            "hearing_types": [h.value for h in HearingType],
            "application_kinds": [k.value for k in ApplicationKind],
            "capacities": [c.value for c in Capacity]}


def install(app: FastAPI, csrf: Csrf, page: Page, session: Callable[[Request], Any]) -> None:
    """Register ``/court`` on the console; ``session`` is the console's session dependency."""
    signed_dependency = Depends(session)
    fields_dependency = Depends(read_form)

    def posted(signed: SignedIn, model: type[F], fields: dict[str, str]) -> F:
        csrf.check_session(signed.who.session_id, fields.get("csrf"))
        return validated(model, fields)

    def done(request: Request, who: SessionContext, what: str, written: Written) -> Response:
        return page.render(request, "court.html", who, forms=_forms(who.principal.role),
                           **_choices(), done={"what": what, "record_id": written.record_id,
                                 "case_id": written.case_id, "event_id": written.event_id})

    @app.get("/court", response_class=HTMLResponse)
    def court(request: Request, signed: SignedIn = signed_dependency) -> Response:
        """The forms of the caller's role (no record is read)."""
        who = signed.who
        return page.render(request, "court.html", who, forms=_forms(who.principal.role),
                           **_choices(), done=None)

    @app.post("/court/hearings", response_class=HTMLResponse)
    def schedule(request: Request, signed: SignedIn = signed_dependency,
                 fields: dict[str, str] = fields_dependency) -> Response:
        form = posted(signed, ScheduleForm, fields)
        written = _writes(request).schedule_hearing(
            signed.who, form.case_id, scheduled_at=_at(form.scheduled_at),
            hearing_type=form.hearing_type.value, judge_user_id=form.judge_user_id,
            purpose=form.purpose)
        return done(request, signed.who, "Hearing scheduled", written)

    @app.post("/court/hearings/reschedule", response_class=HTMLResponse)
    def reschedule(request: Request, signed: SignedIn = signed_dependency,
                   fields: dict[str, str] = fields_dependency) -> Response:
        form = posted(signed, RescheduleForm, fields)
        written = _writes(request).reschedule_hearing(
            signed.who, form.hearing_id, scheduled_at=_at(form.scheduled_at),
            reason=form.reason, purpose=form.purpose)
        return done(request, signed.who, "Hearing rescheduled", written)

    @app.post("/court/applications", response_class=HTMLResponse)
    def docket(request: Request, signed: SignedIn = signed_dependency,
               fields: dict[str, str] = fields_dependency) -> Response:
        form = posted(signed, ApplicationForm, fields)
        written = _intake(request).docket_application(
            signed.who, form.case_id, kind=form.kind.value, filed_on=form.filed_on,
            purpose=form.purpose)
        return done(request, signed.who, "Application docketed", written)

    @app.post("/court/assignments", response_class=HTMLResponse)
    def assignment(request: Request, signed: SignedIn = signed_dependency,
                   fields: dict[str, str] = fields_dependency) -> Response:
        form = posted(signed, AssignmentForm, fields)
        act = _writes(request).end_assignment if form.ending else _writes(request).assign
        written = act(signed.who, form.case_id, user_id=form.user_id,
                      capacity=form.capacity.value, purpose=form.purpose)
        return done(request, signed.who,
                    "Assignment ended" if form.ending else "Assignment made", written)

    @app.post("/court/appearances", response_class=HTMLResponse)
    def appear(request: Request, signed: SignedIn = signed_dependency,
               fields: dict[str, str] = fields_dependency) -> Response:
        form = posted(signed, AppearanceForm, fields)
        written = _writes(request).enter_appearance(signed.who, form.case_id,
                                                    purpose=form.purpose)
        return done(request, signed.who, "Appearance entered", written)

    @app.post("/court/appearances/withdraw", response_class=HTMLResponse)
    def withdraw(request: Request, signed: SignedIn = signed_dependency,
                 fields: dict[str, str] = fields_dependency) -> Response:
        form = posted(signed, AppearanceForm, fields)
        written = _writes(request).withdraw_appearance(signed.who, form.case_id,
                                                       purpose=form.purpose)
        return done(request, signed.who, "Appearance withdrawn", written)

    @app.post("/court/documents", response_class=HTMLResponse)
    async def file_document(request: Request,
                            signed: SignedIn = signed_dependency) -> Response:
        """File a document: typed by its content, sealed under the person's key."""
        upload = await read_upload(request)
        form = posted(signed, DocumentForm, upload.fields)
        written = await run_in_threadpool(
            _writes(request).file_document, signed.who, form.case_id,
            category=form.category.value, title=form.title, content=upload.content,
            purpose=form.purpose)
        return done(request, signed.who, "Document filed", written)


__all__ = ["AppearanceForm", "ApplicationForm", "AssignmentForm", "DocumentForm", "RescheduleForm",
           "ScheduleForm", "install"]
