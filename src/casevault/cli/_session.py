"""The session file the CLI signs in to, and the operator a command acts as.

``casevault access login`` keeps its session in a file only its owner can read
(mode 0600). Every command that outputs personal data (export, subject reports,
the accounting of disclosures, the SIEM export) is a client of the guard like
any other: it presents that session, states a purpose and a justification, and
the guard decides and ledgers (DESIGN.md invariant 1; no operator shortcut).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from casevault.access.identity import SessionContext
from casevault.access.setup import Door, opened_door
from casevault.domain import Purpose
from casevault.errors import InputError
from casevault.settings import load_settings

DEFAULT_SESSION_FILE: Final = Path("var/session")
SESSION_FILE_VERSION: Final = "cv-session/1"

SessionFileOption = Annotated[Path, typer.Option(
    "--session-file", envvar="CASEVAULT_SESSION_FILE",
    help="Where `casevault access login` keeps your session.")]
OperatorPurposeOption = Annotated[Purpose, typer.Option(
    "--purpose", help="Why you need this (checked by policy and ledgered).")]
JustificationOption = Annotated[str | None, typer.Option(
    "--justification", help="A case or ticket reference, or a sentence saying why "
    "(prompted for when missing in a terminal).")]


def write_session(path: Path, content: dict[str, str]) -> None:
    """Write the session file readable by its owner only (created 0600, never wider)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its mode through O_CREAT
        json.dump(content, handle)
        handle.write("\n")


def read_session(path: Path) -> dict[str, str]:
    """The stored session; ``InputError`` saying to sign in when it is missing or unreadable."""
    try:
        content: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"no session file at {path}: sign in with `casevault access login USER`"
        raise InputError(msg) from None
    except (OSError, ValueError):
        msg = f"{path} is not a readable session file: sign in again"
        raise InputError(msg) from None
    if not isinstance(content, dict) or content.get("version") != SESSION_FILE_VERSION:
        msg = f"{path} is not a {SESSION_FILE_VERSION} session file: sign in again"
        raise InputError(msg)
    if not all(isinstance(content.get(k), str) for k in ("token", "device_id", "session_id")):
        msg = f"{path} is incomplete: sign in again"
        raise InputError(msg)
    return {key: str(value) for key, value in content.items()}


def stated_justification(given: str | None) -> str | None:
    """The justification given, or asked for when a person is at a terminal."""
    if given is None and sys.stdin.isatty():
        answer: str = typer.prompt("Justification (case or ticket reference, or why)")
        return answer
    return given


@contextmanager
def operator(db: str | None, session_file: Path) -> Iterator[tuple[Door, SessionContext]]:
    """The guard's door and the signed-in operator of this command (checked now)."""
    stored = read_session(session_file)
    with opened_door(load_settings(), db) as door:
        who = door.authenticate(stored["token"], device_id=stored["device_id"])
        yield door, who


__all__ = [
    "DEFAULT_SESSION_FILE",
    "SESSION_FILE_VERSION",
    "JustificationOption",
    "OperatorPurposeOption",
    "SessionFileOption",
    "operator",
    "read_session",
    "stated_justification",
    "write_session",
]
