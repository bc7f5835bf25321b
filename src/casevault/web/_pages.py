"""Rendering: one method per page, each handing its template only what the guard returned.

Templates are packaged with the code (``templates/``), autoescaped, and fail on
an undefined name rather than rendering a blank. Error pages are rendered here
too, from ``casevault.errors`` messages, which never carry personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any, Final

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException

from casevault.access.guard import (
    BreakGlassReview,
    Calendar,
    CaseFile,
    Guarded,
    PersonFile,
    SearchResult,
)
from casevault.access.holds import Hold
from casevault.access.identity import SessionContext
from casevault.access.redaction import RecordView
from casevault.domain import DataCategory, Purpose, Role
from casevault.errors import (
    AccessDenied,
    CasevaultError,
    InputError,
    LedgerUnavailable,
    NotFound,
    SessionInvalid,
)
from casevault.web._security import SECURITY_HEADERS, SESSION_COOKIE, Csrf
from casevault.web._views import Links, Shown, shown, shown_all, withheld

SEARCH_PURPOSE: Final = {
    Role.JUDGE: Purpose.ADJUDICATION, Role.CLERK: Purpose.CASE_PROCESSING,
    Role.COURT_ADMIN: Purpose.CASE_PROCESSING, Role.ATTORNEY: Purpose.REPRESENTATION,
    Role.DHS_COUNSEL: Purpose.LITIGATION, Role.PRIVACY_OFFICER: Purpose.COMPLIANCE_AUDIT,
    Role.RESPONDENT: Purpose.SELF_SERVICE,
}
"""The purpose a role's forms start with (the person may pick another; the guard decides)."""
NO_RECORD_ROLES: Final = frozenset({Role.ANALYST, Role.EXTERNAL_ADVISOR, Role.EFFICIENCY_REVIEWER})
OVERSIGHT_ROLES: Final = frozenset({Role.PRIVACY_OFFICER})

PERSON_SECTIONS: Final = (("Addresses", "addresses", DataCategory.CONTACT),
                          ("Relatives", "relatives", DataCategory.FAMILY),
                          ("Encounters with law enforcement", "encounters",
                           DataCategory.LAW_ENFORCEMENT),
                          ("Cases", "cases", DataCategory.CASE))
CASE_SECTIONS: Final = (("Hearings", "hearings", DataCategory.CASE),
                        ("Applications", "applications", DataCategory.CASE),
                        ("Representation", "representations", DataCategory.CASE),
                        ("Charges", "charges", DataCategory.CASE),
                        ("Documents", "documents", DataCategory.DOCUMENT))
"""Each listing of a file, with the category its records are of (withheld: said so)."""


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("casevault.web", "templates"),
                       autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


@cache
def stylesheet() -> str:
    return resources.files("casevault.web").joinpath("static/console.css").read_text("utf-8")


def home_kind(role: Role) -> str:
    """Which home a role gets: nothing personal, oversight, or search (judges add a calendar)."""
    if role in NO_RECORD_ROLES:
        return "none"
    if role in OVERSIGHT_ROLES:
        return "oversight"
    if role is Role.RESPONDENT:
        return "respondent"
    return "search"


