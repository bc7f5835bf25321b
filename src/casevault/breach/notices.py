"""Notices to affected people and to the attorneys of record of their open cases.

Each affected person gets a notice in their language where a template exists
(``templates/person.<iso639-3>.txt``; English otherwise), saying what of theirs
was exposed, when, what the agency is doing and whom to contact; each attorney
representing them in an open case gets one about that client
(``templates/attorney.<lang>.txt``; attorneys get English). Templates are
``string.Template`` text: a missing placeholder fails the whole run at once.

Output, all in the operator's chosen folder (created 0700, files 0600) and
nowhere else — notices are personal data, never logged:

* one PDF per recipient kind and language (``notices-person-spa.pdf``), one
  notice per page, as a print shop takes a mail run;
* ``mail-merge.csv``: one row per notice with the address, the language, and
  which PDF and page it is.

The database keeps one row per notice (ids, language, batch, page) with its
mailing status (``drafted``, then ``mailed``, ``delivered`` or ``returned``).
"""

from __future__ import annotations

import csv
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from string import Template
from typing import Final

from sqlalchemy import Engine, func, select

from casevault.access.holds import Addressee, BreachDoor, NoticeSubject, Officer
from casevault.breach._pdf import Document
from casevault.breach.incidents import Incident, add_step, load_incident, record_step
from casevault.errors import InvalidValue
from casevault.store.tables_breach import breach_affected, breach_notices

DEFAULT_LANGUAGE: Final = "eng"
ATTORNEY_LANGUAGE: Final = "eng"
STATUSES: Final = ("drafted", "mailed", "delivered", "returned")
MAIL_MERGE_COLUMNS: Final = (
    "notice_id", "incident_id", "recipient_kind", "recipient_id", "about_person_id", "language",
    "family_name", "given_name", "organization", "address", "city", "state", "postal_code",
    "batch_file", "page")

NOTICE_FIELDS: Final = frozenset({
    "notice_id", "incident_id", "today", "name", "organization", "client", "where", "posted",
    "detected", "removed", "exposed", "a_number_tail", "asylum_paragraph", "cases", "contact"})
"""The placeholders a template may use (``$name``); each run fills every one."""

_KIND_WORDS: Final = {
    "eng": {"a_number": "A-number", "person_name": "name", "family_name": "family name",
            "given_name": "given name", "date_of_birth": "date of birth", "phone": "phone number",
            "email": "e-mail address", "address": "address", "passport": "passport number",
            "ssn": "social security number", "itin": "taxpayer number"},
    "spa": {"a_number": "número A (A-number)", "person_name": "nombre",
            "family_name": "apellido", "given_name": "nombre de pila",
            "date_of_birth": "fecha de nacimiento", "phone": "número de teléfono",
            "email": "correo electrónico", "address": "dirección",
            "passport": "número de pasaporte", "ssn": "número de seguro social",
            "itin": "número de contribuyente"},
}
_PHRASES: Final = {
    "eng": {"unknown": "an unknown date", "site": "the agency's website",
            "no_cases": "none open", "and": "and",
            "asylum": ("Because you have asked for protection (asylum, withholding of removal "
                       "or protection under the Convention against Torture), this disclosure "
                       "may reveal that you did. Federal rules (8 CFR 208.6) keep that "
                       "confidential. We will take the disclosure into account in your case, "
                       "and you may raise it with the court."),
            "asylum_attorney": ("Your client has a protection claim on file (8 CFR 208.6); "
                                "the disclosure may reveal it and may itself give rise to a "
                                "new claim for protection.")},
    "spa": {"unknown": "una fecha desconocida", "site": "el sitio web de la agencia",
            "no_cases": "ninguno abierto", "and": "y",
            "asylum": ("Como usted ha pedido protección (asilo, suspensión de la deportación o "
                       "protección bajo la Convención contra la Tortura), esta divulgación puede "
                       "revelar que lo hizo. Las normas federales (8 CFR 208.6) protegen esa "
                       "información. Tendremos en cuenta la divulgación en su caso, y usted "
                       "puede plantearla ante la corte."),
            "asylum_attorney": ("Su cliente tiene una solicitud de protección en trámite "
                                "(8 CFR 208.6); la divulgación puede revelarla y puede dar "
                                "lugar a una nueva solicitud de protección.")},
}


@dataclass(frozen=True, slots=True)
class NoticeRun:
    """What a run wrote (counts and file names; the files hold the personal data)."""

    folder: Path
    persons: int
    attorneys: int
    by_language: dict[str, int]
    batches: tuple[Path, ...]
    mail_merge: Path
    seconds: float


@dataclass(frozen=True, slots=True)
class _Notice:
    notice_id: str
    kind: str
    recipient: Addressee
    about: NoticeSubject
    language: str
    paragraphs: list[str]


