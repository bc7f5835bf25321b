"""Opening the ledger of a database with the keys the settings point to."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import Engine

from casevault.audit.checkpoint import Signer
from casevault.audit.keys import (
    load_or_create_hmac_key,
    load_or_create_signing_key,
    signing_key_from_env,
)
from casevault.audit.ledger import Clock, Ledger, utc_now
from casevault.settings import Settings

LEDGER_KEY_FILE = "ledger.key"
QUERY_KEY_FILE = "query-hmac.key"


def ledger_signer(settings: Settings) -> Signer:
    """The environment's key if given, else the key file (created on first use)."""
    if settings.ledger_key:
        return signing_key_from_env(settings.ledger_key, settings.ledger_name)
    return load_or_create_signing_key(settings.key_dir / LEDGER_KEY_FILE, settings.ledger_name)


def open_ledger(engine: Engine, settings: Settings, *, clock: Clock = utc_now) -> Ledger:
    return Ledger(engine, signer=ledger_signer(settings), clock=clock,
                  checkpoint_every=timedelta(minutes=settings.checkpoint_minutes))


def query_hmac(settings: Settings, terms: str) -> str:
    """The keyed hash under which the ledger keeps a search's terms (never the terms)."""
    key = load_or_create_hmac_key(settings.key_dir / QUERY_KEY_FILE)
    normalized = " ".join(terms.casefold().split())
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()
