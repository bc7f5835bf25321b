"""An access event in DESIGN.md's format: what one user did to one record, and when.

Both the workday simulator (which writes such events) and misuse detection (which reads
them, from agencies' files or from the ledger) speak this one shape, so it lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

COLUMNS: Final = (
    "event_id", "at", "user_id", "session_id", "device_id", "ip", "action", "person_id",
    "case_id", "categories", "purpose", "justification", "result", "record_count",
)
"""DESIGN.md's access-event columns, in its order."""


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One access event, typed (``ts`` is epoch seconds UTC; the file column is ``at``)."""

    event_id: str
    ts: int
    user_id: str
    session_id: str | None
    device_id: str | None
    ip: str | None
    action: str
    person_id: str | None
    case_id: str | None
    categories: str | None
    purpose: str | None
    justification: str | None
    result: str
    record_count: int

    def to_design_row(self) -> dict[str, Any]:
        """The event as a row of DESIGN.md's columns, its time in ISO 8601 UTC."""
        row: dict[str, Any] = {name: getattr(self, name) for name in COLUMNS if name != "at"}
        row["at"] = datetime.fromtimestamp(self.ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {name: row[name] for name in COLUMNS}
