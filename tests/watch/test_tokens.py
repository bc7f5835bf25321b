"""Contact attributes reach the engine only as keyed tokens; writings of one value meet."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from casevault.domain.records import Person, User
from casevault.synth._workday_run import simulate_court_workday
from casevault.watch._prepare import justification_class, network, write_prepared
from casevault.watch._tokens import Tokenizer

from .helpers import prepare

TOKENS = Tokenizer(b"k" * 32)


@pytest.mark.parametrize(("a", "b"), [
    (("12 Main Street", "10001"), ("12 MAIN ST.", "10001-2233")),
    (("5 North Oak Avenue Apt 3", "33101"), ("5 n oak ave apt 3", "33101")),
])
def test_writings_of_one_address_meet(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert TOKENS.address(*a) == TOKENS.address(*b)


def test_near_addresses_meet_only_without_the_unit() -> None:
    flat, other = ("12 Main St Apt 4B", "10001"), ("12 Main St Apt 9C", "10001")
    assert TOKENS.address(*flat) != TOKENS.address(*other)
    assert TOKENS.near_address(*flat) == TOKENS.near_address(*other)
    assert TOKENS.near_address("14 Main St", "10001") != TOKENS.near_address(*flat)


def test_phones_emails_and_names_normalise() -> None:
    assert TOKENS.phone("(212) 555-0101") == TOKENS.phone("+1 212 555 0101")
    assert TOKENS.phone("12") is None
    assert TOKENS.email(" Ana@Example.org") == TOKENS.email("ana@example.org")
    assert TOKENS.surname("Téllez") == TOKENS.surname("TELLEZ")
    assert TOKENS.surname("Tellez") != TOKENS.surname("Telles")


def test_a_new_run_key_makes_new_tokens() -> None:
    assert Tokenizer().surname("Lopez") != Tokenizer().surname("Lopez")


def test_justifications_are_classed_by_purpose() -> None:
    assert justification_class("Hearing preparation") == "adjudication"
    assert justification_class("client file review") == "representation"
    assert justification_class("helping a friend") is None
    assert justification_class(None) is None


def test_networks() -> None:
    assert network("10.20.30.40") == "10.20"
    assert network("2001:db8:1:2::1") == "2001:db8:1"
    assert network(None) is None


def test_no_clear_contact_value_reaches_the_engine(tmp_path: Path) -> None:
    run = simulate_court_workday(people=300, days=2, seed=4, kinds=[])
    prepared = prepare(run)
    paths = write_prepared(tmp_path, prepared.events, prepared.context)
    clear = set()
    for record in run.records:
        if isinstance(record, Person | User):
            clear |= {v for v in (record.family_name, record.address, record.phone,
                                  record.email) if v}
    assert len(clear) > 100
    for path in paths.values():
        for column in pq.read_table(path).columns:
            values = {str(v) for v in column.to_pylist() if v is not None}
            assert not values & clear, path.name
