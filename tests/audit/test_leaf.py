"""The fast leaf paths give ``encode_leaf``'s bytes exactly, for any values.

Appends (``_leaf.leaf_bytes``) and verification (``_chunks.RowChecker``) build
leaves without a datetime per event and with an encoder made once. These
properties hold them to the definition, ``events.encode_leaf``, over arbitrary
text (quotes, backslashes, control characters, non-ASCII), absent fields and
instants, and check that odd stored instants fail or format exactly as the
round trip through a datetime does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from casevault.audit._chunks import PG_INSTANT, RowChecker
from casevault.audit._leaf import InstantText, leaf_bytes, list_encoder
from casevault.audit.events import Action, Result, encode_leaf, format_at
from casevault.audit.merkle import leaf_hash
from casevault.store.rows import instant_for_sqlite, instant_from_store

QUICK = settings(max_examples=300, deadline=None)

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
maybe_text = st.none() | text
names = st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",),
                                                exclude_characters=";"), min_size=1,
                         max_size=12), max_size=4).map(tuple)
instants = st.datetimes(min_value=datetime(1000, 1, 1),  # noqa: DTZ001 -- naive bounds, as
                        max_value=datetime(9999, 12, 31),  # noqa: DTZ001 -- Hypothesis wants
                        timezones=st.just(UTC))
"""From year 1000: the store writes earlier years without the leading zero, unreadable to all."""


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "seq": draw(st.integers(0, 2**62)), "event_id": draw(text), "at": draw(instants),
        "action": draw(st.sampled_from(Action)), "result": draw(st.sampled_from(Result)),
        "user_id": draw(maybe_text), "session_id": draw(maybe_text),
        "device_id": draw(maybe_text), "ip": draw(maybe_text), "person_id": draw(maybe_text),
        "case_id": draw(maybe_text), "categories": draw(names), "purpose": draw(maybe_text),
        "justification": draw(maybe_text), "record_count": draw(st.integers(0, 10**9)),
        "policy_ids": draw(names), "query_hmac": draw(maybe_text),
        "detail": draw(st.dictionaries(text, text, max_size=3)),
        "person_prev_hash": draw(st.none() | st.binary(min_size=32, max_size=32)),
    }


def _defined(event: dict[str, Any]) -> bytes:
    return encode_leaf(**event)


def _stored_row(event: dict[str, Any]) -> tuple[Any, ...]:
    """The row as the ledger stores it on SQLite."""
    return (event["seq"], event["event_id"], instant_for_sqlite(event["at"]),
            event["action"].value, event["result"].value, event["user_id"],
            event["session_id"], event["device_id"], event["ip"], event["person_id"],
            event["case_id"], ";".join(event["categories"]), event["purpose"],
            event["justification"], event["record_count"], ";".join(event["policy_ids"]),
            event["query_hmac"], json.dumps(event["detail"], sort_keys=True),
            event["person_prev_hash"], leaf_hash(_defined(event)))


@QUICK
@given(events())
def test_appends_build_the_defined_leaf(event: dict[str, Any]) -> None:
    fields = {k: v for k, v in event.items() if k not in ("at", "person_prev_hash")}
    built = leaf_bytes(list_encoder(), at_text=format_at(event["at"]),
                       prev_hash=event["person_prev_hash"], **fields)
    assert built == _defined(event)


@QUICK
@given(events())
def test_verification_rebuilds_the_defined_leaf(event: dict[str, Any]) -> None:
    checker = RowChecker(event["seq"])
    assert checker.check([_stored_row(event)]), checker.result.error
    assert checker.hashes == [leaf_hash(_defined(event))]
    person = event["person_id"]
    links = [] if person is None else [(event["seq"], person, event["person_prev_hash"])]
    assert checker.result.firsts == links  # a person's first link is the caller's to check


@QUICK
@given(instants)
def test_written_instants_become_leaf_text(moment: datetime) -> None:
    stored = instant_for_sqlite(moment)
    assert InstantText()(stored) == format_at(instant_from_store(stored))


ODD_INSTANTS = [
    "2026-03-04 09:30:00",  # no microseconds
    "2026-03-04T09:30:00.000000",  # the other separator
    "2026-03-04 09:30:00.000000+02:00",  # an offset
    "2026-03-04T09:30:00.000000Z",
    "2026-02-30 09:30:00.000000",  # no such day
    "0000-01-01 00:00:00.000000",  # no year 0
    "2026-03-04 24:00:00.000000",
    "2026-03-04 09:60:00.000000",
    "2026-03-04 09:30:60.000000",
    "2026-03-04 09:30:00.00000a",
    "\u0662026-03-04 09:30:00.000000",  # a non-ASCII digit
    "",
    None,
    20260304,
    datetime(2026, 3, 4, 9, 30, tzinfo=UTC),
    datetime(2026, 3, 4, 9, 30),  # noqa: DTZ001 -- naive on purpose: the store takes it as UTC
]


@pytest.mark.parametrize("value", ODD_INSTANTS, ids=repr)
def test_odd_instants_take_the_round_trip(value: object) -> None:
    try:
        expected: object = format_at(instant_from_store(value))
    except (ValueError, TypeError) as exc:
        expected = type(exc)
    try:
        found: object = InstantText()(value)
    except (ValueError, TypeError) as exc:
        found = type(exc)
    assert found == expected


PG_INSTANTS = ["2026-03-04 09:30:00.123456+00", "2026-03-04 23:59:59.999999-05",
               "1000-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
               "2024-02-29 12:00:00.000001+14", "1970-01-01 00:00:00+00"]


def test_postgres_formats_instants_as_sqlite_stores_them(
        database_factory: Callable[[str], Engine]) -> None:
    """What verification reads on PostgreSQL becomes the same leaf text as the datetime would."""
    engine = database_factory("postgresql")
    expression = PG_INSTANT
    values = ", ".join("(CAST(%s AS timestamptz))" for _ in PG_INSTANTS)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT {expression}, at FROM (VALUES {values}) AS v(at)", tuple(PG_INSTANTS)).all()
    for as_text, as_datetime in rows:
        assert InstantText()(as_text) == format_at(instant_from_store(as_datetime))
    with engine.connect() as connection:
        odd = connection.exec_driver_sql(
            f"SELECT {expression} FROM (VALUES (CAST('infinity' AS timestamptz)), "
            "(CAST('0044-03-15 00:00:00+00 BC' AS timestamptz))) AS v(at)").scalars().all()
    assert odd == [None, None]  # outside a datetime: read as altered
