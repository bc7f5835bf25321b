"""The console's misuse-case pages for privacy officers (issue 7, item 4).

A privacy officer lists the alert cases (one per staff member), opens one with its
alerts and steps, and moves it open -> investigating -> substantiated / unfounded
with a note. Each page is admitted by ``Guard.admit_oversight`` exactly as
``casevault watch case`` is: oversight roles only, a justification every time, the
look ledgered before anything is read and a refusal ledgered too. A move is then
``watch.cases.move_case``, which ledgers the step (the note only as its SHA-256)
before the case changes. Alerts name persons and ledger events by id only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any, Final, Protocol

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from casevault.access.identity import SessionContext
from casevault.access.setup import Door
from casevault.domain import Purpose
from casevault.watch.cases import MOVES, CaseDetail, CaseState, case_detail, list_cases, move_case
from casevault.web._forms import RECORD_ID_PATTERN, OversightForm, read_form, validated
from casevault.web._pages import Page
from casevault.web._security import Csrf

WatchCaseId = Annotated[str, Field(min_length=1, max_length=40, pattern=RECORD_ID_PATTERN)]
_AUDIT: Final = Purpose.COMPLIANCE_AUDIT


class SignedIn(Protocol):
    """What the console's session dependency gives (its ``Signed``)."""

    @property
    def who(self) -> SessionContext: ...


class WatchCaseForm(OversightForm):
    watch_case_id: WatchCaseId


class WatchMoveForm(WatchCaseForm):
    """A step: where the case goes and the officer's note (kept with the step)."""

    to: CaseState
    note: str = Field(min_length=1, max_length=2000)


def install(app: FastAPI, door: Door, csrf: Csrf, page: Page,
            session: Callable[[Request], Any]) -> None:
    """Register ``/oversight/watch...`` on the console; ``session`` is its signed-session
    dependency (passed in, as this module cannot import the console's app module)."""
    signed_dependency = Depends(session)
    fields_dependency = Depends(read_form)

    @app.post("/oversight/watch", response_class=HTMLResponse)
    def watch_cases(request: Request, signed: SignedIn = signed_dependency,
                    fields: dict[str, str] = fields_dependency) -> Response:
        """Every alert case: staff member, state, detectors and alert counts."""
        csrf.check_session(signed.who.session_id, fields.get("csrf"))
        form = validated(OversightForm, fields)
        door.guard.admit_oversight(signed.who, purpose=_AUDIT, justification=form.justification,
                                   what="watch_cases")
        rows = [_row(case_detail(door.engine, case.watch_case_id))
                for case in list_cases(door.engine)]
        return page.render(request, "watch_cases.html", signed.who, cases=rows)

    @app.post("/oversight/watch/case", response_class=HTMLResponse)
    def watch_case(request: Request, signed: SignedIn = signed_dependency,
                   fields: dict[str, str] = fields_dependency) -> Response:
        """One case with its alerts (ids only) and every step so far."""
        csrf.check_session(signed.who.session_id, fields.get("csrf"))
        form = validated(WatchCaseForm, fields)
        door.guard.admit_oversight(signed.who, purpose=_AUDIT, justification=form.justification,
                                   what=f"watch_case {form.watch_case_id}")
        return _case_page(request, page, signed.who, case_detail(door.engine,
                                                                 form.watch_case_id))

    @app.post("/oversight/watch/move", response_class=HTMLResponse)
    def watch_move(request: Request, signed: SignedIn = signed_dependency,
                   fields: dict[str, str] = fields_dependency) -> Response:
        """Move a case with a note: admitted and ledgered, then the step is ledgered first."""
        csrf.check_session(signed.who.session_id, fields.get("csrf"))
        form = validated(WatchMoveForm, fields)
        door.guard.admit_oversight(signed.who, purpose=_AUDIT, justification=form.justification,
                                   what=f"watch_case {form.watch_case_id} move {form.to}")
        move_case(door.engine, door.ledger.append, form.watch_case_id, form.to,
                  officer_id=signed.who.user_id, note=form.note, now=door.accounts.clock())
        return _case_page(request, page, signed.who, case_detail(door.engine,
                                                                 form.watch_case_id),
                          moved=form.to)


def _row(detail: CaseDetail) -> dict[str, Any]:
    """One line of the case list: the summary and how many alerts each detector raised."""
    return {"case": detail.summary,
            "detectors": sorted(Counter(a.detector for a in detail.alerts).items()),
            "severities": sorted(Counter(a.severity for a in detail.alerts).items())}


def _case_page(request: Request, page: Page, who: SessionContext, detail: CaseDetail, *,
               moved: CaseState | None = None) -> HTMLResponse:
    moves = sorted(str(state) for state in MOVES.get(detail.summary.state, frozenset()))
    return page.render(request, "watch_case.html", who, detail=detail, moves=moves,
                       moved=str(moved) if moved else None)


__all__ = ["WatchCaseForm", "WatchMoveForm", "install"]
