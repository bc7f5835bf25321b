"""The publication gate and the watched web root (issue 6, items 7 and 8; invariant 6).

``publish`` copies a file to a public folder only when the scan passes, or when
two different privacy officers approved that exact file (by SHA-256) after it
was blocked. ``watch_once`` looks at a public folder: every new or changed file
is scanned, and one with findings is moved to a quarantine folder outside it,
recorded in the ledger and raised as an alert for privacy officers. ``watch``
repeats that every interval.

Nothing here prints or stores what was found: the ledger gets the file's hash,
its verdict and counts; the alert names the matched persons by id only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, select

from casevault.audit.events import Action, EventDraft, Result
from casevault.audit.ledger import Ledger
from casevault.errors import CasevaultError, InputError
from casevault.shield.scan import Scanner, ScanReport
from casevault.store import tables

REQUIRED_APPROVALS: Final = 2
HASH_CHUNK: Final = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Publication:
    """What ``publish`` did: ``published`` or not, on which grounds."""

    file_sha256: str
    published: bool
    report: ScanReport
    approvals: int
    target: Path | None


def approvals_of(engine: Engine, sha256: str) -> int:
    approvals = tables.publication_approvals
    with engine.connect() as connection:
        return len(connection.execute(select(approvals.c.approved_by).where(
            approvals.c.file_sha256 == sha256)).all())


def publish(path: Path, to: Path, *, scanner: Scanner, engine: Engine, ledger: Ledger,
            user_id: str | None = None) -> Publication:
    """Copy ``path`` into ``to`` if it is clean or released; record the decision either way."""
    if not to.is_dir():
        msg = f"the publication folder {to} does not exist"
        raise InputError(msg)
    sha256 = file_sha256(path)
    report = scanner.scan(path)
    approvals = approvals_of(engine, sha256) if report.verdict == "block" else 0
    allowed = report.verdict == "pass" or approvals >= REQUIRED_APPROVALS
    ledger.append(EventDraft(
        action=Action.PUBLICATION, result=Result.PERMIT if allowed else Result.DENY,
        user_id=user_id, record_count=len(report.persons),
        detail={"step": "publish", "file_sha256": sha256, "verdict": report.verdict,
                "findings": str(report.blocking), "approvals": str(approvals),
                "released": "yes" if allowed and report.verdict == "block" else "no"}))
    target = None
    if allowed:
        target = to / path.name
        partial = to / f".{path.name}.{uuid.uuid4().hex}.partial"
        shutil.copyfile(path, partial)
        partial.replace(target)  # the web server never serves half a file
    return Publication(sha256, allowed, report, approvals, target)


@dataclass(frozen=True, slots=True)
class Quarantined:
    source: Path
    quarantine: Path
    file_sha256: str
    persons: int
    alert_id: str


class WebRootWatcher:
    """Scans what appears in a public folder and moves what leaks out of it."""

    def __init__(self, root: Path, quarantine: Path, *, scanner: Scanner, ledger: Ledger,
                 alerts: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if quarantine.resolve().is_relative_to(root.resolve()):
            msg = "the quarantine folder must be outside the watched web root"
            raise InputError(msg)
        self._root, self._quarantine, self._alerts = root, quarantine, alerts
        self._scanner, self._ledger, self._clock = scanner, ledger, clock
        self._seen: dict[Path, tuple[int, int]] = {}

    def watch_once(self) -> list[Quarantined]:
        """Scan every file that is new or changed since the last look; quarantine leaks."""
        moved = []
        for path in sorted(p for p in self._root.rglob("*") if p.is_file()):
            stat = path.stat()
            signature = (stat.st_size, stat.st_mtime_ns)
            if self._seen.get(path) == signature:
                continue
            self._seen[path] = signature
            found = self._check(path)
            if found is not None:
                moved.append(found)
                self._seen.pop(path, None)
        return moved

    def watch(self, *, interval: float = 1.0, rounds: int | None = None,
              on_quarantine: Callable[[Quarantined], None] | None = None) -> None:
        """Look every ``interval`` seconds (for ``rounds`` looks, or until interrupted)."""
        done = 0
        while rounds is None or done < rounds:
            for found in self.watch_once():
                if on_quarantine is not None:
                    on_quarantine(found)
            done += 1
            if rounds is None or done < rounds:
                time.sleep(interval)

    def _check(self, path: Path) -> Quarantined | None:
        try:
            report = self._scanner.scan(path)
        except CasevaultError:
            report = None  # unreadable in a public folder: quarantined too, unexamined
        if report is not None and report.verdict == "pass":
            return None
        sha256 = file_sha256(path)
        relative = path.relative_to(self._root)
        target = self._quarantine / f"{self._clock():%Y%m%dT%H%M%S}-{sha256[:12]}" / relative
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.move(path, target)
        persons = sorted(report.persons) if report is not None else []
        event = self._ledger.append(EventDraft(
            action=Action.PUBLICATION, result=Result.DENY, record_count=len(persons),
            detail={"step": "quarantine", "file_sha256": sha256,
                    "verdict": report.verdict if report is not None else "unreadable",
                    "findings": str(report.blocking if report is not None else 0)}))
        alert_id = self._alert(sha256, persons, event.event_id)
        return Quarantined(path, target, sha256, len(persons), alert_id)

    def _alert(self, sha256: str, persons: list[str], event_id: str) -> str:
        """An alert in DESIGN.md's format, for privacy officers (ids only)."""
        now = self._clock().isoformat()
        alert = {"alert_id": str(uuid.uuid4()), "detector": "shield.web_root",
                 "user_id": None, "person_ids": persons, "event_ids": [event_id],
                 "score": 1.0, "severity": "high",
                 "summary": f"a file with findings (sha256 {sha256[:16]}) appeared in the "
                            f"public web root and was quarantined; {len(persons)} persons of "
                            "this system matched",
                 "first_at": now, "last_at": now}
        self._alerts.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._alerts.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(alert) + "\n")
        return str(alert["alert_id"])


__all__ = ["REQUIRED_APPROVALS", "Publication", "Quarantined", "WebRootWatcher",
           "approvals_of", "file_sha256", "publish"]
