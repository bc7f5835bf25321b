"""SIEM export: ledger events as JSON Lines, OCSF API Activity, or ArcSight CEF.

``casevault audit export --format ocsf|cef|jsonl --since T`` feeds an agency's
existing security tooling; this module is only the formatting (one event in,
one line out), so the command can stream any number of events.

* **jsonl** uses DESIGN.md's access-event field names (what ``watch`` and
  legacy feeds read), plus ``seq``, ``policy_ids`` and the ``leaf_hash`` that
  ties a line back to the tamper-evident log.
* **ocsf** follows OCSF 1.3.0, class API Activity (``class_uid`` 6003,
  category Application Activity, ``category_uid`` 6). Fields with no OCSF
  attribute (purpose, justification, data categories, policy ids, seq) go in
  ``unmapped``, as the schema intends.
* **cef** follows the ArcSight CEF implementation standard: header fields
  escape ``\\`` and ``|``; extension values escape ``\\``, ``=`` and line
  breaks (``\\n``, ``\\r``); standard dictionary keys where one exists and
  labelled custom keys (``cs1``..``cs6``, ``cn1``..``cn2``, ``flexString1``..2)
  for the rest.

Each export carries only the event's own fields. The justification is free
text close to personal data; it is included because the SIEM is an internal
security system whose job is to judge it, and nothing is added to it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, TextIO

from casevault import __version__
from casevault.audit.events import Action, Event, Result, format_at

__all__ = [
    "OCSF_VERSION",
    "SiemFormat",
    "cef_header_escape",
    "cef_value_escape",
    "jsonl_fields",
    "to_cef",
    "to_jsonl",
    "to_ocsf",
    "write_events",
]

SiemFormat = Literal["ocsf", "cef", "jsonl"]

PRODUCT: Final = "casevault"
VENDOR: Final = "casevault"
OCSF_VERSION: Final = "1.3.0"
API_ACTIVITY_CLASS_UID: Final = 6003
APPLICATION_ACTIVITY_CATEGORY_UID: Final = 6

# OCSF API Activity activity_id: 1 Create, 2 Read, 3 Update, 4 Delete, 99 Other.
# casevault never creates or deletes through an audited access (records arrive by
# import and leave by erasure, both audited as updates or policy changes);
# sign-in and session events have no CRUD meaning and are Other.
_READ, _UPDATE, _OTHER = 2, 3, 99
_ACTIVITY: Final = {
    Action.VIEW: _READ, Action.SEARCH: _READ, Action.EXPORT: _READ, Action.PRINT: _READ,
    Action.DISCLOSURE: _READ, Action.AUDIT_ACCESS: _READ,
    Action.UPDATE: _UPDATE, Action.ACCOUNT_CHANGE: _UPDATE, Action.POLICY_CHANGE: _UPDATE,
}
_ACTIVITY_NAMES: Final = {1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"}

# OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High. A denied access is
# worth a look; a break-glass access overrides policy and is always reviewed.
_INFORMATIONAL, _LOW, _MEDIUM, _HIGH = 1, 2, 3, 4
_SEVERITY_NAMES: Final = {1: "Informational", 2: "Low", 3: "Medium", 4: "High"}
_CEF_SEVERITY: Final = {_INFORMATIONAL: 1, _LOW: 3, _MEDIUM: 5, _HIGH: 7}  # CEF 0..10

_SUCCESS, _FAILURE = 1, 2
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _activity_id(event: Event) -> int:
    return _ACTIVITY.get(event.action, _OTHER)


def _severity_id(event: Event) -> int:
    if event.action is Action.BREAK_GLASS:
        return _HIGH
    if event.result is Result.DENY or event.action is Action.LOGIN_FAILURE:
        return _MEDIUM
    return _INFORMATIONAL


def _epoch_ms(event: Event) -> int:
    """Milliseconds since 1970 in integer arithmetic (a float would round some instants)."""
    if event.at.tzinfo is None:
        raise ValueError(f"event seq {event.seq} has a time without a time zone")
    return (event.at - _EPOCH) // timedelta(milliseconds=1)


# -- JSON Lines ------------------------------------------------------------------------------

def jsonl_fields(event: Event) -> dict[str, Any]:
    """The access-event record (DESIGN.md names, lists ``;``-joined) plus ledger fields."""
    return {
        "event_id": event.event_id,
        "at": format_at(event.at),
        "user_id": event.user_id,
        "session_id": event.session_id,
        "device_id": event.device_id,
        "ip": event.ip,
        "action": str(event.action),
        "person_id": event.person_id,
        "case_id": event.case_id,
        "categories": ";".join(event.categories),
        "purpose": event.purpose,
        "justification": event.justification,
        "result": str(event.result),
        "record_count": event.record_count,
        "seq": event.seq,
        "policy_ids": ";".join(event.policy_ids),
        "leaf_hash": event.leaf_hash.hex(),
    }


def _json_line(value: dict[str, Any]) -> str:
    """Compact JSON on one line; JSON escapes every line break inside strings."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def to_jsonl(event: Event) -> str:
    """One JSON Lines record (no trailing newline)."""
    return _json_line(jsonl_fields(event))


