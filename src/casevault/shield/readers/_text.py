"""Encodings and plain text: tell how a file's bytes become text, and read text line by line.

Files reaching a leak scanner come from spreadsheets, old Windows tools and web
forms, so the encoding is guessed, not assumed: a byte-order mark decides; else
UTF-8 if the sample decodes as UTF-8 (or mostly does: a file edited by two
tools); else Windows-1252, the usual legacy encoding of Latin-script names.
Bytes that do not decode are never dropped or replaced by "?" (that would hide
an accented name from the exact data match):
the ``FALLBACK_ERRORS`` handler decodes each of them as Windows-1252 (Latin-1 for
the five bytes Windows-1252 leaves undefined), so a file mixing encodings still
reads as the letters a person would see.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from typing import IO

from casevault.shield.model import TextBlock
from casevault.shield.readers._limits import ReadLimits

FALLBACK_ERRORS = "casevault-shield-cp1252"
FALLBACK_ENCODING = "cp1252"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1b\x08")
WIDE_ENCODINGS = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32"})


def _decode_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: undecodable bytes become the Windows-1252 (else Latin-1) letters."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    text = "".join(bytes([b]).decode(FALLBACK_ENCODING, errors="ignore") or chr(b) for b in bad)
    return text, error.end


codecs.register_error(FALLBACK_ERRORS, _decode_as_cp1252)


def sniff_encoding(sample: bytes, *, whole_file: bool) -> str:
    """The encoding to read a text file with, judged from its first bytes."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    wide = _utf16_without_bom(sample)
    if wide:
        return wide
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole_file)
    except UnicodeDecodeError:
        return "utf-8" if _mostly_utf8(sample) else FALLBACK_ENCODING
    return "utf-8"


def _mostly_utf8(sample: bytes) -> bool:
    """Whether more non-ASCII bytes form UTF-8 sequences than not (a UTF-8 file with a few
    Windows-1252 lines pasted in; those bytes still read right through ``FALLBACK_ERRORS``)."""
    in_sequences = sum(map(len, _UTF8_SEQUENCE.findall(sample)))
    high = sum(1 for byte in sample if byte >= 0x80)
    return in_sequences >= high - in_sequences


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text without a BOM has a zero byte in every other position (for Latin text)."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0:pairs * 2:2].count(0), sample[1:pairs * 2:2].count(0)
    if odd > 0.4 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.4 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def looks_binary(sample: bytes, encoding: str) -> bool:
    """Whether a sample is no text at all: zero bytes, or many control characters."""
    if encoding in WIDE_ENCODINGS or encoding.startswith("utf-32") or not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 0x20 and b not in _TEXT_CONTROLS)
    return controls > 0.05 * len(sample)


def decode_sample(sample: bytes, encoding: str) -> str:
    """The sample as text (a character cut at the end of the sample is left out)."""
    return codecs.getincrementaldecoder(encoding)(errors=FALLBACK_ERRORS).decode(sample)


def text_stream(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    """A text view of a binary stream that keeps line endings as they are (CSV needs that)."""
    return io.TextIOWrapper(stream, encoding=encoding, errors=FALLBACK_ERRORS, newline="")


def read_text(stream: IO[bytes], file: str, encoding: str,
              limits: ReadLimits) -> Iterator[TextBlock]:
    """One ``TextBlock`` per non-blank line, with its 1-based line number and character offset.

    A line longer than ``max_field_chars`` is read as several blocks of that size
    (same line number, increasing offset), so memory stays bounded however long
    the line; a value cut at a chunk boundary may be missed, which the limit's
    size makes unlikely.
    """
    text = text_stream(stream, encoding)
    try:
        yield from _blocks(text, file, limits.max_field_chars)
    finally:
        text.detach()


def _blocks(text: IO[str], file: str, limit: int) -> Iterator[TextBlock]:
    line, offset = 1, 0
    while chunk := text.readline(limit):
        content = chunk.rstrip("\r\n")
        if content.strip():
            yield TextBlock(file=file, text=content, offset=offset, line=line)
        offset += len(chunk)
        if chunk.endswith(("\n", "\r")):
            line += 1
