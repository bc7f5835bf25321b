"""De-identified extracts: k-anonymous tables with a signed release manifest (issue 9, item 3).

An extract is one row per case with **no direct identifier** (the columns are a
fixed allow-list: no id, name, A-number, address, contact, exact date) and with
its quasi-identifiers generalised until every combination of them is shared by
at least ``k`` rows: places are states, dates are months then years, birth
years are bands, then nationality, sex and custody are dropped to ``*`` if need
be; rows still in smaller groups are suppressed. The achieved k (recomputed on
the released rows) and the information loss are reported.

Asylum (8 CFR 208.6): the case type and decision reveal protection claims.
Without ``asylum`` in the agreement the case type is released only as a
``case_group`` that puts protection cases with removal cases and no decision
is released; with it, the exact values appear only on rows of persons whose
written consent to this recipient is recorded (others are grouped the same
way), and each such person's accounting of disclosures names the release.

Before anything leaves, every file is run through the leak shield (a scanner
injected by the caller: ``share`` does not import ``shield``); a blocking
verdict stops the release, deletes the files and is ledgered. The manifest
(row counts per table, suppressed rows, parameters, file hashes, achieved k,
information loss) is a C2SP signed note under the ledger's Ed25519 key, so a
recipient holding the verifier key can tell what was withheld and that nothing
was changed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol

import polars as pl
from sqlalchemy import Engine

from casevault.access.agreements import (
    DisclosureKind,
    DisclosureRequest,
    SharingGate,
    consenting_persons,
    get_agreement,
)
from casevault.access.identity import SessionContext
from casevault.audit.checkpoint import Signer, Verifier, open_note, sign_note
from casevault.domain import DataCategory, Purpose
from casevault.domain.categories import PROTECTION_CASE_TYPES
from casevault.errors import DisclosureRefused, InvalidValue
from casevault.share._dataset import build_cases_frame

MANIFEST_VERSION: Final = "cv-extract-manifest/1"
DEFAULT_K: Final = 10
MAX_SUPPRESSION: Final = 0.05
"""Generalise further while more than this share of rows would be suppressed."""
QUASI_IDENTIFIERS: Final = ("state", "period", "birth_band", "nationality", "sex", "custody")
DIRECT_IDENTIFIERS: Final = frozenset({
    "person_id", "case_id", "a_number", "family_name", "given_name", "other_names",
    "date_of_birth", "address", "city", "postal_code", "phone", "email", "court_code",
    "opened_on", "closed_on", "facility_code"})
"""Never in an extract (tests check the released columns against this list)."""
GROUPED_CASE_TYPE: Final = "removal_or_protection"

_STEPS: Final = (
    ("period", "year"), ("birth_band", "10y"), ("birth_band", "20y"), ("nationality", "*"),
    ("sex", "*"), ("custody", "*"), ("birth_band", "*"), ("period", "*"),
)
"""The generalisation path, tried in order until suppression falls under ``MAX_SUPPRESSION``."""
_LEVELS: Final = {"period": ("month", "year", "*"), "birth_band": ("5y", "10y", "20y", "*"),
                  "nationality": ("code", "*"), "sex": ("code", "*"), "custody": ("code", "*"),
                  "state": ("state",)}


class ScanVerdict(Protocol):
    @property
    def verdict(self) -> str: ...


class ExtractScanner(Protocol):
    """The leak shield as ``share`` sees it (``casevault.shield.scan.Scanner`` fits)."""

    def scan(self, path: Path) -> ScanVerdict: ...


@dataclass(frozen=True, slots=True)
class Anonymised:
    """A k-anonymous table before release, and what it cost."""

    frame: pl.DataFrame
    k: int
    achieved_k: int
    suppressed_rows: int
    levels: dict[str, str]
    information_loss: float
    asylum_persons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Release:
    extract_id: str
    folder: Path
    manifest_path: Path
    manifest: dict[str, Any]
    event_id: str


def _band(year: pl.Expr, width: int) -> pl.Expr:
    start = (year // width) * width
    return pl.when(year.is_null()).then(pl.lit("unknown")).otherwise(
        start.cast(pl.String) + "-" + (start + width - 1).cast(pl.String))


def _generalised(base: pl.DataFrame, levels: dict[str, str]) -> pl.DataFrame:
    period = {"month": pl.col("month"), "year": pl.col("year").cast(pl.String),
              "*": pl.lit("*")}[levels["period"]]
    birth = {"5y": _band(pl.col("birth_year"), 5), "10y": _band(pl.col("birth_year"), 10),
             "20y": _band(pl.col("birth_year"), 20), "*": pl.lit("*")}[levels["birth_band"]]

    def kept(column: str) -> pl.Expr:
        return pl.col(column) if levels[column] == "code" else pl.lit("*")

    return base.with_columns(period.alias("period"), birth.alias("birth_band"),
                             kept("nationality").alias("nationality"), kept("sex").alias("sex"),
                             kept("custody").alias("custody"))


def _class_sizes(frame: pl.DataFrame) -> pl.Series:
    return frame.select(pl.len().over(QUASI_IDENTIFIERS).alias("n"))["n"]


def _loss(levels: dict[str, str], suppressed: int, rows: int) -> float:
    """Mean normalised generalisation height of the QIs, with suppressed rows counted as lost."""
    heights = [(_LEVELS[c].index(levels[c]) / max(1, len(_LEVELS[c]) - 1)) if c in levels else 0.0
               for c in QUASI_IDENTIFIERS]
    kept = rows - suppressed
    generalisation = sum(heights) / len(heights)
    return ((kept * generalisation) + suppressed) / rows if rows else 0.0


def anonymise(cases: pl.DataFrame, *, k: int = DEFAULT_K, asylum_allowed: bool,
              consenting: frozenset[str] = frozenset()) -> Anonymised:
    """Generalise and suppress ``cases`` (from ``build_cases_frame``) to k-anonymity."""
    if not 2 <= k <= 1000:
        msg = "k is between 2 and 1000"
        raise InvalidValue(msg)
    revealed = pl.col("person_id").is_in(sorted(consenting)) if asylum_allowed else pl.lit(False)
    protection = sorted(t.value for t in PROTECTION_CASE_TYPES)
    grouped_type = (pl.when(pl.col("case_type").is_in([*protection, "removal"]))
                    .then(pl.lit(GROUPED_CASE_TYPE)).otherwise(pl.col("case_type")))
    base = cases.with_columns(
        pl.when(revealed).then(pl.col("case_type")).otherwise(grouped_type).alias("case_group"),
        pl.when(revealed).then(pl.col("decision")).otherwise(pl.lit("*")).alias("decision"),
        pl.when(pl.col("wait_days") <= 90).then(pl.lit("0-90"))
        .when(pl.col("wait_days") <= 365).then(pl.lit("91-365"))
        .when(pl.col("wait_days") <= 730).then(pl.lit("366-730"))
        .otherwise(pl.lit("731+")).alias("wait_band"),
        revealed.alias("_revealed"))
    levels = {"period": "month", "birth_band": "5y", "nationality": "code", "sex": "code",
              "custody": "code", "state": "state"}
    rows = base.height
    frame = _generalised(base, levels)
    for column, level in _STEPS:
        suppressed = int((_class_sizes(frame) < k).sum()) if rows else 0
        if suppressed <= MAX_SUPPRESSION * rows:
            break
        levels[column] = level
        frame = _generalised(base, levels)
    kept = frame.filter(_class_sizes(frame) >= k) if rows else frame
    asylum_persons = tuple(sorted(set(kept.filter(pl.col("_revealed"))["person_id"].to_list())))
    columns = [*QUASI_IDENTIFIERS, "case_group", "status", "decision", "wait_band"]
    released = kept.select(columns).sort(columns)
    achieved = int(_class_sizes(released).to_numpy().min()) if released.height else 0
    suppressed = rows - released.height
    return Anonymised(released, k, achieved, suppressed, dict(levels),
                      _loss(levels, suppressed, rows), asylum_persons)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest_note(manifest: dict[str, Any], signer: Signer) -> str:
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"
    return sign_note(text, [signer])


class ExtractService:
    """Build, check, sign and release extracts through the guard's sharing gate."""

    def __init__(self, engine: Engine, gate: SharingGate, signer: Signer) -> None:
        self._engine = engine
        self._gate = gate
        self._signer = signer

    def release(self, who: SessionContext, agreement_id: str, out: Path, *, scanner: ExtractScanner,
                purpose: Purpose = Purpose.STATISTICS, k: int = DEFAULT_K) -> Release:
        """Everything or nothing: admitted, anonymised, scanned, signed, ledgered, then handed over.

        ``out`` must not exist yet; on any refusal it is left absent.
        """
        if out.exists():
            msg = f"{out} already exists: name a new folder for the extract"
            raise InvalidValue(msg)
        now = self._gate.clock()
        with self._engine.connect() as connection:
            agreement = get_agreement(connection, agreement_id)
            consenting = consenting_persons(connection, agreement.recipient_user_id)
        asylum_allowed = DataCategory.ASYLUM in agreement.categories
        made = anonymise(build_cases_frame(self._engine, today=now.date()), k=k,
                         asylum_allowed=asylum_allowed, consenting=consenting)
        categories = {DataCategory.CASE, DataCategory.IDENTITY}
        if made.asylum_persons:
            categories.add(DataCategory.ASYLUM)
        request = DisclosureRequest(kind=DisclosureKind.EXTRACT, purpose=purpose,
                                    categories=frozenset(categories), rows=made.frame.height,
                                    agreement_id=agreement_id, person_ids=made.asylum_persons)
        admission = self._gate.admit(who, request)
        extract_id = f"EX-{secrets.token_hex(8)}"
        try:
            files = self._write_and_scan(made, out, scanner)
        except DisclosureRefused:
            self._gate.cancel(admission)
            self._gate.refuse(who, request, admission.recipient_user_id, "leak_scan")
        except BaseException:
            self._gate.cancel(admission)  # nothing left: the booking goes too
            raise
        manifest = self._manifest(extract_id, admission.recipient_user_id, agreement_id, made,
                                  files, now)
        manifest_path = out / "MANIFEST.note"
        manifest_path.write_text(_manifest_note(manifest, self._signer), encoding="utf-8")
        event = self._gate.record(
            admission, rows=made.frame.height,
            detail={"extract_id": extract_id, "manifest_sha256": _sha256(manifest_path),
                    "k": str(made.achieved_k), "suppressed": str(made.suppressed_rows)},
            per_person=[(p, None) for p in made.asylum_persons])
        return Release(extract_id, out, manifest_path, manifest, event.event_id)

    @staticmethod
    def _write_and_scan(made: Anonymised, out: Path,
                        scanner: ExtractScanner) -> dict[str, Path]:
        out.mkdir(parents=True, mode=0o700)
        files = {"cases": out / "cases.csv"}
        made.frame.write_csv(files["cases"])
        for path in files.values():
            if scanner.scan(path).verdict != "pass":
                shutil.rmtree(out)
                msg = ("The leak shield blocked this extract, so nothing was released. "
                       "Ask for a larger k or fewer columns, or ask a privacy officer.")
                raise DisclosureRefused(msg, policy_ids=("agreement:leak_scan",))
        return files

    def _manifest(self, extract_id: str, recipient: str, agreement_id: str, made: Anonymised,
                  files: dict[str, Path], now: datetime) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION, "extract_id": extract_id, "agreement_id": agreement_id,
            "recipient_user_id": recipient, "created_at": now.isoformat(),
            "parameters": {"k": made.k, "max_suppression": MAX_SUPPRESSION,
                           "quasi_identifiers": list(QUASI_IDENTIFIERS),
                           "generalisation": made.levels},
            "achieved_k": made.achieved_k,
            "information_loss": round(made.information_loss, 6),
            "tables": {name: {"file": path.name, "rows": made.frame.height,
                              "suppressed_rows": made.suppressed_rows,
                              "columns": made.frame.columns, "sha256": _sha256(path)}
                       for name, path in files.items()},
            "asylum_rows_with_consent": len(made.asylum_persons),
            "leak_scan": "pass",
            "verifier_key": self._signer.verifier_key(),
        }


def verify_manifest(folder: Path, verifier_key: str) -> dict[str, Any]:
    """Check the manifest's signature and every file's hash; returns the manifest."""
    text = open_note((folder / "MANIFEST.note").read_text(encoding="utf-8"),
                     Verifier.from_vkey(verifier_key))
    manifest: dict[str, Any] = json.loads(text)
    for table in manifest["tables"].values():
        if _sha256(folder / table["file"]) != table["sha256"]:
            msg = f"{table['file']} does not match the signed manifest: do not use it"
            raise InvalidValue(msg)
    return manifest


__all__ = ["DEFAULT_K", "DIRECT_IDENTIFIERS", "MANIFEST_VERSION", "QUASI_IDENTIFIERS",
           "Anonymised", "ExtractScanner", "ExtractService", "Release", "ScanVerdict",
           "anonymise", "verify_manifest"]

