"""``import_eoir_foia``: EOIR's public case-data release into casevault's tables.

The release has no names, so every case gets an anonymous person of its own
(``EOIR-P<IDNCASE>``), and every representation an anonymous attorney
(``EOIR-ATT<IDNREPSASSIGNED>``). Ids are prefixed release ids, so importing the
same release again updates the same rows instead of adding new ones.

Passes, each streaming one file in bounded memory:

1. ``A_TblCase`` ids only, to know which cases exist;
2. ``B_TblProceeding`` folded into a small tuple per case (court, opening and
   closing dates), because proceedings are not a casevault table but decide a
   case's court and status;
3. ``A_TblCase`` again, writing courts, persons and cases;
4. each child file (schedule, applications, representations, charges), keeping
   only rows of cases that were written.

The release gives instants without a zone. Hearing times are taken as UTC so
that they are stored as the release shows them; they are court-local in fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, NamedTuple, TypeVar

from sqlalchemy import Connection

from casevault.domain.vocab import CaseStatus, CaseType, Custody, HearingOutcome, HearingType
from casevault.errors import InputError
from casevault.store import tables
from casevault.store.bulk import delete_matching
from casevault.store.eoir._idset import IdSet
from casevault.store.eoir._lookup import Lookups, load_lookups
from casevault.store.eoir._reading import MissingColumns, Row, find_entry, open_table
from casevault.store.eoir._report import EoirImportReport, FileReport, Problem, Progress, Tally
from casevault.store.eoir._sinks import Row as OutRow
from casevault.store.eoir._sinks import Sink, SinkChain
from casevault.store.eoir._values import (
    APPLICATION_KINDS,
    CASE_TYPES,
    CUSTODY,
    DECISIONS,
    HEARING_TYPES,
    BadValue,
    court_code,
    is_partial_date,
    parse_date,
    parse_id,
    parse_time,
    sex,
    us_state,
    zip5,
)
from casevault.store.rows import instant_for_sqlite

CASE_FILE: Final = "A_TblCase.csv"
PROCEEDING_FILE: Final = "B_TblProceeding.csv"
SCHEDULE_FILE: Final = "tbl_schedule.csv"
APPLICATION_FILE: Final = "tbl_Court_Appln.csv"
REPRESENTATION_FILE: Final = "tbl_RepsAssigned.csv"
CHARGE_FILE: Final = "B_TblProceedCharges.csv"
RELEASE_FILES: Final = (
    CASE_FILE, PROCEEDING_FILE, SCHEDULE_FILE, APPLICATION_FILE, REPRESENTATION_FILE, CHARGE_FILE,
)

UNKNOWN_COURT: Final = "UNKNOWN"
UNKNOWN_COURT_NAME: Final = "Unknown court (not given in the EOIR release)"
MIDNIGHT: Final = "00:00:00.000000"

# Columns read from each file; the first is the row's own id, the second (children) IDNCASE.
CASE_COLUMNS: Final = (
    "IDNCASE", "ALIEN_CITY", "ALIEN_STATE", "ALIEN_ZIPCODE", "NAT", "LANG", "CUSTODY",
    "E_28_DATE", "CASE_TYPE", "LATEST_HEARING", "C_BIRTHDATE", "GENDER",
)
PROCEEDING_COLUMNS: Final = (
    "IDNPROCEEDING", "IDNCASE", "OSC_DATE", "INPUT_DATE", "BASE_CITY_CODE", "HEARING_LOC_CODE",
    "COMP_DATE",
)
SCHEDULE_COLUMNS: Final = (
    "IDNSCHEDULE", "IDNCASE", "LANG", "CAL_TYPE", "ADJ_DATE", "ADJ_TIME_START", "ADJ_RSN",
)
APPLICATION_COLUMNS: Final = (
    "IDNPROCEEDINGAPPLN", "IDNCASE", "APPL_CODE", "APPL_RECD_DATE", "APPL_DEC",
)
REPRESENTATION_COLUMNS: Final = ("IDNREPSASSIGNED", "IDNCASE", "E_28_DATE", "INS_TA_DATE_ASSIGNED")
CHARGE_COLUMNS: Final = ("IDNPRCDCHG", "IDNCASE", "CHARGE", "CHG_STATUS")

E = TypeVar("E")
Built = Sequence[OutRow | None]
Builder = Callable[["At", int, int, tuple[str, ...]], Built | None]
"""(line, row id, IDNCASE, wanted fields) → one row per sink, or None to skip."""


class CaseFacts(NamedTuple):
    """What a case's proceedings say about it; kept for every case, so kept small."""

    opened_on: str | None
    latest_proceeding: int
    court_code: str | None
    closed_on: str | None


