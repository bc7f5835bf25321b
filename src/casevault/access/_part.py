"""What every guarded write path beside the guard holds: the engine, the ledger, the policy.

Court writes, intake, self-service, hearing outcomes and breach work each decide with the
Cedar policy and ledger before they write; they share this constructor. Without a policy
given they use the installation's policies, loaded and validated once per process, not
once per request.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine

from casevault.access.policy import PolicyEngine
from casevault.audit.ledger import Clock, Ledger, utc_now


@cache
def installed_policy() -> PolicyEngine:
    """The policies in ``policies/``, loaded once (a bad policy refuses at first use)."""
    return PolicyEngine.load()


class GuardedPart:
    """Base of the guarded write paths: decide with ``_policy``, ledger to ``_ledger``."""

    def __init__(self, engine: Engine, ledger: Ledger, policy: PolicyEngine | None = None, *,
                 clock: Clock = utc_now) -> None:
        self._engine = engine
        self._ledger = ledger
        self._policy = policy or installed_policy()
        self._clock = clock
