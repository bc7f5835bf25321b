"""``casevault erase``, ``retention``, ``keys``, ``backup`` and ``restore`` (issue 10).

Erasure and retention run as the signed-in privacy officer, through the door: one
officer asks, a second approves, and each step is ledgered by id. Key rotation,
backup and restore are operators' commands that need the key-encryption key; they
never show a personal value (sealed fields stay sealed in a backup).

Exit status: 0 on success, 2 for any refusal or error (the message says what to do).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from sqlalchemy import Engine, select

from casevault.access.erasure import Erasures
from casevault.cli._session import DEFAULT_SESSION_FILE, SessionFileOption, operator
from casevault.errors import CasevaultError, ConfigError, InputError
from casevault.settings import load_settings
from casevault.store import backup as store_backup
from casevault.store import make_engine, require_current_schema, rotation
from casevault.store import retention as store_retention
from casevault.store.keys import (
    KEK_ENV,
    KEK_FILE_ENV,
    KEK_FILE_NAME,
    Keyring,
    LocalKek,
    default_register,
    file_keys,
    keyring,
    new_kek_id,
    use_keyring,
    write_kek_file,
)
from casevault.store.tables_keys import erasures

console = Console()
errors = Console(stderr=True)
ERROR_EXIT: Final = 2

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL.")]
retention_app = typer.Typer(help="Retention schedules: erase what the law no longer allows "
                                 "keeping.", no_args_is_help=True)
keys_app = typer.Typer(help="Key-encryption key and data-key rotation.", no_args_is_help=True)


def _refused(exc: CasevaultError) -> typer.Exit:
    errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
    return typer.Exit(ERROR_EXIT)


def erase(
    person: Annotated[str | None, typer.Option("--person", help="The person id to erase.")] = None,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="The legal basis or request the erasure answers (kept with the "
                         "request, never in the ledger).")] = None,
    approve: Annotated[str | None, typer.Option(
        "--approve", help="Approve this pending erasure id (a second privacy officer).")] = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Erase a person by destroying their data key (two privacy officers)."""
    if (person is None) == (approve is None):
        raise _refused(InputError("give either --person ID --reason TEXT (to request) or "
                                  "--approve ERASURE_ID (to approve)"))
    try:
        with operator(db, session_file) as (door, who):
            service = Erasures(door.engine, door.ledger)
            if approve is not None:
                done = service.approve(who, approve)
                console.print(f"erased person {done.person_id} (erasure {done.erasure_id}): "
                              "their data key is destroyed", highlight=False)
                return
            assert person is not None  # noqa: S101 -- checked above
            asked = service.request(who, person, reason=reason or "")
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"erasure {asked.erasure_id} of person {asked.person_id} requested; a second "
                  f"privacy officer approves it with `casevault erase --approve "
                  f"{asked.erasure_id}`", highlight=False)


@retention_app.command("run")
def retention_run(
    schedule: Annotated[Path, typer.Option("--schedule", help="The retention schedule (TOML).")],
    apply: Annotated[bool, typer.Option(
        "--apply", help="Request the erasures (else only list what is due: a dry run).")] = False,
    today: Annotated[datetime | None, typer.Option(
        "--today", formats=["%Y-%m-%d"], help="Evaluate as of this day (default today).")] = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """List persons due for erasure under the schedule; with --apply, request their erasure."""
    day = (today or datetime.now(UTC)).date()
    try:
        rules = store_retention.load_schedule(schedule)
        if not apply:
            engine = make_engine(db or load_settings().db_url)
            try:
                require_current_schema(engine)
                with engine.connect() as connection:
                    found = store_retention.due(connection, rules, day)
            finally:
                engine.dispose()
            for item in found:
                console.print(f"{item.person_id}\t{item.rule}\tlast closed "
                              f"{item.last_closed_on.isoformat()}", highlight=False)
            console.print(f"dry run: {len(found)} person(s) due; nothing was changed "
                          "(--apply requests their erasure)", highlight=False)
            return
        with operator(db, session_file) as (door, who):
            with door.engine.connect() as connection:
                found = store_retention.due(connection, rules, day)
            service = Erasures(door.engine, door.ledger)
            for item in found:
                asked = service.request(who, item.person_id, basis="retention",
                                        reason=f"retention rule {item.rule}")
                console.print(f"{asked.erasure_id}\t{item.person_id}\t{item.rule}",
                              highlight=False)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"{len(found)} erasure(s) requested; a second privacy officer approves them "
                  "with `casevault retention approve`", highlight=False)


@retention_app.command("approve")
def retention_approve(session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                      db: DbOption = None) -> None:
    """Approve every pending retention erasure another officer requested (crypto-shredding)."""
    try:
        with operator(db, session_file) as (door, who):
            with door.engine.connect() as connection:
                pending = list(connection.execute(select(erasures.c.erasure_id).where(
                    erasures.c.state == "pending", erasures.c.basis == "retention",
                    erasures.c.requested_by != who.user_id)
                    .order_by(erasures.c.erasure_id)).scalars())
            service = Erasures(door.engine, door.ledger)
            for erasure_id in pending:
                done = service.approve(who, erasure_id)
                console.print(f"erased person {done.person_id} (erasure {erasure_id})",
                              highlight=False)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"{len(pending)} retention erasure(s) carried out", highlight=False)


