"""The web console: server-rendered pages over the guard, mounted beside the API.

Every page that shows personal data calls the guard, and only the guard, with the
signed-in session, a purpose and (where the policy asks) a justification, and
renders only what came back. Opening a record is two steps: ``GET`` shows the
purpose prompt (the record's id, nothing else, nothing ledgered) and ``POST``
submits the purpose, so neither a link preview nor a browser prefetch can open a
record, and the justification never lands in a URL or a history. Refusals
render the guard's message on a 403 page; nothing renders a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from casevault.access.guard import MAX_CALENDAR_DAYS
from casevault.access.holds import active_holds
from casevault.access.identity import SessionContext
from casevault.access.setup import Door
from casevault.domain import Role
from casevault.errors import AuthenticationFailed, InputError, SessionInvalid
from casevault.web import (
    _breach_pages,
    _court_pages,
    _pages,
    _respondent_pages,
    _share_pages,
    _watch_pages,
)
from casevault.web._forms import (
    RECORD_ID_PATTERN,
    F,
    OpenForm,
    OversightForm,
    SearchForm,
    SignInForm,
    SignOutForm,
    SubjectReportForm,
    read_form,
    validated,
)
from casevault.web._pages import Page
from casevault.web._security import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_DAYS,
    SESSION_COOKIE,
    Csrf,
    client_ip,
    new_device_id,
    security_headers,
    set_cookie,
)

CONSOLE: Final = "/console"
CALENDAR_DAYS: Final = 15
"""A judge's home shows a week back and a week ahead."""

RecordId = Annotated[str, PathParam(min_length=1, max_length=40, pattern=RECORD_ID_PATTERN)]
Fields = Annotated[dict[str, str], Depends(read_form)]


@dataclass(frozen=True, slots=True)
class Signed:
    """The caller's live session and the bearer token it arrived with (for signing out)."""

    who: SessionContext
    token: str


def _signed(request: Request) -> Signed:
    """The session the browser's cookies name, as ``Sessions.authenticate`` checks it now."""
    token = request.cookies.get(SESSION_COOKIE)
    device = request.cookies.get(DEVICE_COOKIE)
    if not token or not device:
        msg = "Sign in first."
        raise SessionInvalid(msg)
    door: Door = request.app.state.door
    return Signed(door.authenticate(token, device_id=device, ip=client_ip(request)), token)


Session = Annotated[Signed, Depends(_signed)]


