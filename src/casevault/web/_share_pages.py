"""The analyst's statistics page (issue 9, item 2): differentially private answers, no records.

``GET /stats`` shows the form and what is left of the caller's budget (and of
the agreement named in the address, if any); ``POST /stats`` asks one statistic
through the guard's sharing gate, exactly as ``casevault stats ask`` and
``POST /api/v1/stats`` do, and renders the noisy cells with their noise scale
and confidence interval. Nothing on either page names a person or a case.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Final, Protocol

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from casevault.access.identity import SessionContext
from casevault.access.setup import Door
from casevault.domain import Purpose
from casevault.share.stats import GROUP_CATEGORIES, Measure, StatisticsService, StatsQuery
from casevault.web._forms import Form, read_form, validated
from casevault.web._pages import Page
from casevault.web._security import Csrf

WORK_DIR: Final = Path("var/share")
_MONTH: Final = r"^\d{4}-\d{2}$"


class SignedIn(Protocol):
    """What the console's session dependency gives (its ``Signed``)."""

    @property
    def who(self) -> SessionContext: ...


class StatsForm(Form):
    measure: Measure
    by: str = Field(default="court_code", max_length=200)
    first_month: str = Field(pattern=_MONTH)
    last_month: str = Field(pattern=_MONTH)
    epsilon: float = Field(gt=0, le=5)
    quantile: float = Field(default=0.5, gt=0, lt=1)
    agreement_id: Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9._-]*$")] = ""


def install(app: FastAPI, door: Door, csrf: Csrf, page: Page,
            session: Callable[[Request], Any]) -> None:
    """Register ``/stats`` on the console; ``session`` is the console's signed-session
    dependency (passed in, as this module cannot import the console's app module)."""
    signed_dependency = Depends(session)
    fields_dependency = Depends(read_form)

    @app.get("/stats", response_class=HTMLResponse)
    def stats_form(request: Request, signed: SignedIn = signed_dependency,
                   agreement_id: Annotated[str | None, Query(max_length=40)] = None,
                   ) -> Response:
        """The statistics form and the caller's remaining privacy-loss budget."""
        who = signed.who
        budgets = door.guard.sharing.budgets(who.user_id, agreement_id or None)
        return page.render(request, "stats.html", who, answer=None, budgets=budgets,
                           columns=list(GROUP_CATEGORIES), measures=[m.value for m in Measure],
                           agreement_id=agreement_id or "")

    @app.post("/stats", response_class=HTMLResponse)
    def ask(request: Request, signed: SignedIn = signed_dependency,
            fields: dict[str, str] = fields_dependency) -> Response:
        """One differentially private statistic, admitted, computed, ledgered, shown."""
        who = signed.who
        csrf.check_session(who.session_id, fields.get("csrf"))
        form = validated(StatsForm, fields)
        query = StatsQuery(form.measure, tuple(c.strip() for c in form.by.split(",")
                                               if c.strip()),
                           form.epsilon, form.first_month, form.last_month,
                           quantile=form.quantile)
        answer = StatisticsService(door.engine, door.guard.sharing, WORK_DIR).ask(
            who, query, purpose=Purpose.STATISTICS, agreement_id=form.agreement_id or None)
        budgets = door.guard.sharing.budgets(who.user_id, form.agreement_id or None)
        return page.render(request, "stats.html", who, answer=answer, budgets=budgets,
                           columns=list(GROUP_CATEGORIES), measures=[m.value for m in Measure],
                           agreement_id=form.agreement_id)


__all__ = ["StatsForm", "install"]
