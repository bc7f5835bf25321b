"""Peer comparison: casevault's scanner against Microsoft Presidio on the incident replica.

Issue 6, item 9. Targets: at least 100x Presidio's throughput, with higher recall,
on the replica of the incident (6,252 rows: LAST NAME, FIRST NAME, DOB, A-NUMBER,
NATIONALITY, DETENTION FACILITY, BOOKING DATE).

Setup. A synthetic court (``_common.synthetic_court``) is imported into a fresh
SQLite database and indexed for exact data match. The replica is drawn from all
of its persons (``write_incident_replica(..., among=every person id)``); its
labels are the person id of each row. The clean files of ``write_clean_files``
(aggregate table, staff phone list, hearing calendar) are written beside it.

Presidio is presidio-analyzer with every recognizer its default registry loads
for English (credit card, US SSN/ITIN/passport/driver licence/bank number, phone,
e-mail, date, IBAN, IP, URL, crypto, NHS, medical licence, UUID, MAC, ...) and
the spaCy NER recognizer. spaCy's trained models are not on PyPI (``spacy
download`` fetches them from elsewhere, which this machine and CI cannot reach;
re-uploads by third parties are not trusted here), so by default the NLP engine
is a *blank* English spaCy pipeline (``spacy.blank("en")``, saved under
var/bench/ and loaded by path through ``NlpEngineProvider``): tokenizer only, so
context words work but there is **no NER: PERSON, LOCATION and NRP are never
found**. ``--spacy-model NAME`` uses
an installed spaCy model (e.g. en_core_web_lg) instead; it is never downloaded.

Presidio runs in two ways over the same file, both timed from reading the file
to the last result:

* text chunks: the file's text in ``analyze`` calls of whole lines, about
  ``--chunk-chars`` (2,000) characters each; results are mapped to rows by
  character offset. This is Presidio's fastest form here: a call's cost grows
  faster than its length (measured on the replica: chunks of 300-4,000
  characters ~2,000-3,000 rows/s, 16,000 ~1,500, 128,000 ~350, the whole 0.4 MB
  file in one call ~130 rows/s), so one call per file would understate it.
* per row: one ``analyze`` call per CSV line, with the header's words passed as
  ``context`` (as Presidio's batch engine passes column names), so a recognizer
  whose context words appear in the header gets its score raised.

Scoring, per data row (casevault's ``Location.row``: the header is row 1).

* casevault flags a row when a finding located in it would block (confidence
  >= ``BLOCKING_CONFIDENCE``); it names the right person when a finding in the
  row carries that row's label.
* Presidio flags a row when ``analyze`` returns any entity in it at its default
  score threshold (everything it returns). Because a date alone is nobody's
  personal data (the hearing calendar is all dates) the figures are also given
  without DATE_TIME results.
* Recall: share of replica rows flagged. Identifier recall: share of the
  replica's identifying cells (LAST NAME, FIRST NAME, DOB, A-NUMBER) that the tool
  recognised: for Presidio a result overlapping the cell, of any entity type
  (an A-number reported as US_DRIVER_LICENSE counts); for casevault the
  identifier kinds its exact data match says matched the person.
* Precision: over the mixed set (the replica and the three clean files, each
  scanned as its own file, rows pooled), flagged rows that hold personal data
  / flagged rows. Replica rows hold personal data. So do the staff phone list's
  rows (a name and a desk phone of a person, even an invented one who is not in
  the database): a tool flagging them is right that they are personal data,
  although casevault lets them pass by design (a court publishes its staff
  directory), so they are counted as true positives for precision and left out
  of recall. Aggregate and calendar rows hold none.

Throughput is measured on the replica CSV alone: casevault's ``Scanner.scan``
(median of 5 runs; the index is built before and not timed), Presidio once per
mode after a warm-up call (engine construction not timed). The ratio is taken
against Presidio's faster mode and the recall comparison against its better one.

    python bench/bench_presidio.py [--people 20000] [--rows 6252] [--chunk-chars 2000]
                                   [--spacy-model NAME]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from _common import CACHE, fresh_sqlite, synthetic_court, verdict
from casevault.shield.edm import EdmIndex
from casevault.shield.scan import BLOCKING_CONFIDENCE, Scanner
from casevault.store.interchange import import_folder
from casevault.synth.leaks import INCIDENT_ROWS, write_clean_files, write_incident_replica

TARGET_RATIO = 100.0
KEY = bytes(range(32))
TODAY = date(2026, 11, 21)
BLANK_MODEL = CACHE / "presidio-spacy-blank-en"
CHUNK_CHARS = 2_000
IDENTIFYING = ("LAST NAME", "FIRST NAME", "DOB", "A-NUMBER")
_CELL_OF_KIND = {"family_name": ("LAST NAME",), "given_name": ("FIRST NAME",),
                 "person_name": ("LAST NAME", "FIRST NAME"), "date_of_birth": ("DOB",),
                 "a_number": ("A-NUMBER",)}
DATE_TIME = "DATE_TIME"


@dataclass(frozen=True, slots=True)
class Table:
    """One CSV file as both tools see it: its raw lines and its parsed cells."""

    path: Path
    headers: tuple[str, ...]
    lines: tuple[str, ...]
    """Data lines without the newline; lines[i] is row i + 2."""
    cells: tuple[tuple[str, ...], ...]
    personal: bool
    """Whether its rows hold personal data (the precision's truth)."""

    @classmethod
    def read(cls, path: Path, *, personal: bool) -> Table:
        text = path.read_text(encoding="utf-8")
        raw = text.splitlines()
        parsed = list(csv.reader(raw))
        if len(parsed) != len(raw):
            msg = f"{path.name}: a field spans lines; rows cannot be told by line"
            raise SystemExit(msg)
        return cls(path, tuple(parsed[0]), tuple(raw[1:]), tuple(map(tuple, parsed[1:])),
                   personal)

    @property
    def rows(self) -> int:
        return len(self.lines)

    def spans(self, row: int) -> dict[str, tuple[int, int]]:
        """Character range of each identifying cell in its line (header -> (start, end))."""
        line, found, at = self.lines[row - 2], {}, 0
        for header, cell in zip(self.headers, self.cells[row - 2], strict=False):
            start = line.find(cell, at) if cell else -1
            if start >= 0:
                at = start + len(cell)
                if header in IDENTIFYING:
                    found[header] = (start, at)
        return found


@dataclass
class Outcome:
    """What one tool reported on one file, per data row."""

    flagged: set[int] = field(default_factory=set)
    flagged_no_dates: set[int] = field(default_factory=set)
    right_person: set[int] = field(default_factory=set)
    cells: set[tuple[int, str]] = field(default_factory=set)
    """(row, identifying header) recognised."""
    entities: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


# --- casevault --------------------------------------------------------------------------


def casevault_outcome(scanner: Scanner, table: Table, labels: Sequence[str] = ()) -> Outcome:
    report = scanner.scan(table.path)
    if report.more_findings:
        msg = f"{table.path.name}: more than the report's listed findings; use fewer --rows"
        raise SystemExit(msg)
    outcome = Outcome(seconds=report.seconds)
    for finding in report.findings:
        row = finding.location.row
        if row is None or finding.confidence < BLOCKING_CONFIDENCE:
            continue
        outcome.flagged.add(row)
        outcome.flagged_no_dates.add(row)
        outcome.entities[finding.kind.value] += 1
        if labels and finding.matched_person_id == labels[row - 2]:
            outcome.right_person.add(row)
            for kind in finding.detail.get("identifiers", "").split(","):
                outcome.cells.update((row, header) for header in _CELL_OF_KIND.get(kind, ()))
    return outcome


def casevault_seconds(scanner: Scanner, path: Path, runs: int = 5) -> float:
    return statistics.median(scanner.scan(path).seconds for _ in range(runs))


# --- Presidio ---------------------------------------------------------------------------


def presidio_available() -> bool:
    return all(importlib.util.find_spec(name) is not None
               for name in ("presidio_analyzer", "spacy"))


def presidio_engine(model: str | None) -> tuple[Any, str]:
    """Presidio's AnalyzerEngine with its default recognizers and the given spaCy pipeline."""
    import spacy  # noqa: PLC0415 -- optional: the [bench] extra
    from presidio_analyzer import AnalyzerEngine  # noqa: PLC0415
    from presidio_analyzer.nlp_engine import NlpEngineProvider  # noqa: PLC0415

    if model is None:
        if not (BLANK_MODEL / "meta.json").exists():
            spacy.blank("en").to_disk(BLANK_MODEL)
        name = str(BLANK_MODEL)
        described = (f"blank English spaCy pipeline ({BLANK_MODEL.relative_to(CACHE.parents[1])}"
                     f", spaCy {spacy.__version__}): tokenizer only, NO NER, so PERSON, "
                     f"LOCATION and NRP are never reported")
    else:
        if not (spacy.util.is_package(model) or Path(model).exists()):
            msg = f"spaCy model {model!r} is not installed (it is never downloaded here)"
            raise SystemExit(msg)
        name, described = model, f"spaCy model {model} (with its NER)"
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": name}]})
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    return engine, described


def _record(outcome: Outcome, table: Table, row: int, results: Iterable[Any],
            offset: int = 0) -> None:
    spans: dict[str, tuple[int, int]] | None = None
    for result in results:
        outcome.entities[result.entity_type] += 1
        outcome.flagged.add(row)
        if result.entity_type != DATE_TIME:
            outcome.flagged_no_dates.add(row)
        if spans is None:
            spans = table.spans(row)
        start, end = result.start - offset, result.end - offset
        outcome.cells.update((row, header) for header, (a, b) in spans.items()
                             if start < b and a < end)


def presidio_chunks(engine: Any, table: Table, chunk_chars: int = CHUNK_CHARS) -> Outcome:
    """One ``analyze`` per chunk of whole lines; results mapped to rows by offset."""
    outcome = Outcome()
    started = time.perf_counter()
    text = table.path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)[1:]
    first = 0
    while first < len(lines):
        last, size = first, 0
        while last < len(lines) and (size + len(lines[last]) <= chunk_chars or last == first):
            size += len(lines[last])
            last += 1
        chunk = "".join(lines[first:last])
        starts, at = [], 0
        for line in lines[first:last]:
            starts.append(at)
            at += len(line)
        by_row: dict[int, list[Any]] = {}
        for result in engine.analyze(text=chunk, language="en"):
            index = _row_of(starts, result.start)
            by_row.setdefault(index, []).append(result)
        for index, results in by_row.items():
            _record(outcome, table, first + index + 2, results, offset=starts[index])
        first = last
    outcome.seconds = time.perf_counter() - started
    return outcome


