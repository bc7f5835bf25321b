"""The console's breach page for privacy officers: incidents and what is due or overdue.

The page shows ids, counts, times and clock states only (no person ids, no client
addresses); the officer is admitted by the access layer's ``BreachDoor`` like on
the command line, and the look is a ledger event. An officer may also open an
incident by uploading the leaked file (scanned by the shield exactly as
``casevault breach open`` scans it, from a private temporary copy removed
afterwards), look at one incident (timeline, clocks, counts, the cases it held)
and clear a case's hold with a reason. The steps that list affected persons,
write notices or trace downloads stay on the command line (``casevault breach``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Protocol

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BeforeValidator, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from casevault.access.holds import BreachDoor, Officer, holds_of_incident
from casevault.access.identity import SessionContext
from casevault.access.setup import Door
from casevault.audit.events import Action
from casevault.breach import clocks
from casevault.breach.incidents import (
    FileScanner,
    Timeline,
    incident_ids,
    load_incident,
    open_incident,
)
from casevault.errors import InputError, InvalidValue
from casevault.settings import load_settings
from casevault.shield.setup import scanner
from casevault.web._forms import (
    RECORD_ID_PATTERN,
    OversightForm,
    read_form,
    validated,
)
from casevault.web._pages import Page
from casevault.web._security import Csrf


def incidents_context(door: Door, who: SessionContext, justification: str | None
                      ) -> dict[str, Any]:
    """The template context of the incidents page (``AccessDenied`` for anyone but officers)."""
    breach = BreachDoor(door.engine, door.ledger, clock=door.accounts.clock)
    officer = breach.admit(who, justification)
    now = breach.clock()
    with door.engine.connect() as connection:
        found = [load_incident(connection, i) for i in incident_ids(connection)]
    breach.record(officer, "incidents_shown", action=Action.VIEW, record_count=len(found))
    return {"now": now, "incidents": [
        {"incident": incident, "clocks": incident.clock_status(now)} for incident in found]}




# --- opening an incident, showing one, clearing a hold (issue 8, item 1) ---------------------

MAX_UPLOAD_BYTES: Final = 32 * 1024 * 1024
"""The largest leaked file the console takes (a bigger one: ``casevault breach open``)."""
MAX_UPLOAD_FIELDS: Final = 12
MAX_FIELD_BYTES: Final = 16 * 1024
MULTIPART: Final = "multipart/form-data"
_SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")

IncidentId = Annotated[str, Field(min_length=1, max_length=40, pattern=RECORD_ID_PATTERN)]


def _blank_is_none(value: Any) -> Any:
    """An empty box of the upload form means "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


Moment = Annotated[datetime | None, BeforeValidator(_blank_is_none)]


class SignedIn(Protocol):
    """What the console's session dependency gives (its ``Signed``)."""

    @property
    def who(self) -> SessionContext: ...


ScannerFactory = Callable[[Door], FileScanner]
"""Builds the shield's scanner for the door's database (the CLI's ``scanner(engine, settings)``)."""


def shield_scanner(door: Door) -> FileScanner:
    """The same scanner ``casevault breach open`` uses: the saved index, refreshed."""
    return scanner(door.engine, load_settings())


class OpenIncidentForm(OversightForm):
    """The text fields of the upload form; times without a zone are read as UTC."""

    posted_at: Moment = None
    detected_at: Moment = None
    removed_at: Moment = None
    where: Annotated[str | None, BeforeValidator(_blank_is_none),
                     Field(max_length=2000)] = None
    no_holds: bool = False
    """Like ``breach open --no-holds``: hold no case yet (a checkbox, so absent is false)."""


class IncidentForm(OversightForm):
    incident_id: IncidentId


class ClearHoldForm(OversightForm):
    case_id: IncidentId
    incident_id: IncidentId
    reason: str = Field(min_length=1, max_length=1000)


def install(app: FastAPI, door: Door, csrf: Csrf, page: Page,
            session: Callable[[Request], Any], *,
            make_scanner: ScannerFactory = shield_scanner) -> None:
    """Register the incident pages; ``session`` is the console's signed-session dependency."""
    signed_dependency = Depends(session)
    fields_dependency = Depends(read_form)

    @app.get("/oversight/breach/open", response_class=HTMLResponse)
    def open_form(request: Request, signed: SignedIn = signed_dependency) -> Response:
        """The upload form (nothing read, nothing ledgered)."""
        return page.render(request, "breach_open.html", signed.who,
                           max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024))

    @app.post("/oversight/breach/open", response_class=HTMLResponse)
    async def open_incident_page(request: Request,
                                 signed: SignedIn = signed_dependency) -> Response:
        """Take the leaked file, scan it as the CLI does, open the incident, show it."""
        who = signed.who
        fields, upload = await _read_upload(request)
        try:
            csrf.check_session(who.session_id, fields.get("csrf"))
            form = validated(OpenIncidentForm, fields)
            context = await run_in_threadpool(_admit_and_open, door, who, make_scanner,
                                              upload, form)
        finally:
            await upload.close()
        return page.render(request, "breach_incident.html", who, opened=True, **context)

    @app.post("/oversight/breach/incident", response_class=HTMLResponse)
    def incident_page(request: Request, signed: SignedIn = signed_dependency,
                      fields: dict[str, str] = fields_dependency) -> Response:
        """One incident: timeline, clocks, counts and the holds it placed."""
        csrf.check_session(signed.who.session_id, fields.get("csrf"))
        form = validated(IncidentForm, fields)
        breach = BreachDoor(door.engine, door.ledger, clock=door.accounts.clock)
        officer = breach.admit(signed.who, form.justification)
        return page.render(request, "breach_incident.html", signed.who, opened=False,
                           **_incident_context(door, breach, officer, form.incident_id))

    @app.post("/oversight/breach/clear-hold", response_class=HTMLResponse)
    def clear_hold(request: Request, signed: SignedIn = signed_dependency,
                   fields: dict[str, str] = fields_dependency) -> Response:
        """Clear one case's hold of one incident with a reason (each hold a ledger event)."""
        csrf.check_session(signed.who.session_id, fields.get("csrf"))
        form = validated(ClearHoldForm, fields)
        breach = BreachDoor(door.engine, door.ledger, clock=door.accounts.clock)
        officer = breach.admit(signed.who, form.justification)
        cleared = breach.clear_hold(officer, form.case_id, reason=form.reason,
                                    incident_id=form.incident_id)
        return page.render(request, "breach_incident.html", signed.who, opened=False,
                           cleared=len(cleared), cleared_case=form.case_id,
                           **_incident_context(door, breach, officer, form.incident_id))


