"""Office XML parts parsed as a stream of elements, never resolving entities or DTDs.

defusedxml's ``iterparse`` refuses DTDs (and so entity-expansion bombs and
external entities): an Office part never needs one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from casevault.errors import UnreadableFile


class Readable(Protocol):
    """What the parser reads from: a decompressing ``zip.Member`` or any binary file."""

    def read(self, size: int = -1, /) -> bytes: ...


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rpartition("}")[2]


def elements(source: Readable, file: str,
             events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Element]]:
    """(event, element) pairs of a part, parsed as it streams in."""
    try:
        yield from iterparse(source, events=events, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UnreadableFile(file, "has XML with a DTD or entities, which Office files never "
                                   f"need ({type(exc).__name__}); refused") from exc
    except ParseError as exc:
        raise UnreadableFile(file, f"has malformed XML (line {exc.position[0]})") from exc


def records(source: Readable, file: str, names: frozenset[str]) -> Iterator[str]:
    """The text of each element named in ``names`` (its text nodes joined by tabs), in order."""
    for _, element in elements(source, file):
        if local(element.tag) in names:
            text = "\t".join(part.strip() for part in element.itertext() if part.strip())
            element.clear()
            if text:
                yield text
