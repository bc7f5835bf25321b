"""Person names, from what stands around them: a label, a title, a role, a header.

Names have no shape a pattern can recognise without a dictionary (and a
dictionary misses the people casevault serves), so this detector trusts
evidence: ``Name: PEREZ GARCIA, Jose``, ``Mr. Jose Perez``, ``respondent Jose
Perez``, a previous line or cell that reads ``Nombre:``, or a column header
(``LAST``, ``FIRST``, ``Apellido``…) under which the whole cell is the name.
The name is the run of capitalised words after the evidence (particles such
as "de la" inside it); the kind follows the label or header: family name,
given name, or the whole name. The exact data match, not this detector, says
whether the name is one of casevault's people.
"""

from __future__ import annotations

import re
from typing import Final

from casevault.domain.names import fold
from casevault.shield.detectors._base import (
    LITERALS,
    Prepared,
    Recogniser,
    around_literals,
    cell_span,
)
from casevault.shield.detectors.headers import NAME_ROLES, ROLE_KIND, ColumnRole, header_role
from casevault.shield.model import Kind, Match

_LABEL_WORDS: Final = (
    r"(?:(?:full|legal|first|last|given|family|middle|client|respondent|applicant|detainee|"
    r"alien|person|beneficiary)(?:'s)?\s+)?(?:names?|surnames?|nombres?(?:\s+completo)?|"
    r"apellidos?(?:\s+y\s+nombres?)?|nombres?\s+y\s+apellidos?)"
    r"(?:\s+of\s+(?:the\s+)?(?:respondent|applicant|detainee))?")
_ROLE_WORDS: Final = (r"respondent|applicant|detainee|client|beneficiary|petitioner|defendant|"
                      r"the\s+alien|solicitante|detenid[oa]|demandad[oa]")
LABELLED: Final = re.compile(
    rf"(?<![^\W_])(?:(?P<label>{_LABEL_WORDS})[ \t]*[:\-–][ \t]*|(?:{_ROLE_WORDS})[ \t]+)",
    re.IGNORECASE)
TITLE: Final = re.compile(r"[MDS](?<![^\W_][MDS])"
                          r"(?:(?<=M)(?:rs?|s|iss|x)\.?|(?<=D)r\.|(?<=S)(?:rta\.?|ra\.?|r\.))"
                          r"[ \t]+")
"""Mr, Mrs, Ms, Miss, Mx, Dr., Sr., Sra, Srta (Dr and Sr only with their dot: "Main Dr Apt")."""
CONTEXT_LABEL: Final = re.compile(rf"(?:(?P<label>{_LABEL_WORDS})|{_ROLE_WORDS})[ \t]*[:\-–]?\s*$",
                                  re.IGNORECASE)
_LITERALS: Final = ("name", "nombre", "apellido", "respondent", "applicant", "detain",
                    "client", "beneficiar", "petitioner", "defendant", "alien", "solicitante",
                    "detenid", "demandad")
"""Every label and role word holds one of these; the label is looked for only around them."""
LITERALS.register(_LITERALS)
_LABEL_REACH: Final = 40
"""How far a label reaches around its literal ("Respondent's full name: " and the gap)."""
_PRECEDING: Final = re.compile(r"([^\W\d_]+)[ \t_\-]*$")
NOT_PERSON_LABELS: Final = frozenset({
    "file", "user", "court", "facility", "company", "business", "firm", "organization",
    "organisation", "street", "city", "country", "host", "domain", "field", "column", "sheet",
    "display", "screen", "account", "login", "product", "brand", "project", "document", "case",
    "program", "school", "employer", "agency", "office", "judge", "site", "event", "table",
})
"""Words that make a following "name:" something other than a person's name ("File name:")."""
_PLACEHOLDERS: Final = frozenset({"na", "none", "null", "nil", "unknown", "redacted", "tbd",
                                  "desconocido", "sinnombre", "xxx", "withheld", "anonymous"})
_WORD: Final = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")
_GAP: Final = re.compile(r"[ \t]+")
_COMMA: Final = re.compile(r",[ \t]*")
PARTICLES: Final = frozenset({"de", "del", "la", "las", "los", "y", "da", "das", "do", "dos",
                              "van", "von", "der", "den", "di", "du", "le", "bin", "al", "el"})
NOT_NAMES: Final = frozenset({
    "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "from",
    "is", "was", "has", "had", "did", "does", "not", "through", "who", "appeared", "appears",
    "filed", "failed", "requests", "request", "pro", "se", "counsel", "court", "immigration",
    "judge", "department", "homeland", "security", "dhs", "ice", "cbp", "uscis", "eoir",
    "government", "united", "states", "board", "appeals", "notice", "order", "decision",
    "hearing", "case", "file", "number", "date", "name", "unknown", "redacted", "none", "null",
    "pending", "detained", "released", "respondent", "applicant", "n/a", "na", "tbd",
    "desconocido", "sin", "nombre", "no", "yes", "si", "motion", "brief", "exhibit", "page",
})
"""Capitalised words that end a name run (headings and legal phrases are capitalised too)."""
_MAX_WORDS: Final = 6
_MAX_CELL: Final = 120