# -- OCSF ------------------------------------------------------------------------------------

def to_ocsf(event: Event) -> dict[str, Any]:
    """One OCSF 1.3.0 API Activity event (class 6003) as a JSON-able dict."""
    activity_id = _activity_id(event)
    severity_id = _severity_id(event)
    permitted = event.result is Result.PERMIT
    record: dict[str, Any] = {
        "class_uid": API_ACTIVITY_CLASS_UID,
        "class_name": "API Activity",
        "category_uid": APPLICATION_ACTIVITY_CATEGORY_UID,
        "category_name": "Application Activity",
        "activity_id": activity_id,
        "activity_name": _ACTIVITY_NAMES[activity_id],
        "type_uid": API_ACTIVITY_CLASS_UID * 100 + activity_id,
        "type_name": f"API Activity: {_ACTIVITY_NAMES[activity_id]}",
        "time": _epoch_ms(event),
        "severity_id": severity_id,
        "severity": _SEVERITY_NAMES[severity_id],
        "status_id": _SUCCESS if permitted else _FAILURE,
        "status": "Success" if permitted else "Failure",
        "status_detail": str(event.result),
        "metadata": _ocsf_metadata(event),
        "actor": _ocsf_actor(event),
        "api": {"operation": str(event.action)},
        "src_endpoint": _ocsf_src_endpoint(event),
        "unmapped": _ocsf_unmapped(event),
    }
    resources = _ocsf_resources(event)
    if resources:
        record["resources"] = resources
    return record


def _ocsf_metadata(event: Event) -> dict[str, Any]:
    return {
        "version": OCSF_VERSION,
        "product": {"name": PRODUCT, "vendor_name": VENDOR, "version": __version__},
        "uid": event.event_id,
        "sequence": event.seq,
        "original_time": format_at(event.at),
        "log_name": "casevault audit ledger",
    }


def _ocsf_actor(event: Event) -> dict[str, Any]:
    """The user and session; an event with neither was done by casevault itself."""
    actor: dict[str, Any] = {}
    if event.user_id is not None:
        actor["user"] = {"uid": event.user_id}
    if event.session_id is not None:
        actor["session"] = {"uid": event.session_id}
    if not actor:
        actor["app_name"] = PRODUCT
    return actor


def _ocsf_src_endpoint(event: Event) -> dict[str, Any]:
    """Client IP and device id. OCSF types ``ip``, so a recorded address that does not
    parse goes in ``name``; OCSF needs at least one endpoint attribute, so an event
    with none (a batch job) names its source as unknown rather than guess one."""
    endpoint: dict[str, Any] = {}
    if event.ip is not None:
        address = _parsed_ip(event.ip)
        endpoint["ip" if address else "name"] = event.ip
    if event.device_id is not None:
        endpoint["uid"] = event.device_id
    return endpoint or {"name": "unknown"}


def _ocsf_resources(event: Event) -> list[dict[str, str]]:
    resources = []
    if event.person_id is not None:
        resources.append({"uid": event.person_id, "type": "person"})
    if event.case_id is not None:
        resources.append({"uid": event.case_id, "type": "case"})
    return resources


def _ocsf_unmapped(event: Event) -> dict[str, Any]:
    return {
        "purpose": event.purpose,
        "justification": event.justification,
        "categories": list(event.categories),
        "policy_ids": list(event.policy_ids),
        "record_count": event.record_count,
        "seq": event.seq,
        "leaf_hash": event.leaf_hash.hex(),
        "query_hmac": event.query_hmac,
        "detail": dict(event.detail),
    }


