"""The limits every reader works within, so that no file can exhaust memory, disk or patience.

Each limit guards one way a hostile or broken file could make a scan unbounded;
when a file crosses one, reading stops with ``UnreadableFile`` (``ArchiveRefused``
for archive limits) naming the limit, instead of carrying on or truncating
silently. The defaults keep peak memory well under 512 MB whatever the input.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Safety limits for ``read_units``; raise one only for files from a trusted source."""

    max_field_chars: int = 1 * MIB
    """Longest CSV field or worksheet cell; longer text lines are read in chunks of this size.

    (CSV fields are held to it through the csv module's process-wide limit, which
    is raised to this value when lower and never lowered.)"""
    max_record_chars: int = 8 * MIB
    """Longest CSV record (all its lines), JSON value read as a whole, or JSON Lines line."""
    max_columns: int = 16_384
    """Widest table (Excel's own limit); also the most distinct keys of a JSON table."""
    max_json_depth: int = 64
    """Deepest nesting of JSON objects and arrays that is walked."""
    max_members: int = 10_000
    """Most entries in one ZIP archive (also XLSX and DOCX, which are ZIP archives)."""
    max_member_bytes: int = 1 * GIB
    """Largest uncompressed size of one archive member."""
    max_total_bytes: int = 4 * GIB
    """Largest uncompressed size of all members of a file, nested archives included."""
    max_ratio: int = 300
    """Largest uncompressed/compressed ratio of a member (checked past ``ratio_floor_bytes``)."""
    ratio_floor_bytes: int = 1 * MIB
    """Below this uncompressed size a member's ratio is not checked (small files compress well)."""
    max_depth: int = 3
    """Deepest nesting of archives within archives (``a.zip!b.zip!c.csv`` is depth 2)."""
    max_xml_part_bytes: int = 64 * MIB
    """Largest XLSX part held whole in memory (shared strings, workbook, styles, relationships)."""
    max_pdf_pages: int = 50_000
    """Most pages of a PDF that are read."""
    sample_bytes: int = 64 * KIB
    """How much of a file is looked at to tell its format, encoding and CSV dialect."""
    spool_bytes: int = 16 * MIB
    """Archive members up to this size are held in memory; larger ones go to a temporary file."""

    def __post_init__(self) -> None:
        for limit in fields(self):
            value = getattr(self, limit.name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"ReadLimits.{limit.name} must be a positive integer")
