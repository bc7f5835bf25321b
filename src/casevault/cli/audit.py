"""``casevault audit ...``: checkpoints, verification, subject reports, accounting, SIEM export.

Exit status: 0 when all is well, 1 when verification finds tampering (naming the
first bad index), 2 for any other error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from casevault.audit.checkpoint import Verifier
from casevault.audit.ledger import Ledger
from casevault.audit.report import render_report_text, verify_report
from casevault.audit.setup import ledger_signer, open_ledger
from casevault.audit.verify import VerifyResult, verify_extends, verify_ledger
from casevault.cli._session import (
    DEFAULT_SESSION_FILE,
    JustificationOption,
    OperatorPurposeOption,
    SessionFileOption,
    operator,
    stated_justification,
)
from casevault.domain import Purpose
from casevault.errors import CasevaultError, InputError, LedgerTampered, ProofInvalid
from casevault.settings import Settings, load_settings
from casevault.store import make_engine, require_current_schema


class SiemChoice(StrEnum):
    OCSF = "ocsf"
    CEF = "cef"
    JSONL = "jsonl"


audit_app = typer.Typer(help="The tamper-evident audit ledger.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
TAMPERED_EXIT: Final = 1
ERROR_EXIT: Final = 2

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL.")]
VkeyOption = Annotated[str | None, typer.Option(
    "--vkey", help="The ledger's public key (vkey); default: the configured signing key's.")]


@contextmanager
def _ledger(db: str | None) -> Iterator[tuple[Ledger, Engine, Settings]]:
    settings = load_settings()
    engine = make_engine(db or settings.db_url)
    try:
        require_current_schema(engine)
        ledger = open_ledger(engine, settings)
        try:
            yield ledger, engine, settings
        finally:
            ledger.close()
    finally:
        engine.dispose()


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except LedgerTampered as exc:
        where = "" if exc.first_bad_index is None else f" (first bad index {exc.first_bad_index})"
        errors.print(f"[red]TAMPERED:[/red] {exc}{where}", markup=True, highlight=False)
        raise typer.Exit(TAMPERED_EXIT) from None
    except ProofInvalid as exc:
        errors.print(f"[red]does not verify:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(TAMPERED_EXIT) from None
    except CasevaultError as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None


def _verifier(vkey: str | None, settings: Settings) -> Verifier:
    return Verifier.from_vkey(vkey) if vkey else ledger_signer(settings).verifier()


@audit_app.command()
def checkpoint(
    issue: Annotated[bool, typer.Option("--issue", help="Sign a new checkpoint first.")] = False,
    every: Annotated[bool, typer.Option("--all", help="Print every checkpoint (for witnesses).")]
    = False,
    db: DbOption = None,
) -> None:
    """Print the latest signed checkpoint (C2SP tlog-checkpoint note)."""
    with _reported(), _ledger(db) as (ledger, _engine, _settings):
        if issue:
            ledger.issue_checkpoint()
        notes = [note for _, note in ledger.checkpoints()]
        if not notes:
            raise InputError("no checkpoint yet: run `casevault audit checkpoint --issue`")
        for note in notes if every else notes[-1:]:
            sys.stdout.write(note + ("\n" if every else ""))


@audit_app.command()
def verify(
    from_checkpoint: Annotated[Path | None, typer.Option(
        "--from-checkpoint", help="A checkpoint note you kept: prove the log extends it.")] = None,
    vkey: VkeyOption = None,
    db: DbOption = None,
) -> None:
    """Recompute every leaf, the tree and every checkpoint; exit 1 naming the first bad index."""
    with _reported(), _ledger(db) as (_, engine, settings):
        verifier = _verifier(vkey, settings)
        result: VerifyResult
        if from_checkpoint is not None:
            kept = from_checkpoint.read_text(encoding="utf-8")
            result = verify_extends(engine, kept, verifier)
        else:
            result = verify_ledger(engine, verifier)
    console.print(f"ledger verifies: {result.size:,} events, {result.checkpoints} checkpoints, "
                  f"{result.persons:,} persons' chains, root {result.root.hex()}",
                  highlight=False)
    if from_checkpoint is not None:
        console.print(f"and it extends the checkpoint in {from_checkpoint}", highlight=False)


@audit_app.command()
def report(
    person: Annotated[str, typer.Option("--person", help="Person id.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the report (JSON).")],
    purpose: OperatorPurposeOption = Purpose.COMPLIANCE_AUDIT,
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Subject access report: every access to a person, with proofs that verify offline.

    Run as a signed-in privacy officer (compliance_audit) or the person's attorney
    of record (representation); the guard decides and ledgers the request.
    """
    with _reported(), operator(db, session_file) as (door, who):
        document = door.guard.subject_report(
            who, person, purpose=purpose, justification=stated_justification(justification),
            show_staff_names=load_settings().report_staff_names)
        out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    console.print(f"report on person {person}: {len(document['events'])} events, written to "
                  f"{out}", highlight=False)


