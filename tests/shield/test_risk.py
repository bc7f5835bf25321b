"""Re-identification risk: k-anonymity and unique rows over quasi-identifiers."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from casevault.shield.risk import RiskCounter, assess

HEADERS = ("C_BIRTHDATE", "GENDER", "NAT", "CASES")


def test_a_table_of_groups_of_five_is_5_anonymous() -> None:
    rows = [("1990", "F", "MX", "3")] * 5 + [("1985", "M", "GT", "1")] * 7
    report = assess(HEADERS, rows, [0, 1, 2])
    assert (report.k, report.classes, report.unique_rows, report.rows) == (5, 2, 0, 12)
    assert not report.blocks(5)
    assert report.blocks(6)


def test_one_unique_row_makes_k_one_and_blocks() -> None:
    rows = [("1990", "F", "MX", "3")] * 9 + [("1961-02-03", "X", "RU", "1")]
    report = assess(HEADERS, rows, [0, 1, 2])
    assert (report.k, report.unique_rows) == (1, 1)
    assert report.unique_share == 0.1
    assert report.blocks()


def test_case_and_spacing_do_not_split_a_class() -> None:
    rows = [("1990", "F", "mx", "")] * 3 + [(" 1990", "f", "MX ", "")] * 3
    assert assess(HEADERS, rows, [0, 1, 2]).k == 6


def test_no_quasi_identifier_columns_never_blocks() -> None:
    rows = [("1990", "F", "MX", str(n)) for n in range(10)]
    report = assess(HEADERS, rows, [])
    assert not report.blocks()


def test_too_many_classes_is_reported_as_identifying() -> None:
    counter = RiskCounter(HEADERS, [0], max_classes=100)
    counter.add_all((str(n), "F", "MX", "") for n in range(1_000))
    report = counter.report()
    assert report.truncated and report.k == 1 and report.rows == 1_000
    assert report.blocks()


@given(st.lists(st.tuples(st.sampled_from(["1990", "1991"]), st.sampled_from(["F", "M"])),
                min_size=1, max_size=200))
def test_k_is_the_smallest_group_count(rows: list[tuple[str, str]]) -> None:
    groups: dict[tuple[str, str], int] = {}
    for row in rows:
        groups[row] = groups.get(row, 0) + 1
    report = assess(("Y", "S"), rows, [0, 1])
    assert report.k == min(groups.values())
    assert report.unique_rows == sum(1 for c in groups.values() if c == 1)


def test_a_shuffled_table_has_the_same_risk() -> None:
    rows = [(str(1980 + n % 7), "FM"[n % 2], "MX", "") for n in range(300)]
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert assess(HEADERS, rows, [0, 1]) == assess(HEADERS, shuffled, [0, 1])
