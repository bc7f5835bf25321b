"""PDF output with fpdf2: a Unicode font when the system has one, pages of wrapped text.

Names on a notice are in every script the court's people write; fpdf2's built-in
fonts cover Latin-1 only. A DejaVu Sans (or ``CASEVAULT_PDF_FONT``) TrueType font
is used when found; otherwise text is reduced to Latin-1 with ``?`` for what
cannot be shown (the mail-merge CSV keeps the exact spelling either way).
Lines are wrapped by character count and written with ``text``: about a
millisecond a page, which a run of ten thousand notices needs.
"""

from __future__ import annotations

import logging
import os
import textwrap
from pathlib import Path
from typing import Final

from fpdf import FPDF

logging.getLogger("fpdf").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)
# fpdf2 warns of glyphs a font lacks by quoting them: the letters of a person's name must not
# reach an operational log (DESIGN.md invariant 9), so only its errors are let through.

FONT_CANDIDATES: Final = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
    Path("/Library/Fonts/DejaVuSans.ttf"),
)
WRAP: Final = 92
LINE_MM: Final = 5.0
LEFT_MM: Final = 15.0
TOP_MM: Final = 20.0
BOTTOM_MM: Final = 280.0


def _font() -> Path | None:
    configured = os.environ.get("CASEVAULT_PDF_FONT")
    candidates = (Path(configured), *FONT_CANDIDATES) if configured else FONT_CANDIDATES
    return next((path for path in candidates if path.is_file()), None)


class Document:
    """A PDF of text pages; ``page`` adds one and returns its number."""

    def __init__(self, title: str) -> None:
        self._pdf = FPDF(format="A4")
        self._pdf.set_title(title)
        self._pdf.set_creator("casevault")
        self._pdf.set_auto_page_break(auto=False)
        font = _font()
        self._unicode = font is not None
        if font is not None:
            self._pdf.add_font("body", "", str(font))
            self._pdf.set_font("body", size=10)
        else:
            self._pdf.set_font("helvetica", size=10)

    @property
    def pdf(self) -> FPDF:
        return self._pdf

    def text(self, value: str) -> str:
        """``value`` as the font can show it."""
        if self._unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def page(self, paragraphs: list[str], *, title: str | None = None) -> int:
        """A new page (more when the text runs over); the number of its first page."""
        pdf = self._pdf
        pdf.add_page()
        first = pdf.page_no()
        y = TOP_MM
        if title:
            heading, *under = title.splitlines()
            pdf.set_font_size(13)
            pdf.text(LEFT_MM, y, self.text(heading))
            pdf.set_font_size(10)
            y += LINE_MM * 1.5
            for line in under:
                pdf.text(LEFT_MM, y, self.text(line))
                y += LINE_MM
            y += LINE_MM * 0.5
        for paragraph in paragraphs:
            for line in textwrap.wrap(paragraph, WRAP) or [""]:
                if y > BOTTOM_MM:
                    pdf.add_page()
                    y = TOP_MM
                pdf.text(LEFT_MM, y, self.text(line))
                y += LINE_MM
            y += LINE_MM * 0.6
        return first

    def save(self, path: Path) -> None:
        """Write the PDF readable by its owner only."""
        data = bytes(self._pdf.output())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)


__all__ = ["Document"]
