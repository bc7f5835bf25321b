"""The shield's file readers: any file a leak scanner meets, as a stream of units.

``read_units(path)`` tells a file's format from its content, not its name, and
yields ``Sheet`` units (tables) and ``TextBlock`` units (running text) in
bounded memory, whatever the file's size or shape:

- CSV/TSV (delimiter ``,`` ``;`` tab or ``|``, encoding sniffed): one ``Sheet``;
  header = first row if it looks like one, else columns "1", "2", ...
- XLSX: a ``Sheet`` per worksheet, hidden ones too (``hidden=True``); header =
  first non-empty row if it looks like one, else columns "A", "B", ...; formula
  cells read as Excel's cached value, else as the formula text (never
  evaluated); comments, external-link caches and embedded files are read too.
- JSON: arrays of objects as ``Sheet`` units named by JSON path; other values
  as blocks of ``key: value`` lines. JSON Lines: runs of objects as a ``Sheet``
  whose rows are line numbers; other lines as blocks.
- Plain text: a ``TextBlock`` per non-blank line (``line``, character ``offset``).
- HTML/XML: the visible text in blocks; scripts and styles dropped.
- PDF: a ``TextBlock`` per page (``page``). DOCX: one per paragraph or table
  row, with notes, comments and tracked deletions.
- ZIP: every member, recursively, named ``archive.zip!member.csv``.

A ``Sheet`` never loses a cell: a row wider than its headers starts another
``Sheet`` of the same name with the extra columns. Consume (or drop) one
``Sheet``'s rows before asking for the next unit.

Anything that cannot be read raises ``casevault.errors.UnreadableFile`` (or its
``UnsupportedFormat`` and ``ArchiveRefused`` kinds), possibly while iterating
the units or a ``Sheet``'s rows, with a message naming the file and the reason,
never its content. ``ReadLimits`` holds every limit, with safe defaults.
"""

from casevault.shield.readers._dispatch import read_units
from casevault.shield.readers._limits import ReadLimits

__all__ = ["ReadLimits", "read_units"]
