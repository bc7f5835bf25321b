"""US street addresses: house number, street name, suffix, optional unit.

``123 Main St Apt 4B``, ``1600 N. Pennsylvania Avenue``, ``45 Spring Lake Rd``.
The common suffixes (Street, Avenue, Road, Drive, …) are evidence enough;
the long tail of USPS suffixes (Lodge, Crossing, Views, …) is too close to
ordinary words ("10 Key Points") to count without a unit, a context word or
an address header. Court names are not addresses: "Immigration Court" after
a number is a court, not a house.
"""

from __future__ import annotations

import re
from typing import Final

from casevault.domain.names import fold
from casevault.shield.detectors._base import ContextWords, Prepared, Recogniser, cell_span
from casevault.shield.detectors.headers import ColumnRole
from casevault.shield.model import Kind, Match

COMMON_SUFFIXES: Final = frozenset({
    "street", "st", "avenue", "ave", "av", "road", "rd", "boulevard", "blvd", "drive", "dr",
    "lane", "ln", "way", "court", "ct", "place", "pl", "terrace", "ter", "circle", "cir",
    "highway", "hwy", "parkway", "pkwy", "trail", "trl", "square", "sq", "plaza", "plz",
    "pike", "loop", "alley", "aly", "expressway", "expy", "freeway", "fwy", "turnpike", "tpke",
})
RARE_SUFFIXES: Final = frozenset({
    "branch", "bridge", "brook", "brooks", "burg", "burgs", "bypass", "camp", "canyon", "cape",
    "causeway", "center", "centers", "circles", "cliff", "cliffs", "club", "common", "corner",
    "corners", "course", "courts", "cove", "coves", "creek", "crescent", "crest", "crossing",
    "crossroad", "curve", "dale", "dam", "divide", "drives", "estate", "estates", "extension",
    "extensions", "fall", "falls", "ferry", "field", "fields", "flat", "flats", "ford",
    "fords", "forest", "forge", "forges", "fork", "forks", "fort", "garden", "gardens",
    "gateway", "glen", "glens", "green", "greens", "grove", "groves", "harbor", "harbors",
    "haven", "heights", "hill", "hills", "hollow", "inlet", "island", "islands", "isle",
    "junction", "junctions", "key", "keys", "knoll", "knolls", "lake", "lakes", "land",
    "landing", "light", "lights", "loaf", "lock", "locks", "lodge", "mall", "manor", "manors",
    "meadow", "meadows", "mews", "mill", "mills", "mission", "motorway", "mount", "mountain",
    "mountains", "neck", "orchard", "oval", "overpass", "park", "parks", "parkways", "pass",
    "passage", "path", "pine", "pines", "plain", "plains", "point", "points", "port", "ports",
    "prairie", "radial", "ramp", "ranch", "rapid", "rapids", "rest", "ridge", "ridges",
    "river", "roads", "route", "rte", "row", "rue", "run", "shoal", "shoals", "shore",
    "shores", "skyway", "spring", "springs", "spur", "spurs", "squares", "station",
    "stravenue", "stream", "streets", "summit", "throughway", "trace", "track", "trafficway",
    "tunnel", "underpass", "union", "unions", "valley", "valleys", "via", "viaduct", "view",
    "views", "village", "villages", "ville", "vista", "walk", "walks", "wall", "ways", "well",
    "wells",
})
_INSTITUTIONS: Final = frozenset({
    "immigration", "district", "supreme", "circuit", "appeals", "superior", "municipal",
    "bankruptcy", "tax", "family", "juvenile", "traffic", "processing", "detention",
    "correctional", "medical", "service", "police", "community", "federal", "county",
})
"""Words before a suffix that make it an institution: "Immigration Court", "Processing Center"."""

_SUFFIX: Final = "|".join(sorted(COMMON_SUFFIXES | RARE_SUFFIXES, key=len, reverse=True))
_UNIT: Final = (r"(?:,?\s*(?i:apt|apartment|unit|suite|ste|fl|floor|rm|room|bldg|building|lot|"
                r"space|spc|trlr|\#)\.?\s*\#?\s*[A-Za-z0-9\-]{1,6})")
STREET: Final = re.compile(
    r"[0-9](?<![\w\-./#,][0-9])[0-9]{0,5}[A-Za-z]?(?:-[0-9]{1,4})?[ \t]+"
    r"(?:(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.?[ \t]+)?"
    r"(?P<name>(?:(?:[A-Z][A-Za-z'’\-]*|[0-9]{1,3}(?i:st|nd|rd|th))\.?[ \t]+){1,3})"
    rf"(?P<suffix>(?i:{_SUFFIX}))\.?"
    r"(?:[ \t]+(?:[NSEW]|NE|NW|SE|SW)\.?(?![\w]))?"
    rf"(?P<unit>{_UNIT})?(?![\w])")
CELL: Final = re.compile(r"[0-9]{1,6}[A-Za-z]?\s+[^\W\d_]")
"""Under an address header, a cell that starts with a house number and a word is an address."""

CONTEXT: Final = ContextWords(
    r"address|addr\.?|resides?(?:\s+at)?|residing|residence|residencia|lives?\s+at|"
    r"living\s+at|domicile|"
    r"direcci[oó]n|domicilio|vive\s+en|reside\s+en",
    ("addr", "resid", "lives at", "live at", "living at", "domicil", "direcci", "vive en"),
)


class AddressDetector(Recogniser):
    """Street addresses; rare suffixes only with a unit, a context word or a header."""

    kind = Kind.ADDRESS
    min_digits = 1
    COMMON_CONFIDENCE: Final = 0.6
    RARE_CONFIDENCE: Final = 0.5
    VOUCHED_CONFIDENCE: Final = 0.85
    HEADER_CONFIDENCE: Final = 0.9

    def scan(self, prepared: Prepared) -> list[Match]:
        if not prepared.has_digit:
            return []
        if prepared.role is ColumnRole.ADDRESS:
            return self._cell(prepared.text)
        found = []
        for hit in STREET.finditer(prepared.text):
            confidence = self._confidence(prepared, hit)
            if confidence:
                found.append(Match(self.kind, hit.start(), hit.end(), confidence, fold(hit[0])))
        return found

    def _confidence(self, prepared: Prepared, hit: re.Match[str]) -> float:
        """How sure, or 0.0 when the suffix is too weak or names an institution."""
        suffix = hit["suffix"].lower()
        last_word = hit["name"].split()[-1].strip(".").lower()
        if last_word in _INSTITUTIONS:
            return 0.0
        if CONTEXT.vouches(prepared, hit.start(), hit.end()):
            return self.VOUCHED_CONFIDENCE
        if suffix in COMMON_SUFFIXES:
            return self.COMMON_CONFIDENCE
        return self.RARE_CONFIDENCE if hit["unit"] else 0.0

    def _cell(self, text: str) -> list[Match]:
        start, end = cell_span(text)
        if CELL.match(text, start, end) is None:
            return []
        return [Match(self.kind, start, end, self.HEADER_CONFIDENCE, fold(text[start:end]))]