class NameDetector(Recogniser):
    """Person names after a label, title or role word, in context, or under a name header."""

    kind = Kind.PERSON_NAME
    HEADER_CONFIDENCE: Final = 0.9
    LABEL_CONFIDENCE: Final = 0.75
    TITLE_CONFIDENCE: Final = 0.7
    ROLE_CONFIDENCE: Final = 0.6
    SINGLE_WORD_FACTOR: Final = 0.8

    def scan(self, prepared: Prepared) -> list[Match]:
        if prepared.role in NAME_ROLES:
            return self._cell(prepared.text, prepared.role)
        found = self._after_context(prepared)
        found.extend(self._after_titles(prepared.text))
        found.extend(self._after_labels(prepared))
        return _first_per_start(found)

    def _cell(self, text: str, role: ColumnRole | None) -> list[Match]:
        """Under a name header the whole cell is the name, unless it is empty or a placeholder."""
        start, end = cell_span(text)
        value = text[start:end]
        if not value or len(value) > _MAX_CELL or any(ch.isdigit() for ch in value):
            return []
        normal = fold(value)
        if not normal or normal.replace(" ", "") in _PLACEHOLDERS:
            return []
        kind = ROLE_KIND[role] if role else self.kind
        return [Match(kind, start, end, self.HEADER_CONFIDENCE, normal)]

    def _after_context(self, prepared: Prepared) -> list[Match]:
        """A name at the start of the text when the caller's context ends with a label."""
        if not prepared.context:
            return []
        label = CONTEXT_LABEL.search(prepared.context[-60:])
        if label is None:
            return []
        start = cell_span(prepared.text)[0]
        return self._name(prepared.text, start, _label_kind(label["label"]),
                          self.LABEL_CONFIDENCE, minimum=1, comma=True)

    def _after_titles(self, text: str) -> list[Match]:
        found = []
        for hit in TITLE.finditer(text):
            found.extend(self._name(text, hit.end(), self.kind, self.TITLE_CONFIDENCE,
                                    minimum=1, comma=False))
        return found

    def _after_labels(self, prepared: Prepared) -> list[Match]:
        """Names after labels and role words, looked for only around their literal words."""
        text, found = prepared.text, []
        hits = (hit for start, end in around_literals(prepared, _LITERALS, _LABEL_REACH)
                for hit in LABELLED.finditer(text, start, end))
        for hit in hits:
            if _about_something_else(text, hit.start()):
                continue
            if hit["label"] is not None:
                found.extend(self._name(text, hit.end(), _label_kind(hit["label"]),
                                        self.LABEL_CONFIDENCE, minimum=1, comma=True))
            else:
                found.extend(self._name(text, hit.end(), self.kind, self.ROLE_CONFIDENCE,
                                        minimum=2, comma=False))
        return found

    def _name(self, text: str, start: int, kind: Kind, confidence: float, *,
              minimum: int, comma: bool) -> list[Match]:
        end, words = _name_run(text, start, comma=comma)
        if words < minimum:
            return []
        if words == 1:
            confidence *= self.SINGLE_WORD_FACTOR
        return [Match(kind, start, end, round(confidence, 3), fold(text[start:end]))]


def _name_run(text: str, start: int, *, comma: bool) -> tuple[int, int]:
    """The end of the run of name words at ``start``, and how many (particles not counted)."""
    position, end, words = start, start, 0
    comma_left = comma
    while words < _MAX_WORDS:
        hit = _WORD.match(text, position)
        if hit is None:
            break
        word = hit[0]
        bare = word.rstrip(".").casefold()
        if bare in PARTICLES and words:
            position = hit.end()
        elif word[0].isupper() and bare not in NOT_NAMES:
            words += 1
            position = end = hit.end()
        else:
            break
        gap = _GAP.match(text, position)
        if gap is None and comma_left and words:
            gap = _COMMA.match(text, position)
            comma_left = False
        if gap is None:
            break
        position = gap.end()
    return end, words


def _about_something_else(text: str, start: int) -> bool:
    """Whether the word before a label makes it a file, court, user… name."""
    before = _PRECEDING.search(text, max(0, start - 24), start)
    return before is not None and before[1].casefold() in NOT_PERSON_LABELS


def _label_kind(label: str | None) -> Kind:
    """The kind a label names: "Last name" a family name, "Nombres" given names, else a name."""
    role = header_role(label) if label else None
    return ROLE_KIND[role] if role in NAME_ROLES and role is not None else Kind.PERSON_NAME


def _first_per_start(found: list[Match]) -> list[Match]:
    """One match per name: the first evidence that found it wins, in text order."""
    seen: dict[int, Match] = {}
    for match in found:
        seen.setdefault(match.start, match)
    return [seen[start] for start in sorted(seen)]
