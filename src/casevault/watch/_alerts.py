"""Alerts in DESIGN.md's format, assembled from detector hits (one alert per detector and user).

Assembly is plain Python over hits sorted the same way whatever the engine, so
both engines give byte-identical alerts. Summaries name users, persons and events
by id only, never by any attribute.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from casevault.watch.rules import Rule

ALERT_VERSION: Final = "cv-watch-alert/1"
MAX_IDS_IN_SUMMARY: Final = 3
MAX_EVENT_IDS: Final = 1_000
"""An alert lists at most this many event ids (a bulk walk may touch thousands)."""


@dataclass(frozen=True, slots=True)
class Hit:
    detector: str
    user_id: str
    person_id: str | None
    event_id: str
    ts: int
    metric: float
    note: str


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    detector: str
    user_id: str
    person_ids: tuple[str, ...]
    event_ids: tuple[str, ...]
    score: float
    severity: str
    summary: str
    first_at: str
    last_at: str

    def to_json(self) -> dict[str, Any]:
        return {"version": ALERT_VERSION, "alert_id": self.alert_id, "detector": self.detector,
                "user_id": self.user_id, "person_ids": list(self.person_ids),
                "event_ids": list(self.event_ids), "score": self.score,
                "severity": self.severity, "summary": self.summary,
                "first_at": self.first_at, "last_at": self.last_at}


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def severity_of(score: float) -> str:
    return "high" if score >= 0.8 else "medium" if score >= 0.5 else "low"


def _who(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:MAX_IDS_IN_SUMMARY])
    more = len(ids) - MAX_IDS_IN_SUMMARY
    return shown + (f" and {more} more" if more > 0 else "")


def _summary(rule: Rule, user_id: str, persons: Sequence[str], events: int,
             notes: Sequence[str]) -> str:
    target = f" on {_who(persons)}" if persons else ""
    how = f" ({', '.join(notes)})" if notes else ""
    plural = "s" if events != 1 else ""
    return f"{rule.name}: user {user_id}, {events} event{plural}{target}{how}. {rule.meaning}"


def assemble(rules: Sequence[Rule], hits: Iterable[Hit]) -> list[Alert]:
    """One alert per (detector, user), in detector order then user id."""
    grouped: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        grouped.setdefault((hit.detector, hit.user_id), []).append(hit)
    order = {rule.name: index for index, rule in enumerate(rules)}
    by_name = {rule.name: rule for rule in rules}
    alerts = []
    for (detector, user_id), group in sorted(grouped.items(),
                                             key=lambda kv: (order[kv[0][0]], kv[0][1])):
        group.sort(key=lambda h: (h.ts, h.event_id))
        rule = by_name[detector]
        events = sorted({h.event_id for h in group})
        persons = sorted({h.person_id for h in group if h.person_id})
        notes = sorted({h.note for h in group if h.note})
        score = round(min(1.0, rule.severity + 0.05 * (len(persons or events) - 1)), 3)
        digest = hashlib.sha256(f"{detector}|{user_id}|{events[0]}".encode()).hexdigest()[:20]
        alerts.append(Alert(f"AL-{digest}", detector, user_id, tuple(persons),
                            tuple(events[:MAX_EVENT_IDS]), score, severity_of(score),
                            _summary(rule, user_id, persons, len(events), notes),
                            _iso(group[0].ts), _iso(group[-1].ts)))
    return alerts


def write_alerts(path: Path, alerts: Iterable[Alert]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for alert in alerts:
            handle.write(json.dumps(alert.to_json(), separators=(",", ":")) + "\n")
            count += 1
    return count


def read_alerts(path: Path) -> list[Alert]:
    alerts = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                raw = json.loads(line)
                alerts.append(Alert(raw["alert_id"], raw["detector"], raw["user_id"],
                                    tuple(raw["person_ids"]), tuple(raw["event_ids"]),
                                    float(raw["score"]), raw["severity"], raw["summary"],
                                    raw["first_at"], raw["last_at"]))
    return alerts
