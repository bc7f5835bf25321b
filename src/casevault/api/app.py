"""The HTTP API: every route that touches personal data calls the guard, and only the guard.

Authentication is a bearer token from ``POST /api/v1/sessions`` presented with
the device id it was issued to (``X-Device-Id``); every read states its purpose
(``X-Purpose``) and, where the policy asks, a justification (``X-Justification``).
Responses carry only the permitted categories, plus how the answer was decided
and the ledger event that recorded it. Errors are RFC 9457 problem details.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from casevault import __version__
from casevault.access.guard import Guarded
from casevault.access.identity import SessionContext
from casevault.access.policy import RecordKind
from casevault.access.redaction import RecordView
from casevault.access.setup import Door
from casevault.api import problems
from casevault.api.court_routes import install_court_routes
from casevault.api.intake_routes import install_intake_routes
from casevault.api.models import (
    BreakGlassIn,
    BreakGlassOut,
    CaseFileOut,
    LoginIn,
    PersonFileOut,
    RecordOut,
    SearchIn,
    SearchOut,
    SessionOut,
)
from casevault.api.self_service_routes import install_self_service_routes
from casevault.api.share_routes import install_share_routes
from casevault.audit.events import Action, EventDraft, Result
from casevault.domain import Purpose
from casevault.errors import InvalidValue, SessionInvalid
from casevault.logs import get_logger, hashed_address
from casevault.settings import load_settings
from casevault.shield.scan import Scanner
from casevault.shield.setup import scanner
from casevault.web import mount_console

API = "/api/v1"
_LOG = get_logger("casevault.api")
RecordId = Annotated[str, PathParam(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        msg = "Sign in first: send the session token as 'Authorization: Bearer <token>'."
        raise SessionInvalid(msg)
    return token.strip()


def _client_ip(request: Request) -> str | None:
    """The peer's address when it is one (a test client or a Unix socket has none)."""
    host = request.client.host if request.client is not None else None
    try:
        return str(ipaddress.ip_address(host)) if host else None
    except ValueError:
        return None


def _record(view: RecordView) -> RecordOut:
    """JSON-ready fields (bytes as base64); withheld fields stay absent."""
    fields: dict[str, Any] = {}
    for name, value in view.fields.items():
        fields[name] = base64.b64encode(value).decode() if isinstance(value, bytes) else value
    return RecordOut(kind=view.kind, fields=fields)


def _records(views: tuple[RecordView, ...]) -> list[RecordOut]:
    return [_record(view) for view in views]


def _decided(answer: Guarded[Any]) -> dict[str, Any]:
    return {"categories": sorted(c.value for c in answer.categories),
            "policy_ids": list(answer.policy_ids), "event_id": answer.event_id,
            "break_glass": answer.break_glass}


def current_session(request: Request,
                    authorization: Annotated[str | None, Header()] = None,
                    x_device_id: Annotated[str | None, Header(max_length=64)] = None,
                    ) -> SessionContext:
    """The caller's live session: bearer token plus the device id it was issued to."""
    if not x_device_id:
        msg = "Send the device id the session was issued to as 'X-Device-Id'."
        raise SessionInvalid(msg)
    door: Door = request.app.state.door
    return door.authenticate(_bearer(authorization), device_id=x_device_id,
                             ip=_client_ip(request))


CurrentSession = Annotated[SessionContext, Depends(current_session)]
PurposeHeader = Annotated[Purpose, Header(alias="X-Purpose")]
JustificationHeader = Annotated[str | None, Header(alias="X-Justification", max_length=1000)]


MAX_UPLOAD_BYTES = 25 * 1024 * 1024


async def _body(request: Request) -> bytes:
    """The request body, refused past ``MAX_UPLOAD_BYTES`` without reading it all."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            msg = f"a file to check is at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
            raise InvalidValue(msg)
        chunks.append(chunk)
    return b"".join(chunks)


def _scanner(app: FastAPI) -> Scanner:
    """The shield's scanner on the door's database, built on first use and kept."""
    found: Scanner | None = getattr(app.state, "scanner", None)
    if found is None:
        found = app.state.scanner = scanner(app.state.door.engine, load_settings())
    return found


async def _logged(request: Request, call_next: Callable[[Request], Awaitable[Response]],
                  ) -> Response:
    """One log line per request: the route's template (never its ids or query), status, time."""
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    _LOG.info("request", method=request.method,
              route=getattr(route, "path", "(unrouted)"), status=response.status_code,
              ms=round((time.perf_counter() - started) * 1e3, 2),
              client=hashed_address(request.client.host if request.client else None))
    return response


