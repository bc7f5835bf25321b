"""Reading the release's tab-delimited files one line at a time.

The files are not CSV in the RFC 4180 sense: fields are separated by tabs and
never quoted, so a ``"`` is an ordinary character and ``csv`` would mangle it.
Each line is read as bytes, cleaned of NUL bytes (which real releases contain)
and decoded as UTF-8, or as Latin-1 when it is not valid UTF-8: the release mixes
both, line by line. Columns are found by header name, so files whose columns
come in another order read the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from casevault.store.eoir._report import Problem, Tally

Row = tuple[int, tuple[str, ...]]
"""A data line: its line number and the wanted fields, stripped, in the order asked for."""


class MissingColumns(Exception):
    """A file lacks columns the importer needs; the file is skipped."""

    def __init__(self, columns: Sequence[str]) -> None:
        super().__init__(f"missing column{'s' if len(columns) > 1 else ''} {', '.join(columns)}")
        self.columns = tuple(columns)


def find_entry(folder: Path, name: str) -> Path | None:
    """The entry of ``folder`` called ``name``, ignoring case (releases vary the spelling)."""
    wanted = name.lower()
    if not folder.is_dir():
        return None
    for entry in sorted(folder.iterdir()):
        if entry.name.lower() == wanted:
            return entry
    return None


def decode_line(raw: bytes, line: int, tally: Tally) -> str:
    """Text of one line without its line break, NUL bytes removed, UTF-8 else Latin-1."""
    if b"\x00" in raw:
        tally.note(Problem.NUL_BYTES, line)
        raw = raw.replace(b"\x00", b"")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        tally.note(Problem.LATIN1, line)
        text = raw.decode("latin-1")
    return text.rstrip("\r\n")


def _header(stream: BinaryIO, tally: Tally) -> list[str]:
    raw = stream.readline()
    if not raw:
        raise MissingColumns(["(the file has no header row)"])
    text = decode_line(raw, 1, tally).lstrip("\ufeff")
    return [name.strip().upper() for name in text.split("\t")]


def _positions(header: Sequence[str], wanted: Sequence[str]) -> tuple[int, ...]:
    missing = [name for name in wanted if name not in header]
    if missing:
        raise MissingColumns(missing)
    return tuple(header.index(name) for name in wanted)


def _rows(stream: BinaryIO, positions: tuple[int, ...], width: int, tally: Tally) -> Iterator[Row]:
    for line, raw in enumerate(stream, start=2):
        tally.row_read()
        text = decode_line(raw, line, tally)
        if not text.strip():
            tally.note(Problem.BLANK_LINE, line)
            continue
        fields = text.split("\t")
        if len(fields) != width:
            tally.note(Problem.FIELD_COUNT, line)
            continue
        yield line, tuple([fields[position].strip() for position in positions])
    tally.done()


@contextmanager
def open_table(path: Path, wanted: Sequence[str], tally: Tally) -> Iterator[Iterator[Row]]:
    """Rows of a release file with the ``wanted`` columns; raises ``MissingColumns`` at once.

    Rows whose field count differs from the header's are skipped and counted:
    a stray tab shifts every later field, so no field of such a row can be trusted.
    """
    with path.open("rb") as stream:
        header = _header(stream, tally)
        yield _rows(stream, _positions(header, wanted), len(header), tally)
