"""The fast ways of scanning a table give the report the row-by-row reading gives, finding for
finding: Arrow reading CSV byte ranges, worker processes, and the shortcuts of column reading
and group matching. Expected reports come from the row reader (``FastCsv(enabled=False)``),
and expected look-ups from ``EdmIndex.match_group`` and the detectors themselves."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from datetime import date
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from casevault.errors import UnreadableFile
from casevault.shield import scan as scan_module
from casevault.shield._edm_normal import fold_name
from casevault.shield._edm_score import Seen, confidence
from casevault.shield._fastscan import FastResult
from casevault.shield._tablescan import (
    BLOCKING_CONFIDENCE,
    GroupMatcher,
    _a_number_reader,
    _names_reader,
    _word_folder,
)
from casevault.shield.detectors import Detectors, default_detectors
from casevault.shield.edm import EdmIndex
from casevault.shield.model import Kind
from casevault.shield.readers import ReadLimits
from casevault.shield.scan import MAX_FINDINGS, FastCsv, Scanner, ScanReport
from casevault.store.interchange import import_folder

KEY = bytes(range(32))
TODAY = date(2026, 11, 21)
HEADERS = ["LAST NAME", "FIRST NAME", "DOB", "A-NUMBER", "NATIONALITY", "DETENTION FACILITY",
           "BOOKING DATE"]
ROW_READER = FastCsv(enabled=False)


@pytest.fixture(scope="module")
def index(database_factory: Callable[[str], Engine], court_folder: Path) -> EdmIndex:
    engine = database_factory("sqlite")
    with engine.begin() as connection:
        import_folder(connection, court_folder)
    return EdmIndex.build(engine, KEY)


@pytest.fixture(scope="module")
def persons(court_folder: Path) -> list[dict[str, str]]:
    with (court_folder / "persons.csv").open(encoding="utf-8", newline="") as handle:
        return [p for p in csv.DictReader(handle) if p["family_name"] and p["date_of_birth"]]


@pytest.fixture
def fast_paths(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each table the scanner met was read on the columnar path (in order)."""
    taken: list[bool] = []
    real = scan_module.scan_csv

    def spy(*args: object, **kwargs: object) -> FastResult | None:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        taken.append(result is not None)
        return result

    monkeypatch.setattr(scan_module, "scan_csv", spy)
    return taken


def _scanner(index: EdmIndex | None, fast: FastCsv, limits: ReadLimits | None = None) -> Scanner:
    return Scanner(index, today=TODAY, fast=fast, limits=limits)


def _fast(workers: int = 1, chunk_bytes: int = 2048) -> FastCsv:
    return FastCsv(workers=workers, chunk_bytes=chunk_bytes, min_bytes=0)


def _assert_same(got: ScanReport, expected: ScanReport) -> None:
    assert got.verdict == expected.verdict
    assert got.persons == expected.persons
    assert got.findings == expected.findings  # kind, location, confidence, preview, person
    assert (got.more_findings, got.blocking) == (expected.more_findings, expected.blocking)
    assert got.risks == expected.risks


def _leak_rows(persons: list[dict[str, str]], count: int, seed: int) -> Iterator[list[str]]:
    """The incident's layout: persons of the court in several writings, and invented people."""
    rng = random.Random(seed)
    for number in range(count):
        person = rng.choice(persons)
        family, given, born = person["family_name"], person["given_name"], person["date_of_birth"]
        a_number = person["a_number"] or f"A{rng.randrange(10**8, 10**9)}"
        if number % 2:
            family, a_number = family[::-1].title(), f"A{rng.randrange(900_000_000, 10**9)}"
        day = date.fromisoformat(born)
        writing = number % 5
        if writing == 1:
            a_number = f"A-{a_number[1:4]}-{a_number[4:7]}-{a_number[7:]}"
        elif writing == 2:
            family, given = family.upper(), given.upper()
        yield [family, given, day.strftime("%m/%d/%Y" if writing != 3 else "%Y-%m-%d"),
               a_number, rng.choice(["MX", "GT", "HN"]), "Otero Processing Center",
               f"{rng.randrange(1, 13):02d}/{rng.randrange(1, 29):02d}/2025"]


def _write(path: Path, header: list[str] | None, rows: Iterator[list[str]] | list[list[str]], *,
           delimiter: str = ",", encoding: str = "utf-8", newline: str = "\n") -> Path:
    with path.open("w", encoding=encoding, newline="", errors="replace") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=newline)
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    return path


# --- the required proof: several processes, one report ------------------------------------------

