"""Ledger events: what one access, login, export or change looks like in the log.

Fields follow DESIGN.md's access-event format, plus the policy ids that decided, a
keyed hash of search terms (never the terms), a small ``detail`` map for event
kinds that need more (recipient and legal basis of a disclosure, the subject of
an account change), and the per-person chain link.

An event's **leaf** (what the Merkle tree hashes) is a canonical, versioned JSON
array of every field, its position in the log included, so that editing,
removing, inserting or reordering a stored event changes a leaf.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

LEAF_VERSION: Final = "cv-ledger-event/1"


class Action(StrEnum):
    """DESIGN.md's access-event actions, then the ledger's own kinds of event."""

    VIEW = "view"
    SEARCH = "search"
    EXPORT = "export"
    PRINT = "print"
    UPDATE = "update"
    LOGIN = "login"
    LOGOUT = "logout"
    BREAK_GLASS = "break_glass"
    LOGIN_FAILURE = "login_failure"
    MFA = "mfa"
    SESSION_REVOKED = "session_revoked"
    DISCLOSURE = "disclosure"
    ACCOUNT_CHANGE = "account_change"
    POLICY_CHANGE = "policy_change"
    AUDIT_ACCESS = "audit_access"
    PUBLICATION = "publication"


class Result(StrEnum):
    PERMIT = "permit"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event as the guard or a service hands it to the ledger (no position yet)."""

    action: Action
    result: Result
    user_id: str | None = None
    session_id: str | None = None
    device_id: str | None = None
    ip: str | None = None
    person_id: str | None = None
    case_id: str | None = None
    categories: tuple[str, ...] = ()
    purpose: str | None = None
    justification: str | None = None
    record_count: int = 0
    policy_ids: tuple[str, ...] = ()
    query_hmac: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Event:
    """An event as stored: its position (``seq``), time, id, chain link and leaf hash."""

    seq: int
    event_id: str
    at: datetime
    action: Action
    result: Result
    user_id: str | None
    session_id: str | None
    device_id: str | None
    ip: str | None
    person_id: str | None
    case_id: str | None
    categories: tuple[str, ...]
    purpose: str | None
    justification: str | None
    record_count: int
    policy_ids: tuple[str, ...]
    query_hmac: str | None
    detail: dict[str, str]
    person_prev_hash: bytes | None
    leaf_hash: bytes

    def leaf(self) -> bytes:
        return encode_leaf(self.seq, self.event_id, self.at, self.action, self.result,
                           self.user_id, self.session_id, self.device_id, self.ip,
                           self.person_id, self.case_id, self.categories, self.purpose,
                           self.justification, self.record_count, self.policy_ids,
                           self.query_hmac, self.detail, self.person_prev_hash)


def format_at(moment: datetime) -> str:
    """Microsecond UTC instant (``2026-03-04T09:30:00.000000Z``), as in leaves and exports."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "Z"


_LEAF_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""One encoder for every leaf: building a new one per call costs more than encoding."""


def encode_leaf(seq: int, event_id: str, at: datetime, action: str, result: str,
                user_id: str | None, session_id: str | None, device_id: str | None,
                ip: str | None, person_id: str | None, case_id: str | None,
                categories: tuple[str, ...], purpose: str | None, justification: str | None,
                record_count: int, policy_ids: tuple[str, ...], query_hmac: str | None,
                detail: dict[str, str], person_prev_hash: bytes | None) -> bytes:
    """The canonical leaf bytes of an event (version marker first)."""
    fields: list[Any] = [
        LEAF_VERSION, seq, event_id, format_at(at), str(action), str(result), user_id,
        session_id, device_id, ip, person_id, case_id, list(categories), purpose,
        justification, record_count, list(policy_ids), query_hmac,
        dict(sorted(detail.items())), person_prev_hash.hex() if person_prev_hash else None,
    ]
    return _LEAF_ENCODER.encode(fields).encode()
