"""PDF text, page by page, through pypdf.

pypdf parses lazily from the stream and caps what any one stream may
decompress to, so a page at a time keeps memory bounded. A PDF encrypted only
with an owner password (it opens in any viewer without asking) is decrypted
with the empty password and read, since its content is as public as the file;
one that needs a password to open ends the read with ``UnreadableFile``.
Scanned pages (images without a text layer) yield no text: the readers do not OCR.

pypdf logs what it repairs in a damaged file, quoting the file's bytes; a leak
scanner's files hold personal data, which must never reach operational logs
(DESIGN.md, invariant 9), so pypdf's logger is silenced. Its warnings are
ignored for the same reason (and the damage they report surfaces as errors).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import IO

from pypdf import PasswordType, PdfReader

from casevault.errors import UnreadableFile
from casevault.shield.model import TextBlock
from casevault.shield.readers._limits import ReadLimits

logging.getLogger("pypdf").setLevel(logging.CRITICAL + 1)


def read_pdf(stream: IO[bytes], file: str, limits: ReadLimits) -> Iterator[TextBlock]:
    """One ``TextBlock`` per page that has text, with its 1-based page number."""
    with warnings.catch_warnings(action="ignore"):
        reader = PdfReader(stream, strict=False)
        _unlock(reader, file)
        count = len(reader.pages)
    if count > limits.max_pdf_pages:
        raise UnreadableFile(file, f"has more than {limits.max_pdf_pages} pages "
                                   "(ReadLimits.max_pdf_pages)")
    for number in range(1, count + 1):
        with warnings.catch_warnings(action="ignore"):
            text = reader.pages[number - 1].extract_text()
        if text.strip():
            yield TextBlock(file=file, text=text, page=number)


def _unlock(reader: PdfReader, file: str) -> None:
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise UnreadableFile(file, "is an encrypted PDF that needs a password to open; "
                                   "scan an unencrypted copy")
