"""Opening the door: the guard with its ledger, accounts, sessions and keys, from the settings.

The faces (CLI, API, console) build one ``Door`` per process and ask it for
everything that touches personal data: ``authenticate`` turns a bearer token
into a session context, and ``guard`` decides, records, reads and redacts.
Nothing here bypasses the guard; it only wires the parts together the same way
everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine

from casevault.access.accounts import Accounts
from casevault.access.guard import Guard
from casevault.access.identity import SessionContext
from casevault.access.policy import PolicyEngine
from casevault.access.sessions import Sessions
from casevault.audit.keys import load_or_create_hmac_key
from casevault.audit.ledger import Clock, Ledger, utc_now
from casevault.audit.setup import QUERY_KEY_FILE, open_ledger
from casevault.settings import Settings
from casevault.store import make_engine, require_current_schema


@dataclass(frozen=True, slots=True)
class Door:
    """Everything a face needs to reach personal data, built once per process."""

    engine: Engine
    ledger: Ledger
    accounts: Accounts
    sessions: Sessions
    guard: Guard

    def authenticate(self, token: str, *, device_id: str, ip: str | None = None
                     ) -> SessionContext:
        return self.sessions.authenticate(token, device_id=device_id, ip=ip)


def build_door(engine: Engine, settings: Settings, *, clock: Clock = utc_now,
               policy: PolicyEngine | None = None) -> Door:
    """The guard and its collaborators on ``engine``; the caller closes ``door.ledger``."""
    ledger = open_ledger(engine, settings, clock=clock)
    accounts = Accounts(engine, ledger, clock=clock)
    sessions = Sessions(engine, ledger, accounts, clock=clock)
    terms_key = load_or_create_hmac_key(settings.key_dir / QUERY_KEY_FILE)
    guard = Guard(engine, ledger, policy or PolicyEngine.load(), terms_key=terms_key,
                  clock=clock)
    return Door(engine, ledger, accounts, sessions, guard)


@contextmanager
def opened_door(settings: Settings, db_url: str | None = None) -> Iterator[Door]:
    """A door on the configured database for the length of one command."""
    engine = make_engine(db_url or settings.db_url)
    try:
        require_current_schema(engine)
        door = build_door(engine, settings)
        try:
            yield door
        finally:
            door.ledger.close()
    finally:
        engine.dispose()


__all__ = ["Door", "build_door", "opened_door"]
