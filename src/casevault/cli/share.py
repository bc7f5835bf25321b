"""``casevault share agreement ...`` and ``casevault stats ...``: outside access without records.

Every command runs as the signed-in user (``casevault access login``): data
owners propose, approve and end agreements and record consents; analysts and
outside parties ask statistics, which the guard's sharing gate admits against
their agreement and budget before anything is computed. Output is ids and
aggregates only.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table

from casevault.access.agreements import Agreements, AgreementTerms, DisclosureKind
from casevault.cli._session import DEFAULT_SESSION_FILE, SessionFileOption, operator
from casevault.domain import DataCategory, Purpose, Role
from casevault.errors import CasevaultError, InvalidValue
from casevault.settings import load_settings
from casevault.share.extracts import ExtractService, verify_manifest
from casevault.share.revocation import Revocations
from casevault.share.stats import Measure, StatisticsService, StatsQuery
from casevault.shield.setup import scanner

share_app = typer.Typer(help="Data-sharing agreements and consents.", no_args_is_help=True)
agreement_app = typer.Typer(help="Propose, approve, end and list agreements.",
                            no_args_is_help=True)
share_app.add_typer(agreement_app, name="agreement")
stats_app = typer.Typer(help="Differentially private statistics.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
ERROR_EXIT: Final = 2
WORK_DIR: Final = Path("var/share")

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL.")]


DATA_OWNER_ROLES: Final = frozenset({Role.COURT_ADMIN, Role.PRIVACY_OFFICER})


def _refused(exc: CasevaultError) -> typer.Exit:
    errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
    return typer.Exit(ERROR_EXIT)


def _list(value: str, kind: type[DataCategory] | type[Purpose] | type[DisclosureKind],
          name: str) -> frozenset[str]:
    try:
        return frozenset(kind(part.strip()).value for part in value.split(",") if part.strip())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        msg = f"{name}: use comma-separated values from {allowed}"
        raise InvalidValue(msg) from None


@agreement_app.command("propose")
def propose(
    recipient: Annotated[str, typer.Argument(help="The recipient's user id.")],
    legal_basis: Annotated[str, typer.Option("--legal-basis", help="Statute, agreement or order.")],
    purposes: Annotated[str, typer.Option("--purposes", help="e.g. statistics")],
    categories: Annotated[str, typer.Option("--categories", help="e.g. case,identity")],
    kinds: Annotated[str, typer.Option("--kinds", help="statistics,extract,records")],
    starts_on: Annotated[str, typer.Option("--starts-on", help="YYYY-MM-DD")],
    expires_on: Annotated[str, typer.Option("--expires-on", help="YYYY-MM-DD")],
    max_rows: Annotated[int, typer.Option("--max-rows")] = 10_000,
    max_disclosures: Annotated[int, typer.Option("--max-disclosures")] = 10,
    period_days: Annotated[int, typer.Option("--period-days")] = 30,
    epsilon_budget: Annotated[float, typer.Option("--epsilon-budget")] = 5.0,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Propose an agreement (another data owner must approve it)."""
    try:
        terms = AgreementTerms(
            recipient_user_id=recipient, legal_basis=legal_basis,
            purposes=frozenset(Purpose(p) for p in _list(purposes, Purpose, "--purposes")),
            categories=frozenset(DataCategory(c) for c in _list(categories, DataCategory,
                                                                 "--categories")),
            kinds=frozenset(DisclosureKind(k) for k in _list(kinds, DisclosureKind, "--kinds")),
            starts_on=_date(starts_on, "--starts-on"),
            expires_on=_date(expires_on, "--expires-on"), max_rows=max_rows,
            max_disclosures=max_disclosures, period_days=period_days,
            epsilon_budget=epsilon_budget)
        with operator(db, session_file) as (door, who):
            agreement_id = Agreements(door.engine, door.ledger).propose(terms, by=who.user_id)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"agreement {agreement_id} proposed; another data owner must approve it "
                  f"(casevault share agreement approve {agreement_id})", highlight=False)


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        msg = f"{name}: write the date as YYYY-MM-DD"
        raise InvalidValue(msg) from None


@agreement_app.command("approve")
def approve(agreement_id: Annotated[str, typer.Argument()],
            session_file: SessionFileOption = DEFAULT_SESSION_FILE, db: DbOption = None) -> None:
    """Approve a proposed agreement (not the data owner who proposed it)."""
    try:
        with operator(db, session_file) as (door, who):
            Agreements(door.engine, door.ledger).approve(agreement_id, by=who.user_id)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"agreement {agreement_id} approved", highlight=False)


@agreement_app.command("end")
def end(agreement_id: Annotated[str, typer.Argument()],
        reason: Annotated[str, typer.Option("--reason")] = "ended",
        session_file: SessionFileOption = DEFAULT_SESSION_FILE, db: DbOption = None) -> None:
    """End an agreement now: nothing more is disclosed under it."""
    try:
        with operator(db, session_file) as (door, who):
            Agreements(door.engine, door.ledger).end(agreement_id, by=who.user_id,
                                                     reason=reason)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"agreement {agreement_id} ended", highlight=False)


