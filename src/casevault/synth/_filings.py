"""The record of proceedings: documents filed in a case, with small synthetic contents.

Every case has its notice to appear; every application its form; merits cases
collect evidence and declarations; decided cases an order. Contents are a few
hundred bytes of text that name the respondent and A-number as real filings do
(so the leak shield has something to find), and say plainly that they are
synthetic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from casevault.domain.anumber import format_a_number
from casevault.domain.records import Application, Document, Person
from casevault.domain.vocab import ApplicationKind, CaseStatus, CaseType, DocumentCategory
from casevault.synth._calendar import after, day_between
from casevault.synth._docket import Docket, Dockets
from casevault.synth._draw import number, pick
from casevault.synth._world import World

_MEDIA_TYPE: Final = "text/plain"
_APPLICATION_TITLES: Final = {
    ApplicationKind.ASYLUM: "Form I-589, Application for Asylum and for Withholding of Removal",
    ApplicationKind.WITHHOLDING: "Form I-589, Withholding of Removal",
    ApplicationKind.CAT: "Form I-589, Protection under the Convention Against Torture",
    ApplicationKind.CANCELLATION: "Form EOIR-42B, Application for Cancellation of Removal",
    ApplicationKind.ADJUSTMENT: "Form I-485, Application to Adjust Status",
    ApplicationKind.VOLUNTARY_DEPARTURE: "Request for Voluntary Departure",
    ApplicationKind.BOND: "Request for Custody Redetermination",
}
_EVIDENCE: Final = ("Country conditions report", "Identity documents", "Medical records",
                    "Police report", "Letters of support", "Birth certificate",
                    "School records", "Photographs")
_MOTIONS: Final = ("Motion to Continue", "Motion to Change Venue",
                   "Motion for Telephonic Appearance", "Motion to Advance")
_PROTECTION: Final = frozenset({ApplicationKind.ASYLUM, ApplicationKind.WITHHOLDING,
                                ApplicationKind.CAT})


@dataclass(frozen=True, slots=True)
class _CaseRef:
    """The case a document is filed in, and whose it is."""

    person: Person
    case_id: str
    docket: Docket


class Filings:
    """Documents of one case, filed by its staff, its attorneys or the respondent."""

    def __init__(self, world: World, dockets: Dockets, content_share: float) -> None:
        self.world = world
        self.content_share = content_share
        self.dockets = dockets
        self.rng: random.Random = world.rng

    def documents(self, person: Person, case_id: str, docket: Docket,
                  applications: list[Application]) -> Iterator[Document]:
        where = _CaseRef(person, case_id, docket)
        today = self.world.today
        limit = docket.last_day(today)
        dhs = self.dockets.stint(docket.site.dhs_counsel, docket.opened_on, None).who
        yield self._doc(where, DocumentCategory.NOTICE_TO_APPEAR,
                        "Notice to Appear (Form I-862)", docket.opened_on, by=dhs)
        for application in applications:
            yield self._doc(where, DocumentCategory.APPLICATION,
                            _APPLICATION_TITLES[application.kind], application.filed_on,
                            by=docket.attorney_on(application.filed_on),
                            application_id=application.application_id)
        yield from self._supporting(where, applications, limit)
        yield from self._orders(where)

    def _supporting(self, where: _CaseRef, applications: list[Application],
                    limit: date) -> Iterator[Document]:
        """Declarations, evidence, motions and briefs filed while the case runs."""
        rng = self.rng
        docket = where.docket
        protection = [a for a in applications if a.kind in _PROTECTION]
        if protection and rng.random() < 0.6:
            day = day_between(rng, protection[0].filed_on, limit)
            yield self._doc(where, DocumentCategory.DECLARATION,
                            "Declaration of Respondent", day, by=docket.attorney_on(day))
        for _ in range(pick(rng, (0, 0, 0, 1, 1, 2)) if applications else 0):
            day = day_between(rng, docket.opened_on, limit)
            yield self._doc(where, DocumentCategory.EVIDENCE,
                            pick(rng, _EVIDENCE), day, by=docket.attorney_on(day))
        if rng.random() < 0.15:
            day = day_between(rng, docket.opened_on, limit)
            mover = docket.attorney_on(day) or self.dockets.stint(
                docket.site.dhs_counsel, day, None).who
            yield self._doc(where, DocumentCategory.MOTION,
                            pick(rng, _MOTIONS), day, by=mover)
        if docket.status is CaseStatus.APPEALED and rng.random() < 0.6:
            day = min(self.world.today, after(rng, limit, 10, 60))
            yield self._doc(where, DocumentCategory.BRIEF, "Brief on Appeal",
                            day, by=docket.attorney_on(day) or docket.attorney_on(limit))

    def _orders(self, where: _CaseRef) -> Iterator[Document]:
        """The judge's order in a decided case; a transcript when it went on appeal."""
        docket = where.docket
        decided = docket.decided_on
        if decided is None:
            return
        title = ("Order of the Immigration Judge with Respect to Custody"
                 if docket.case_type is CaseType.BOND else
                 "Decision and Order of the Immigration Judge")
        yield self._doc(where, DocumentCategory.DECISION, title, decided,
                        by=docket.judge_on(decided))
        if docket.status is CaseStatus.APPEALED:
            day = min(self.world.today, decided + timedelta(days=number(self.rng, 20, 120)))
            clerk = self.dockets.stint(docket.site.clerks, day, None).who
            yield self._doc(where, DocumentCategory.TRANSCRIPT,
                            "Transcript of Proceedings", day, by=clerk)

    def _doc(self, where: _CaseRef, category: DocumentCategory, title: str, filed_on: date, *,
             by: str | None, application_id: str | None = None) -> Document:
        document_id = self.world.ids.next("D", 8)
        content = _content(where, title, filed_on, category) \
            if self.rng.random() < self.content_share else None
        return Document(document_id, where.case_id, category, title, filed_on, by,
                        application_id, _MEDIA_TYPE if content is not None else None, content)


