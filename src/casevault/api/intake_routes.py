"""Intake over HTTP: docket an application in a case, record an encounter for a person.

Each route states its purpose (``X-Purpose``) and calls one guarded write
(``access/intake.py``): decided, ledgered before the sealed insert, refused as a
403 problem with a ``deny`` event. Answers carry ids and the ledger event only.
"""

# No ``from __future__ import annotations``: FastAPI must see the route signatures' types.

from collections.abc import Callable
from datetime import date
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Header, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict

from casevault.access.identity import SessionContext
from casevault.access.intake import Intake
from casevault.api.court_routes import WrittenOut
from casevault.domain import Purpose
from casevault.domain.vocab import (
    ApplicationKind,
    EncounterAgency,
    EncounterKind,
    EncounterOutcome,
)

API: Final = "/api/v1"
RecordId = Annotated[str, PathParam(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]
PurposeHeader = Annotated[Purpose, Header(alias="X-Purpose")]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ApplicationKind
    filed_on: date


class EncounterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency: EncounterAgency
    occurred_on: date
    kind: EncounterKind
    outcome: EncounterOutcome


def _intake(request: Request) -> Intake:
    """The intake paths on the app's door, built on first use (with the door's clock)."""
    state = request.app.state
    found: Intake | None = getattr(state, "intake", None)
    if found is None:
        door = state.door
        found = state.intake = Intake(door.engine, door.ledger, clock=door.accounts.clock)
    return found


def install_intake_routes(app: FastAPI, current_session: Callable[..., SessionContext]) -> None:
    """Add the intake routes to ``app``."""
    who_dep = Annotated[SessionContext, Depends(current_session)]
    intake_dep = Annotated[Intake, Depends(_intake)]

    @app.post(f"{API}/cases/{{case_id}}/applications", response_model=WrittenOut,
              status_code=201, tags=["intake"])
    def docket_application(case_id: RecordId, body: ApplicationIn, who: who_dep,
                           purpose: PurposeHeader, intake: intake_dep) -> WrittenOut:
        """Docket an application (clerks of the case's court; protection claims need asylum)."""
        done = intake.docket_application(who, case_id, kind=body.kind.value,
                                         filed_on=body.filed_on, purpose=purpose)
        return WrittenOut(record_id=done.record_id, case_id=done.case_id,
                          event_id=done.event_id)

    @app.post(f"{API}/persons/{{person_id}}/encounters", response_model=WrittenOut,
              status_code=201, tags=["intake"])
    def record_encounter(person_id: RecordId, body: EncounterIn, who: who_dep,
                         purpose: PurposeHeader, intake: intake_dep) -> WrittenOut:
        """Record an encounter with law enforcement (DHS counsel at the person's court).

        ``case_id`` in the answer is the person's id: an encounter belongs to a person.
        """
        done = intake.record_encounter(
            who, person_id, agency=body.agency.value, occurred_on=body.occurred_on,
            kind=body.kind.value, outcome=body.outcome.value, purpose=purpose)
        return WrittenOut(record_id=done.record_id, case_id=done.case_id,
                          event_id=done.event_id)


__all__ = ["ApplicationIn", "EncounterIn", "install_intake_routes"]