def template_languages(kind: str) -> frozenset[str]:
    """The languages a template exists for (``person`` or ``attorney``)."""
    folder = resources.files("casevault.breach") / "templates"
    return frozenset(entry.name.split(".")[1] for entry in folder.iterdir()
                     if entry.name.startswith(f"{kind}.") and entry.name.endswith(".txt"))


def notice_template(kind: str, language: str) -> Template:
    """The ``string.Template`` of one kind of notice in one language."""
    path = resources.files("casevault.breach") / "templates" / f"{kind}.{language}.txt"
    return Template(path.read_text(encoding="utf-8"))


def write_notices(door: BreachDoor, engine: Engine, officer: Officer, incident_id: str,
                  out: Path, *, contact: str) -> NoticeRun:
    """Draft every notice of an incident into ``out``; refuses a second run for one incident."""
    started = time.perf_counter()
    if not contact.strip():
        msg = "say whom recipients contact (--contact: an office, address or phone line)"
        raise InvalidValue(msg)
    with engine.connect() as connection:
        incident = load_incident(connection, incident_id)
        drafted = connection.execute(select(func.count()).select_from(breach_notices).where(
            breach_notices.c.incident_id == incident_id)).scalar_one()
        exposure = {r.person_id: (tuple(k for k in r.kinds.split(";") if k),
                                  bool(r.asylum_exposed)) for r in connection.execute(
            select(breach_affected).where(breach_affected.c.incident_id == incident_id))}
    if drafted:
        msg = (f"notices of incident {incident_id} were drafted already ({drafted}); track "
               "their mailing with `casevault breach mailed`")
        raise InvalidValue(msg)
    folder = _private_folder(out)
    languages = {"person": template_languages("person"),
                 "attorney": template_languages("attorney")}
    templates: dict[tuple[str, str], Template] = {}
    today = door.clock().date().isoformat()
    notices: list[_Notice] = []
    for subject in door.notice_subjects(officer, list(exposure), incident_id=incident_id):
        kinds, asylum = exposure[subject.person.recipient_id]
        recipients = [("person", subject.person,
                       _language(subject.person.language, languages["person"]))]
        recipients += [("attorney", attorney, _language(ATTORNEY_LANGUAGE,
                                                        languages["attorney"]))
                       for attorney in subject.attorneys]
        for kind, recipient, language in recipients:
            template = templates.get((kind, language))
            if template is None:
                template = templates[(kind, language)] = notice_template(kind, language)
            notice_id = secrets.token_hex(8)
            text = template.substitute(_fields(incident, subject, recipient, kind, language,
                                               kinds, asylum, notice_id, today, contact))
            notices.append(_Notice(notice_id, kind, recipient, subject, language,
                                   [p.strip() for p in text.split("\n\n") if p.strip()]))
    batches, pages = _render(notices, folder, incident_id)
    merge = _mail_merge(notices, pages, folder, incident_id)
    now = door.clock()
    with engine.begin() as connection:
        rows = [{"notice_id": n.notice_id, "incident_id": incident_id, "recipient_kind": n.kind,
                 "recipient_id": n.recipient.recipient_id,
                 "person_id": n.about.person.recipient_id, "language": n.language,
                 "status": "drafted", "status_at": now, "batch": pages[n.notice_id][0],
                 "page": pages[n.notice_id][1]} for n in notices]
        for start in range(0, len(rows), 5_000):
            connection.execute(breach_notices.insert(), rows[start:start + 5_000])
    persons = sum(1 for n in notices if n.kind == "person")
    by_language: dict[str, int] = {}
    for notice in notices:
        by_language[notice.language] = by_language.get(notice.language, 0) + 1
    record_step(door, engine, officer, incident_id, "notices_drafted", persons=persons,
                attorneys=len(notices) - persons)
    return NoticeRun(folder, persons, len(notices) - persons, by_language, tuple(batches), merge,
                     time.perf_counter() - started)


def _language(wanted: str, available: frozenset[str]) -> str:
    return wanted if wanted in available else DEFAULT_LANGUAGE


