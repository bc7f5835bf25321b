"""SIEM export: a vector table per format, CEF escaping, OCSF required fields, round trips.

The CEF parser here is written from the standard's rules, independently of the
formatter: header fields split at unescaped pipes; the extension split at
unescaped ``=``, the key being the last space-separated word before it.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from casevault import __version__
from casevault.audit.events import Action, Event, Result
from casevault.audit.merkle import leaf_hash
from casevault.audit.siem import (
    OCSF_VERSION,
    cef_header_escape,
    cef_value_escape,
    to_cef,
    to_jsonl,
    to_ocsf,
    write_events,
)

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "siem_cases.json")
                     .read_text("utf-8"))
CASES = VECTORS["cases"]
IDS = [case["id"] for case in CASES]
ACCESS_EVENT_FIELDS = ["event_id", "at", "user_id", "session_id", "device_id", "ip", "action",
                       "person_id", "case_id", "categories", "purpose", "justification",
                       "result", "record_count"]


def make_event(spec: dict[str, Any]) -> Event:
    """A stored event from a vector row, its leaf hash computed as the ledger does."""
    prev = spec["person_prev_hash"]
    fields: dict[str, Any] = {
        **spec, "at": datetime.fromisoformat(spec["at"]), "action": Action(spec["action"]),
        "result": Result(spec["result"]), "categories": tuple(spec["categories"]),
        "policy_ids": tuple(spec["policy_ids"]),
        "person_prev_hash": bytes.fromhex(prev) if prev else None,
    }
    draft = Event(**fields, leaf_hash=b"")
    return Event(**fields, leaf_hash=leaf_hash(draft.leaf()))


def _epoch_ms(event: Event) -> int:
    return (event.at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _fill(value: Any, event: Event) -> Any:
    """Substitute the vector's placeholders for the version and the leaf hash."""
    if isinstance(value, dict):
        return {key: _fill(item, event) for key, item in value.items()}
    if isinstance(value, str):
        return value.replace("{version}", __version__).replace("{leaf_hash}",
                                                                event.leaf_hash.hex())
    return value


# -- an independent CEF parser -----------------------------------------------------------------

def parse_cef(line: str) -> tuple[list[str], dict[str, str]]:
    """Split a CEF line into its 7 header fields (after ``CEF:``) and extension pairs."""
    assert line.startswith("CEF:")
    header: list[str] = []
    field, i = "", 0
    while len(header) < 7:
        ch = line[i]
        if ch == "\\":
            assert line[i + 1] in "\\|", f"bad header escape at {i}"
            field += line[i + 1]
            i += 2
        elif ch == "|":
            header.append(field)
            field, i = "", i + 1
        else:
            field += ch
            i += 1
    return header, parse_extension(line[i:])


def parse_extension(text: str) -> dict[str, str]:
    """Find unescaped ``=``; each key is the word just before one, each value runs to the
    space before the next key."""
    marks: list[int] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "=":
            marks.append(i)
        i += 1
    pairs: dict[str, str] = {}
    key_start = 0
    for number, mark in enumerate(marks):
        key = text[key_start:mark]
        assert key and " " not in key, f"bad key {key!r}"
        end = marks[number + 1] if number + 1 < len(marks) else None
        raw = text[mark + 1:] if end is None else text[mark + 1:text.rindex(" ", 0, end)]
        key_start = 0 if end is None else text.rindex(" ", 0, end) + 1
        assert key not in pairs, f"duplicate key {key}"
        pairs[key] = unescape_value(raw)
    return pairs


def unescape_value(raw: str) -> str:
    out, i = "", 0
    while i < len(raw):
        if raw[i] == "\\":
            out += {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}[raw[i + 1]]
            i += 2
        else:
            out += raw[i]
            i += 1
    return out


# -- the vector table, per format --------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cef_matches_the_vector(case: dict[str, Any]) -> None:
    event = make_event(case["event"])
    assert to_cef(event) == _fill(case["cef"], event)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jsonl_matches_the_vector(case: dict[str, Any]) -> None:
    event = make_event(case["event"])
    assert json.loads(to_jsonl(event)) == _fill(case["jsonl"], event)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_ocsf_matches_the_vector(case: dict[str, Any]) -> None:
    event = make_event(case["event"])
    assert to_ocsf(event) == _fill(case["ocsf"], event)


