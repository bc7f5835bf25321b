"""``casevault access break-glass ...``: emergency access and the privacy officers' review queue.

Opening is for court staff with no relationship to a record, in an emergency;
the window is short, every read under it is marked in the ledger, and each grant
waits on the review queue until a privacy officer (not the one who opened it)
marks it justified or misuse. All three commands run as the signed-in user.
"""

from __future__ import annotations

from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table

from casevault.access.guard import ReviewOutcome
from casevault.access.policy import RecordKind
from casevault.cli._session import (
    DEFAULT_SESSION_FILE,
    JustificationOption,
    SessionFileOption,
    operator,
    stated_justification,
)
from casevault.errors import CasevaultError

break_glass_app = typer.Typer(help="Emergency access and its review.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
ERROR_EXIT: Final = 2

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL.")]


def _refused(exc: CasevaultError) -> typer.Exit:
    errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
    return typer.Exit(ERROR_EXIT)


@break_glass_app.command("open")
def open_command(
    record_id: Annotated[str, typer.Argument(help="The case or person id.")],
    kind: Annotated[RecordKind, typer.Option("--kind", help="case or person.")] = RecordKind.CASE,
    reason: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Open a record you have no part in, in an emergency (a privacy officer reviews it)."""
    try:
        with operator(db, session_file) as (door, who):
            grant = door.guard.break_glass(who, kind, record_id,
                                           reason=stated_justification(reason) or "")
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"break-glass {grant.grant_id}: {kind} {record_id} open until "
                  f"{grant.expires_at.isoformat(timespec='minutes')}; a privacy officer will "
                  "review it", highlight=False)


@break_glass_app.command("list")
def list_command(
    justification: JustificationOption = None,
    every: Annotated[bool, typer.Option("--all", help="Include reviewed grants.")] = False,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """The review queue: emergency grants not yet reviewed (privacy officers)."""
    try:
        with operator(db, session_file) as (door, who):
            items = door.guard.break_glass_reviews(
                who, justification=stated_justification(justification), pending_only=not every)
    except CasevaultError as exc:
        raise _refused(exc) from None
    table = Table(title="break-glass grants" + ("" if every else " awaiting review"))
    for column in ("grant", "user", "record", "opened", "reason", "review"):
        table.add_column(column)
    for item in items:
        table.add_row(item.grant_id, item.user_id, f"{item.record_kind} {item.record_id}",
                      item.opened_at.isoformat(timespec="minutes"), item.reason,
                      item.review_outcome or "pending")
    console.print(table)


@break_glass_app.command("review")
def review_command(
    grant_id: Annotated[str, typer.Argument(help="The grant id from `break-glass list`.")],
    outcome: Annotated[ReviewOutcome, typer.Option("--outcome", help="justified or misuse.")],
    note: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Close a grant as justified or misuse (ledgered; never your own)."""
    try:
        with operator(db, session_file) as (door, who):
            door.guard.review_break_glass(who, grant_id, outcome=outcome,
                                          note=stated_justification(note) or "")
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"break-glass {grant_id} reviewed: {outcome}", highlight=False)
