"""What keeps the console's pages and forms safe in a browser: cookies, CSRF tokens, headers.

* The session cookie holds the bearer token ``Sessions.login`` issued; it is
  HttpOnly (no script can read it) and SameSite=Strict (no other site's page can
  make the browser send it). The device cookie holds the id the session is bound
  to, so a token copied to another browser is refused (and the session ended).
* Every POST carries a CSRF token in a hidden field: an HMAC, under a key only
  the server holds, of the signed-in session's id (or, on the sign-in form, of
  the device id). A forged form cannot compute it; a token from another session
  does not match. SameSite=Strict already keeps cross-site POSTs from carrying
  the session; the token is the second, independent lock.
* Every response carries a strict Content-Security-Policy (no script at all,
  styles only from the console itself, forms only to the console, no framing)
  and ``Cache-Control: no-store``, so a record page is not kept by the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import Request, Response

from casevault.errors import AccessDenied

SESSION_COOKIE: Final = "casevault_session"
DEVICE_COOKIE: Final = "casevault_device"
DEVICE_COOKIE_DAYS: Final = 400
"""Browsers cap cookie lifetimes at 400 days; the device id lives as long as it may."""

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

FORM_REFUSED: Final = ("This form did not come from your current console session (it may have "
                       "expired, or another site sent it). Reload the page and try again.")


class FormForged(AccessDenied):
    """A POST whose CSRF token is missing or is not the one this session's forms carry."""


class Csrf:
    """Issues and checks the hidden-field tokens that bind a form to one session or device."""

    def __init__(self, key: bytes | None = None) -> None:
        """``key`` defaults to a fresh random one: forms open before a restart must be reloaded."""
        self._key = key or secrets.token_bytes(32)

    def for_session(self, session_id: str) -> str:
        return self._token(f"session|{session_id}")

    def for_sign_in(self, device_id: str) -> str:
        return self._token(f"sign-in|{device_id}")

    def check_session(self, session_id: str, presented: str | None) -> None:
        self._check(self.for_session(session_id), presented)

    def check_sign_in(self, device_id: str, presented: str | None) -> None:
        self._check(self.for_sign_in(device_id), presented)

    def _token(self, binding: str) -> str:
        return hmac.new(self._key, binding.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _check(expected: str, presented: str | None) -> None:
        if not presented or not hmac.compare_digest(expected.encode(), presented.encode()):
            raise FormForged(FORM_REFUSED)


def new_device_id() -> str:
    return f"web-{secrets.token_urlsafe(18)}"


def client_ip(request: Request) -> str | None:
    """The peer's address when it is one (a test client or a Unix socket has none)."""
    host = request.client.host if request.client is not None else None
    try:
        return str(ipaddress.ip_address(host)) if host else None
    except ValueError:
        return None


def secure_cookies(request: Request) -> bool:
    """Mark cookies Secure except over plain HTTP to this machine itself (the demo, tests).

    A browser refuses a Secure cookie set over plain HTTP from another host, so
    a console served without TLS on a network cannot be signed in to at all: a
    bearer token never travels in clear.
    """
    if request.url.scheme == "https":
        return True
    host = request.url.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def set_cookie(response: Response, request: Request, name: str, value: str, *,
               max_age: int | None = None, path: str) -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite="strict", secure=secure_cookies(request))


async def security_headers(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Add the console's security headers to every response, error pages included."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


__all__ = ["CONTENT_SECURITY_POLICY", "DEVICE_COOKIE", "SECURITY_HEADERS", "SESSION_COOKIE",
           "Csrf", "FormForged", "client_ip", "new_device_id", "security_headers",
           "set_cookie"]
