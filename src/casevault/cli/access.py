"""``casevault access ...``: accounts, approvals, training, recertification, sign-in and sessions.

Every command that changes something names its operator with ``--by`` (it is
ledgered, and the service checks that operator may do it). Passwords and codes
are prompted for in a terminal, and read from ``CASEVAULT_PASSWORD`` and
``CASEVAULT_TOTP_CODE`` otherwise; never from an option, so they stay out of
shell history and process lists. ``login`` writes the session to a file only
its owner can read (mode 0600); later commands present it from there.

Exit status: 0 on success, 2 for any refusal or error (the message says what to do).
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Final

import typer
from rich.console import Console

from casevault.access.accounts import Accounts, ReviewItem
from casevault.access.sessions import Sessions
from casevault.access.setup import opened_door
from casevault.cli._session import (
    DEFAULT_SESSION_FILE,
    SESSION_FILE_VERSION,
    SessionFileOption,
    read_session,
    write_session,
)
from casevault.cli.breakglass import break_glass_app
from casevault.domain import Purpose
from casevault.errors import CasevaultError, InputError
from casevault.settings import load_settings

access_app = typer.Typer(help="Accounts, sign-in and sessions.", no_args_is_help=True)
sessions_app = typer.Typer(help="End sessions.", no_args_is_help=True)
access_app.add_typer(sessions_app, name="sessions")
access_app.add_typer(break_glass_app, name="break-glass")
console = Console()
errors = Console(stderr=True)

ERROR_EXIT: Final = 2
PASSWORD_ENV: Final = "CASEVAULT_PASSWORD"  # noqa: S105 -- the variable's name, not a secret
CODE_ENV: Final = "CASEVAULT_TOTP_CODE"
DATE_FORMATS: Final = ["%Y-%m-%d"]

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL.")]
ByOption = Annotated[str, typer.Option(
    "--by", envvar="CASEVAULT_OPERATOR", help="Your casevault user id (this is audited).")]
UserArgument = Annotated[str, typer.Argument(help="The user id of the account.")]
ReasonOption = Annotated[str, typer.Option(
    "--reason", help="A short reason code, e.g. lost_device (details go in your ticket).")]
PurposeOption = Annotated[list[Purpose] | None, typer.Option(
    "--purpose", help="A purpose the approval allows (repeat for several).")]
LegalBasisOption = Annotated[str, typer.Option(
    "--legal-basis", help="The statute, agreement or order that allows the access.")]


def _day(value: datetime) -> date:
    return value.date()


ExpiresOption = Annotated[datetime, typer.Option(
    "--expires-on", formats=DATE_FORMATS, help="The day the approval ends (YYYY-MM-DD).")]


@contextmanager
def _services(db: str | None) -> Iterator[tuple[Accounts, Sessions]]:
    """Accounts and sessions on the configured database and ledger, closed afterwards."""
    with opened_door(load_settings(), db) as door:
        yield door.accounts, door.sessions


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except CasevaultError as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None


def _say(message: str) -> None:
    console.print(message, highlight=False, markup=False)


def _is_terminal() -> bool:
    return sys.stdin.isatty()


def _secret_input(env: str, prompt: str, *, confirm: bool = False,
                  optional: bool = False) -> str | None:
    """From the environment if set, else a hidden prompt in a terminal; else an error."""
    value = os.environ.get(env)
    if value:
        return value
    if _is_terminal():
        typed: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm,
                                  default="" if optional else None, show_default=False)
        return typed or None
    if optional:
        return None
    msg = f"no terminal to ask in: set {env}, or run the command in a terminal"
    raise InputError(msg)


# --- accounts ---------------------------------------------------------------------------------

@access_app.command()
def enroll(user: UserArgument, by: ByOption, db: DbOption = None) -> None:
    """Open a pending account (password and authenticator) for a user of the directory."""
    with _reported():
        password = _secret_input(PASSWORD_ENV, "New password", confirm=True) or ""
        with _services(db) as (accounts, _):
            enrollment = accounts.enroll(user, password, by=by)
    _say(f"account {user} enrolled; it is pending until a data owner approves it")
    _say("add this to your authenticator app now (it is shown only once):")
    _say(enrollment.provisioning_uri)


@access_app.command()
def bootstrap(
    user: UserArgument, by: ByOption, legal_basis: LegalBasisOption,
    expires_on: ExpiresOption, db: DbOption = None,
) -> None:
    """Approve the first data owner of a new installation (refused once any approval exists)."""
    with _reported(), _services(db) as (accounts, _):
        approval = accounts.bootstrap_owner(user, by=by, legal_basis=legal_basis,
                                            expires_on=_day(expires_on))
    _say(f"account {user} is the first data owner (approval {approval})")


@access_app.command()
def approve(
    user: UserArgument, by: ByOption, legal_basis: LegalBasisOption,
    expires_on: ExpiresOption, purpose: PurposeOption = None, db: DbOption = None,
) -> None:
    """Approve an account: purposes (outside parties), legal basis and expiry."""
    with _reported(), _services(db) as (accounts, _):
        approval = accounts.approve(user, by=by, purposes=purpose or [],
                                    legal_basis=legal_basis, expires_on=_day(expires_on))
    _say(f"account {user} approved until {_day(expires_on)} (approval {approval})")


@access_app.command()
def renew(
    user: UserArgument, by: ByOption, expires_on: ExpiresOption,
    purpose: PurposeOption = None,
    legal_basis: Annotated[str | None, typer.Option(
        "--legal-basis", help="Default: the last approval's.")] = None,
    db: DbOption = None,
) -> None:
    """Approve again with a new expiry (purposes and legal basis kept unless given)."""
    with _reported(), _services(db) as (accounts, _):
        approval = accounts.renew(user, by=by, expires_on=_day(expires_on),
                                  purposes=purpose or None, legal_basis=legal_basis)
    _say(f"account {user} renewed until {_day(expires_on)} (approval {approval})")


@access_app.command()
def suspend(user: UserArgument, by: ByOption, reason: ReasonOption,
            db: DbOption = None) -> None:
    """Suspend an account now; every live session of it ends at once."""
    with _reported(), _services(db) as (accounts, _):
        ended = accounts.suspend(user, by=by, reason=reason)
    _say(f"account {user} suspended; {ended} live session(s) ended")


@access_app.command()
def reinstate(user: UserArgument, by: ByOption, reason: ReasonOption,
              db: DbOption = None) -> None:
    """Lift a suspension (the person signs in again)."""
    with _reported(), _services(db) as (accounts, _):
        state = accounts.reinstate(user, by=by, reason=reason)
    _say(f"account {user} reinstated; it is {state}")


@access_app.command("attest-training")
def attest_training(
    user: UserArgument, by: ByOption,
    valid_until: Annotated[datetime, typer.Option(
        "--valid-until", formats=DATE_FORMATS, help="Last day the training counts.")],
    db: DbOption = None,
) -> None:
    """Record that the user completed privacy training, valid through a day."""
    with _reported(), _services(db) as (accounts, _):
        accounts.attest_training(user, valid_until=_day(valid_until), by=by)
    _say(f"training of {user} recorded, valid through {_day(valid_until)}")


# --- recertification --------------------------------------------------------------------------

@access_app.command()
def review(
    on: Annotated[datetime | None, typer.Option(
        "--on", formats=DATE_FORMATS, help="Review date (default: today, UTC).")] = None,
    lapse: Annotated[bool, typer.Option(
        "--lapse", help="End approvals whose review date passed unreviewed.")] = False,
    by: Annotated[str | None, typer.Option(
        "--by", envvar="CASEVAULT_OPERATOR", help="Your user id (needed with --lapse).")]
    = None,
    db: DbOption = None,
) -> None:
    """List accounts and approvals due for review; with --lapse, end the overdue ones."""
    day = _day(on) if on is not None else datetime.now(UTC).date()
    if lapse and by is None:
        errors.print("[red]error:[/red] --lapse changes accounts: name yourself with --by USER",
                     markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT)
    with _reported(), _services(db) as (accounts, _):
        due = accounts.due_for_review(day)
        lapsed = accounts.lapse_unreviewed(day, by=by) if lapse and by is not None else []
    _print_due(due, day, set(lapsed))
    if lapse:
        _say(f"{len(lapsed)} approval(s) lapsed unreviewed")


def _print_due(due: list[ReviewItem], day: date, lapsed: set[str]) -> None:
    """One line per approval, whole ids and dates (easy to read, to grep and to copy from)."""
    if not due:
        _say(f"nothing is due for review on {day}")
        return
    _say(f"{len(due)} approval(s) due for review on {day}:")
    for item in due:
        training = item.training_valid_until.isoformat() if item.training_valid_until else "none"
        _say(f"{item.approval_id} user {item.user_id} ({item.role}, {item.agency}, "
             f"{'outside party' if item.outside_party else 'staff'}) account "
             f"{item.account_state}; purposes {', '.join(sorted(item.purposes)) or '-'}; "
             f"approved by {item.approved_by}; expires {item.expires_on}; review due "
             f"{item.review_due_on}; training until {training}"
             + ("; LAPSED" if item.approval_id in lapsed else ""))


@access_app.command()
def recertify(
    approval: Annotated[str, typer.Argument(help="The approval id (from `review`).")],
    by: ByOption,
    keep: Annotated[bool, typer.Option(
        "--keep/--end", help="Keep the approval (due again later) or end it now.")],
    db: DbOption = None,
) -> None:
    """Record a review of one approval: keep it, or end it."""
    with _reported(), _services(db) as (accounts, _):
        accounts.review(approval, by=by, keep=keep)
    _say(f"approval {approval} {'kept' if keep else 'ended'}")


# --- sessions ---------------------------------------------------------------------------------

@access_app.command()
def login(
    user: UserArgument,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    device_id: Annotated[str | None, typer.Option(
        "--device-id", envvar="CASEVAULT_DEVICE_ID",
        help="This device's id (default: a new one, kept in the session file).")] = None,
    db: DbOption = None,
) -> None:
    """Sign in; the session is written to the session file (mode 0600)."""
    device = device_id or f"cli-{secrets.token_hex(8)}"
    with _reported():
        password = _secret_input(PASSWORD_ENV, "Password") or ""
        code = _secret_input(CODE_ENV, "Authenticator code (empty if you have none)",
                             optional=True)
        with _services(db) as (_, sessions):
            signed = sessions.login(user, password, code, device_id=device)
        write_session(session_file, {
            "version": SESSION_FILE_VERSION, "session_id": signed.session_id,
            "user_id": user, "device_id": device, "token": signed.token,
            "expires_at": signed.expires_at.isoformat()})
    _say(f"signed in as {user}: session {signed.session_id}, until "
         f"{signed.expires_at.isoformat(timespec='minutes')}, kept in {session_file}")
    if not signed.mfa_verified:
        _say("this session has no second factor: records stay closed to it")


@access_app.command()
def whoami(session_file: SessionFileOption = DEFAULT_SESSION_FILE,
           db: DbOption = None) -> None:
    """Check the session in the session file and show the account as the policy sees it."""
    with _reported():
        stored = read_session(session_file)
        with _services(db) as (_, sessions):
            context = sessions.authenticate(stored["token"], device_id=stored["device_id"])
    p = context.principal
    _say(f"{context.user_id} ({p.role}, {p.agency}): account {p.account_state}, "
         f"training {'current' if p.training_current else 'NOT current'}, "
         f"second factor {'yes' if p.mfa_verified else 'no'}, session {context.session_id}")


@access_app.command()
def logout(session_file: SessionFileOption = DEFAULT_SESSION_FILE,
           db: DbOption = None) -> None:
    """End the session in the session file and delete the file."""
    with _reported():
        stored = read_session(session_file)
        with _services(db) as (_, sessions):
            sessions.logout(stored["token"])
        session_file.unlink()
    _say(f"signed out of session {stored['session_id']}")


@sessions_app.command("revoke")
def revoke_session(
    session: Annotated[str, typer.Argument(help="The session id.")],
    by: ByOption, reason: ReasonOption, db: DbOption = None,
) -> None:
    """End one session (your own, or any as a data owner)."""
    with _reported(), _services(db) as (_, sessions):
        ended = sessions.revoke(session, by=by, reason=reason)
    _say(f"session {session} ended" if ended else f"session {session} had already ended")


@sessions_app.command("revoke-all")
def revoke_all(user: UserArgument, by: ByOption, reason: ReasonOption,
               db: DbOption = None) -> None:
    """End every live session of a user."""
    with _reported(), _services(db) as (_, sessions):
        count = sessions.revoke_all(user, by=by, reason=reason)
    _say(f"{count} session(s) of {user} ended")