def test_a_parallel_scan_reports_what_a_single_process_scan_reports(
        index: EdmIndex, persons: list[dict[str, str]], tmp_path: Path,
        fast_paths: list[bool]) -> None:
    rows = 9_000  # invented rows have several findings each: past the findings limit
    path = _write(tmp_path / "leak.csv", HEADERS, _leak_rows(persons, rows, seed=3))
    single = _scanner(index, _fast(workers=1, chunk_bytes=16_384)).scan(path)
    parallel = _scanner(index, _fast(workers=2, chunk_bytes=16_384)).scan(path)
    assert fast_paths == [True, True]
    assert single.verdict == "block" and single.more_findings > 0
    assert len(single.findings) == MAX_FINDINGS and len(single.persons) > 50
    _assert_same(parallel, single)
    _assert_same(single, _scanner(index, ROW_READER).scan(path))


def test_findings_are_numbered_by_row_across_ranges(index: EdmIndex,
                                                    persons: list[dict[str, str]],
                                                    tmp_path: Path) -> None:
    path = _write(tmp_path / "leak.csv", HEADERS, _leak_rows(persons, 600, seed=4))
    report = _scanner(index, _fast(workers=2, chunk_bytes=1024)).scan(path)
    rows = [f.location.row for f in report.findings]
    assert rows == sorted(rows) and rows[0] == 2 and rows[-1] == 601
    assert {f.location.file for f in report.findings} == {str(path)}


# --- delimited text in every shape the row reader takes -------------------------------------------

def _rows_with(persons: list[dict[str, str]], count: int) -> list[list[str]]:
    return list(_leak_rows(persons, count, seed=5))


Shape = Callable[[list[list[str]]], tuple[list[str] | None, list[list[str]], dict[str, str]]]
MESSY: dict[str, Shape] = {
    "plain": lambda rows: (HEADERS, rows, {}),
    "crlf": lambda rows: (HEADERS, rows, {"newline": "\r\n"}),
    "lone cr": lambda rows: (HEADERS, rows, {"newline": "\r"}),
    "semicolon": lambda rows: (HEADERS, rows, {"delimiter": ";"}),
    "tab": lambda rows: (HEADERS, rows, {"delimiter": "\t"}),
    "windows-1252": lambda rows: (HEADERS, rows, {"encoding": "cp1252"}),
    "byte-order mark": lambda rows: (HEADERS, rows, {"encoding": "utf-8-sig"}),
    "no header": lambda rows: (None, rows, {}),
    "quoted commas": lambda rows: (
        ["NAME", *HEADERS[2:]], [[f"{r[0]}, {r[1]}", *r[2:]] for r in rows], {}),
    "newlines in quotes": lambda rows: (
        [*HEADERS, "NOTES"],
        [[*r, f"line one\nline {n}, \"two\"" if n % 7 == 0 else ""] for n, r in enumerate(rows)],
        {}),
    "blank and short rows": lambda rows: (
        HEADERS, [r if n % 9 else ([] if n % 2 else r[:3]) for n, r in enumerate(rows)], {}),
    "trailing empty cells": lambda rows: (
        HEADERS, [[*r, "", ""] if n % 4 == 0 else r for n, r in enumerate(rows)], {}),
    "a wider row": lambda rows: (
        HEADERS, [[*r, "surplus"] if n == 150 else r for n, r in enumerate(rows)], {}),
    "stray quotes": lambda rows: (
        HEADERS, [[r[0] + ' "el gato"', *r[1:]] if n % 11 == 0 else r
                  for n, r in enumerate(rows)], {}),
}


@pytest.mark.parametrize("shape", sorted(MESSY))
def test_every_shape_of_delimited_text_reads_as_the_row_reader_reads_it(
        shape: str, index: EdmIndex, persons: list[dict[str, str]], tmp_path: Path) -> None:
    header, rows, options = MESSY[shape](_rows_with(persons, 400))
    path = _write(tmp_path / "messy.csv", header, rows, **options)
    expected = _scanner(index, ROW_READER).scan(path)
    for workers in (1, 2):
        _assert_same(_scanner(index, _fast(workers, chunk_bytes=700)).scan(path), expected)


def test_a_range_that_ends_inside_a_quoted_field_is_not_guessed(
        index: EdmIndex, persons: list[dict[str, str]], tmp_path: Path,
        fast_paths: list[bool]) -> None:
    """Line breaks inside quotes: one range holding them all is read; ranges that cut one
    leave the file to the row reader. The report is the same either way."""
    header, rows, _ = MESSY["newlines in quotes"](_rows_with(persons, 400))
    path = _write(tmp_path / "notes.csv", header, rows)
    expected = _scanner(index, ROW_READER).scan(path)
    _assert_same(_scanner(index, _fast(chunk_bytes=1 << 20)).scan(path), expected)
    _assert_same(_scanner(index, _fast(chunk_bytes=700)).scan(path), expected)
    assert fast_paths == [False, True, False]


