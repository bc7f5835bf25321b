"""casevault's own ledger as access events."""

from __future__ import annotations

from casevault.audit.events import Action, EventDraft, Result
from casevault.audit.ledger import Ledger
from casevault.watch._ledger_source import ledger_columns


def test_ledger_access_events_become_access_events(ledger: Ledger) -> None:
    ledger.append_many([
        EventDraft(Action.VIEW, Result.PERMIT, user_id="U1", session_id="S", device_id="D",
                   ip="10.0.0.1", person_id="P1", case_id="C1", categories=("identity", "case"),
                   purpose="adjudication", justification="hearing", record_count=1),
        EventDraft(Action.MFA, Result.PERMIT, user_id="U1"),
        EventDraft(Action.LOGIN, Result.PERMIT, user_id=None),
        EventDraft(Action.EXPORT, Result.DENY, user_id="U2", record_count=900),
    ])
    columns = ledger_columns(ledger.events())
    assert columns.user_id == ["U1", "U2"]
    assert columns.action == ["view", "export"]
    assert columns.categories == ["identity;case", None]
    assert columns.result == ["permit", "deny"]
    assert columns.record_count == [1, 900]
    assert columns.person_id == ["P1", None]