def import_eoir_foia(
    connection: Connection,
    folder: Path,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> EoirImportReport:
    """Load an unpacked EOIR case-data release from ``folder``; the caller commits.

    Works in a savepoint (or a transaction when none is open), so a fatal error
    changes nothing. Fatal (``InputError``): the folder or ``A_TblCase.csv``
    missing, a column of ``A_TblCase.csv`` the importer needs, a file that cannot
    be read. Everything else is counted in the
    report. ``progress(label, rows_read)`` is called every 100,000 rows and at the
    end of each file; ``now`` (default: the current time) decides which adjourned
    hearings are past.
    """
    release = Release.locate(folder)
    moment = datetime.now(UTC) if now is None else now
    transaction = connection.begin_nested() if connection.in_transaction() else connection.begin()
    with transaction:
        try:
            return _Import(connection, release, progress, moment).run()
        except OSError as exc:
            msg = f"could not read {exc.filename or 'the release'}: {exc.strerror or exc}"
            raise InputError(msg) from exc


@dataclass(frozen=True, slots=True)
class Release:
    """The files of an unpacked release, found regardless of the case of their names."""

    folder: Path
    paths: dict[str, Path | None]

    @classmethod
    def locate(cls, folder: Path) -> Release:
        if not folder.is_dir():
            msg = f"the EOIR release folder {folder} does not exist or is not a folder"
            raise InputError(msg)
        paths = {name: find_entry(folder, name) for name in RELEASE_FILES}
        if paths[CASE_FILE] is None:
            msg = (f"{CASE_FILE} is missing from {folder}: it is the one file an EOIR import "
                   "cannot do without; unpack the whole release there")
            raise InputError(msg)
        return cls(folder, paths)

    @property
    def case_file(self) -> Path:
        path = self.paths[CASE_FILE]
        assert path is not None  # noqa: S101 -- checked by locate
        return path


class _Import:
    """One run of the import: the connection, the code tables and what is loaded so far."""

    def __init__(self, connection: Connection, release: Release, progress: Progress | None,
                 now: datetime) -> None:
        self.connection = connection
        self.release = release
        self.progress = progress
        self.now = instant_for_sqlite(now)
        self.lookups = Lookups({}, {}, {})
        self.cases = IdSet()
        self.courts_seen: set[str] = set()
        self.written = {table.name: 0 for table in (
            tables.courts, tables.persons, tables.cases, tables.attorneys,
            tables.representations, tables.hearings, tables.applications, tables.charges)}

    def run(self) -> EoirImportReport:
        self.lookups, lookup_reports = load_lookups(self.release.folder)
        candidates = self._index_case_ids()
        facts, proceedings = self._fold_proceedings(candidates)
        cases = self._load_cases(facts)
        del facts
        children = [
            self._load_children(SCHEDULE_FILE, SCHEDULE_COLUMNS, self._hearing_chain,
                                self._hearing_rows),
            self._load_children(APPLICATION_FILE, APPLICATION_COLUMNS, self._application_chain,
                                self._application_rows),
            self._load_children(REPRESENTATION_FILE, REPRESENTATION_COLUMNS,
                                self._representation_chain, self._representation_rows),
            self._load_children(CHARGE_FILE, CHARGE_COLUMNS, self._charge_chain,
                                self._charge_rows),
        ]
        return EoirImportReport(
            files=(cases, proceedings, *children, *lookup_reports),
            rows_written=dict(self.written),
        )

    # -- cases and proceedings ------------------------------------------------------------

    def _index_case_ids(self) -> IdSet:
        """Ids of well-formed case rows; problems are counted later, in the loading pass."""
        scratch = Tally(f"{CASE_FILE} (ids)", self.progress)
        candidates = IdSet()
        with _case_table(self.release.case_file, scratch) as rows:
            for _, values in rows:
                case = parse_id(values[0])
                if case is not None:
                    candidates.add(case)
        return candidates

    def _fold_proceedings(self, candidates: IdSet) -> tuple[dict[int, CaseFacts], FileReport]:
        facts: dict[int, CaseFacts] = {}
        path = self.release.paths[PROCEEDING_FILE]
        if path is None:
            return facts, FileReport(PROCEEDING_FILE, present=False)
        tally = Tally(PROCEEDING_FILE, self.progress)
        try:
            with open_table(path, PROCEEDING_COLUMNS, tally) as rows:
                for at, proceeding, case, values in _rows_of_cases(rows, tally, candidates):
                    _, _, osc, entered, base_city, location, completed = values
                    opened = _earliest(at.date(osc), at.date(entered))
                    court = at.court(base_city) or at.court(location)
                    closed = at.date(completed)
                    facts[case] = _fold(facts.get(case), proceeding, opened, court, closed)
                    tally.rows_loaded += 1
        except MissingColumns as exc:
            return facts, tally.freeze(skipped_because=str(exc))
        return facts, tally.freeze()

    def _load_cases(self, facts: dict[int, CaseFacts]) -> FileReport:
        tally = Tally(CASE_FILE, self.progress)
        chain = SinkChain(
            Sink(self.connection, tables.courts, ("court_code", "name", "city", "state")),
            Sink(self.connection, tables.persons, (
                "person_id", "date_of_birth", "sex", "nationality", "language",
                "city", "state", "postal_code")),
            Sink(self.connection, tables.cases, (
                "case_id", "person_id", "court_code", "case_type", "status", "custody",
                "opened_on", "closed_on")),
        )
        with _case_table(self.release.case_file, tally) as rows:
            for at, case, values in _new_rows(rows, tally, IdSet()):
                built = self._case_rows(at, case, values, facts.get(case))
                if built is not None:
                    chain.add(built)
                    self.cases.add(case)
                    tally.rows_loaded += 1
        self._finish(chain)
        return tally.freeze()

    def _case_rows(self, at: At, case: int, values: tuple[str, ...],
                   facts: CaseFacts | None) -> Built | None:
        (_, city, state, zipcode, nationality, language, custody, appearance, case_type,
         latest_hearing, birth, gender) = values
        fallback = _earliest(at.date(appearance), at.date(latest_hearing))
        opened_on = (facts.opened_on if facts is not None else None) or fallback
        if opened_on is None:
            at.note(Problem.NO_OPEN_DATE)
            return None
        court = (facts.court_code if facts is not None else None) or UNKNOWN_COURT
        closed_on = facts.closed_on if facts is not None else None
        status = CaseStatus.CLOSED if closed_on is not None else CaseStatus.PENDING
        person_id = f"EOIR-P{case}"
        person = (
            person_id,
            None if is_partial_date(birth) else at.date(birth),
            sex(gender).value,
            self._nationality(nationality, at),
            self._language(language, at),
            city or None,
            at.checked(us_state, state, Problem.INVALID_STATE),
            at.checked(zip5, zipcode, Problem.INVALID_POSTAL_CODE),
        )
        case_row = (
            f"EOIR-C{case}", person_id, court,
            at.coded(CASE_TYPES, case_type, CaseType.REMOVAL, Problem.UNMAPPED_CASE_TYPE).value,
            status.value,
            at.coded(CUSTODY, custody, Custody.NEVER_DETAINED, Problem.UNMAPPED_CUSTODY).value,
            opened_on, closed_on,
        )
        return self._court_row(court), person, case_row

    def _court_row(self, code: str) -> OutRow | None:
        """The court's row the first time a case names it; courts exist only as cases use them."""
        if code in self.courts_seen:
            return None
        self.courts_seen.add(code)
        known = self.lookups.courts.get(code)
        if known is not None:
            return code, known.name, known.city, known.state
        return code, UNKNOWN_COURT_NAME if code == UNKNOWN_COURT else code, None, None

    def _nationality(self, code: str, at: At) -> str | None:
        if not code:
            return None
        iso = self.lookups.nationality(code)
        if iso is None:
            at.note(Problem.UNMAPPED_NATIONALITY)
        return iso

    def _language(self, code: str, at: At) -> str | None:
        if not code:
            return None
        iso = self.lookups.language(code)
        if iso is None:
            at.note(Problem.UNMAPPED_LANGUAGE)
        return iso

    # -- files that hang off cases --------------------------------------------------------

    def _load_children(self, name: str, columns: Sequence[str],
                       make_chain: Callable[[], SinkChain], build: Builder) -> FileReport:
        path = self.release.paths[name]
        if path is None:
            return FileReport(name, present=False)
        tally = Tally(name, self.progress)
        try:
            with open_table(path, columns, tally) as rows:
                chain = make_chain()
                for at, row_id, case, values in _rows_of_cases(rows, tally, self.cases):
                    built = build(at, row_id, case, values)
                    if built is not None:
                        chain.add(built)
                        tally.rows_loaded += 1
                self._finish(chain)
        except MissingColumns as exc:
            return tally.freeze(skipped_because=str(exc))
        return tally.freeze()

    def _finish(self, chain: SinkChain) -> None:
        chain.finish()
        for sink in chain.sinks:
            self.written[sink.table.name] += sink.written

    def _hearing_chain(self) -> SinkChain:
        return SinkChain(Sink(self.connection, tables.hearings, (
            "hearing_id", "case_id", "scheduled_at", "hearing_type", "outcome",
            "interpreter_language", "adjournment_reason")))

    def _hearing_rows(self, at: At, schedule: int, case: int,
                      values: tuple[str, ...]) -> Built | None:
        _, _, language, calendar, day_text, time_text, reason = values
        day = at.required_date(day_text)
        if day is None:
            return None
        try:
            time = parse_time(time_text) or MIDNIGHT
        except BadValue:
            at.note(Problem.BAD_TIME)
            time = MIDNIGHT
        scheduled_at = f"{day} {time}"
        hearing_type = at.coded(HEARING_TYPES, calendar, HearingType.MASTER,
                              Problem.UNMAPPED_HEARING_TYPE)
        outcome = HearingOutcome.ADJOURNED.value if reason and scheduled_at < self.now else None
        return ((f"EOIR-H{schedule}", f"EOIR-C{case}", scheduled_at, hearing_type.value, outcome,
                 self._language(language, at), reason or None),)

    def _application_chain(self) -> SinkChain:
        return SinkChain(Sink(self.connection, tables.applications, (
            "application_id", "case_id", "kind", "filed_on", "decision")))

    def _application_rows(self, at: At, application: int, case: int,
                          values: tuple[str, ...]) -> Built | None:
        _, _, code, received, decided = values
        kind = APPLICATION_KINDS.get(code.upper())
        if kind is None:
            at.note(Problem.UNMAPPED_APPLICATION)
            return None
        filed_on = at.required_date(received)
        if filed_on is None:
            return None
        decision = DECISIONS.get(decided.upper())
        if decided and decision is None:
            at.note(Problem.UNMAPPED_DECISION)
        return ((f"EOIR-AP{application}", f"EOIR-C{case}", kind.value, filed_on,
                 decision.value if decision is not None else None),)

    def _representation_chain(self) -> SinkChain:
        return SinkChain(
            Sink(self.connection, tables.attorneys, ("attorney_id",)),
            Sink(self.connection, tables.representations, ("case_id", "attorney_id", "started_on"),
                 before_write=self._clear_representations),
        )

    def _clear_representations(self, rows: list[OutRow]) -> None:
        """Drop earlier imports' rows of these attorneys, whose start date may since differ.

        A representation's key includes its start date, so an upsert alone would
        keep the old row beside the new one when a release corrects the date.
        """
        attorney_ids = [row[1] for row in rows if row[1] is not None]
        delete_matching(self.connection, tables.representations, "attorney_id", attorney_ids)

    def _representation_rows(self, at: At, assignment: int, case: int,
                             values: tuple[str, ...]) -> Built | None:
        _, _, appearance, assigned = values
        started_on = at.date(appearance) or at.date(assigned)
        if started_on is None:
            if not appearance and not assigned:
                at.note(Problem.MISSING_DATE)
            return None
        attorney_id = f"EOIR-ATT{assignment}"
        return (attorney_id,), (f"EOIR-C{case}", attorney_id, started_on)

    def _charge_chain(self) -> SinkChain:
        return SinkChain(Sink(self.connection, tables.charges, (
            "charge_id", "case_id", "charge", "status")))

    def _charge_rows(self, at: At, charge_id: int, case: int,
                     values: tuple[str, ...]) -> Built | None:
        _, _, charge, status = values
        if not charge:
            at.note(Problem.MISSING_VALUE)
            return None
        return ((f"EOIR-CH{charge_id}", f"EOIR-C{case}", charge, status or None),)


# -- helpers ------------------------------------------------------------------------------


@contextmanager
def _case_table(path: Path, tally: Tally) -> Iterator[Iterator[Row]]:
    """``open_table`` for A_TblCase, whose missing columns are fatal to the whole import."""
    try:
        with open_table(path, CASE_COLUMNS, tally) as rows:
            yield rows
    except MissingColumns as exc:
        msg = f"{CASE_FILE} cannot be imported: {exc}"
        raise InputError(msg) from exc


def _new_rows(rows: Iterator[Row], tally: Tally, seen: IdSet
              ) -> Iterator[tuple[At, int, tuple[str, ...]]]:
    """(line, id, fields) of rows with a well-formed id not seen before: the first one wins."""
    for line, values in rows:
        at = At(tally, line)
        row_id = parse_id(values[0])
        if row_id is None:
            at.note(Problem.BAD_ID)
        elif not seen.add(row_id):
            at.note(Problem.DUPLICATE)
        else:
            yield at, row_id, values


def _rows_of_cases(rows: Iterator[Row], tally: Tally, cases: IdSet
                   ) -> Iterator[tuple[At, int, int, tuple[str, ...]]]:
    """(line, id, IDNCASE, fields) of new rows whose case is in ``cases``."""
    for at, row_id, values in _new_rows(rows, tally, IdSet()):
        case = parse_id(values[1])
        if case is None or case not in cases:
            at.note(Problem.UNKNOWN_CASE)
        else:
            yield at, row_id, case, values


def _fold(previous: CaseFacts | None, proceeding: int, opened: str | None, court: str | None,
          closed: str | None) -> CaseFacts:
    """Add one proceeding to a case's facts: earliest opening, the latest proceeding's rest.

    The latest proceeding is the one with the highest IDNPROCEEDING (EOIR numbers
    them in order of creation); a court code missing there is taken from an earlier one.
    """
    if previous is None:
        return CaseFacts(opened, proceeding, court, closed)
    opened_on = _earliest(previous.opened_on, opened)
    if proceeding > previous.latest_proceeding:
        return CaseFacts(opened_on, proceeding, court or previous.court_code, closed)
    return previous._replace(opened_on=opened_on, court_code=previous.court_code or court)


def _earliest(*dates: str | None) -> str | None:
    present = [day for day in dates if day is not None]
    return min(present) if present else None


class At(NamedTuple):
    """A line of a file being read: where each problem found in its fields is counted."""

    tally: Tally
    line: int

    def note(self, problem: Problem) -> None:
        self.tally.note(problem, self.line)

    def date(self, text: str) -> str | None:
        """The date, or None when blank or bad (counted)."""
        try:
            return parse_date(text)
        except BadValue:
            self.note(Problem.BAD_DATE)
            return None

    def required_date(self, text: str) -> str | None:
        """The date, or None after counting why the row cannot be kept."""
        if not text:
            self.note(Problem.MISSING_DATE)
            return None
        return self.date(text)

    def court(self, text: str) -> str | None:
        if not text:
            return None
        code = court_code(text)
        if code is None:
            self.note(Problem.UNMAPPED_COURT)
        return code

    def checked(self, parse: Callable[[str], str | None], text: str, problem: Problem
                ) -> str | None:
        """``parse(text)``, or None with ``problem`` counted when the text is bad."""
        try:
            return parse(text)
        except BadValue:
            self.note(problem)
            return None

    def coded(self, mapping: dict[str, E], code: str, default: E, problem: Problem) -> E:
        """The vocabulary value of an EOIR code, or ``default`` with ``problem`` counted."""
        value = mapping.get(code.upper())
        if value is None:
            self.note(problem)
            return default
        return value