def _row_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


def presidio_per_row(engine: Any, table: Table) -> Outcome:
    """One ``analyze`` per CSV line, the header's words as context."""
    outcome = Outcome()
    started = time.perf_counter()
    with table.path.open(encoding="utf-8") as handle:
        header = next(handle)
        context = sorted({word.lower() for word in header.replace(",", " ").split()})
        for row, line in enumerate(handle, start=2):
            text = line.rstrip("\r\n")
            _record(outcome, table, row, engine.analyze(text=text, language="en",
                                                        context=context))
    outcome.seconds = time.perf_counter() - started
    return outcome


# --- scoring and printing ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scores:
    recall: float
    recall_no_dates: float
    precision: float
    precision_no_dates: float
    identifier_recall: float
    right_person: int
    rows_s: float
    mb_s: float


def score(tables: Sequence[Table], outcomes: dict[Path, Outcome], seconds: float) -> Scores:
    """The replica is ``tables[0]``; precision is over all of them."""
    replica = tables[0]
    mine = outcomes[replica.path]
    flagged = true = flagged_nd = true_nd = 0
    for table in tables:
        outcome, personal = outcomes[table.path], table.personal
        flagged += len(outcome.flagged)
        flagged_nd += len(outcome.flagged_no_dates)
        true += len(outcome.flagged) if personal else 0
        true_nd += len(outcome.flagged_no_dates) if personal else 0
    cells = sum(1 for row in range(2, replica.rows + 2) for _ in replica.spans(row))
    return Scores(len(mine.flagged) / replica.rows, len(mine.flagged_no_dates) / replica.rows,
                  true / flagged if flagged else 1.0, true_nd / flagged_nd if flagged_nd else 1.0,
                  len(mine.cells) / cells if cells else 0.0, len(mine.right_person),
                  replica.rows / seconds, replica.path.stat().st_size / 1e6 / seconds)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def print_side_by_side(names: Sequence[str], scores: Sequence[Scores], rows: int) -> None:
    lines: list[tuple[str, Callable[[Scores], str]]] = [
        ("recall (replica rows flagged)", lambda s: _pct(s.recall)),
        ("  the same, DATE_TIME not counted", lambda s: _pct(s.recall_no_dates)),
        ("  rows naming the right person id", lambda s: f"{s.right_person:,}/{rows:,}"),
        ("identifier recall (name/DOB/A# cells)", lambda s: _pct(s.identifier_recall)),
        ("precision (mixed set)", lambda s: _pct(s.precision)),
        ("  the same, DATE_TIME not counted", lambda s: _pct(s.precision_no_dates)),
        ("throughput, rows/s", lambda s: f"{s.rows_s:,.0f}"),
        ("throughput, MB/s", lambda s: f"{s.mb_s:.3f}"),
    ]
    width = 40
    print(f"  {'':<{width}}" + "".join(f"{name:>22}" for name in names))
    for label, shown in lines:
        print(f"  {label:<{width}}" + "".join(f"{shown(s):>22}" for s in scores))


