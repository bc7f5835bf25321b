"""The EOIR FOIA importer against the synthetic release in ``tests/fixtures/eoir``.

Expected numbers come from the fixture's README.md, worked out by hand from
``make_fixture.py``; they are not computed by the code under test. Every test
runs on SQLite and on PostgreSQL, inside a transaction rolled back afterwards.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from casevault.domain.vocab import is_country_code, is_language_code
from casevault.errors import InputError
from casevault.store import reads, tables
from casevault.store.database import make_engine, upgrade_schema
from casevault.store.eoir import EoirImportReport, import_eoir_foia
from casevault.store.eoir._lookup import COUNTRY_ALIASES, LANGUAGE_ALIASES
from casevault.store.eoir._values import BadValue, parse_date, parse_time

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "eoir"
NOW = datetime(2025, 1, 1, tzinfo=UTC)
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"

ROWS_WRITTEN = {
    "courts": 9, "persons": 28, "cases": 28, "attorneys": 18, "representations": 18,
    "hearings": 28, "applications": 23, "charges": 24,
}

# file -> (rows read, rows loaded, {problem: (count, first lines)})
FILES: dict[str, tuple[int, int, dict[str, tuple[int, tuple[int, ...]]]]] = {
    "A_TblCase.csv": (32, 28, {
        "field_count": (1, (16,)), "duplicate": (2, (32, 33)), "bad_date": (3, (4, 5, 9)),
        "nul_bytes": (1, (6,)), "latin1": (1, (8,)), "unmapped_case_type": (1, (12,)),
        "unmapped_custody": (1, (14,)), "unmapped_nationality": (2, (17, 18)),
        "unmapped_language": (1, (19,)), "no_open_date": (1, (21,)),
        "invalid_state": (1, (22,)), "invalid_postal_code": (1, (23,)),
    }),
    "B_TblProceeding.csv": (31, 28, {
        "bad_date": (1, (13,)), "unknown_case": (2, (16, 31)), "duplicate": (1, (32,)),
    }),
    "tbl_schedule.csv": (33, 28, {
        "bad_date": (1, (7,)), "unknown_case": (2, (8, 14)), "bad_time": (1, (9,)),
        "unmapped_hearing_type": (1, (10,)), "missing_date": (1, (12,)),
        "unmapped_language": (1, (13,)), "duplicate": (1, (15,)),
    }),
    "tbl_Court_Appln.csv": (27, 23, {
        "unmapped_application": (1, (14,)), "missing_date": (1, (15,)),
        "unknown_case": (1, (16,)), "unmapped_decision": (1, (17,)), "bad_date": (1, (18,)),
    }),
    "tbl_RepsAssigned.csv": (21, 18, {
        "missing_date": (1, (4,)), "unknown_case": (1, (5,)), "bad_date": (1, (6,)),
        "duplicate": (1, (7,)),
    }),
    "B_TblProceedCharges.csv": (28, 24, {
        "missing_value": (1, (5,)), "unknown_case": (2, (6, 7)), "duplicate": (1, (9,)),
    }),
    "Lookup/tblLookupNationality.csv": (10, 10, {}),
    "Lookup/tblLanguage.csv": (9, 9, {}),
    "Lookup/tblLookupBaseCity.csv": (7, 7, {}),
}


# -- databases ------------------------------------------------------------------------------


def _sqlite_engine(folder: Path) -> Engine:
    return make_engine(f"sqlite:///{folder / 'eoir.db'}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Engine]:
    """A fresh database of each kind with the schema at head, dropped afterwards."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path_factory.mktemp("eoir"))
        upgrade_schema(engine)
        yield engine
        engine.dispose()
        return
    name = f"cv_test_eoir_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    engine = make_engine(f"{PG_SERVER}/{name}")
    try:
        upgrade_schema(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def report(connection: Connection) -> EoirImportReport:
    return import_eoir_foia(connection, FIXTURE, now=NOW)


def _counts(connection: Connection) -> dict[str, int]:
    return {name: connection.execute(select(func.count()).select_from(tables.metadata.tables[
        name])).scalar_one() for name in ROWS_WRITTEN}


def _row(connection: Connection, table: Any, key: str, value: str) -> dict[str, Any]:
    if table is tables.persons:  # personal fields are sealed: read them as the guard would
        return dataclasses.asdict(reads.person(connection, value))
    row = connection.execute(select(table).where(table.c[key] == value)).mappings().one()
    return dict(row)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- counts ---------------------------------------------------------------------------------


def test_rows_in_each_table_match_the_fixture(connection: Connection,
                                              report: EoirImportReport) -> None:
    assert _counts(connection) == ROWS_WRITTEN
    assert dict(report.rows_written) == ROWS_WRITTEN


@pytest.mark.parametrize("name", list(FILES))
def test_each_file_reports_rows_and_exactly_the_planted_problems(
        report: EoirImportReport, name: str) -> None:
    rows_read, rows_loaded, problems = FILES[name]
    file = report.file(name)
    assert file.present
    assert file.skipped_because is None
    assert (file.rows_read, file.rows_loaded) == (rows_read, rows_loaded)
    assert dict(file.problems) == {kind: count for kind, (count, _) in problems.items()}
    assert dict(file.sample_lines) == {kind: lines for kind, (_, lines) in problems.items()}


def test_importing_again_updates_instead_of_duplicating(connection: Connection,
                                                        report: EoirImportReport) -> None:
    again = import_eoir_foia(connection, FIXTURE, now=NOW)
    assert _counts(connection) == ROWS_WRITTEN
    assert again.files == report.files


def test_summary_names_files_and_lines_but_no_values(report: EoirImportReport) -> None:
    lines = report.summary_lines()
    assert lines[0].startswith("A_TblCase.csv: 32 rows read, 28 loaded; bad_date 3 (lines 4, 5, 9)")
    assert lines[-1].startswith("written: courts 9, persons 28, cases 28")
    text_out = "\n".join(lines)
    for value in ("ARLINGTON", "NORTH", "1985", "212a06Ai", "MEXICO"):
        assert value not in text_out
    assert report.as_dict()["version"] == 1


# -- fatal errors ---------------------------------------------------------------------------


def _copy_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / "release"
    shutil.copytree(FIXTURE, folder)
    return folder


def test_missing_case_file_is_fatal_and_changes_nothing(connection: Connection,
                                                         tmp_path: Path) -> None:
    folder = _copy_fixture(tmp_path)
    (folder / "A_TblCase.csv").unlink()
    with pytest.raises(InputError, match=r"A_TblCase\.csv"):
        import_eoir_foia(connection, folder, now=NOW)
    assert set(_counts(connection).values()) == {0}


def test_missing_folder_is_fatal(connection: Connection, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        import_eoir_foia(connection, tmp_path / "nowhere", now=NOW)


def test_case_file_without_a_needed_column_is_fatal_and_changes_nothing(
        connection: Connection, tmp_path: Path) -> None:
    folder = _copy_fixture(tmp_path)
    case_file = folder / "A_TblCase.csv"
    case_file.write_bytes(case_file.read_bytes().replace(b"\tGENDER\t", b"\tSEX\t", 1))
    with pytest.raises(InputError, match=r"A_TblCase\.csv.*GENDER"):
        import_eoir_foia(connection, folder, now=NOW)
    assert set(_counts(connection).values()) == {0}


# -- tolerated layout differences ------------------------------------------------------------


def test_optional_file_without_a_needed_column_is_skipped_alone(connection: Connection,
                                                                 tmp_path: Path) -> None:
    folder = _copy_fixture(tmp_path)
    schedule = folder / "tbl_schedule.csv"
    schedule.write_bytes(schedule.read_bytes().replace(b"\tCAL_TYPE\t", b"\tCALENDAR\t", 1))
    report = import_eoir_foia(connection, folder, now=NOW)
    assert report.file("tbl_schedule.csv").skipped_because == "missing column CAL_TYPE"
    assert _counts(connection) == {**ROWS_WRITTEN, "hearings": 0}


def test_absent_optional_files_are_reported_absent(connection: Connection,
                                                   tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    shutil.copy(FIXTURE / "A_TblCase.csv", folder / "a_tblcase.CSV")  # names match in any case
    report = import_eoir_foia(connection, folder, now=NOW)
    absent = [file.name for file in report.files if not file.present]
    assert absent == ["B_TblProceeding.csv", "tbl_schedule.csv", "tbl_Court_Appln.csv",
                      "tbl_RepsAssigned.csv", "B_TblProceedCharges.csv",
                      "Lookup/(nationality table)", "Lookup/(language table)",
                      "Lookup/(base city table)"]
    # Without proceedings every case opens on LATEST_HEARING or E_28_DATE, in court UNKNOWN;
    # without lookups no nationality or language can be mapped.
    cases = report.file("A_TblCase.csv")
    assert cases.rows_loaded == 28
    assert cases.problems["unmapped_nationality"] == 28
    assert cases.problems["unmapped_language"] == 28
    assert _counts(connection)["courts"] == 1


def test_columns_are_found_by_name_not_position(connection: Connection, tmp_path: Path) -> None:
    folder = _copy_fixture(tmp_path)
    case_file = folder / "A_TblCase.csv"
    lines = case_file.read_bytes().split(b"\r\n")
    case_file.write_bytes(b"\r\n".join(b"\t".join(reversed(line.split(b"\t")))
                                       for line in lines))
    report = import_eoir_foia(connection, folder, now=NOW)
    assert dict(report.file("A_TblCase.csv").problems) == {
        kind: count for kind, (count, _) in FILES["A_TblCase.csv"][2].items()}
    assert _counts(connection) == ROWS_WRITTEN
    assert _row(connection, tables.persons, "person_id", "EOIR-P1001")["city"] == "ARLINGTON"


# -- planted text problems ------------------------------------------------------------------


@pytest.mark.usefixtures("report")
def test_quote_character_is_data(connection: Connection) -> None:
    assert _row(connection, tables.persons, "person_id", "EOIR-P1009")["city"] == '"NORTH" HAVEN'
    assert _row(connection, tables.charges, "charge_id", "EOIR-CH9107")["charge"] == '"212a06Ai'


@pytest.mark.usefixtures("report")
def test_latin1_line_decodes_and_nul_bytes_are_removed(connection: Connection) -> None:
    assert _row(connection, tables.persons, "person_id", "EOIR-P1007")["city"] == "SAN JOSÉ"
    assert _row(connection, tables.persons, "person_id", "EOIR-P1005")["city"] == "SPRINGFIELD"


# -- mapping --------------------------------------------------------------------------------


@pytest.mark.usefixtures("report")
def test_person_is_anonymous_with_mapped_codes(connection: Connection) -> None:
    person = _row(connection, tables.persons, "person_id", "EOIR-P1001")
    assert person == {
        "person_id": "EOIR-P1001", "a_number": None, "family_name": None, "given_name": None,
        "other_names": (), "date_of_birth": date(1985, 4, 12), "sex": "M",
        "nationality": "MX", "language": "spa", "address": None, "city": "ARLINGTON",
        "state": "VA", "postal_code": "22201", "phone": None, "email": None,
    }


@pytest.mark.usefixtures("report")
@pytest.mark.parametrize(("person_id", "field", "expected"), [
    ("EOIR-P1004", "nationality", "SV"),  # EOIR's ES is El Salvador, not Spain
    ("EOIR-P1005", "nationality", "CN"),  # EOIR's CH is China, not Switzerland
    ("EOIR-P1009", "nationality", "RU"),  # RUSSIA: a name pycountry needs an alias for
    ("EOIR-P1007", "language", "hat"),    # HAITIAN CREOLE, by alias
    ("EOIR-P1011", "language", "quc"),    # K'ICHE'
    ("EOIR-P1016", "nationality", None),  # name in the lookup is not a country
    ("EOIR-P1017", "nationality", None),  # code not in the lookup
    ("EOIR-P1018", "language", None),
    ("EOIR-P1003", "date_of_birth", None),  # 30 February
    ("EOIR-P1006", "date_of_birth", None),  # year only
    ("EOIR-P1013", "sex", "U"),
    ("EOIR-P1021", "state", None),
    ("EOIR-P1022", "postal_code", None),
    ("EOIR-P1029", "postal_code", "10001"),  # ZIP+4 cut to ZIP
    ("EOIR-P1010", "city", "QUEENS"),  # the first of duplicated case rows wins
])
def test_person_fields(connection: Connection, person_id: str, field: str,
                       expected: object) -> None:
    assert _row(connection, tables.persons, "person_id", person_id)[field] == expected


@pytest.mark.usefixtures("report")
@pytest.mark.parametrize(("case_id", "expected"), [
    # two proceedings: earliest opening, court and status of the latest
    ("EOIR-C1001", ("NYC", "removal", "pending", "detained", date(2015, 1, 10), None)),
    ("EOIR-C1002", ("HOU", "removal", "closed", "released", date(2016, 2, 1), date(2018, 7, 9))),
    ("EOIR-C1008", ("ELP", "removal", "pending", "never_detained", date(2017, 8, 2), None)),
    ("EOIR-C1010", ("NYC", "removal", "pending", "never_detained", date(2017, 10, 2), None)),
    ("EOIR-C1011", ("LOS", "removal", "pending", "never_detained", date(2017, 11, 2), None)),
    ("EOIR-C1012", ("HOU", "removal", "pending", "never_detained", date(2017, 12, 2), None)),
    ("EOIR-C1014", ("CHI", "credible_fear_review", "pending", "never_detained",
                    date(2018, 2, 2), None)),
    ("EOIR-C1019", ("UNKNOWN", "removal", "pending", "never_detained", date(2020, 1, 15), None)),
    ("EOIR-C1026", ("ARL", "bond", "pending", "never_detained", date(2018, 12, 2), None)),
    ("EOIR-C1029", ("HOU", "removal", "closed", "never_detained", date(2019, 3, 2),
                    date(2021, 5, 5))),
    ("EOIR-C1030", ("MIA", "removal", "pending", "never_detained", date(2018, 9, 9), None)),
])
def test_case_is_folded_from_its_proceedings(connection: Connection, case_id: str,
                                             expected: tuple[object, ...]) -> None:
    case = _row(connection, tables.cases, "case_id", case_id)
    assert (case["court_code"], case["case_type"], case["status"], case["custody"],
            case["opened_on"], case["closed_on"]) == expected
    assert case["person_id"] == case_id.replace("EOIR-C", "EOIR-P")


@pytest.mark.usefixtures("report")
def test_vocabulary_distributions(connection: Connection) -> None:
    def tally(table: Any, column: str) -> dict[object, int]:
        rows = connection.execute(select(table.c[column], func.count()).group_by(table.c[column]))
        return dict(rows.all())

    assert tally(tables.cases, "case_type") == {
        "removal": 21, "credible_fear_review": 1, "reasonable_fear_review": 1,
        "asylum_only": 1, "withholding_only": 1, "bond": 2, "rescission": 1}
    assert tally(tables.cases, "custody") == {"detained": 2, "released": 2, "never_detained": 24}
    assert tally(tables.cases, "status") == {"closed": 2, "pending": 26}
    applications = [application for case_id in connection.execute(
        select(tables.cases.c.case_id)).scalars()
        for application in reads.applications(connection, case_id)]  # sealed: opened
    assert Counter(a.kind.value for a in applications) == {
        "asylum": 13, "withholding": 1, "cat": 1, "cancellation": 2, "adjustment": 3,
        "voluntary_departure": 2, "bond": 1}
    assert Counter(a.decision.value if a.decision else None for a in applications) == {
        "granted": 5, "denied": 3, "withdrawn": 1, "abandoned": 1, None: 13}
    assert tally(tables.hearings, "outcome") == {"adjourned": 1, None: 27}


@pytest.mark.usefixtures("report")
def test_courts_are_named_from_the_lookup(connection: Connection) -> None:
    rows = connection.execute(select(tables.courts).order_by(tables.courts.c.court_code))
    courts = {row.court_code: (row.name, row.city, row.state) for row in rows}
    assert courts["NYC"] == ("New York Broadway Immigration Court", "NEW YORK", "NY")
    assert courts["ELP"] == ("ELP", None, None)
    assert courts["UNKNOWN"][0].startswith("Unknown court")
    assert sorted(courts) == ["ARL", "CHI", "ELP", "HOU", "LOS", "MIA", "NYC", "SFR", "UNKNOWN"]


@pytest.mark.usefixtures("report")
@pytest.mark.parametrize(("hearing_id", "expected"), [
    ("EOIR-H7001", (datetime(2019, 6, 1, 9, 0, tzinfo=UTC), "master", None, "spa", None)),
    ("EOIR-H7002", (datetime(2020, 2, 3, 13, 30, tzinfo=UTC), "individual", "adjourned", "spa",
                    "17")),
    ("EOIR-H7005", (datetime(2030, 1, 15, 9, 0, tzinfo=UTC), "master", None, "spa", "02")),
    ("EOIR-H7008", (datetime(2019, 8, 8, 0, 0, tzinfo=UTC), "master", None, "cmn", None)),
    ("EOIR-H7009", (datetime(2019, 9, 9, 9, 0, tzinfo=UTC), "master", None, "spa", None)),
    ("EOIR-H7010", (datetime(2019, 10, 10, 9, 15, tzinfo=UTC), "master", None, "hat", None)),
    ("EOIR-H7012", (datetime(2019, 12, 12, 9, 0, tzinfo=UTC), "master", None, None, None)),
])
def test_hearing_fields(connection: Connection, hearing_id: str,
                        expected: tuple[object, ...]) -> None:
    hearing = _row(connection, tables.hearings, "hearing_id", hearing_id)
    assert (_utc(hearing["scheduled_at"]), hearing["hearing_type"], hearing["outcome"],
            hearing["interpreter_language"], hearing["adjournment_reason"]) == expected
    assert hearing["judge_user_id"] is None


@pytest.mark.usefixtures("report")
def test_representations_have_anonymous_attorneys(connection: Connection) -> None:
    started = dict(connection.execute(select(
        tables.representations.c.attorney_id, tables.representations.c.started_on)).all())
    assert started["EOIR-ATT6001"] == date(2015, 2, 1)   # first of the duplicated id
    assert started["EOIR-ATT6002"] == date(2016, 3, 3)   # INS_TA_DATE_ASSIGNED fallback
    assert started["EOIR-ATT6005"] == date(2017, 5, 5)   # E_28_DATE bad, fallback used
    named = connection.execute(select(func.count()).select_from(tables.attorneys).where(
        tables.attorneys.c.family_name.is_not(None))).scalar_one()
    assert named == 0


# -- value parsers --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2019-03-04 00:00:00.000", "2019-03-04"),
    ("2019-03-04", "2019-03-04"),
    ("", None),
])
def test_parse_date_accepts(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", [
    "2019-02-30 00:00:00.000", "0000-00-00", "9999-12-31", "garbage", "04/03/2019", "2019-3-4",
])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(BadValue):
        parse_date(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("0900", "09:00:00.000000"), ("09:00", "09:00:00.000000"), ("930", "09:30:00.000000"),
    ("1:15 PM", "13:15:00.000000"), ("12:00AM", "00:00:00.000000"), ("", None),
])
def test_parse_time_accepts(text: str, expected: str | None) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["2599", "25:00", "09:60", "noon", "13:00 PM"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(BadValue):
        parse_time(text)


def test_name_aliases_are_iso_codes() -> None:
    assert all(is_country_code(code) for code in COUNTRY_ALIASES.values())
    assert all(is_language_code(code) for code in LANGUAGE_ALIASES.values())
