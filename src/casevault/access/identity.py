"""Who is asking: the signed-in session a request arrives with.

A ``SessionContext`` is what ``Sessions.authenticate`` hands the guard once a
bearer token has been checked (not revoked, not expired or idle, presented from
the device it was issued to, account still usable). It carries the principal as
the account lifecycle sees it at that moment, so a suspension takes effect on
the very next request. The guard takes nothing else as proof of identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from casevault.access.policy import Principal


@dataclass(frozen=True, slots=True)
class SessionContext:
    """A live, authenticated session: ids for the ledger, and the principal for the policy."""

    session_id: str
    user_id: str
    device_id: str
    ip: str | None
    principal: Principal


__all__ = ["SessionContext"]