# -- CEF ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "escaped"), [
    ("plain", "plain"),
    ("a|b", "a\\|b"),
    ("back\\slash", "back\\\\slash"),
    ("\\|", "\\\\\\|"),
    ("a=b", "a=b"),  # = is only special in the extension
])
def test_header_escaping(raw: str, escaped: str) -> None:
    assert cef_header_escape(raw) == escaped


@pytest.mark.parametrize("raw", ["two\nlines", "cr\rhere"])
def test_a_header_line_break_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        cef_header_escape(raw)


@pytest.mark.parametrize(("raw", "escaped"), [
    ("plain text", "plain text"),
    ("a=b", "a\\=b"),
    ("C:\\dir", "C:\\\\dir"),
    ("pipe|stays", "pipe|stays"),
    ("one\ntwo", "one\\ntwo"),
    ("one\r\ntwo", "one\\r\\ntwo"),
    ("\\=", "\\\\\\="),
    ("ends with \\", "ends with \\\\"),
])
def test_extension_value_escaping(raw: str, escaped: str) -> None:
    assert cef_value_escape(raw) == escaped


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cef_parses_back_to_the_events_fields(case: dict[str, Any]) -> None:
    event = make_event(case["event"])
    line = to_cef(event)
    assert "\n" not in line and "\r" not in line
    header, ext = parse_cef(line)
    assert header == ["CEF:0", "casevault", "casevault", __version__,
                      f"{event.action}:{event.result}", header[5], header[6]]
    assert 0 <= int(header[6]) <= 10
    assert ext["externalId"] == event.event_id
    assert int(ext["rt"]) == _epoch_ms(event)
    assert ext["act"] == event.action
    assert ext["outcome"] == ("success" if event.result is Result.PERMIT else "failure")
    assert ext.get("suid") == event.user_id
    assert _labelled(ext, "purpose") == event.purpose
    assert _labelled(ext, "justification") == event.justification
    assert _labelled(ext, "personId") == event.person_id
    assert _labelled(ext, "caseId") == event.case_id
    assert _labelled(ext, "sessionId") == event.session_id
    assert _labelled(ext, "deviceId") == event.device_id
    assert (_labelled(ext, "categories") or "") == ";".join(event.categories)
    assert (_labelled(ext, "policyIds") or "") == ";".join(event.policy_ids)
    assert _labelled(ext, "recordCount") == str(event.record_count)
    assert _labelled(ext, "ledgerSeq") == str(event.seq)
    assert (ext.get("src") or ext.get("c6a2") or ext.get("shost")) == event.ip


def _labelled(ext: dict[str, str], label: str) -> str | None:
    """The value of the custom key whose ``...Label`` is ``label``."""
    keys = [k.removesuffix("Label") for k, v in ext.items() if k.endswith("Label") and v == label]
    assert len(keys) <= 1
    return ext[keys[0]] if keys else None


def test_a_justification_cannot_inject_keys_or_header_fields() -> None:
    event = make_event({**CASES[0]["event"],
                        "justification": "x act=delete outcome=success|CEF:0|y \\"})
    header, ext = parse_cef(to_cef(event))
    assert ext["act"] == "view" and ext["outcome"] == "success"
    assert _labelled(ext, "justification") == "x act=delete outcome=success|CEF:0|y \\"
    assert len(header) == 7


# -- OCSF ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_ocsf_required_fields_are_present_and_typed(case: dict[str, Any]) -> None:
    event = make_event(case["event"])
    record = json.loads(json.dumps(to_ocsf(event)))  # JSON-able, and as a SIEM reads it
    assert record["class_uid"] == 6003
    assert record["category_uid"] == 6
    assert record["activity_id"] in {1, 2, 3, 4, 99}
    assert record["type_uid"] == 6003 * 100 + record["activity_id"]
    assert isinstance(record["time"], int)
    assert record["time"] == _epoch_ms(event)
    assert record["severity_id"] in {0, 1, 2, 3, 4, 5, 6, 99}
    assert record["status_id"] == (1 if event.result is Result.PERMIT else 2)
    metadata = record["metadata"]
    assert metadata["version"] == OCSF_VERSION
    assert metadata["product"] == {"name": "casevault", "vendor_name": "casevault",
                                   "version": __version__}
    assert metadata["uid"] == event.event_id
    assert record["api"]["operation"] == event.action
    assert set(record["actor"]) & {"user", "session", "app_name", "process"}
    endpoint = record["src_endpoint"]
    assert set(endpoint) & {"ip", "uid", "name", "hostname"}
    assert all(isinstance(v, str) for v in endpoint.values())
    for resource in record.get("resources", []):
        assert resource["type"] in {"person", "case"} and isinstance(resource["uid"], str)


