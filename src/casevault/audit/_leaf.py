"""Leaf bytes from an event's stored values, without a datetime per event.

``casevault.audit.events.encode_leaf`` defines an event's leaf. Appending and
verifying compute a leaf per event, and most of ``encode_leaf``'s cost is the
instant (parsing stored text into a datetime and formatting it back) and the
JSON encoder's set-up. Here the instant arrives as the leaf's own text:
formatted once per batch when appending (every event of a batch shares its
time), and turned from SQLite's stored text into leaf text by string surgery
when verifying. The fields then go through an encoder with ``encode_leaf``'s
settings, built once, in the same order, so the bytes are the same; tests
prove it against ``encode_leaf``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from json import encoder as json_encoder
from typing import Any, Final

from casevault.audit.events import LEAF_VERSION, format_at

__all__ = ["SQLITE_INSTANT", "InstantText", "ListEncoder", "leaf_bytes", "list_encoder"]

SQLITE_INSTANT: Final = re.compile(
    r"\d{4}-\d\d-\d\d (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}", re.ASCII)
"""What the ledger writes on SQLite: naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff``."""

_DAY_CACHE_LIMIT: Final = 4_096

ListEncoder = Callable[[list[Any], int], Sequence[str]]
"""``encoder(fields, 0)`` returns the JSON text of ``fields`` in pieces to join."""

_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def list_encoder() -> ListEncoder:
    """``encode_leaf``'s encoder (compact separators, UTF-8 kept), made once, not per call.

    ``JSONEncoder.encode`` builds the C encoder afresh on every call; that set-up
    costs as much as encoding a leaf. This is the same C encoder, built once,
    without the circular-reference check (a leaf holds no containers of its
    own making; after a failed encode the check's memo would be left dirty).
    """
    make = getattr(json_encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover -- CPython always has the accelerator
        return lambda fields, _level: (_ENCODER.encode(fields),)
    encoder: ListEncoder = make(None, _ENCODER.default, json_encoder.encode_basestring, None,
                                ":", ",", False, False, True)
    return encoder


class InstantText:
    """A stored instant as leaf text: exactly ``format_at(instant_from_store(value))``.

    Text in the form the ledger writes on SQLite, with a real calendar day, is
    rearranged (``2026-03-04 09:30:00.000000`` becomes ``2026-03-04T09:30:00.000000Z``):
    for such text the round trip through a datetime gives the same characters.
    Anything else (a datetime from PostgreSQL, an edited value) takes the round
    trip itself, so an odd value fails or formats exactly as ``encode_leaf`` would.
    ``days`` holds the real days seen: callers may test ``value[:10] in days``
    inline, after ``SQLITE_INSTANT.fullmatch(value)``, to skip the call.
    """

    __slots__ = ("days",)

    def __init__(self) -> None:
        self.days: set[str] = set()

    def __call__(self, value: Any) -> str:
        if type(value) is str and SQLITE_INSTANT.fullmatch(value) and self._real_day(value[:10]):
            return f"{value[:10]}T{value[11:]}Z"
        return _round_trip(value)

    def _real_day(self, day: str) -> bool:
        if day in self.days:
            return True
        try:
            date.fromisoformat(day)
        except ValueError:
            return False
        if len(self.days) >= _DAY_CACHE_LIMIT:
            self.days.clear()
        self.days.add(day)
        return True


def _round_trip(value: Any) -> str:
    """``format_at(instant_from_store(value))`` itself, for values not in the written form.

    Imported here, not above: worker processes verifying SQLite text never need
    the store package (and the SQLAlchemy it imports).
    """
    from casevault.store.rows import instant_from_store  # noqa: PLC0415

    return format_at(instant_from_store(value))


def leaf_bytes(encoder: ListEncoder, seq: int, event_id: str, at_text: str, action: str,
               result: str, user_id: str | None, session_id: str | None,
               device_id: str | None, ip: str | None, person_id: str | None,
               case_id: str | None, categories: Sequence[str], purpose: str | None,
               justification: str | None, record_count: int, policy_ids: Sequence[str],
               query_hmac: str | None, detail: dict[str, str],
               prev_hash: bytes | None) -> bytes:
    """``encode_leaf(...)`` for an event whose instant is already leaf text (see ``format_at``)."""
    fields = [LEAF_VERSION, seq, event_id, at_text, str(action), str(result), user_id,
              session_id, device_id, ip, person_id, case_id, list(categories), purpose,
              justification, record_count, list(policy_ids), query_hmac,
              dict(sorted(detail.items())) if detail else {},
              prev_hash.hex() if prev_hash else None]
    return "".join(encoder(fields, 0)).encode()
