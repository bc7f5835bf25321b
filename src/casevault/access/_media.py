"""What a filed document is, decided by its first bytes — never by its name or a header.

A court's record takes PDF and scanned images. A file named ``brief.pdf`` that
is really HTML, a script or an Office file with macros is refused: its name and
the client's ``Content-Type`` are the sender's claims, the magic bytes are not.
"""

from __future__ import annotations

from typing import Final

from casevault.errors import InvalidValue

MAX_DOCUMENT_BYTES: Final = 25 * 1024 * 1024
"""The cap on one filed document (the issue's 25 MB)."""

SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
"""Leading bytes of each accepted type, and the media type stored for it."""


def media_type_of(content: bytes) -> str:
    """The accepted media type ``content`` starts as, or ``InvalidValue``."""
    for magic, media_type in SIGNATURES:
        if content.startswith(magic):
            return media_type
    msg = ("the file is not a PDF, PNG, JPEG or TIFF (its content was checked, not its name); "
           "convert it to PDF and file it again")
    raise InvalidValue(msg)


__all__ = ["MAX_DOCUMENT_BYTES", "SIGNATURES", "media_type_of"]