# --- keys ---------------------------------------------------------------------------------


def _engine(db: str | None) -> Engine:
    engine = make_engine(db or load_settings().db_url)
    require_current_schema(engine)
    return engine


def _key_file() -> Path:
    if os.environ.get(KEK_ENV):
        msg = (f"{KEK_ENV} is set: put the new key first in it (id:base64,old-id:base64) and "
               "run the rotation again; the key file is not used")
        raise ConfigError(msg)
    named = os.environ.get(KEK_FILE_ENV)
    return Path(named) if named else load_settings().key_dir / KEK_FILE_NAME


def _rotating_keyring(engine: Engine) -> str:
    """Make the key file's current KEK the rotation's target (adding one unless resuming)."""
    if os.environ.get(KEK_ENV):
        return keyring().kek.current_id
    path = _key_file()
    keys, current = file_keys(path)
    target = rotation.unfinished_kek_target(engine)
    if target is None or target not in keys:
        target = new_kek_id()
        keys = {target: os.urandom(32), **keys}
        write_kek_file(path, keys, target)
    elif current != target:
        write_kek_file(path, keys, target)
    use_keyring(Keyring(LocalKek(keys, target)))
    return target


@keys_app.command("rotate-kek")
def rotate_kek(
    batch: Annotated[int, typer.Option("--batch", min=1, help="Keys per transaction.")] = 500,
    throttle: Annotated[float, typer.Option(
        "--throttle", min=0.0, help="Seconds to pause between batches (spare a busy "
                                    "database).")] = 0.0,
    db: DbOption = None,
) -> None:
    """Rewrap every data key under a new key-encryption key; resumes an interrupted rotation."""
    try:
        engine = _engine(db)
        try:
            target = _rotating_keyring(engine)
            report = rotation.rotate_kek(engine, batch=batch, throttle=throttle,
                                         progress=lambda what, n: console.print(
                                             f"{what} {n}", highlight=False))
        finally:
            engine.dispose()
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"{'resumed and ' if report.resumed else ''}finished: {report.done} data keys "
                  f"rewrapped under {target}; retire older keys with `casevault keys "
                  "retire-kek ID`", highlight=False)


@keys_app.command("retire-kek")
def retire_kek(kek_id: Annotated[str, typer.Argument(help="The key id to remove.")],
               db: DbOption = None) -> None:
    """Remove an old KEK from the key file once no wrapped key needs it (old backups die)."""
    try:
        engine = _engine(db)
        try:
            in_use = rotation.kek_in_use(engine, kek_id)
        finally:
            engine.dispose()
        if in_use:
            raise InputError(f"{in_use} wrapped key(s) still need {kek_id}: finish "
                             "`casevault keys rotate-kek` first")
        path = _key_file()
        keys, current = file_keys(path)
        if kek_id == current or kek_id not in keys:
            raise InputError(f"{kek_id} is the current key or not in {path}")
        del keys[kek_id]
        write_kek_file(path, keys, current)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"retired {kek_id}: backups wrapped under it can no longer be restored",
                  highlight=False)


@keys_app.command("rotate-data-keys")
def rotate_data_keys(
    person: Annotated[list[str] | None, typer.Option(
        "--person", help="A person id (repeat); all persons when omitted.")] = None,
    throttle: Annotated[float, typer.Option("--throttle", min=0.0)] = 0.0,
    db: DbOption = None,
) -> None:
    """Give persons new data keys and re-encrypt their fields; resumes an interrupted run."""
    try:
        engine = _engine(db)
        try:
            report = rotation.rotate_data_keys(engine, person, throttle=throttle,
                                               progress=lambda what, n: console.print(
                                                   f"{what} {n}", highlight=False))
        finally:
            engine.dispose()
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"{'resumed and ' if report.resumed else ''}finished: {report.done} data "
                  "key(s) rotated", highlight=False)


# --- backup and restore ---------------------------------------------------------------------


def backup(out: Annotated[Path, typer.Argument(help="The backup file to write (new).")],
           db: DbOption = None) -> None:
    """Write an encrypted, consistent backup of the database and its ledger."""
    try:
        engine = _engine(db)
        try:
            report = store_backup.backup(engine, out)
        finally:
            engine.dispose()
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"backed up {report.rows:,} rows of {report.tables} tables to {out} "
                  f"({report.bytes_written:,} bytes, encrypted)", highlight=False)


def restore(source: Annotated[Path, typer.Argument(help="A file written by casevault backup.")],
            replace: Annotated[bool, typer.Option(
                "--replace", help="Replace a database that is not empty.")] = False,
            db: DbOption = None) -> None:
    """Load a backup; persons erased since it was taken are erased again."""
    try:
        engine = make_engine(db or load_settings().db_url)
        try:
            report = store_backup.restore(engine, source, register=default_register(),
                                          replace=replace)
        finally:
            engine.dispose()
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"restored {report.rows:,} rows; {len(report.erased_again)} person(s) erased "
                  "since the backup were erased again", highlight=False)
