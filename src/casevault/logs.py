"""Operational logs: structured JSON lines that name records by opaque id only (invariant 9).

Who looked at whom belongs in the ledger, never here: operational events carry
ids of the *operation* (a command, a request route, a file's hash), counts and
durations. Client addresses are hashed before they are logged (as PyPI's
warehouse does), so logs can correlate a client without holding its address.

``configure`` is called once by each entry point (the CLI, the server, the test
suite); ``get_logger`` is what modules use.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path
from typing import Any, Final, TextIO

import structlog

_CONFIGURED: list[bool] = []
QUIET_LIBRARIES: Final = ("sqlalchemy", "alembic", "uvicorn.access", "httpx", "httpx2",
                          "httpcore", "pypdf", "faker", "asyncio")
"""Libraries whose debug output can quote data (SQL parameters, request lines): kept at WARNING."""


def configure(*, level: int = logging.INFO, file: Path | None = None,
              stream: TextIO | None = None) -> None:
    """JSON lines to ``file`` (appended) or ``stream`` (default stderr); idempotent."""
    handler: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_JsonLines())
    root = logging.getLogger()
    for old in root.handlers:
        old.close()
    root.handlers = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:  # only ever quieter: a module may have silenced one further
        library = logging.getLogger(name)
        library.setLevel(max(library.level, level, logging.WARNING))
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer()],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    _CONFIGURED.append(True)


class _JsonLines(logging.Formatter):
    """Every line JSON: structlog's already are; a library's plain record is wrapped."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{"):
            return message
        return json.dumps({"event": message, "logger": record.name,
                           "level": record.levelname.lower()})


def get_logger(name: str) -> Any:
    """A structured logger; before ``configure`` it writes through structlog's defaults."""
    return structlog.get_logger(name)


def hashed_address(address: str | None) -> str | None:
    """A short digest of a client address: correlates requests without storing the address."""
    if not address:
        return None
    return hashlib.sha256(f"casevault-ip:{address}".encode()).hexdigest()[:16]


__all__ = ["QUIET_LIBRARIES", "configure", "get_logger", "hashed_address"]