@agreement_app.command("list")
def list_agreements(session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                    db: DbOption = None) -> None:
    """Agreements with their recipient, limits and status (ids only).

    Data owners see every agreement; anyone else sees those naming them as recipient.
    """
    try:
        with operator(db, session_file) as (door, who):
            agreements = Agreements(door.engine, door.ledger)
            owner = who.principal.role in DATA_OWNER_ROLES and not who.principal.outside_party
            found = agreements.all() if owner else agreements.of_recipient(who.user_id)
    except CasevaultError as exc:
        raise _refused(exc) from None
    today = datetime.now(UTC).date()
    for a in found:
        console.print(
            f"{a.agreement_id} recipient={a.recipient_user_id} status={a.status(today)} "
            f"purposes={','.join(sorted(a.purposes))} "
            f"categories={','.join(sorted(a.categories))} kinds={','.join(sorted(a.kinds))} "
            f"max_rows={a.max_rows} frequency={a.max_disclosures}/{a.period_days}d "
            f"epsilon={a.epsilon_budget:g} expires={a.expires_on.isoformat()}",
            highlight=False, soft_wrap=True)
    if not found:
        console.print("no agreement", highlight=False)


@share_app.command("consent")
def consent(
    person_id: Annotated[str, typer.Argument(help="The person who signed the consent.")],
    recipient: Annotated[str, typer.Option("--recipient", help="The recipient's user id.")],
    signed_on: Annotated[str, typer.Option("--signed-on", help="YYYY-MM-DD")],
    evidence: Annotated[str | None, typer.Option("--evidence", help="Document id.")] = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Record a person's written consent to disclose their asylum data to one recipient."""
    try:
        with operator(db, session_file) as (door, who):
            consent_id = Agreements(door.engine, door.ledger).record_consent(
                person_id, recipient_user_id=recipient, signed_on=_date(signed_on, "--signed-on"),
                by=who.user_id, evidence_document_id=evidence)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"consent {consent_id} recorded", highlight=False)


