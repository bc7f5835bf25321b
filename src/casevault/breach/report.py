"""The incident report, in HTML and PDF: timeline, clocks, counts and charts.

The report is for the agency's leadership, the security centre and the
authority, so it holds no personal data: counts, times, clock states and the
file's hash — no person ids, no names, no client addresses. Charts are bars:
inline SVG in the HTML (no script, nothing fetched), drawn rectangles in the PDF.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, select

from casevault.access.holds import BreachDoor, Officer
from casevault.breach._pdf import LEFT_MM, Document
from casevault.breach.incidents import Incident, load_incident, record_step
from casevault.store.rows import instant_from_store
from casevault.store.tables_breach import breach_downloads

REPORT_VERSION: Final = "cv-breach-report/1"
_BAR_WIDTH: Final = 360


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    bars: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class ReportFiles:
    html: Path
    pdf: Path


def _charts(incident: Incident, downloads_by_day: list[tuple[str, int]]) -> list[Chart]:
    return [
        Chart("Affected persons by kind of identifier exposed",
              tuple(sorted(incident.kinds.items(), key=lambda kv: -kv[1]))),
        Chart("Notices by language", tuple(sorted(incident.notices_by_language.items()))),
        Chart("Downloads of the leaked file per day (exposure window)",
              tuple(downloads_by_day)),
    ]


def _counts(incident: Incident) -> list[tuple[str, str]]:
    notices = incident.notices
    return [
        ("Persons affected", f"{incident.affected:,}"),
        ("Kinds of identifier exposed", f"{len(incident.kinds)}"),
        ("Asylum / protection claims exposed (8 CFR 208.6)", f"{incident.asylum_exposed:,}"),
        ("Identifiers of nobody here (manual review)", f"{incident.unresolved:,}"),
        ("Notices drafted (persons / attorneys)",
         f"{notices.get('to_person', 0):,} / {notices.get('to_attorney', 0):,}"),
        ("Notices mailed", f"{notices.get('mailed', 0) + notices.get('delivered', 0):,}"),
        ("Case holds placed (active)", f"{incident.holds_placed:,} ({incident.holds_active:,})"),
        ("Downloads traced", f"{incident.downloads:,}"),
    ]


def _timeline(incident: Incident) -> list[tuple[str, str]]:
    return [(f"{step.at:%Y-%m-%d %H:%M:%S}Z", step.step.replace("_", " ") + (
        " (" + ", ".join(f"{k} {v}" for k, v in step.detail.items()) + ")"
        if step.detail else "")) for step in incident.steps]


def _clocks(incident: Incident, now: datetime) -> list[tuple[str, str]]:
    return [(f"{s.rule.name} — {s.rule.label}",
             f"due {s.due_at:%Y-%m-%d %H:%M}Z: {s.state}"
             + (f" ({s.met_at:%Y-%m-%d %H:%M}Z)" if s.met_at else ""))
            for s in incident.clock_status(now)]


def write_report(door: BreachDoor, engine: Engine, officer: Officer, incident_id: str,
                 out: Path) -> ReportFiles:
    """Write ``incident-<id>.html`` and ``.pdf`` into ``out``; the step is ledgered."""
    with engine.connect() as connection:
        incident = load_incident(connection, incident_id)
        days = Counter(f"{instant_from_store(at):%Y-%m-%d}" for at in connection.execute(
            select(breach_downloads.c.at).where(breach_downloads.c.incident_id == incident_id))
            .scalars())
        by_day = sorted(days.items())
    now = door.clock()
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    charts = _charts(incident, by_day)
    files = ReportFiles(out / f"incident-{incident_id}.html", out / f"incident-{incident_id}.pdf")
    _private_write(files.html, _html(incident, charts, now).encode())
    _pdf(incident, charts, now).save(files.pdf)
    record_step(door, engine, officer, incident_id, "report_written")
    return files


def _private_write(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _svg(chart: Chart) -> str:
    if not chart.bars:
        return "<p class=none>none</p>"
    top = max(value for _, value in chart.bars) or 1
    height = 22 * len(chart.bars)
    rows = []
    for index, (label, value) in enumerate(chart.bars):
        width = max(1, round(_BAR_WIDTH * value / top))
        y = index * 22
        rows.append(f'<text x="0" y="{y + 15}">{html.escape(label)}</text>'
                    f'<rect x="170" y="{y + 3}" width="{width}" height="16" fill="#3a6ea5"/>'
                    f'<text x="{176 + width}" y="{y + 15}">{value:,}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_BAR_WIDTH + 240}" '
            f'height="{height}" font-family="sans-serif" font-size="12" role="img" '
            f'aria-label="{html.escape(chart.title)}">{"".join(rows)}</svg>')


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>"
                               for a, b in rows) + "</table>"


def _html(incident: Incident, charts: list[Chart], now: datetime) -> str:
    t = incident.timeline
    facts = [("Incident", incident.incident_id), ("File (SHA-256)", incident.file_sha256),
             ("Where", t.where or "unknown"),
             ("Posted", f"{t.posted_at:%Y-%m-%d %H:%M}Z" if t.posted_at else "unknown"),
             ("Detected", f"{t.detected_at:%Y-%m-%d %H:%M}Z"),
             ("Removed", f"{t.removed_at:%Y-%m-%d %H:%M}Z" if t.removed_at else "not yet"),
             ("Report generated", f"{now:%Y-%m-%d %H:%M}Z ({REPORT_VERSION})")]
    zero = ("<p><strong>The leaked file names no person of this system: zero affected."
            "</strong></p>" if incident.affected == 0 else "")
    sections = "".join(f"<h2>{html.escape(c.title)}</h2>{_svg(c)}" for c in charts)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Breach incident {html.escape(incident.incident_id)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "th{text-align:left;padding-right:2rem;font-weight:normal;color:#444}"
        "td{font-weight:bold}</style></head><body>"
        f"<h1>Breach incident {html.escape(incident.incident_id)}</h1>{zero}"
        f"{_table(facts)}<h2>Counts</h2>{_table(_counts(incident))}"
        f"<h2>Regulatory clocks</h2>{_table(_clocks(incident, now))}"
        f"{sections}<h2>Timeline</h2>{_table(_timeline(incident))}</body></html>\n")


def _pdf(incident: Incident, charts: list[Chart], now: datetime) -> Document:
    document = Document(f"Breach incident {incident.incident_id}")
    t = incident.timeline
    lines = [f"File SHA-256: {incident.file_sha256}", f"Where: {t.where or 'unknown'}",
             f"Posted: {t.posted_at:%Y-%m-%d %H:%M}Z" if t.posted_at else "Posted: unknown",
             f"Detected: {t.detected_at:%Y-%m-%d %H:%M}Z",
             f"Removed: {t.removed_at:%Y-%m-%d %H:%M}Z" if t.removed_at else "Removed: not yet",
             f"Generated: {now:%Y-%m-%d %H:%M}Z ({REPORT_VERSION})"]
    if incident.affected == 0:
        lines.append("The leaked file names no person of this system: zero affected.")
    lines += [f"{label}: {value}" for label, value in _counts(incident)]
    lines += [f"Clock {label}: {value}" for label, value in _clocks(incident, now)]
    document.page(lines, title=f"Breach incident {incident.incident_id}")
    pdf = document.pdf
    pdf.add_page()
    y = 20.0
    for chart in charts:
        pdf.set_font_size(11)
        pdf.text(LEFT_MM, y, document.text(chart.title))
        pdf.set_font_size(9)
        y += 6
        top = max((v for _, v in chart.bars), default=1) or 1
        for label, value in chart.bars[:20]:
            pdf.text(LEFT_MM, y + 3, document.text(label[:28]))
            pdf.set_fill_color(58, 110, 165)
            pdf.rect(LEFT_MM + 55, y, max(0.5, 100 * value / top), 4, style="F")
            pdf.text(LEFT_MM + 158, y + 3, f"{value:,}")
            y += 5.5
        y += 8
        pdf.set_font_size(10)
    document.page([f"{when}  {what}" for when, what in _timeline(incident)], title="Timeline")
    return document


__all__ = ["REPORT_VERSION", "ReportFiles", "write_report"]