def create_app(door: Door, *, shield: Scanner | None = None) -> FastAPI:
    """The API over ``door``, with the console under ``/console`` (one per ``casevault serve``)."""
    app = FastAPI(title="casevault", version=__version__, docs_url="/docs",
                  description="Immigration case records behind a purpose-bound, audited guard.")
    app.state.door = door
    app.state.scanner = shield
    problems.install(app)
    app.middleware("http")(_logged)

    @app.post(f"{API}/sessions", response_model=SessionOut, status_code=201, tags=["sessions"])
    def sign_in(body: LoginIn, request: Request) -> SessionOut:
        """Sign in with password and authenticator code; returns a bearer token (shown once)."""
        login = door.sessions.login(body.user_id, body.password, body.code,
                                    device_id=body.device_id, ip=_client_ip(request))
        return SessionOut(token=login.token, session_id=login.session_id,
                          expires_at=login.expires_at, mfa_verified=login.mfa_verified)

    @app.delete(f"{API}/sessions/current", status_code=204, tags=["sessions"])
    def sign_out(who: CurrentSession, authorization: Annotated[str | None, Header()] = None,
                 ) -> Response:
        door.sessions.logout(_bearer(authorization))
        return Response(status_code=204)

    @app.get(f"{API}/persons/{{person_id}}", response_model=PersonFileOut, tags=["records"])
    def person(person_id: RecordId, who: CurrentSession, purpose: PurposeHeader,
               justification: JustificationHeader = None) -> PersonFileOut:
        """A person's file: identity, contact, address history, relatives, encounters, cases."""
        answer = door.guard.person_file(who, person_id, purpose=purpose,
                                        justification=justification)
        value = answer.value
        return PersonFileOut(person=_record(value.person), addresses=_records(value.addresses),
                             relatives=_records(value.relatives),
                             encounters=_records(value.encounters),
                             cases=_records(value.cases), **_decided(answer))

    @app.get(f"{API}/cases/{{case_id}}", response_model=CaseFileOut, tags=["records"])
    def case(case_id: RecordId, who: CurrentSession, purpose: PurposeHeader,
             justification: JustificationHeader = None) -> CaseFileOut:
        """A case's record of proceedings (document contents are fetched one by one)."""
        answer = door.guard.case_file(who, case_id, purpose=purpose,
                                      justification=justification)
        value = answer.value
        return CaseFileOut(case=_record(value.case), hearings=_records(value.hearings),
                           applications=_records(value.applications),
                           representations=_records(value.representations),
                           charges=_records(value.charges), documents=_records(value.documents),
                           **_decided(answer))

    @app.get(f"{API}/documents/{{document_id}}", response_model=RecordOut, tags=["records"])
    def document(document_id: RecordId, who: CurrentSession, purpose: PurposeHeader,
                 justification: JustificationHeader = None) -> RecordOut:
        """One document with its content (base64), if the decision on its case covers it."""
        return _record(door.guard.document(who, document_id, purpose=purpose,
                                           justification=justification).value)

    @app.post(f"{API}/persons/search", response_model=SearchOut, tags=["search"])
    def search(body: SearchIn, who: CurrentSession, purpose: PurposeHeader,
               justification: JustificationHeader = None) -> SearchOut:
        """Find persons (identity only, at most 25, no pages; refused patterns are logged).

        The terms travel in the body, never in the URL: URLs end up in access logs,
        proxies and browser histories.
        """
        found = door.guard.search_persons(who, purpose=purpose, justification=justification,
                                          family_name=body.family_name,
                                          given_name=body.given_name, born_on=body.born_on,
                                          a_number=body.a_number)
        return SearchOut(persons=_records(found.persons), truncated=found.truncated,
                         message=found.message, event_id=found.event_id)

    @app.post(f"{API}/break-glass", response_model=BreakGlassOut, status_code=201,
              tags=["records"])
    def break_glass(body: BreakGlassIn, who: CurrentSession) -> BreakGlassOut:
        """Open a record in an emergency (short window; reviewed by a privacy officer)."""
        grant = door.guard.break_glass(who, RecordKind(body.record_kind), body.record_id,
                                       reason=body.reason)
        return BreakGlassOut(grant_id=grant.grant_id, expires_at=grant.expires_at,
                             event_id=grant.event_id)

    @app.post(f"{API}/shield/check", tags=["shield"])
    async def shield_check(request: Request, who: CurrentSession,
                           name: Annotated[str, Query(min_length=1, max_length=255,
                                                      pattern=r"^[^/\\]+$")]) -> dict[str, Any]:
        """Scan a file before publishing it (the body is the file; at most 25 MB).

        For a content-management system: the answer is the scan report with the
        matched persons counted, never named (``casevault scan --identify`` is for
        privacy officers).
        """
        data = await _body(request)
        with tempfile.TemporaryDirectory(prefix="casevault-check-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            report = await run_in_threadpool(_scanner(app).scan, path)
        event = door.ledger.append(EventDraft(
            action=Action.PUBLICATION,
            result=Result.PERMIT if report.verdict == "pass" else Result.DENY,
            user_id=who.user_id, session_id=who.session_id, device_id=who.device_id,
            ip=who.ip, record_count=len(report.persons),
            detail={"step": "check", "file_sha256": hashlib.sha256(data).hexdigest(),
                    "verdict": report.verdict, "findings": str(report.blocking)}))
        shown = report.as_json(with_person_ids=False)
        shown.update(file=name, event_id=event.event_id)
        return shown

    @app.get("/healthz", tags=["service"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    install_share_routes(app, current_session)
    install_court_routes(app, current_session)
    install_self_service_routes(app, current_session)
    install_intake_routes(app, current_session)
    mount_console(app, door)
    return app