def console_app(door: Door, *, csrf_key: bytes | None = None) -> FastAPI:
    """The console as its own ASGI app (its own error pages and headers), for ``mount_console``."""
    app = FastAPI(title="casevault console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.door = door
    csrf = Csrf(csrf_key)
    page = Page(CONSOLE, csrf)
    app.middleware("http")(security_headers)
    _pages.install_error_pages(app, page)
    _sign_in_routes(app, door, csrf, page)
    _record_routes(app, door, csrf, page)
    _oversight_routes(app, door, csrf, page)
    _breach_routes(app, door, csrf, page)
    _share_pages.install(app, door, csrf, page, _signed)
    _watch_pages.install(app, door, csrf, page, _signed)
    _breach_pages.install(app, door, csrf, page, _signed)
    _court_pages.install(app, csrf, page, _signed)
    _respondent_pages.install(app, door, csrf, page, _signed)

    @app.get("/console.css", include_in_schema=False)
    def stylesheet() -> PlainTextResponse:
        return PlainTextResponse(_pages.stylesheet(), media_type="text/css")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{CONSOLE}/home", status_code=303)

    return app


def mount_console(app: FastAPI, door: Door, *, csrf_key: bytes | None = None) -> None:
    """Serve the console under ``/console`` of ``app`` (the API's app), and ``/`` leads to it."""
    app.mount(CONSOLE, console_app(door, csrf_key=csrf_key), name="console")

    async def to_console(_request: Request) -> Response:
        return RedirectResponse(f"{CONSOLE}/home", status_code=303)

    app.add_route("/", to_console, include_in_schema=False)


# --- signing in and out ---------------------------------------------------------------------

def _sign_in_routes(app: FastAPI, door: Door, csrf: Csrf, page: Page) -> None:
    @app.get("/sign-in", response_class=HTMLResponse)
    def sign_in_form(request: Request, ended: bool = False) -> Response:
        """The sign-in page; a browser without a device id gets one here."""
        device = request.cookies.get(DEVICE_COOKIE) or new_device_id()
        notice = "Your session ended. Sign in again." if ended else None
        response = page.sign_in(request, csrf.for_sign_in(device), notice=notice)
        if request.cookies.get(DEVICE_COOKIE) != device:
            set_cookie(response, request, DEVICE_COOKIE, device, path=CONSOLE,
                       max_age=DEVICE_COOKIE_DAYS * 24 * 3600)
        return response

    @app.post("/sign-in", response_class=HTMLResponse)
    def sign_in(request: Request, fields: Fields) -> Response:
        """Password and authenticator code; the session cookie holds the token."""
        device = request.cookies.get(DEVICE_COOKIE)
        if not device:
            msg = "Your browser did not keep the console's cookie. Allow cookies and reload."
            raise InputError(msg)
        csrf.check_sign_in(device, fields.get("csrf"))
        form = validated(SignInForm, fields)
        try:
            login = door.sessions.login(form.user_id, form.password, form.code,
                                        device_id=device, ip=client_ip(request))
        except AuthenticationFailed as failed:
            return page.sign_in(request, csrf.for_sign_in(device), notice=str(failed),
                                status_code=401)
        response = RedirectResponse(f"{CONSOLE}/home", status_code=303)
        set_cookie(response, request, SESSION_COOKIE, login.token, path=CONSOLE)
        return response

    @app.post("/sign-out")
    def sign_out(signed: Session, fields: Fields) -> Response:
        csrf.check_session(signed.who.session_id, fields.get("csrf"))
        validated(SignOutForm, fields)
        door.sessions.logout(signed.token)
        response = RedirectResponse(f"{CONSOLE}/sign-in", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=CONSOLE)
        return response


# --- home, records and search -----------------------------------------------------------------

def _record_routes(app: FastAPI, door: Door, csrf: Csrf, page: Page) -> None:
    @app.get("/home", response_class=HTMLResponse)
    def home(request: Request, signed: Session, start: date | None = None) -> Response:
        """The role's home: a judge's calendar, a search form, oversight, or nothing personal."""
        who = signed.who
        if who.principal.role is Role.JUDGE:
            first = start or door.accounts.clock().date() - timedelta(days=7)
            days = min(CALENDAR_DAYS, MAX_CALENDAR_DAYS)
            calendar = door.guard.hearing_calendar(who, first_day=first, days=days)
            return page.judge_home(request, who, calendar, first_day=first, days=days)
        return page.home(request, who)

    @app.get("/persons/{person_id}", response_class=HTMLResponse)
    def person_prompt(request: Request, signed: Session, person_id: RecordId) -> Response:
        """Ask why before a person's file opens (nothing is read yet)."""
        return page.prompt(request, signed.who, "person", person_id)

    @app.post("/persons/{person_id}", response_class=HTMLResponse)
    def person_file(request: Request, signed: Session, person_id: RecordId,
                    fields: Fields) -> Response:
        form = _posted(csrf, signed, OpenForm, fields)
        answer = door.guard.person_file(signed.who, person_id, purpose=form.purpose,
                                        justification=form.justification)
        return page.person_file(request, signed.who, answer, form.purpose)

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_prompt(request: Request, signed: Session, case_id: RecordId) -> Response:
        """Ask why before a case's record of proceedings opens (nothing is read yet)."""
        return page.prompt(request, signed.who, "case", case_id)

    @app.post("/cases/{case_id}", response_class=HTMLResponse)
    def case_file(request: Request, signed: Session, case_id: RecordId,
                  fields: Fields) -> Response:
        form = _posted(csrf, signed, OpenForm, fields)
        answer = door.guard.case_file(signed.who, case_id, purpose=form.purpose,
                                      justification=form.justification)
        return page.case_file(request, signed.who, answer, form.purpose,
                              holds=active_holds(door.engine, case_id))

    @app.post("/search", response_class=HTMLResponse)
    def search(request: Request, signed: Session, fields: Fields) -> Response:
        """Find persons (identity only); each result links to its purpose prompt."""
        form = _posted(csrf, signed, SearchForm, fields)
        found = door.guard.search_persons(
            signed.who, purpose=form.purpose, justification=form.justification,
            family_name=form.family_name, given_name=form.given_name, born_on=form.born_on,
            a_number=form.a_number)
        return page.search_results(request, signed.who, found)


# --- oversight: privacy officers ------------------------------------------------------------

def _oversight_routes(app: FastAPI, door: Door, csrf: Csrf, page: Page) -> None:
    @app.post("/oversight/break-glass", response_class=HTMLResponse)
    def break_glass_queue(request: Request, signed: Session, fields: Fields) -> Response:
        """Emergency grants waiting for a privacy officer's review."""
        form = _posted(csrf, signed, OversightForm, fields)
        queue = door.guard.break_glass_reviews(signed.who, justification=form.justification)
        return page.break_glass_queue(request, signed.who, queue)

    @app.post("/oversight/subject-report", response_class=HTMLResponse)
    def subject_report(request: Request, signed: Session, fields: Fields) -> Response:
        """Who accessed one person's record, from the ledger, with its signed checkpoint."""
        form = _posted(csrf, signed, SubjectReportForm, fields)
        report = door.guard.subject_report(signed.who, form.person_id, purpose=form.purpose,
                                           justification=form.justification)
        return page.subject_report(request, signed.who, report)


def _breach_routes(app: FastAPI, door: Door, csrf: Csrf, page: Page) -> None:
    @app.post("/oversight/breach", response_class=HTMLResponse)
    def breach_incidents(request: Request, signed: Session, fields: Fields) -> Response:
        """Breach incidents and their clocks: what is due and overdue (privacy officers)."""
        form = _posted(csrf, signed, OversightForm, fields)
        return page.render(request, "breach.html", signed.who, **_breach_pages.incidents_context(
            door, signed.who, form.justification))


def _posted(csrf: Csrf, signed: Signed, model: type[F], fields: dict[str, str]) -> F:
    """The CSRF token first (a forged form reaches nothing), then the form's own checks."""
    csrf.check_session(signed.who.session_id, fields.get("csrf"))
    return validated(model, fields)


__all__ = ["CONSOLE", "console_app", "mount_console"]