async def _read_upload(request: Request) -> tuple[dict[str, str], UploadFile]:
    """The upload form's fields and its one file, bounded before a byte is parsed.

    The body must declare its length (no chunked upload) and stay under
    ``MAX_UPLOAD_BYTES``; the parser takes one file and a few small fields. The
    file is spooled by the parser to a private (0600) temporary file.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != MULTIPART:
        msg = "send the leaked file with the console's upload form (multipart)"
        raise InvalidValue(msg)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES:
        msg = (f"an uploaded file is at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; open a "
               "larger one with `casevault breach open FILE`")
        raise InvalidValue(msg)
    try:
        form = await request.form(max_files=1, max_fields=MAX_UPLOAD_FIELDS,
                                  max_part_size=MAX_FIELD_BYTES)
    except (HTTPException, ValueError):
        msg = f"the upload form takes one file and at most {MAX_UPLOAD_FIELDS} short fields"
        raise InvalidValue(msg) from None
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            upload = value
        elif name in fields:
            msg = "a form field was sent twice"
            raise InvalidValue(msg)
        else:
            fields[name] = value
    if upload is None or not upload.filename:
        msg = "choose the leaked file to upload"
        raise InvalidValue(msg)
    return fields, upload


def _admit_and_open(door: Door, who: SessionContext, make_scanner: ScannerFactory,
                    upload: UploadFile, form: OpenIncidentForm) -> dict[str, Any]:
    """Admit the officer (a refusal is ledgered), open the incident, and show it."""
    breach = BreachDoor(door.engine, door.ledger, clock=door.accounts.clock)
    officer = breach.admit(who, form.justification)
    incident_id = _open_from_upload(door, breach, officer, make_scanner, upload, form)
    return _incident_context(door, breach, officer, incident_id)


def _open_from_upload(door: Door, breach: BreachDoor, officer: Officer,
                      make_scanner: ScannerFactory, upload: UploadFile,
                      form: OpenIncidentForm) -> str:
    """Copy the upload into a private folder, open the incident from it, remove it."""
    timeline = Timeline(detected_at=_utc(form.detected_at) or breach.clock(),
                        posted_at=_utc(form.posted_at), removed_at=_utc(form.removed_at),
                        where=form.where)
    name = (_SAFE_NAME.sub("_", Path(upload.filename or "leak").name).strip("._") or "leak")[:120]
    folder = Path(tempfile.mkdtemp(prefix="casevault-breach-"))  # mode 0700
    path = folder / name
    try:
        upload.file.seek(0)
        with path.open("xb") as copy:
            shutil.copyfileobj(upload.file, copy)
        path.chmod(0o600)
        opened = open_incident(breach, door.engine, officer, make_scanner(door), path,
                               timeline, clocks.DEFAULT_CLOCKS, place_holds=not form.no_holds)
    except InputError as unreadable:
        # Say it of the file the officer chose, not of the server's temporary copy.
        raise InvalidValue(str(unreadable).replace(str(path), name)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return opened.incident_id


def _utc(moment: datetime | None) -> datetime | None:
    """A browser's ``datetime-local`` has no zone: the form says its times are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _incident_context(door: Door, breach: BreachDoor, officer: Officer,
                      incident_id: str) -> dict[str, Any]:
    """One incident as its page shows it (ids, counts, times, clocks, held case ids)."""
    with door.engine.connect() as connection:
        incident = load_incident(connection, incident_id)
        holds = holds_of_incident(connection, incident_id)
    breach.record(officer, "incident_shown", action=Action.VIEW, record_count=1,
                  detail={"incident_id": incident_id})
    now = breach.clock()
    return {"now": now, "incident": incident, "clocks": incident.clock_status(now),
            "holds": sorted(holds, key=lambda h: (not h.active, h.case_id))}


__all__ = ["MAX_UPLOAD_BYTES", "ClearHoldForm", "IncidentForm", "OpenIncidentForm",
           "incidents_context", "install", "shield_scanner"]
