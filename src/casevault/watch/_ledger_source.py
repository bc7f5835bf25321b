"""casevault's own ledger as access events: the default input of ``watch run``.

The ledger records more kinds of event than DESIGN.md's access-event format has
(failed logins, MFA, policy changes, ...); only the access-event actions are kept,
since the detectors reason about reads, exports and sessions.
"""

from __future__ import annotations

from collections.abc import Iterable

from casevault.audit.events import Event
from casevault.domain.access_events import AccessEvent
from casevault.watch._events import ACTIONS, EventColumns


def access_event(event: Event) -> AccessEvent | None:
    """The access event of one ledger event, or None for a ledger-only kind (or no user)."""
    if str(event.action) not in ACTIONS or event.user_id is None:
        return None
    return AccessEvent(
        event.event_id, int(event.at.timestamp()), event.user_id, event.session_id,
        event.device_id, event.ip, str(event.action), event.person_id, event.case_id,
        ";".join(event.categories) or None, event.purpose, event.justification,
        str(event.result), event.record_count,
    )


def ledger_columns(events: Iterable[Event]) -> EventColumns:
    """Access events of the given ledger events, column-wise, in log order."""
    columns = EventColumns()
    for event in events:
        converted = access_event(event)
        if converted is not None:
            columns.append(converted)
    return columns
