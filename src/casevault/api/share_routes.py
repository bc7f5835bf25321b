"""Statistics over HTTP (issue 9, item 2): aggregates only, through the guard's sharing gate.

``POST /api/v1/stats`` asks one differentially private statistic; the gate
admits it against the caller's agreement (named in the body) and budgets, and
ledgers it before the answer is returned. ``GET /api/v1/stats/budget`` shows
what is left. Neither route returns a record: the answer is noisy cells with
their noise scale and confidence interval.
"""

# No ``from __future__ import annotations``: FastAPI must see the route signatures' types
# (a dependency alias made inside ``install_share_routes``) as objects, not strings.

from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from casevault.access.identity import SessionContext
from casevault.domain import Purpose
from casevault.share.stats import Measure, StatisticsService, StatsQuery

API: Final = "/api/v1"
WORK_DIR: Final = Path("var/share")
_MONTH: Final = r"^\d{4}-\d{2}$"


class StatsIn(BaseModel):
    """One statistic asked: bounded sizes, closed vocabularies, ids only."""

    model_config = ConfigDict(extra="forbid")

    measure: Measure
    by: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=4)
    first_month: str = Field(pattern=_MONTH)
    last_month: str = Field(pattern=_MONTH)
    epsilon: float = Field(gt=0, le=5)
    quantile: float = Field(default=0.5, gt=0, lt=1)
    agreement_id: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")


def install_share_routes(app: FastAPI, session: Any, work_dir: Path = WORK_DIR) -> None:
    """Register the statistics routes; ``session`` is the API's current-session dependency."""
    CurrentSession = Annotated[SessionContext, Depends(session)]  # noqa: N806 -- a type alias

    @app.post(f"{API}/stats", tags=["statistics"])
    async def ask_statistic(body: StatsIn, who: CurrentSession,
                            request: Request) -> dict[str, Any]:
        """A differentially private count, sum, mean or quantile, grouped by public keys."""
        door = request.app.state.door
        query = StatsQuery(body.measure, tuple(body.by), body.epsilon, body.first_month,
                           body.last_month, quantile=body.quantile)
        service = StatisticsService(door.engine, door.guard.sharing, work_dir)
        answer = await run_in_threadpool(lambda: service.ask(
            who, query, purpose=Purpose.STATISTICS, agreement_id=body.agreement_id))
        return answer.as_dict()

    @app.get(f"{API}/stats/budget", tags=["statistics"])
    def budget(who: CurrentSession, request: Request,
               agreement_id: Annotated[str | None, Query(max_length=40)] = None,
               ) -> list[dict[str, Any]]:
        """The caller's privacy-loss budget (and the agreement's): total, spent, remaining."""
        found = request.app.state.door.guard.sharing.budgets(who.user_id, agreement_id)
        return [{"scope": b.scope, "id": b.scope_id, "total": b.total, "spent": b.spent,
                 "remaining": b.remaining} for b in found]


__all__ = ["StatsIn", "install_share_routes"]