def print_per_file(tables: Sequence[Table], names: Sequence[str],
                   outcomes: Sequence[dict[Path, Outcome]]) -> None:
    print("  rows flagged per file (any result / without DATE_TIME):")
    print(f"    {'file':<32}{'rows':>8}{'personal':>10}" + "".join(f"{n:>22}" for n in names))
    for table in tables:
        shown = [f"{len(o[table.path].flagged):,} / {len(o[table.path].flagged_no_dates):,}"
                 for o in outcomes]
        print(f"    {table.path.name:<32}{table.rows:>8,}{'yes' if table.personal else 'no':>10}"
              + "".join(f"{s:>22}" for s in shown))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=INCIDENT_ROWS)
    parser.add_argument("--chunk-chars", type=int, default=CHUNK_CHARS,
                        help="characters of whole lines per Presidio call in the chunked mode")
    parser.add_argument("--spacy-model", default=None,
                        help="an installed spaCy model (default: a blank pipeline, no NER)")
    return parser.parse_args()


def prepare(people: int, rows: int) -> tuple[Scanner, list[Table], tuple[str, ...]]:
    """The indexed court, the replica (first) and the clean files, and the replica's labels."""
    folder = synthetic_court(people)
    with fresh_sqlite("presidio") as engine:
        with engine.begin() as connection:
            import_folder(connection, folder)
        started = time.perf_counter()
        index = EdmIndex.build(engine, KEY)
    print(f"court: {people:,} people; EDM index of {index.persons:,} persons built in "
          f"{time.perf_counter() - started:.1f} s (not timed below)")
    with (folder / "persons.csv").open(encoding="utf-8", newline="") as handle:
        everyone = [row["person_id"] for row in csv.DictReader(handle)]
    out = CACHE / "presidio-leak"
    written = write_incident_replica(folder, out, rows=rows, among=everyone)
    replica = Table.read(written.csv_path, personal=True)
    clean = [Table.read(path, personal=path.name.startswith("staff-phone"))
             for path in write_clean_files(folder, out / "clean")]
    size = replica.path.stat().st_size / 1e6
    print(f"replica: {replica.rows:,} rows, {size:.2f} MB ({replica.path.relative_to(CACHE)}); "
          f"clean: " + ", ".join(f"{t.path.name} {t.rows:,} rows" for t in clean))
    return Scanner(index, today=TODAY), [replica, *clean], written.person_ids


