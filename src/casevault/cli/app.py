"""``casevault`` commands: each parses its options, calls one service, renders the result.

Errors casevault raises on purpose are printed as one plain message (never a
traceback, never personal data) and end the command with exit status 2.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from casevault import __version__
from casevault.access.setup import build_door, opened_door
from casevault.cli._session import (
    DEFAULT_SESSION_FILE,
    JustificationOption,
    OperatorPurposeOption,
    SessionFileOption,
    operator,
    stated_justification,
)
from casevault.cli.access import access_app
from casevault.cli.audit import audit_app
from casevault.cli.breach import breach_app, hearing_app
from casevault.cli.erasure import backup, erase, keys_app, restore, retention_app
from casevault.cli.share import share_app, stats_app
from casevault.cli.shield import publish, scan, shield_app
from casevault.cli.watch import watch_app, workday
from casevault.domain import Purpose
from casevault.errors import CasevaultError, InputError, InterchangeProblems
from casevault.logs import configure as configure_logs
from casevault.settings import load_settings
from casevault.store import database_url, make_engine, require_current_schema, upgrade_schema
from casevault.store.eoir import import_eoir_foia
from casevault.store.interchange import Format, import_folder
from casevault.synth import write_court
from casevault.synth.accounts import DemoLogin, create_demo_accounts, demo_password

app = typer.Typer(
    name="casevault",
    help="Immigration case records that cannot be quietly abused.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(audit_app, name="audit")
app.add_typer(access_app, name="access")
app.add_typer(shield_app, name="shield")
app.add_typer(breach_app, name="breach")
app.add_typer(hearing_app, name="hearing")
app.add_typer(share_app, name="share")
app.add_typer(stats_app, name="stats")
app.add_typer(watch_app, name="watch")
app.command("scan")(scan)
app.command("publish")(publish)
app.command("erase")(erase)
app.command("backup")(backup)
app.command("restore")(restore)
app.add_typer(retention_app, name="retention")
app.add_typer(keys_app, name="keys")
console = Console()
errors = Console(stderr=True)

DEMO_FOLDER: Final = Path("var/demo")
ERROR_EXIT: Final = 2

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $CASEVAULT_DB_URL or sqlite:///casevault.db)."),
]
FormatOption = Annotated[str, typer.Option("--format", help="csv or parquet.")]


@contextmanager
def _reported_errors() -> Iterator[None]:
    try:
        yield
    except InterchangeProblems as exc:
        for problem in exc.problems:
            errors.print(f"[red]error:[/red] {problem}", markup=True, highlight=False)
        if exc.truncated:
            errors.print("[red]error:[/red] more problems were not listed", markup=True)
        errors.print("nothing was imported; the database is unchanged", highlight=False)
        raise typer.Exit(ERROR_EXIT) from None
    except CasevaultError as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None


@contextmanager
def _engine(db: str | None) -> Iterator[Engine]:
    """An engine for one command; its pooled connections are closed when the command ends."""
    engine = make_engine(db)
    try:
        yield engine
    finally:
        engine.dispose()


class _FileProgress:
    """A Rich bar per file for long imports and exports."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, name: str, done: int, expected: int | None = None) -> None:
        task = self._tasks.get(name)
        if task is None:
            task = self._tasks[name] = self._progress.add_task(name, total=expected)
        self._progress.update(task, completed=done)


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _print_counts(title: str, counts: dict[str, int]) -> None:
    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    table.add_row("[b]total[/b]", f"[b]{sum(counts.values()):,}[/b]")
    console.print(table)


@app.command()
def version() -> None:
    """Print the casevault version."""
    console.print(__version__)


@app.command()
def init(db: DbOption = None) -> None:
    """Create the database schema, or upgrade it to this release."""
    with _reported_errors():
        with _engine(db) as engine:
            revision = upgrade_schema(engine)
        console.print(f"database ready at schema revision {revision}: {_display_url(db)}")


def _display_url(db: str | None) -> str:
    return make_url(database_url(db)).render_as_string(hide_password=True)


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Empty or new folder to write the court into.")],
    people: Annotated[int, typer.Option(min=1, max=5_000_000, help="Number of respondents.")]
    = 10_000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed writes the same files.")] = 1,
    fmt: FormatOption = "csv",
    workdays: Annotated[int | None, typer.Option(
        "--workdays", min=1, max=120,
        help="Also simulate the staff at work for this many days, with labelled misuse: "
             "OUT/court, OUT/events.jsonl, OUT/labels.jsonl (what `watch evaluate` scores)."),
    ] = None,
) -> None:
    """Write a synthetic court system as an interchange folder (and, with --workdays, its work)."""
    if workdays is not None:
        if people < WORKDAY_MIN_PEOPLE:
            errors.print(f"[red]error:[/red] a simulated workday needs --people "
                         f"{WORKDAY_MIN_PEOPLE} or more", markup=True)
            raise typer.Exit(ERROR_EXIT)
        workday(out, people=people, days=workdays, seed=seed)
        return
    with _reported_errors():
        counts = _write_synthetic(out, people, seed, _format(fmt))
    _print_counts(f"synthetic court in {out}", counts)


WORKDAY_MIN_PEOPLE: Final = 100
"""The simulator needs a court big enough to staff every role."""


def _format(fmt: str) -> Format:
    if fmt == "csv":
        return "csv"
    if fmt == "parquet":
        return "parquet"
    errors.print(f"[red]error:[/red] unknown format {fmt!r}: use csv or parquet", markup=True)
    raise typer.Exit(ERROR_EXIT)


def _write_synthetic(out: Path, people: int, seed: int, fmt: Format) -> dict[str, int]:
    with _progress_bar() as progress:
        task = progress.add_task("people", total=people)

        def advance(done: int) -> None:
            progress.update(task, completed=done)

        counts = write_court(out, people=people, seed=seed, fmt=fmt, progress=advance)
        progress.update(task, completed=people)
    return counts


