"""Calendar dates in the writings people and exports use, read into ``datetime.date``.

ISO (``1990-03-12``, with or without a time, as exports write it), numeric
month/day/year and day/month/year, ``12 Mar 1990``, ``12 de marzo de 1990`` and
``March 12, 1990``. A numeric date whose first two numbers could both be a
month is ambiguous: it is read month-first (the US habit) unless the caller
says the source writes day-first, and the result says it was a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final

_MONTHS: Final[dict[str, int]] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12, "ene": 1, "abr": 4, "ago": 8, "set": 9,
    "dic": 12,
}
_MONTH: Final = "|".join(sorted(_MONTHS, key=len, reverse=True))
_TIME: Final = (r"(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
                r"(?:Z|[+\-][0-9]{2}:?[0-9]{2})?)?")
_END: Final = r"(?![\w\-/]|\.[0-9])"

ISO: Final = re.compile(r"[0-9](?<![\w\-./][0-9])[0-9]{3}(?P<s>[\-/.])(?P<m>[0-9]{1,2})(?P=s)"
                        r"(?P<d>[0-9]{1,2})" + _TIME + _END)
NUMERIC: Final = re.compile(r"[0-9](?<![\w\-./][0-9])[0-9]?(?P<s>[\-/.])(?P<b>[0-9]{1,2})(?P=s)"
                            r"(?P<y>[0-9]{4}|[0-9]{2})" + _END)
DAY_MONTH: Final = re.compile(
    r"[0-9](?<![\w\-./][0-9])[0-9]?(?:st|nd|rd|th)?(?:\s*[\-/.]\s*|\s+(?:de\s+|of\s+)?)"
    rf"(?P<mon>{_MONTH})\.?(?:\s*[\-/.,]\s*|\s+(?:de\s+|del\s+)?)(?P<y>[0-9]{{4}})(?![\w])",
    re.IGNORECASE)
MONTH_DAY: Final = re.compile(
    rf"(?<![^\W_])(?P<mon>{_MONTH})\.?\s+(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?,?\s+"
    r"(?P<y>[0-9]{4})(?![\w])", re.IGNORECASE)
COMPACT: Final = re.compile(r"(?P<y>(?:19|20)[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date in the text and how sure the reading is (1.0 unless a guess was needed)."""

    start: int
    end: int
    value: date
    certainty: float


def _year(written: str, today: date) -> tuple[int, float]:
    """A four-digit year, or a two-digit one placed in the latest century not in the future."""
    if len(written) == 4:
        return int(written), 1.0
    century = 2000 if 2000 + int(written) <= today.year else 1900
    return century + int(written), 0.8


def _made(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _iso(hit: re.Match[str], _today: date, _day_first: bool | None) -> tuple[date | None, float]:
    year = int(hit[0][:4])
    return _made(year, int(hit["m"]), int(hit["d"])), 1.0


def _numeric(hit: re.Match[str], today: date,
             day_first: bool | None) -> tuple[date | None, float]:
    first, second = int(hit[0][: hit.start("s") - hit.start()]), int(hit["b"])
    year, certainty = _year(hit["y"], today)
    if day_first is None and hit["s"] == ".":
        day_first = True  # dotted dates are the European day-first writing
    if first > 12 or (day_first and second <= 12):
        month, day = second, first
    else:
        month, day = first, second
    if day_first is None and first <= 12 and second <= 12 and first != second:
        certainty *= 0.9
    return _made(year, month, day), certainty


def _day_month(hit: re.Match[str], _today: date,
               _day_first: bool | None) -> tuple[date | None, float]:
    day = int("".join(ch for ch in hit[0][:2] if ch.isdigit()))
    return _made(int(hit["y"]), _month(hit["mon"]), day), 1.0


def _month_day(hit: re.Match[str], _today: date,
               _day_first: bool | None) -> tuple[date | None, float]:
    return _made(int(hit["y"]), _month(hit["mon"]), int(hit["d"])), 1.0


def _month(word: str) -> int:
    return _MONTHS[word.lower()]


_Reader = Callable[[re.Match[str], date, bool | None], tuple[date | None, float]]
_READERS: Final[tuple[tuple[re.Pattern[str], _Reader], ...]] = (
    (ISO, _iso), (NUMERIC, _numeric), (DAY_MONTH, _day_month), (MONTH_DAY, _month_day))


def dates_in(text: str, start: int, end: int, *, today: date,
             day_first: bool | None) -> Iterator[FoundDate]:
    """Every date written in ``text[start:end]``, in no particular order."""
    for pattern, read in _READERS:
        for hit in pattern.finditer(text, start, end):
            value, certainty = read(hit, today, day_first)
            if value is not None:
                yield FoundDate(hit.start(), hit.end(), value, certainty)


def compact_date(text: str) -> date | None:
    """``YYYYMMDD`` as a whole cell (only a date-of-birth header makes eight digits a date)."""
    hit = COMPACT.fullmatch(text)
    return None if hit is None else _made(int(hit["y"]), int(hit["m"]), int(hit["d"]))