# -- CEF -------------------------------------------------------------------------------------

def cef_header_escape(value: str) -> str:
    """Header fields: ``\\`` becomes ``\\\\`` and ``|`` becomes ``\\|``. The standard
    gives no escape for line breaks in the header, so one is refused."""
    if "\n" in value or "\r" in value:
        raise ValueError("a CEF header field cannot hold a line break")
    return value.replace("\\", "\\\\").replace("|", "\\|")


def cef_value_escape(value: str) -> str:
    """Extension values: ``\\`` -> ``\\\\``, ``=`` -> ``\\=``, CR -> ``\\r``, LF -> ``\\n``.
    Pipes need no escape in the extension."""
    return (value.replace("\\", "\\\\").replace("=", "\\=")
            .replace("\r", "\\r").replace("\n", "\\n"))


def to_cef(event: Event) -> str:
    """One CEF:0 line (no trailing newline)."""
    severity = _CEF_SEVERITY[_severity_id(event)]
    outcome = "permitted" if event.result is Result.PERMIT else "denied"
    header = [
        "CEF:0", PRODUCT, PRODUCT, __version__,
        f"{event.action}:{event.result}",
        f"{event.action} {outcome}",
        str(severity),
    ]
    extension = " ".join(f"{key}={cef_value_escape(value)}" for key, value in _cef_pairs(event))
    return "|".join(cef_header_escape(field) for field in header) + "|" + extension


def _cef_pairs(event: Event) -> list[tuple[str, str]]:
    """Extension keys in a fixed order; absent fields are left out, not sent empty."""
    pairs: list[tuple[str, str]] = [
        ("rt", str(_epoch_ms(event))),
        ("externalId", event.event_id),
        ("act", str(event.action)),
        ("outcome", "success" if event.result is Result.PERMIT else "failure"),
    ]
    if event.user_id is not None:
        pairs += [("suid", event.user_id), ("suser", event.user_id)]
    pairs += _cef_source(event.ip)
    custom = [
        ("cs1", "purpose", event.purpose),
        ("cs2", "justification", event.justification),
        ("cs3", "categories", ";".join(event.categories) or None),
        ("cs4", "policyIds", ";".join(event.policy_ids) or None),
        ("cs5", "personId", event.person_id),
        ("cs6", "caseId", event.case_id),
        ("flexString1", "sessionId", event.session_id),
        ("flexString2", "deviceId", event.device_id),
    ]
    for key, label, value in custom:
        if value is not None:
            pairs += [(f"{key}Label", label), (key, value)]
    pairs += [("cn1Label", "recordCount"), ("cn1", str(event.record_count)),
              ("cn2Label", "ledgerSeq"), ("cn2", str(event.seq))]
    if event.detail:  # e.g. a disclosure's recipient and legal basis
        pairs.append(("msg", "; ".join(f"{k}: {v}" for k, v in sorted(event.detail.items()))))
    return pairs


def _cef_source(ip: str | None) -> list[tuple[str, str]]:
    """``src`` takes IPv4 only; IPv6 goes in ``c6a2`` (the standard's source IPv6 slot).

    The ledger records what the server saw, which should always parse; if it
    does not, it is passed on as ``shost`` rather than dropped or put in a
    typed address key where the SIEM would reject it.
    """
    if ip is None:
        return []
    address = _parsed_ip(ip)
    if address is None:
        return [("shost", ip)]
    if address.version == 4:
        return [("src", ip)]
    return [("c6a2Label", "Source IPv6 Address"), ("c6a2", ip)]


def _parsed_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _ocsf_line(event: Event) -> str:
    return _json_line(to_ocsf(event))


# -- streaming -------------------------------------------------------------------------------

def write_events(events: Iterable[Event], fmt: SiemFormat, out: TextIO) -> int:
    """Write one line per event in ``fmt``; return how many were written.

    Lazy over ``events``: nothing is held but the current event.
    """
    formatters: dict[str, Callable[[Event], str]] = {
        "jsonl": to_jsonl,
        "cef": to_cef,
        "ocsf": _ocsf_line,
    }
    if fmt not in formatters:
        raise ValueError(f"unknown SIEM format {fmt!r}; use ocsf, cef or jsonl")
    formatter = formatters[fmt]
    count = 0
    for event in events:
        out.write(formatter(event) + "\n")
        count += 1
    return count
