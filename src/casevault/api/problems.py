"""Errors as RFC 9457 problem details, in one place (STYLE.md: one mapping for the whole API).

Messages come from ``casevault.errors``, which never carry personal data; the
``type`` names the family of the error so that a client can branch on it.
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from casevault.errors import (
    AccessDenied,
    AuthenticationFailed,
    CasevaultError,
    InputError,
    LedgerUnavailable,
    NotFound,
    SessionInvalid,
)

PROBLEM_TYPES: Final = "https://casevault.invalid/problems/"
_STATUS: Final[tuple[tuple[type[CasevaultError], int, str], ...]] = (
    (AuthenticationFailed, 401, "authentication-failed"),
    (SessionInvalid, 401, "session-invalid"),
    (AccessDenied, 403, "access-denied"),
    (NotFound, 404, "not-found"),
    (InputError, 422, "invalid-input"),
    (LedgerUnavailable, 503, "ledger-unavailable"),
    (CasevaultError, 500, "internal"),
)


def problem(status: int, kind: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": PROBLEM_TYPES + kind, "title": title, "status": status, "detail": detail},
        status_code=status, media_type="application/problem+json",
        headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)


def _from_error(error: CasevaultError) -> JSONResponse:
    status, kind = next((s, k) for cls, s, k in _STATUS if isinstance(error, cls))
    title = kind.replace("-", " ").capitalize()
    return problem(status, kind, title, str(error))


def install(app: FastAPI) -> None:
    """Map every casevault error and every request validation failure to problem details."""

    async def casevault_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, CasevaultError)  # noqa: S101 -- registered for this type
        return _from_error(error)

    async def invalid_request(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)  # noqa: S101 -- registered for it
        fields = sorted({".".join(str(p) for p in e.get("loc", ())) for e in error.errors()})
        return problem(422, "invalid-input", "Invalid input",
                       f"check these fields: {', '.join(fields)}")

    app.add_exception_handler(CasevaultError, casevault_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