@share_app.command("extract")
def extract(
    agreement: Annotated[str, typer.Option("--agreement", help="Your agreement's id.")],
    out: Annotated[Path, typer.Option("--out", help="A new folder for the extract.")],
    k: Annotated[int, typer.Option("--k", help="Smallest group size released.")] = 10,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Release a k-anonymous extract under your agreement (leak-scanned, with a signed manifest)."""
    try:
        with operator(db, session_file) as (door, who):
            shield = scanner(door.engine, load_settings())
            release = ExtractService(door.engine, door.guard.sharing, door.ledger.signer).release(
                who, agreement, out, scanner=shield, k=k)
    except CasevaultError as exc:
        raise _refused(exc) from None
    table = release.manifest["tables"]["cases"]
    console.print(f"extract {release.extract_id}: {table['rows']} rows, "
                  f"{table['suppressed_rows']} suppressed, achieved k "
                  f"{release.manifest['achieved_k']}, information loss "
                  f"{release.manifest['information_loss']:.3f}; manifest {release.manifest_path}",
                  highlight=False)


@share_app.command("verify-extract")
def verify_extract(
    folder: Annotated[Path, typer.Argument(help="The extract's folder (with MANIFEST.note).")],
    vkey: Annotated[str, typer.Option("--vkey", help="The court's published verifier key.")],
) -> None:
    """Check an extract's signed manifest and every file's hash (for its recipient; offline)."""
    try:
        manifest = verify_manifest(folder, vkey)
    except (CasevaultError, OSError) as exc:
        message = exc if isinstance(exc, CasevaultError) else InvalidValue(
            f"cannot read the extract in {folder}")
        raise _refused(message) from None
    for name, table in manifest["tables"].items():
        console.print(f"{name}: {table['rows']} rows, {table['suppressed_rows']} suppressed, "
                      f"sha256 {table['sha256']} ok", highlight=False)
    console.print(f"extract {manifest['extract_id']}: signature ok; achieved k "
                  f"{manifest['achieved_k']}, information loss {manifest['information_loss']}",
                  highlight=False)


@share_app.command("revoke")
def revoke(
    user: Annotated[str, typer.Argument(help="The outside party's user id.")],
    reason: Annotated[str, typer.Option("--reason", help="A short code, e.g. court_order.")],
    inventory_out: Annotated[Path, typer.Option(
        "--inventory-out", help="Where to write the inventory (JSON, owner-only).")],
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Revoke an outside party now: sessions and agreements end; inventory what it received."""
    try:
        with operator(db, session_file) as (door, who):
            result = Revocations(door.engine, door.ledger, door.accounts).revoke(
                user, by=who.user_id, reason=reason)
    except CasevaultError as exc:
        raise _refused(exc) from None
    write_private_json(inventory_out, result.inventory_document())
    console.print(f"revocation {result.revocation_id}: {result.sessions_ended} sessions and "
                  f"{len(result.agreements_ended)} agreements ended; {len(result.inventory)} "
                  f"items received, inventory {inventory_out} (sha256 "
                  f"{result.inventory_sha256})", highlight=False)


@share_app.command("certify")
def certify(
    revocation_id: Annotated[str, typer.Argument()],
    certificate: Annotated[Path, typer.Option("--certificate",
                                              help="The party's signed deletion certificate.")],
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Record the party's deletion certificate (by its hash); another data owner accepts it."""
    try:
        digest = hashlib.sha256(certificate.read_bytes()).hexdigest()
    except OSError:
        raise _refused(InvalidValue(f"cannot read {certificate}")) from None
    try:
        with operator(db, session_file) as (door, who):
            Revocations(door.engine, door.ledger, door.accounts).certify(
                revocation_id, by=who.user_id, certificate_sha256=digest)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"revocation {revocation_id}: certificate {digest} recorded", highlight=False)


@share_app.command("accept")
def accept(revocation_id: Annotated[str, typer.Argument()],
           session_file: SessionFileOption = DEFAULT_SESSION_FILE, db: DbOption = None) -> None:
    """Accept a recorded deletion certificate: the disgorgement is closed."""
    try:
        with operator(db, session_file) as (door, who):
            Revocations(door.engine, door.ledger, door.accounts).accept(revocation_id,
                                                                        by=who.user_id)
    except CasevaultError as exc:
        raise _refused(exc) from None
    console.print(f"revocation {revocation_id}: closed", highlight=False)


def write_private_json(path: Path, document: object) -> None:
    """Write JSON readable by its owner only (an inventory names persons by id)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)


@stats_app.command("ask")
def ask(
    measure: Annotated[Measure, typer.Argument(help="count, sum, mean or quantile (of waits).")],
    by: Annotated[str, typer.Option("--by", help="e.g. court_code,month")] = "court_code",
    first_month: Annotated[str | None, typer.Option(
        "--from", help="YYYY-MM (default: twelve months before --to)")] = None,
    last_month: Annotated[str | None, typer.Option(
        "--to", help="YYYY-MM (default: last month)")] = None,
    epsilon: Annotated[float, typer.Option("--epsilon")] = 0.5,
    quantile: Annotated[float, typer.Option("--quantile")] = 0.5,
    agreement: Annotated[str | None, typer.Option("--agreement")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Ask one differentially private statistic; spends epsilon from your budget(s)."""
    try:
        first, last = _months(first_month, last_month)
        query = StatsQuery(measure, tuple(c.strip() for c in by.split(",") if c.strip()),
                           epsilon, first, last, quantile=quantile)
        with operator(db, session_file) as (door, who):
            answer = StatisticsService(door.engine, door.guard.sharing, WORK_DIR).ask(
                who, query, purpose=Purpose.STATISTICS, agreement_id=agreement)
    except CasevaultError as exc:
        raise _refused(exc) from None
    if as_json:
        console.print_json(json.dumps(answer.as_dict()))
        return
    table = Table(*query.by, "value", f"{answer.confidence:.0%} low", "high")
    for cell in answer.cells:
        table.add_row(*cell.keys.values(), f"{cell.value:.1f}", f"{cell.low:.1f}",
                      f"{cell.high:.1f}")
    console.print(table)
    console.print(f"noise: {answer.distribution}, scale "
                  + ", ".join(f"{k} {v:g}" for k, v in answer.noise_scales.items())
                  + f"; epsilon {query.epsilon:g} spent; ledger event {answer.event_id}",
                  highlight=False)


def _months(first: str | None, last: str | None) -> tuple[str, str]:
    """The query's months: as given, or the twelve full months before this one."""
    today = datetime.now(UTC).date()
    previous = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    last = last or previous.isoformat()[:7]
    if first is None:
        try:
            year, month = int(last[:4]), int(last[5:7])
        except ValueError:
            return last, last  # StatsQuery names the problem
        first = f"{year - 1 + (month == 12):04d}-{month % 12 + 1:02d}"
    return first, last


@stats_app.command("budget")
def budget(agreement: Annotated[str | None, typer.Option("--agreement")] = None,
           session_file: SessionFileOption = DEFAULT_SESSION_FILE, db: DbOption = None) -> None:
    """Your privacy-loss budget (and your agreement's): total, spent, remaining."""
    try:
        with operator(db, session_file) as (door, who):
            found = door.guard.sharing.budgets(who.user_id, agreement)
    except CasevaultError as exc:
        raise _refused(exc) from None
    for b in found:
        console.print(f"{b.scope} {b.scope_id}: epsilon {b.total:g} total, {b.spent:g} spent, "
                      f"{b.remaining:g} left", highlight=False)


__all__ = ["share_app", "stats_app"]