def _fields(incident: Incident, subject: NoticeSubject, recipient: Addressee, kind: str,
            language: str, kinds: tuple[str, ...], asylum: bool, notice_id: str, today: str,
            contact: str) -> dict[str, str]:
    phrases = _PHRASES.get(language, _PHRASES[DEFAULT_LANGUAGE])
    words = _KIND_WORDS.get(language, _KIND_WORDS[DEFAULT_LANGUAGE])
    timeline = incident.timeline
    exposed = [words.get(k, k.replace("_", " ")) for k in kinds]
    person = subject.person
    asylum_key = "asylum" if kind == "person" else "asylum_attorney"
    return {
        "notice_id": notice_id, "incident_id": incident.incident_id, "today": today,
        "name": _full_name(recipient),
        "organization": f", {recipient.organization}" if recipient.organization else "",
        "client": _full_name(person),
        "where": timeline.where or phrases["site"],
        "posted": _day(timeline.posted_at, phrases["unknown"]),
        "detected": _day(timeline.detected_at, phrases["unknown"]),
        "removed": _day(timeline.removed_at, phrases["unknown"]),
        "exposed": _joined(exposed, phrases["and"]),
        "a_number_tail": subject.a_number[-3:] if subject.a_number else "—",
        "asylum_paragraph": phrases[asylum_key] if asylum else "",
        "cases": ", ".join(subject.open_cases) or phrases["no_cases"],
        "contact": contact,
    }


def _full_name(who: Addressee) -> str:
    return " ".join(part for part in (who.given_name, who.family_name) if part) or "—"


def _day(moment: datetime | None, unknown: str) -> str:
    return moment.date().isoformat() if moment is not None else unknown


def _joined(items: list[str], conjunction: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _private_folder(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        msg = f"{out} must be a new or empty folder: notices are not mixed with other files"
        raise InvalidValue(msg)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    out.chmod(0o700)
    return out


def _render(notices: list[_Notice], folder: Path,
            incident_id: str) -> tuple[list[Path], dict[str, tuple[str, int]]]:
    """One PDF per (recipient kind, language); where each notice landed (file, page)."""
    groups: dict[tuple[str, str], list[_Notice]] = {}
    for notice in notices:
        groups.setdefault((notice.kind, notice.language), []).append(notice)
    written, pages = [], {}
    for (kind, language), members in sorted(groups.items()):
        document = Document(f"Notices, incident {incident_id}")
        name = f"notices-{kind}-{language}.pdf"
        for notice in members:
            title, *body = notice.paragraphs
            pages[notice.notice_id] = (name, document.page(body, title=title))
        path = folder / name
        document.save(path)
        written.append(path)
    return written, pages


def _mail_merge(notices: Iterable[_Notice], pages: dict[str, tuple[str, int]], folder: Path,
                incident_id: str) -> Path:
    path = folder / "mail-merge.csv"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MAIL_MERGE_COLUMNS)
        for n in notices:
            r = n.recipient
            writer.writerow((n.notice_id, incident_id, n.kind, r.recipient_id,
                             n.about.person.recipient_id, n.language, r.family_name,
                             r.given_name, r.organization, r.address, r.city, r.state,
                             r.postal_code, *pages[n.notice_id]))
    return path


def mark_mailing(door: BreachDoor, engine: Engine, officer: Officer, incident_id: str,
                 status: str, notice_ids: Iterable[str] = ()) -> int:
    """Set the mailing status of some notices (all of the incident when none are named)."""
    if status not in STATUSES[1:]:
        msg = f"a mailing status is one of {', '.join(STATUSES[1:])}"
        raise InvalidValue(msg)
    chosen = sorted(set(notice_ids))
    query = breach_notices.update().where(breach_notices.c.incident_id == incident_id)
    if chosen:
        query = query.where(breach_notices.c.notice_id.in_(chosen))
        with engine.connect() as connection:
            known = connection.execute(select(func.count()).select_from(breach_notices).where(
                breach_notices.c.incident_id == incident_id,
                breach_notices.c.notice_id.in_(chosen))).scalar_one()
        if known != len(chosen):
            msg = (f"{len(chosen) - known} of the notices named are not of incident "
                   f"{incident_id}; nothing was changed")
            raise InvalidValue(msg)
    record_step(door, engine, officer, incident_id, f"notices_{status}",
                notices=len(chosen) if chosen else "all")
    with engine.begin() as connection:
        changed = connection.execute(query.values(status=status, status_at=door.clock()))
        count = int(changed.rowcount or 0)
        pending = connection.execute(select(func.count()).select_from(breach_notices).where(
            breach_notices.c.incident_id == incident_id,
            breach_notices.c.recipient_kind == "person",
            breach_notices.c.status == "drafted")).scalar_one()
        incident = load_incident(connection, incident_id)
        met = any(s.step == "clock_met:individuals" for s in incident.steps)
        has_clock = any(rule.name == "individuals" for rule in incident.rules)
        if status == "mailed" and not pending and has_clock and not met:
            add_step(connection, incident_id, "clock_met:individuals", officer.user_id, None,
                     at=door.clock())
    return count


__all__ = ["MAIL_MERGE_COLUMNS", "NOTICE_FIELDS", "STATUSES", "NoticeRun", "mark_mailing",
           "notice_template", "template_languages", "write_notices"]
