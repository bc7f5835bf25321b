"""Evaluation against labelled misuse: per detector and overall, per user.

A label says "user U misused access in the way detector D is meant to catch". The
unit is the user, as a privacy officer's case is: an alert is true when its user
has any label; a labelled user is found overall when any alert names them, and
found by a detector when that detector (the one named like the label's kind)
alerts on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from casevault.errors import InputError
from casevault.watch._alerts import Alert


@dataclass(frozen=True, slots=True)
class LabelRow:
    user_id: str
    kind: str
    event_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    true_positives: int
    alerted: int
    labelled: int
    found: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.alerted if self.alerted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0


@dataclass(frozen=True, slots=True)
class Evaluation:
    overall: Score
    detectors: tuple[Score, ...]
    normal_accesses: int
    normal_explained: int

    @property
    def explained_share(self) -> float:
        return self.normal_explained / self.normal_accesses if self.normal_accesses else 1.0


def read_labels(path: Path) -> list[LabelRow]:
    labels = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                labels.append(LabelRow(str(raw["user_id"]), str(raw["kind"]),
                                       tuple(str(e) for e in raw.get("event_ids", []))))
            except (json.JSONDecodeError, KeyError, TypeError):
                msg = (f"{path.name} line {number}: expected a JSON object with user_id, kind "
                       "and event_ids")
                raise InputError(msg) from None
    return labels


def evaluate(alerts: Sequence[Alert], labels: Iterable[LabelRow], detectors: Sequence[str], *,
             normal_accesses: int, normal_explained: int) -> Evaluation:
    labels = list(labels)
    bad = {label.user_id for label in labels}
    alerted_users = {alert.user_id for alert in alerts}
    overall = Score("overall", len(alerted_users & bad), len(alerted_users), len(bad),
                    len(alerted_users & bad))
    scores = []
    for name in detectors:
        users = {a.user_id for a in alerts if a.detector == name}
        wanted = {label.user_id for label in labels if label.kind == name}
        scores.append(Score(name, len(users & bad), len(users), len(wanted),
                            len(users & wanted)))
    return Evaluation(overall, tuple(scores), normal_accesses, normal_explained)