class Page:
    """The console's pages, rendered with the session's CSRF token in every form."""

    def __init__(self, prefix: str, csrf: Csrf) -> None:
        self.prefix = prefix
        self._csrf = csrf
        self._links = Links(prefix)
        self._templates = Jinja2Templates(env=_environment())

    def render(self, request: Request, name: str, who: SessionContext | None, *,
               status_code: int = 200, **context: Any) -> HTMLResponse:
        role = who.principal.role if who is not None else None
        purpose = SEARCH_PURPOSE.get(role, Purpose.ADJUDICATION) if role else Purpose.ADJUDICATION
        base = {"prefix": self.prefix, "who": who, "role": role.value if role else None,
                "csrf": self._csrf.for_session(who.session_id) if who is not None else "",
                "purposes": [p.value for p in Purpose], "default_purpose": purpose.value}
        return self._templates.TemplateResponse(request, name, {**base, **context},
                                                status_code=status_code)

    # --- pages -------------------------------------------------------------------------------

    def sign_in(self, request: Request, csrf: str, *, notice: str | None = None,
                status_code: int = 200) -> HTMLResponse:
        return self.render(request, "sign_in.html", None, status_code=status_code,
                           sign_in_csrf=csrf, notice=notice)

    def home(self, request: Request, who: SessionContext) -> HTMLResponse:
        return self.render(request, "home.html", who, kind=home_kind(who.principal.role),
                           calendar=None)

    def judge_home(self, request: Request, who: SessionContext, calendar: Calendar, *,
                   first_day: date, days: int) -> HTMLResponse:
        case = frozenset({DataCategory.CASE})
        return self.render(
            request, "home.html", who, kind="search",
            calendar=shown_all(calendar.hearings, case, links=self._links),
            first_day=first_day, last_day=first_day + timedelta(days=days - 1),
            earlier=first_day - timedelta(days=7), later=first_day + timedelta(days=7),
            event_id=calendar.event_id)

    def prompt(self, request: Request, who: SessionContext, kind: str,
               record_id: str) -> HTMLResponse:
        return self.render(request, "prompt.html", who, kind=kind, record_id=record_id,
                           action=f"{self.prefix}/{kind}s/{record_id}")

    def person_file(self, request: Request, who: SessionContext, answer: Guarded[PersonFile],
                    purpose: Purpose) -> HTMLResponse:
        value = answer.value
        return self.render(request, "record.html", who, title="Person",
                           main=self._one(value.person, answer),
                           sections=self._sections(PERSON_SECTIONS, value, answer),
                           **self._decided(answer, purpose))

    def case_file(self, request: Request, who: SessionContext, answer: Guarded[CaseFile],
                  purpose: Purpose, *, holds: Sequence[Hold] = ()) -> HTMLResponse:
        value = answer.value
        return self.render(request, "record.html", who, title="Case", holds=holds,
                           main=self._one(value.case, answer),
                           sections=self._sections(CASE_SECTIONS, value, answer),
                           **self._decided(answer, purpose))

    def search_results(self, request: Request, who: SessionContext,
                       found: SearchResult) -> HTMLResponse:
        identity = frozenset({DataCategory.IDENTITY})
        return self.render(request, "home.html", who, kind="search", calendar=None,
                           results=shown_all(found.persons, identity, links=self._links),
                           truncated=found.truncated, message=found.message,
                           event_id=found.event_id)

    def break_glass_queue(self, request: Request, who: SessionContext,
                          queue: list[BreakGlassReview]) -> HTMLResponse:
        return self.render(request, "break_glass.html", who, queue=queue)

    def subject_report(self, request: Request, who: SessionContext,
                       report: dict[str, Any]) -> HTMLResponse:
        return self.render(request, "subject_report.html", who, report=report,
                           checkpoint=str(report.get("checkpoint", "")).splitlines()[:3])

    # --- pieces ------------------------------------------------------------------------------

    def _one(self, view: RecordView, answer: Guarded[Any]) -> Shown:
        return shown(view, answer.categories, links=self._links)

    def _sections(self, sections: tuple[tuple[str, str, DataCategory], ...], value: Any,
                  answer: Guarded[Any]) -> list[dict[str, Any]]:
        """Each listing, or the category it is withheld under (never an empty "none")."""
        return [{"title": title,
                 "withheld": None if category in answer.categories else category.value,
                 "records": shown_all(getattr(value, attribute), answer.categories,
                                      links=self._links)}
                for title, attribute, category in sections]

    @staticmethod
    def _decided(answer: Guarded[Any], purpose: Purpose) -> dict[str, Any]:
        return {"purpose": purpose.value, "event_id": answer.event_id,
                "break_glass": answer.break_glass,
                "shown_categories": sorted(c.value for c in answer.categories),
                "withheld_categories": withheld(answer.categories)}


# --- error pages ----------------------------------------------------------------------------

_STATUS: Final[tuple[tuple[type[CasevaultError], int, str], ...]] = (
    (AccessDenied, 403, "Not permitted"),
    (NotFound, 404, "Not found"),
    (InputError, 422, "Please check what you entered"),
    (LedgerUnavailable, 503, "The audit ledger is unavailable, so nothing can be shown"),
    (CasevaultError, 500, "Something went wrong"),
)
INTERNAL: Final = ("The console could not finish this request. Nothing was shown. Try again; "
                   "if it keeps happening, tell your administrator the time it happened.")


def install_error_pages(app: FastAPI, page: Page) -> None:
    """Map every error to a page that says what to do; an ended session goes to sign-in."""

    async def session_invalid(request: Request, _error: Exception) -> Response:
        had_one = SESSION_COOKIE in request.cookies
        target = f"{page.prefix}/sign-in" + ("?ended=true" if had_one else "")
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=page.prefix)
        return response

    async def casevault_error(request: Request, error: Exception) -> Response:
        status, title = next((s, t) for cls, s, t in _STATUS if isinstance(error, cls))
        message = str(error) if status != 500 else INTERNAL
        return page.render(request, "error.html", None, status_code=status, title=title,
                           message=message)

    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)  # noqa: S101 -- registered for it
        names = sorted({str(e.get("loc", ("",))[-1]) for e in error.errors()})
        return page.render(request, "error.html", None, status_code=422,
                           title="Please check what you entered",
                           message=f"check these fields: {', '.join(names)}")

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)  # noqa: S101 -- registered for it
        title = "Not found" if error.status_code == 404 else "Not possible"
        return page.render(request, "error.html", None, status_code=error.status_code,
                           title=title, message="There is no such page in the console.")

    async def unexpected(request: Request, _error: Exception) -> Response:
        response = page.render(request, "error.html", None, status_code=500,
                               title="Something went wrong", message=INTERNAL)
        response.headers.update(SECURITY_HEADERS)
        return response

    app.add_exception_handler(SessionInvalid, session_invalid)
    app.add_exception_handler(CasevaultError, casevault_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


__all__ = ["Page", "home_kind", "install_error_pages", "stylesheet"]