@audit_app.command("verify-report")
def verify_report_command(
    file: Annotated[Path, typer.Argument(help="A subject access report (JSON).")],
    vkey: VkeyOption = None,
    show: Annotated[bool, typer.Option("--show", help="Print the report as text.")] = False,
) -> None:
    """Check a subject access report offline, with only the ledger's public key."""
    with _reported():
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(f"{file} is not a readable JSON report") from None
        key = vkey or load_settings_vkey()
        verified = verify_report(document, key)
    console.print(f"report verifies: person {verified.person_id}, {verified.event_count} events, "
                  f"checkpoint size {verified.checkpoint_size} of {verified.checkpoint_origin}",
                  highlight=False)
    if show:
        console.print(render_report_text(document), highlight=False, markup=False)


def load_settings_vkey() -> str:
    return ledger_signer(load_settings()).verifier_key()


@audit_app.command("disclosures")
def disclosures_command(
    person: Annotated[str, typer.Option("--person", help="Person id.")],
    purpose: OperatorPurposeOption = Purpose.COMPLIANCE_AUDIT,
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Accounting of disclosures: each export or sharing of a person's records."""
    with _reported(), operator(db, session_file) as (door, who):
        found = door.guard.disclosures(who, person, purpose=purpose,
                                       justification=stated_justification(justification))
    table = Table(title=f"disclosures of person {person}")
    for column in ("when", "action", "by", "recipient", "purpose", "legal basis"):
        table.add_column(column)
    for event in found:
        table.add_row(event.at.isoformat(timespec="seconds"), event.action.value,
                      event.user_id or "", event.detail.get("recipient", ""),
                      event.purpose or "", event.detail.get("legal_basis", ""))
    console.print(table)


@audit_app.command("export")
def export_command(
    fmt: Annotated[SiemChoice, typer.Option("--format", help="Output format.")] = SiemChoice.JSONL,
    since: Annotated[datetime | None, typer.Option(help="Only events from this time on (UTC).")]
    = None,
    out: Annotated[Path | None, typer.Option("--out", help="File (default: standard output).")]
    = None,
    purpose: OperatorPurposeOption = Purpose.COMPLIANCE_AUDIT,
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Stream ledger events to security tooling (OCSF API Activity, ArcSight CEF, JSON Lines)."""
    with _reported(), operator(db, session_file) as (door, who):
        why = stated_justification(justification)
        if out is None:
            count = door.guard.audit_export(who, fmt.value, sys.stdout, purpose=purpose,
                                            justification=why, since=since)
        else:
            partial = out.with_name(out.name + ".partial")  # no file at all unless permitted
            try:
                with partial.open("w", encoding="utf-8") as handle:
                    count = door.guard.audit_export(who, fmt.value, handle, purpose=purpose,
                                                    justification=why, since=since)
                partial.replace(out)
            finally:
                partial.unlink(missing_ok=True)
    errors.print(f"exported {count:,} events as {fmt.value}", highlight=False)
