"""The respondent's console: their own record, a change of address, and who looked at it.

A respondent's account is linked to their record (its user id is their person
id). ``POST /me/address`` changes their address through
``access/self_service.py`` (decided, ledgered, sealed); ``POST /me/access-report``
shows the verifiable subject access report — every access to their record up to
a signed ledger checkpoint — through ``Guard.subject_report`` with the
``self_service`` purpose. Staff appear by role and agency, never by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BeforeValidator, Field

from casevault.access.identity import SessionContext
from casevault.access.self_service import NewAddress, SelfService
from casevault.access.setup import Door
from casevault.domain import Purpose
from casevault.web._forms import F, Form, _blank_is_none, read_form, validated
from casevault.web._pages import Page
from casevault.web._security import Csrf

Optional = Annotated[str | None, BeforeValidator(_blank_is_none)]


class SignedIn(Protocol):
    @property
    def who(self) -> SessionContext: ...


class AddressForm(Form):
    address: str = Field(min_length=1, max_length=200)
    city: Optional = Field(default=None, max_length=100)
    state: Optional = Field(default=None, pattern=r"^[A-Z]{2}$")
    postal_code: Optional = Field(default=None, pattern=r"^\d{5}(-\d{4})?$")


class ReportForm(Form):
    pass


def _self_service(request: Request) -> SelfService:
    state = request.app.state
    found: SelfService | None = getattr(state, "self_service", None)
    if found is None:
        door: Door = state.door
        found = state.self_service = SelfService(door.engine, door.ledger,
                                                 clock=door.accounts.clock)
    return found


def install(app: FastAPI, door: Door, csrf: Csrf, page: Page,
            session: Callable[[Request], Any]) -> None:
    """Register ``/me/...`` on the console; ``session`` is the console's session dependency."""
    signed_dependency = Depends(session)
    fields_dependency = Depends(read_form)

    def posted(signed: SignedIn, model: type[F], fields: dict[str, str]) -> F:
        csrf.check_session(signed.who.session_id, fields.get("csrf"))
        return validated(model, fields)

    @app.post("/me/address", response_class=HTMLResponse)
    def change_address(request: Request, signed: SignedIn = signed_dependency,
                       fields: dict[str, str] = fields_dependency) -> Response:
        """Change of address (EOIR-33): sealed under the respondent's own key."""
        form = posted(signed, AddressForm, fields)
        event_id = _self_service(request).change_address(signed.who, NewAddress(
            form.address, form.city, form.state, form.postal_code))
        return page.render(request, "home.html", signed.who, kind="respondent",
                           calendar=None, notice="Your new address is recorded.",
                           event_id=event_id)

    @app.post("/me/access-report", response_class=HTMLResponse)
    def access_report(request: Request, signed: SignedIn = signed_dependency,
                      fields: dict[str, str] = fields_dependency) -> Response:
        """Who looked at my record, with the signed checkpoint that makes it verifiable."""
        posted(signed, ReportForm, fields)
        report = door.guard.subject_report(signed.who, signed.who.user_id,
                                           purpose=Purpose.SELF_SERVICE, justification=None)
        return page.subject_report(request, signed.who, report)


__all__ = ["AddressForm", "ReportForm", "install"]