ACTIVITIES = {  # OCSF API Activity: 2 Read, 3 Update, 99 Other
    "view": 2, "search": 2, "export": 2, "print": 2, "disclosure": 2, "audit_access": 2,
    "update": 3, "account_change": 3, "policy_change": 3,
    "login": 99, "logout": 99, "login_failure": 99, "mfa": 99, "session_revoked": 99,
    "break_glass": 99, "publication": 99,
}


@pytest.mark.parametrize(("action", "activity"), ACTIVITIES.items(), ids=list(ACTIVITIES))
def test_every_action_has_an_activity(action: str, activity: int) -> None:
    event = make_event({**CASES[0]["event"], "action": action})
    assert to_ocsf(event)["activity_id"] == activity
    assert to_ocsf(event)["type_uid"] == 600300 + activity


def test_every_action_is_in_the_activity_table() -> None:
    """A new Action must be classified on purpose, not fall into Other unnoticed."""
    assert set(ACTIVITIES) == {str(action) for action in Action}


def test_ocsf_carries_only_the_events_own_fields() -> None:
    event = make_event(CASES[1]["event"])
    record = to_ocsf(event)
    assert record["unmapped"]["justification"] == event.justification
    values = json.dumps(record)
    assert "Testfamily" not in values  # nothing from a staff directory or the store


# -- JSON Lines and streaming -------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jsonl_parses_back_to_the_same_fields(case: dict[str, Any]) -> None:
    event = make_event(case["event"])
    line = to_jsonl(event)
    assert "\n" not in line
    record = json.loads(line)
    assert list(record)[:len(ACCESS_EVENT_FIELDS)] == ACCESS_EVENT_FIELDS
    assert record["categories"] == ";".join(event.categories)
    assert tuple(filter(None, record["categories"].split(";"))) == event.categories
    assert tuple(filter(None, record["policy_ids"].split(";"))) == event.policy_ids
    assert datetime.fromisoformat(record["at"]) == event.at
    assert bytes.fromhex(record["leaf_hash"]) == event.leaf_hash
    for name in ("event_id", "user_id", "session_id", "device_id", "ip", "person_id",
                 "case_id", "purpose", "justification", "record_count", "seq"):
        assert record[name] == getattr(event, name)
    assert (record["action"], record["result"]) == (event.action, event.result)


@pytest.mark.parametrize("fmt", ["ocsf", "cef", "jsonl"])
def test_write_events_streams_one_line_per_event(fmt: Any) -> None:
    events = [make_event(case["event"]) for case in CASES]
    out = io.StringIO()
    consumed = iter(events)
    assert write_events(consumed, fmt, out) == len(events)
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) == len(events) + 1
    for line, event in zip(lines, events, strict=False):
        if fmt == "cef":
            assert parse_cef(line)[1]["externalId"] == event.event_id
        elif fmt == "ocsf":
            assert json.loads(line)["metadata"]["uid"] == event.event_id
        else:
            assert json.loads(line)["event_id"] == event.event_id
    assert next(consumed, None) is None


def test_write_events_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown SIEM format"):
        write_events([], "syslog", io.StringIO())  # type: ignore[arg-type]


def test_a_naive_time_is_refused() -> None:
    event = make_event(CASES[0]["event"])
    naive = Event(**{**{f: getattr(event, f) for f in Event.__dataclass_fields__},
                     "at": event.at.replace(tzinfo=None)})
    with pytest.raises(ValueError, match="time zone"):
        to_cef(naive)