def test_bytes_that_are_not_utf8_read_as_the_row_reader_reads_them(
        index: EdmIndex, persons: list[dict[str, str]], tmp_path: Path) -> None:
    path = _write(tmp_path / "mixed.csv", HEADERS, _rows_with(persons, 300))
    data = bytearray(path.read_bytes())
    at = data.index(b"\n", len(data) // 2) + 1
    data[at:at] = "MU\xd1OZ,JOS\xc9,01/02/1980,A123456789,MX,x,01/01/2025\n".encode("cp1252")
    path.write_bytes(bytes(data))
    _assert_same(_scanner(index, _fast(chunk_bytes=900)).scan(path),
                 _scanner(index, ROW_READER).scan(path))


def test_plain_files_take_the_columnar_path_and_a_wider_row_leaves_it(
        index: EdmIndex, persons: list[dict[str, str]], tmp_path: Path,
        fast_paths: list[bool]) -> None:
    rows = _rows_with(persons, 300)
    plain = _write(tmp_path / "plain.csv", HEADERS, rows)
    wider = _write(tmp_path / "wider.csv", HEADERS,
                   [[*r, "surplus"] if n == 250 else r for n, r in enumerate(rows)])
    _scanner(index, _fast(chunk_bytes=1024)).scan(plain)
    report = _scanner(index, _fast(chunk_bytes=1024)).scan(wider)
    assert fast_paths[0] is True
    assert fast_paths[1] is False  # the row reader starts a second table at row 252
    assert len({f.location.sheet for f in report.findings}) == 1


def test_small_files_are_left_to_the_row_reader(index: EdmIndex, persons: list[dict[str, str]],
                                                 tmp_path: Path, fast_paths: list[bool]) -> None:
    path = _write(tmp_path / "small.csv", HEADERS, _rows_with(persons, 50))
    _scanner(index, FastCsv()).scan(path)
    assert fast_paths == [False]


def test_a_table_measured_for_risk_is_counted_whole(tmp_path: Path,
                                                    fast_paths: list[bool]) -> None:
    rng = random.Random(8)
    rows = [[str(n), f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(9)}",
             rng.choice("FM"), rng.choice(["MX", "GT", "HN", "SV"]), "spa"]
            for n in range(3_000)]
    path = _write(tmp_path / "A_TblCase.csv", ["IDNCASE", "C_BIRTHDATE", "GENDER", "NAT", "LANG"],
                  rows)
    expected = _scanner(None, ROW_READER).scan(path)
    for workers in (1, 2):
        got = _scanner(None, _fast(workers, chunk_bytes=4096)).scan(path)
        _assert_same(got, expected)
    assert expected.risks[0].rows == 3_000
    assert fast_paths == [False, True, True]


def test_limits_hold_on_the_columnar_path(index: EdmIndex, persons: list[dict[str, str]],
                                         tmp_path: Path) -> None:
    rows = _rows_with(persons, 400)
    rows[350][5] = "x" * 5_000
    path = _write(tmp_path / "long.csv", HEADERS, rows)
    limits = ReadLimits(max_record_chars=4_096)
    for fast in (ROW_READER, _fast(1, chunk_bytes=1024), _fast(2, chunk_bytes=1024)):
        with pytest.raises(UnreadableFile, match="max_record_chars"):
            _scanner(index, fast, limits).scan(path)


def test_a_field_over_the_csv_limit_is_refused_on_the_columnar_path(
        index: EdmIndex, persons: list[dict[str, str]], tmp_path: Path) -> None:
    limit = csv.field_size_limit()
    rows = _rows_with(persons, 200)
    rows[180][5] = "y" * (limit + 10)
    path = _write(tmp_path / "field.csv", HEADERS, rows)
    limits = ReadLimits(max_field_chars=1_024, max_record_chars=4 * limit)
    for fast in (ROW_READER, _fast(1, chunk_bytes=2048)):
        with pytest.raises(UnreadableFile):
            _scanner(index, fast, limits).scan(path)


# --- the shortcuts, each against what it stands for -----------------------------------------------