@app.command("import")
def import_(
    folder: Annotated[Path, typer.Argument(help="Interchange folder (or EOIR release folder).")],
    eoir_foia: Annotated[bool, typer.Option(
        "--eoir-foia", help="FOLDER is an EOIR public case-data release (tab-delimited).")] = False,
    db: DbOption = None,
) -> None:
    """Load an interchange folder; all of it or, on any problem, none of it."""
    with _reported_errors(), _engine(db) as engine:
        require_current_schema(engine)
        started = time.perf_counter()
        load = _import_eoir if eoir_foia else _import_interchange
        lines = load(engine, folder)
        elapsed = time.perf_counter() - started
    for line in lines:
        console.print(line, highlight=False)
    console.print(f"imported in {elapsed:.1f} s")


def _import_interchange(engine: Engine, folder: Path) -> list[str]:
    with _progress_bar() as progress, engine.connect() as connection:
        report = import_folder(connection, folder, progress=_FileProgress(progress))
    return [*report.summary_lines(), f"total: {report.total_rows:,} rows"]


def _import_eoir(engine: Engine, folder: Path) -> list[str]:
    with _progress_bar() as progress, engine.connect() as connection, connection.begin():
        report = import_eoir_foia(connection, folder, progress=_FileProgress(progress))
    return report.summary_lines()


@app.command()
def export(
    folder: Annotated[Path, typer.Argument(help="New or empty folder to write into.")],
    person: Annotated[list[str] | None, typer.Option(
        "--person", help="A person whose whole file to export (repeat for several).")] = None,
    persons_file: Annotated[Path | None, typer.Option(
        "--persons-file", help="A file of person ids, one per line.")] = None,
    purpose: OperatorPurposeOption = Purpose.REPRESENTATION,
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    fmt: FormatOption = "csv",
    db: DbOption = None,
) -> None:
    """Export persons' whole files as an interchange folder, through the guard.

    Run signed in (`casevault access login`); each person needs an export decision
    covering every category (an attorney of record for their clients, for
    example), or nothing is written. Every exported person is ledgered.
    """
    with (_reported_errors(), _progress_bar() as progress):
        scope = [*(person or []), *_ids_in(persons_file)]
        with operator(db, session_file) as (door, who):
            counts = door.guard.export_persons(
                who, scope, folder, purpose=purpose,
                justification=stated_justification(justification), fmt=_format(fmt),
                progress=_FileProgress(progress))
    _print_counts(f"exported to {folder}", counts)


def _ids_in(path: Path | None) -> list[str]:
    if path is None:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        msg = f"cannot read the persons file {path}"
        raise InputError(msg) from None
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@app.command()
def demo(
    people: Annotated[int, typer.Option(min=1, help="Number of synthetic respondents.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic court.")] = 1,
    folder: Annotated[Path, typer.Option(help="Working folder (recreated).")] = DEMO_FOLDER,
    serve_after: Annotated[bool, typer.Option(
        "--serve/--no-serve", help="Start the server on the demo database afterwards.")] = True,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8000,
) -> None:
    """init + synth + import into a fresh SQLite database, then print what was loaded."""
    with _reported_errors():
        _reset_folder(folder)
        url = f"sqlite:///{(folder / 'casevault-demo.db').resolve()}"
        with _engine(url) as engine:
            revision = upgrade_schema(engine)
            console.print(f"fresh database {url} at schema revision {revision}")
            court = folder / "court"
            _write_synthetic(court, people, seed, "csv")
            started = time.perf_counter()
            lines = _import_interchange(engine, court)
            elapsed = time.perf_counter() - started
            password = demo_password()
            door = build_door(engine, load_settings())
            try:
                logins = create_demo_accounts(engine, door.accounts, password)
            finally:
                door.ledger.close()
    for line in lines:
        console.print(line, highlight=False)
    console.print(f"[b]demo ready[/b]: {people:,} synthetic people imported in {elapsed:.1f} s "
                  f"into {url}", highlight=False)
    _print_demo_logins(url, password, logins)
    if serve_after:
        _serve(url, "127.0.0.1", port)


def _print_demo_logins(url: str, password: str, logins: list[DemoLogin]) -> None:
    """The demo's accounts: ids, roles and TOTP secrets, and how to sign in with them."""
    table = Table(title=f"demo logins (password for all: {password})")
    for column in ("user", "role", "TOTP secret (add to an authenticator app)"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.user_id, login.role.value, login.totp_secret)
    console.print(table)
    console.print(
        f"sign in:  export CASEVAULT_DB_URL={url}\n"
        "          casevault access login USER   (asks for the password and the current code;\n"
        "          a code from a secret: python -c \"import pyotp; "
        "print(pyotp.TOTP('SECRET').now())\")\n"
        "then, for example:  casevault audit report --person P0000001 "
        "--justification 'Demo review INC-1' --out report.json   (as the privacy officer)",
        highlight=False, markup=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) on the configured database."""
    with _reported_errors():
        _serve(db, host, port)


def _serve(db: str | None, host: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415 -- only the serving commands need the server

    from casevault.api.app import create_app  # noqa: PLC0415 -- ditto

    settings = load_settings()
    configure_logs(level=logging.INFO, file=settings.log_file)
    with opened_door(settings, db) as door:
        console.print(f"serving the console at http://{host}:{port}/console and the API "
                      f"(docs: http://{host}:{port}/docs); Ctrl-C stops", highlight=False)
        uvicorn.run(create_app(door), host=host, port=port, log_level="warning")


def _reset_folder(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def main() -> None:
    configure_logs(level=logging.WARNING, file=load_settings().log_file)
    app()
