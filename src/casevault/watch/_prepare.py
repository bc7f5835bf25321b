"""Prepared input: access events and context written as one Parquet folder both engines read.

Events gain integer time columns (``day``, ``hour`` since 1970, ``hod`` hour of day),
a row number ``seq`` (ties in time keep file order), and tokens in place of the
network address (its /16 or /48 network) and the justification text. A
justification is also classed by its words into the purpose it speaks of
(``just_class``), so that "reason does not match purpose" is a plain comparison.

Tokens are computed once per distinct value (dictionary encoding): a log has few
distinct justifications and networks, however many events.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from casevault.domain.names import fold
from casevault.watch._context import Context
from casevault.watch._events import EventColumns
from casevault.watch._tokens import Tokenizer

_CLASS_WORDS: Final = (
    ("appeal_review", re.compile(r"\bappeal")),
    ("representation", re.compile(r"\b(client|represent)")),
    ("adjudication", re.compile(r"\b(hearing|calendar|adjudicat|ruling|bond decision)")),
    ("litigation", re.compile(r"\b(litigat|motion|prosecut|government s? brief)")),
    ("case_processing", re.compile(r"\b(docket|filing|intake|scan|record update|data entry)")),
    ("compliance_audit", re.compile(r"\b(audit|complian)")),
    ("statistics", re.compile(r"\b(statistic|report)")),
    ("emergency", re.compile(r"\b(emergenc|urgent)")),
)

EVENT_SCHEMA: Final = pa.schema([
    ("event_id", pa.string()), ("seq", pa.int64()), ("ts", pa.int64()), ("day", pa.int64()),
    ("hour", pa.int64()), ("hod", pa.int64()), ("user_id", pa.string()),
    ("session_id", pa.string()), ("device_id", pa.string()), ("ip_tok", pa.string()),
    ("action", pa.string()), ("person_id", pa.string()), ("case_id", pa.string()),
    ("purpose", pa.string()), ("just_tok", pa.string()), ("just_class", pa.string()),
    ("result", pa.string()), ("record_count", pa.int64()),
])


def justification_class(text: str | None) -> str | None:
    """The purpose a justification's words speak of, or None when they name none."""
    if not text:
        return None
    folded = fold(text)
    for purpose, pattern in _CLASS_WORDS:
        if pattern.search(folded):
            return purpose
    return None


def network(ip: str | None) -> str | None:
    """The /16 (IPv4) or /48 (IPv6) network of an address: far-apart means another network."""
    if not ip:
        return None
    if ":" in ip:
        return ":".join(ip.split(":")[:3])
    return ".".join(ip.split(".")[:2])


def _mapped(values: list[str | None], fn: Callable[[str | None], str | None]) -> pa.Array:
    encoded = pc.dictionary_encode(pa.array(values, type=pa.string()))
    dictionary = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], type=pa.string())
    return pc.take(dictionary, encoded.indices)


def _floor_div(values: pa.Array, by: int) -> pa.Array:
    return pc.floor(pc.divide(pc.cast(values, pa.float64()), by)).cast(pa.int64())


def event_table(events: EventColumns, tokens: Tokenizer) -> pa.Table:
    """Access events as the engines' ``events`` table."""
    ts = pa.array(events.ts, type=pa.int64())
    day = _floor_div(ts, 86_400)
    hour = _floor_div(ts, 3_600)
    return pa.Table.from_arrays([
        pa.array(events.event_id, type=pa.string()),
        pa.array(range(len(events)), type=pa.int64()),
        ts, day, hour, pc.subtract(hour, pc.multiply(day, 24)),
        pa.array(events.user_id, type=pa.string()),
        pa.array(events.session_id, type=pa.string()),
        pa.array(events.device_id, type=pa.string()),
        _mapped(events.ip, lambda ip: tokens.token("net", network(ip))),
        pa.array(events.action, type=pa.string()),
        pa.array(events.person_id, type=pa.string()),
        pa.array(events.case_id, type=pa.string()),
        pa.array(events.purpose, type=pa.string()),
        _mapped(events.justification, tokens.text),
        _mapped(events.justification, justification_class),
        pa.array(events.result, type=pa.string()),
        pa.array(events.record_count, type=pa.int64()),
    ], schema=EVENT_SCHEMA)


def write_prepared(folder: Path, events: pa.Table, context: Context,
                   extra: Iterable[tuple[str, pa.Table]] = ()) -> dict[str, Path]:
    """Write every table of the run as ``folder/<name>.parquet``, ids coded as integers
    (``encode_ids``); returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    coded = encode_ids({"events": events, **context.tables})
    for name, table in [*coded.items(), *extra]:
        path = folder / f"{name}.parquet"
        pq.write_table(table, path, row_group_size=1_000_000)
        paths[name] = path
    return paths


_ID_COLUMNS: Final = {
    "user": (("events", "user_id"), ("staff", "user_id"), ("staff_contacts", "user_id"),
             ("supervisors", "supervisor_id"), ("supervisors", "user_id"),
             ("assignments", "user_id"), ("hearings", "judge_user_id"),
             ("representations", "attorney_id"), ("documents", "filed_by")),
    "person": (("events", "person_id"), ("person_keys", "person_id"),
               ("person_contacts", "person_id"), ("relatives", "person_id"),
               ("relatives", "relative_id"), ("watchlist", "person_id"), ("cases", "person_id")),
    "case": (("events", "case_id"), ("cases", "case_id"), ("cases", "lead_case_id"),
             ("assignments", "case_id"), ("hearings", "case_id"),
             ("representations", "case_id"), ("documents", "case_id")),
}
"""Id columns the rules join on, by kind of id: each kind is coded as integers."""


def encode_ids(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Replace user, person and case ids by integer codes; add ``ids_<kind>`` to decode them.

    Joins and groupings over millions of events are several times cheaper on integers
    than on text; detectors decode their hits through the ``ids_*`` tables.
    """
    out = dict(tables)
    for kind, columns in _ID_COLUMNS.items():
        present = [(t, c) for t, c in columns if t in out]
        values = pa.chunked_array([out[t].column(c) for t, c in present], type=pa.string())
        dictionary = pc.drop_null(pc.unique(values))
        dictionary = pc.take(dictionary, pc.sort_indices(dictionary))
        for table, column in present:
            current = out[table]
            coded = pc.cast(pc.index_in(current.column(column), value_set=dictionary),
                            pa.int64())
            out[table] = current.set_column(current.schema.get_field_index(column),
                                            column, coded)
        out[f"ids_{kind}"] = pa.table({"code": pa.array(range(len(dictionary)), pa.int64()),
                                       "id": dictionary})
    return out