_BODIES: Final = {
    DocumentCategory.NOTICE_TO_APPEAR: (
        "The Department of Homeland Security alleges that you are not a citizen or national "
        "of the United States and that you are removable. You are ordered to appear before "
        "an immigration judge."),
    DocumentCategory.APPLICATION: "Application for relief filed on behalf of the respondent.",
    DocumentCategory.DECLARATION: (
        "I declare under penalty of perjury that the statements in my application are true "
        "and that I fear returning to my country."),
    DocumentCategory.EVIDENCE: "Submitted in support of the respondent's applications.",
    DocumentCategory.MOTION: "The moving party respectfully asks the court to grant this motion.",
    DocumentCategory.BRIEF: "The respondent asks the Board to reverse the decision below.",
    DocumentCategory.DECISION: "Upon consideration of the entire record, it is hereby ORDERED.",
    DocumentCategory.TRANSCRIPT: "Transcript of the hearing prepared for the record on appeal.",
}


def _content(where: _CaseRef, title: str, filed_on: date, category: DocumentCategory) -> bytes:
    """A short filing that names its respondent, as a real one would."""
    person = where.person
    a_number = format_a_number(person.a_number) if person.a_number else "unknown"
    text = (
        "U.S. DEPARTMENT OF JUSTICE - EXECUTIVE OFFICE FOR IMMIGRATION REVIEW\n"
        f"{where.docket.site.court.name}\n\n"
        f"In the Matter of: {(person.family_name or '').upper()}, {person.given_name or ''}\n"
        f"File No.: {a_number}    Case No.: {where.case_id}\n"
        f"{title}\nFiled: {filed_on.isoformat()}\n\n"
        f"{_BODIES[category]}\n\n"
        "SYNTHETIC RECORD generated by casevault.synth for testing; not a real person.\n"
    )
    return text.encode("utf-8")