def _values(person: dict[str, str], rng: random.Random) -> list[tuple[Kind, str]]:
    """Some of a person's values as a scanner hands them over, some of them altered."""
    values = [(Kind.FAMILY_NAME, fold_name(person["family_name"])),
              (Kind.GIVEN_NAME, fold_name(person["given_name"])),
              (Kind.DATE_OF_BIRTH, person["date_of_birth"]),
              (Kind.A_NUMBER, person["a_number"] or "A999999999"),
              (Kind.PERSON_NAME, fold_name(f"{person['given_name']} {person['family_name']}"))]
    if person["phone"]:
        values.append((Kind.PHONE, person["phone"]))
    if person["email"]:
        values.append((Kind.EMAIL, person["email"].lower()))
    chosen = [value for value in values if rng.random() < 0.6]
    if chosen and rng.random() < 0.3:
        kind, _ = chosen[0]
        chosen[0] = (kind, {Kind.DATE_OF_BIRTH: "1990-01-01",
                            Kind.A_NUMBER: "A200000001"}.get(kind, "maria garcia"))
    return chosen


def test_group_matching_answers_as_match_group_does(index: EdmIndex,
                                                   persons: list[dict[str, str]]) -> None:
    matcher = GroupMatcher(index)
    rng = random.Random(9)
    for _ in range(3_000):
        values = _values(rng.choice(persons), rng)
        if rng.random() < 0.4:
            values += _values(rng.choice(persons), rng)
        group = [tuple((kind, value, value) for kind, value in values)]
        expected = index.match_group(values)
        assert matcher.match(group) == expected
        assert sorted(matcher.strong(group)) == sorted(
            (m.person_id, m.confidence) for m in expected if m.confidence >= BLOCKING_CONFIDENCE)


@pytest.mark.parametrize("present", [set(c) for n in range(5) for c in combinations(
    [Kind.A_NUMBER, Kind.PERSON_NAME, Kind.PHONE, Kind.EMAIL, Kind.FAMILY_NAME], n)])
def test_a_group_that_matched_only_birth_dates_names_nobody(present: set[Kind]) -> None:
    """What lets ``GroupMatcher`` answer such groups before scoring them."""
    for share in (1, 2, 5, 64, 500):
        seen = Seen()
        seen.note(frozenset({Kind.DATE_OF_BIRTH}), share, False)
        assert confidence(seen, present | {Kind.DATE_OF_BIRTH}) == 0.0


A_NUMBER_LIKE = st.one_of(
    st.from_regex(r"A[0-9]{9}", fullmatch=True),
    st.from_regex(r"\s*[Aa]?[ #:\-]{0,2}[0-9]{3}[ \-.]?[0-9]{3}[ \-.]?[0-9]{2,3}\s*",
                  fullmatch=True),
    st.just("A000000000"), st.text(max_size=14))


@settings(deadline=None, max_examples=300)
@given(st.lists(A_NUMBER_LIKE, max_size=8), st.sampled_from(["A-NUMBER", "A#", "ID", ""]))
def test_a_canonical_a_number_cell_reads_as_the_detector_reads_it(cells: list[str],
                                                                 header: str) -> None:
    detectors = Detectors([d for d in default_detectors(today=TODAY)
                           if d.kind is Kind.A_NUMBER])
    expected = []
    for cell in cells:
        text = cell.strip()
        expected.append(tuple((m.kind, m.normalized, text[m.start:m.end])
                              for m in detectors.find_all(text, header=header)) if text else ())
    assert _a_number_reader(detectors, header)(cells) == expected


NAME_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(deadline=None, max_examples=300)
@given(st.lists(st.one_of(NAME_TEXT, st.from_regex(r"[ A-Za-z.,'\-]{0,30}", fullmatch=True)),
                max_size=10))
def test_name_cells_fold_as_the_index_folds_them(cells: list[str]) -> None:
    expected = []
    for cell in cells:
        text = cell.strip()
        normal = fold_name(text) if text else ""
        expected.append(((Kind.FAMILY_NAME, normal, text),) if normal else ())
    assert _names_reader(Kind.FAMILY_NAME)(cells) == expected


@settings(deadline=None, max_examples=500)
@given(NAME_TEXT)
def test_a_name_folds_as_its_words_do(text: str) -> None:
    assert _word_folder()(text) == fold_name(text)


def test_workers_are_not_used_without_a_process_to_fork(
        index: EdmIndex, persons: list[dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    path = _write(tmp_path / "leak.csv", HEADERS, _leak_rows(persons, 300, seed=6))
    _assert_same(_scanner(index, _fast(workers=2)).scan(path),
                 _scanner(index, ROW_READER).scan(path))