def print_verdict(scores: Sequence[Scores]) -> None:
    mine, best_speed = scores[0], max(scores[1:], key=lambda s: s.rows_s)
    best_recall = max(scores[1:], key=lambda s: s.recall)
    ratio = mine.rows_s / best_speed.rows_s
    print(f"throughput: casevault {mine.rows_s:,.0f} rows/s vs Presidio's faster mode "
          f"{best_speed.rows_s:,.0f} rows/s = {ratio:,.1f}x (target >= {TARGET_RATIO:.0f}x: "
          f"{verdict(ratio >= TARGET_RATIO)})")
    higher = mine.recall > best_recall.recall
    compared = ("higher" if higher else "equal" if mine.recall == best_recall.recall
                else "lower")
    print(f"recall (rows): casevault {_pct(mine.recall)} vs Presidio's better mode "
          f"{_pct(best_recall.recall)}, {compared} (target higher: {verdict(higher)})")
    print(f"  beyond row recall: persons identified {mine.right_person:,} vs 0; identifier "
          f"recall {_pct(mine.identifier_recall)} vs {_pct(best_recall.identifier_recall)}; "
          f"precision {_pct(mine.precision)} vs {_pct(best_recall.precision)}")


def main() -> int:
    args = _arguments()
    if not presidio_available():
        print("Presidio comparison: skipped, presidio-analyzer is not installed "
              "(pip install -e '.[bench]' installs it)")
        return 0
    scanner, tables, labels = prepare(args.people, args.rows)
    replica = tables[0]
    ours = {t.path: casevault_outcome(scanner, t, labels if t is replica else ())
            for t in tables}
    ours_seconds = casevault_seconds(scanner, replica.path)

    started = time.perf_counter()
    presidio, described = presidio_engine(args.spacy_model)
    presidio.analyze(text="warm-up 03/12/1990", language="en")
    setup = time.perf_counter() - started
    recognizers = sorted({type(r).__name__ for r in presidio.registry.recognizers})
    print(f"Presidio: presidio-analyzer {_version('presidio-analyzer')}, NLP engine: {described}")
    print(f"  recognizers ({len(recognizers)}): {', '.join(recognizers)}")
    print(f"  engine set up in {setup:.1f} s (not timed below); default score threshold; "
          f"results of every entity type count; chunks of {args.chunk_chars:,} characters")
    chunks = {t.path: presidio_chunks(presidio, t, args.chunk_chars) for t in tables}
    per_row = {t.path: presidio_per_row(presidio, t) for t in tables}

    names = ("casevault", "Presidio text chunks", "Presidio per row")
    outcomes = (ours, chunks, per_row)
    scores = [score(tables, ours, ours_seconds),
              score(tables, chunks, chunks[replica.path].seconds),
              score(tables, per_row, per_row[replica.path].seconds)]
    print()
    print_side_by_side(names, scores, replica.rows)
    print()
    print_per_file(tables, names, outcomes)
    for name, outcome in zip(names[1:], outcomes[1:], strict=True):
        found = ", ".join(f"{k} {v:,}" for k, v in outcome[replica.path].entities.most_common())
        print(f"  {name} entities on the replica: {found or 'none'}")
    print()
    print_verdict(scores)
    return 0


def _version(package: str) -> str:
    from importlib.metadata import version  # noqa: PLC0415

    return version(package)


if __name__ == "__main__":
    sys.exit(main())
