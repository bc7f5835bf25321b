"""A respondent's own record over HTTP: change of address and who looked at my record.

Both act on the caller's own record only (a respondent's user id is their person
id; the policy permits ``self_service`` on ``respondent_self`` alone). The
change of address is decided and ledgered before the sealed fields change; the
access report is the ledger's subject access report with its signed checkpoint
and inclusion proofs (staff appear by role and agency, never by name).
"""

# No ``from __future__ import annotations``: FastAPI must see the route signatures' types.

from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from casevault.access.identity import SessionContext
from casevault.access.self_service import NewAddress, SelfService
from casevault.api.models import TEXT_PATTERN
from casevault.domain import Purpose

API: Final = "/api/v1"


class AddressIn(BaseModel):
    """A new address (Form EOIR-33): bounded sizes, US state and ZIP forms."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)
    city: str | None = Field(default=None, max_length=100, pattern=TEXT_PATTERN)
    state: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    postal_code: str | None = Field(default=None, pattern=r"^\d{5}(-\d{4})?$")


class ChangedOut(BaseModel):
    event_id: str


def _self_service(request: Request) -> SelfService:
    state = request.app.state
    found: SelfService | None = getattr(state, "self_service", None)
    if found is None:
        door = state.door
        found = state.self_service = SelfService(door.engine, door.ledger,
                                                 clock=door.accounts.clock)
    return found


def install_self_service_routes(app: FastAPI,
                                current_session: Callable[..., SessionContext]) -> None:
    """Add ``/me/...`` to ``app`` (its ``state.door`` is the guard's door)."""
    who_dep = Annotated[SessionContext, Depends(current_session)]

    @app.put(f"{API}/me/address", response_model=ChangedOut, tags=["self-service"])
    def change_address(body: AddressIn, who: who_dep,
                       service: Annotated[SelfService, Depends(_self_service)]) -> ChangedOut:
        """Change your own address (respondents); sealed under your own key."""
        return ChangedOut(event_id=service.change_address(who, NewAddress(
            body.address, body.city, body.state, body.postal_code)))

    @app.get(f"{API}/me/access-report", tags=["self-service"])
    def access_report(request: Request, who: who_dep) -> dict[str, Any]:
        """Who accessed your record, with a signed checkpoint and inclusion proofs."""
        report: dict[str, Any] = request.app.state.door.guard.subject_report(
            who, who.user_id, purpose=Purpose.SELF_SERVICE, justification=None)
        return report


__all__ = ["AddressIn", "ChangedOut", "install_self_service_routes"]
