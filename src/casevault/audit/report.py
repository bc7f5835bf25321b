"""Subject access reports: every access to one person, with proofs that verify offline.

DESIGN.md invariant 8: a person (or their attorney) can learn every access to
their record, and check with nothing but the log's public key that what they
were given is what the log holds. A report (format ``casevault-subject-report``,
version 1) carries:

* the signed checkpoint (C2SP note) the report is complete against, and the
  log's verifier key;
* for each of the person's events below the checkpoint size, in log order:
  its ``seq`` (leaf index), the canonical **leaf text** (so the verifier
  hashes it itself), an RFC 9162 inclusion proof against the checkpoint, and a
  human ``view`` derived from the leaf (plus staff agency and role, and the
  name when the installation shows names);
* a ``chain`` summary (count, and seq and leaf hash of the last event);
* a ``signature``: a C2SP signed note by the log key whose one-line text
  holds the SHA-256 of the canonical JSON of everything else.

What each part proves. Inclusion proofs show every listed event is in the log.
The per-person hash chain in the leaves (each leaf names the leaf hash of the
person's previous event) shows none was removed *between* listed events, and
that the first listed event is the person's first. Nothing in the log alone
shows the list has no *tail* missing, so the report signature is the log's
statement that the list is complete up to the checkpoint: whoever passes the
report on (an email, a portal, an attorney's office) cannot drop the latest
events, add, reorder or edit anything without breaking it. A later report's
chain must also run through this report's head, so a tail withheld by the
log operator itself shows up as soon as the person asks again.

The ``view`` is not trusted input: ``verify_report`` recomputes it from the leaf
and rejects a report whose view says anything else. Staff attributes cannot be
derived from the leaf (they come from the staff directory); only the signature
covers them.

Verification raises (``ProofInvalid``, ``LedgerTampered``, ``FormatVersionError``),
naming the event's seq; it never returns ``False``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from casevault.audit.checkpoint import (
    Checkpoint,
    Signer,
    Verifier,
    open_note,
    parse_signed_checkpoint,
    sign_note,
)
from casevault.audit.events import LEAF_VERSION, Event, encode_leaf, format_at
from casevault.audit.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from casevault.errors import (
    FormatVersionError,
    InputError,
    LedgerTampered,
    ProofInvalid,
)

__all__ = [
    "REPORT_FORMAT",
    "REPORT_VERSION",
    "StaffEntry",
    "VerifiedReport",
    "build_report",
    "render_report_text",
    "report_digest",
    "seal_report",
    "verify_report",
]

REPORT_FORMAT: Final = "casevault-subject-report"
REPORT_VERSION: Final = 1
_SIGNED_LINE_PREFIX: Final = f"{REPORT_FORMAT}/{REPORT_VERSION} sha256:"
_TOP_KEYS: Final = frozenset({
    "format", "version", "person_id", "generated_at", "staff_names_shown",
    "checkpoint", "log_key", "events", "chain", "signature",
})
_EVENT_KEYS: Final = frozenset({"seq", "leaf", "proof", "view"})

# Positions in the ``cv-ledger-event/1`` leaf array (see ``events.encode_leaf``).
# ``_parse_leaf`` re-encodes what it parsed and demands the same bytes, so a
# change of layout in ``events`` cannot slip past this list unnoticed.
_LEAF_FIELDS: Final = (
    "version", "seq", "event_id", "at", "action", "result", "user_id", "session_id",
    "device_id", "ip", "person_id", "case_id", "categories", "purpose", "justification",
    "record_count", "policy_ids", "query_hmac", "detail", "person_prev_hash",
)
_OPTIONAL_TEXT: Final = ("user_id", "session_id", "device_id", "ip", "person_id", "case_id",
                         "purpose", "justification", "query_hmac", "person_prev_hash")


@dataclass(frozen=True, slots=True)
class StaffEntry:
    """What the report may say about a staff member: directory attributes, never contact data."""

    user_id: str
    role: str
    agency: str
    family_name: str
    given_name: str


@dataclass(frozen=True, slots=True)
class VerifiedReport:
    """What a successful ``verify_report`` vouches for."""

    person_id: str
    event_count: int
    checkpoint_origin: str
    checkpoint_size: int
    checkpoint_root: bytes


# -- building --------------------------------------------------------------------------------

def build_report(
    *,
    person_id: str,
    events: Sequence[Event],
    checkpoint_note: str,
    checkpoint: Checkpoint,
    inclusion: Callable[[int, int], list[bytes]],
    signer: Signer,
    generated_at: datetime,
    staff: Callable[[str], StaffEntry | None] | None = None,
    show_staff_names: bool = False,
) -> dict[str, Any]:
    """Build and sign the report of ``person_id``'s events below ``checkpoint.size``.

    ``events`` must be all of that person's events with ``seq < checkpoint.size``,
    in seq order; ``inclusion(index, size)`` returns an RFC 9162 inclusion proof.
    The finished report is verified before it is returned, so a ledger that
    disagrees with itself (a stored hash that is not its leaf's, a broken
    chain) raises here rather than reaching the person as a report that fails.
    """
    if generated_at.tzinfo is None:
        raise InputError("generated_at must be timezone-aware")
    if parse_signed_checkpoint(checkpoint_note, signer.verifier()) != checkpoint:
        raise InputError("the checkpoint note does not sign the given checkpoint")
    entries = [_event_entry(event, person_id, checkpoint.size, inclusion, staff,
                            show_staff_names) for event in events]
    body: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "person_id": person_id,
        "generated_at": format_at(generated_at),
        "staff_names_shown": show_staff_names,
        "checkpoint": checkpoint_note,
        "log_key": signer.verifier_key(),
        "events": entries,
        "chain": _chain_summary(events),
    }
    report = seal_report(body, signer)
    verify_report(report, signer.verifier_key())
    return report


def _event_entry(
    event: Event,
    person_id: str,
    size: int,
    inclusion: Callable[[int, int], list[bytes]],
    staff: Callable[[str], StaffEntry | None] | None,
    show_staff_names: bool,
) -> dict[str, Any]:
    if event.person_id != person_id:
        raise InputError(f"event seq {event.seq} is not an event of the requested person")
    leaf = event.leaf()
    if leaf_hash(leaf) != event.leaf_hash:
        raise LedgerTampered(f"event seq {event.seq}: stored leaf hash is not the hash of "
                             "its fields", first_bad_index=event.seq)
    view = _leaf_view(_parse_leaf(leaf.decode(), event.seq))
    entry = None if staff is None or event.user_id is None else staff(event.user_id)
    view["staff"] = _staff_view(entry, show_staff_names)
    return {"seq": event.seq, "leaf": leaf.decode(),
            "proof": [element.hex() for element in inclusion(event.seq, size)], "view": view}


def _staff_view(entry: StaffEntry | None, show_names: bool) -> dict[str, str] | None:
    """Agency and role always; the name only where the installation's setting shows names."""
    if entry is None:
        return None
    view = {"agency": entry.agency, "role": entry.role}
    if show_names:
        view["name"] = f"{entry.given_name} {entry.family_name}"
    return view


def _chain_summary(events: Sequence[Event]) -> dict[str, Any]:
    if not events:
        return {"count": 0, "head": None}
    last = events[-1]
    return {"count": len(events),
            "head": {"seq": last.seq, "leaf_hash": leaf_hash(last.leaf()).hex()}}


def report_digest(report: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of all but the signature."""
    body = {key: value for key, value in report.items() if key != "signature"}
    try:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).digest()
    except (TypeError, ValueError, UnicodeEncodeError):
        raise ProofInvalid("report is not canonical JSON") from None


def _signed_text(report: Mapping[str, Any]) -> str:
    """The one-line note text the log key signs. One line cannot parse as a checkpoint
    (which needs three), so a report signature can never pass for a tree head."""
    return f"{_SIGNED_LINE_PREFIX}{report_digest(report).hex()}\n"


def seal_report(body: Mapping[str, Any], signer: Signer) -> dict[str, Any]:
    """Return ``body`` with a ``signature``: the log key's signed note over its digest."""
    report = {key: value for key, value in body.items() if key != "signature"}
    report["signature"] = sign_note(_signed_text(report), [signer])
    return report


# -- verifying -------------------------------------------------------------------------------

def verify_report(report: Mapping[str, Any], vkey: str) -> VerifiedReport:
    """Check a report offline against the log's verifier key ``vkey``; raise if anything fails.

    Order: the format marker, the key, the report signature, the checkpoint
    signature, then each event (leaf, seq, person, inclusion, chain link,
    view) and the chain summary. The structural checks repeat what the
    signature already covers, so a report signed by a careless or dishonest
    producer is still caught wherever the log itself contradicts it.
    """
    _check_format(report)
    verifier = Verifier.from_vkey(vkey)
    if report.get("log_key") != vkey:
        raise ProofInvalid("the report names another log key than the one given")
    _check_signature(report, verifier)
    checkpoint = _open_checkpoint(report, verifier)
    person_id = _text(report, "person_id", "report")
    events = report["events"]
    if not isinstance(events, list):
        raise ProofInvalid("report events are not a list")
    previous: tuple[int, bytes] | None = None
    for position, entry in enumerate(events):
        previous = _check_event(entry, position, person_id, checkpoint, previous)
    _check_chain(report["chain"], len(events), previous)
    return VerifiedReport(person_id, len(events), checkpoint.origin, checkpoint.size,
                          checkpoint.root)


def _check_format(report: Mapping[str, Any]) -> None:
    if report.get("format") != REPORT_FORMAT:
        raise FormatVersionError(f"not a {REPORT_FORMAT} document")
    version = report.get("version")
    if version != REPORT_VERSION or isinstance(version, bool):
        raise FormatVersionError(f"{REPORT_FORMAT} version {version!r} is not supported "
                                 f"(this release reads version {REPORT_VERSION})")
    if set(report) != _TOP_KEYS:
        raise ProofInvalid("report fields are not those of version 1")


def _check_signature(report: Mapping[str, Any], verifier: Verifier) -> None:
    note = _text(report, "signature", "report")
    try:
        signed = open_note(note, verifier)
    except InputError:
        raise ProofInvalid("report signature is malformed") from None
    if signed != _signed_text(report):
        raise ProofInvalid("report signature does not cover this report's contents")


def _open_checkpoint(report: Mapping[str, Any], verifier: Verifier) -> Checkpoint:
    try:
        return parse_signed_checkpoint(_text(report, "checkpoint", "report"), verifier)
    except InputError:
        raise ProofInvalid("report checkpoint is malformed") from None


def _check_event(
    entry: object,
    position: int,
    person_id: str,
    checkpoint: Checkpoint,
    previous: tuple[int, bytes] | None,
) -> tuple[int, bytes]:
    """Check one event entry; return its (seq, leaf hash) for the next link."""
    if not isinstance(entry, dict) or set(entry) != _EVENT_KEYS:
        raise ProofInvalid(f"event at position {position} is not a seq/leaf/proof/view entry")
    seq = _integer(entry, "seq", f"event at position {position}")
    where = f"event seq {seq}"
    _check_order(seq, where, checkpoint.size, previous)
    leaf_text = _text(entry, "leaf", where)
    fields = _parse_leaf(leaf_text, seq)
    if fields["seq"] != seq:
        raise ProofInvalid(f"{where}: the leaf holds seq {fields['seq']}")
    if fields["person_id"] != person_id:
        raise ProofInvalid(f"{where}: the leaf is an event of another person")
    hashed = leaf_hash(leaf_text.encode("utf-8"))
    _check_inclusion(entry["proof"], hashed, seq, checkpoint, where)
    _check_link(fields["person_prev_hash"], previous, where)
    _check_view(entry["view"], fields, where)
    return seq, hashed


def _check_order(seq: int, where: str, size: int, previous: tuple[int, bytes] | None) -> None:
    if not 0 <= seq < size:
        raise ProofInvalid(f"{where}: not below the checkpoint's tree size {size}")
    if previous is not None and seq <= previous[0]:
        raise ProofInvalid(f"{where}: events are not in strictly increasing seq order")


def _check_inclusion(proof: object, hashed: bytes, seq: int, checkpoint: Checkpoint,
                     where: str) -> None:
    if not isinstance(proof, list) or not all(isinstance(p, str) for p in proof):
        raise ProofInvalid(f"{where}: the inclusion proof is not a list of hex strings")
    try:
        path = [bytes.fromhex(element) for element in proof]
    except ValueError:
        raise ProofInvalid(f"{where}: the inclusion proof is not hex") from None
    try:
        verify_inclusion(hashed, seq, checkpoint.size, path, checkpoint.root)
    except ProofInvalid as exc:
        raise ProofInvalid(f"{where}: not in the log at this checkpoint ({exc})") from None


def _check_link(prev_hex: object, previous: tuple[int, bytes] | None, where: str) -> None:
    """The leaf must name the previous listed event's hash, or none if it is the first."""
    expected = None if previous is None else previous[1].hex()
    if prev_hex != expected:
        if previous is None:
            raise LedgerTampered(f"{where}: the person has earlier events missing from the "
                                 "report")
        raise LedgerTampered(f"{where}: the person's event chain is broken after seq "
                             f"{previous[0]} (an event is missing or was added)")


def _check_view(view: object, fields: Mapping[str, Any], where: str) -> None:
    if not isinstance(view, dict) or "staff" not in view:
        raise ProofInvalid(f"{where}: the human view is missing")
    derived = _leaf_view(fields)
    if {key: value for key, value in view.items() if key != "staff"} != derived:
        raise ProofInvalid(f"{where}: the human view does not match the leaf")
    _check_staff_view(view["staff"], where)


def _check_staff_view(staff: object, where: str) -> None:
    if staff is None:
        return
    if (not isinstance(staff, dict) or not {"agency", "role"} <= set(staff) <=
            {"agency", "role", "name"} or not all(isinstance(v, str) for v in staff.values())):
        raise ProofInvalid(f"{where}: the staff view is malformed")


def _check_chain(chain: object, count: int, last: tuple[int, bytes] | None) -> None:
    head = None if last is None else {"seq": last[0], "leaf_hash": last[1].hex()}
    if chain != {"count": count, "head": head}:
        raise LedgerTampered("the chain summary does not match the listed events "
                             f"(count {count}, head seq {None if last is None else last[0]})")


# -- leaves ----------------------------------------------------------------------------------

def _parse_leaf(text: str, seq: int) -> dict[str, Any]:
    """Parse leaf text strictly: known version, typed fields, and canonical bytes."""
    where = f"event seq {seq}"
    try:
        values = json.loads(text)
    except ValueError:
        raise ProofInvalid(f"{where}: the leaf is not JSON") from None
    if not isinstance(values, list) or not values or values[0] != LEAF_VERSION:
        version = values[0] if isinstance(values, list) and values else None
        raise FormatVersionError(f"{where}: leaf version {version!r} is not supported")
    if len(values) != len(_LEAF_FIELDS):
        raise ProofInvalid(f"{where}: the leaf has {len(values)} fields, not "
                           f"{len(_LEAF_FIELDS)}")
    fields = dict(zip(_LEAF_FIELDS, values, strict=True))
    _check_leaf_types(fields, where)
    if _reencode(fields, where) != text.encode("utf-8"):
        raise ProofInvalid(f"{where}: the leaf is not in canonical form")
    return fields


def _check_leaf_types(fields: Mapping[str, Any], where: str) -> None:
    ok = (
        all(isinstance(fields[name], int) and not isinstance(fields[name], bool)
            for name in ("seq", "record_count"))
        and all(isinstance(fields[name], str) for name in ("event_id", "at", "action", "result"))
        and all(fields[name] is None or isinstance(fields[name], str) for name in _OPTIONAL_TEXT)
        and all(isinstance(fields[name], list) and all(isinstance(v, str) for v in fields[name])
                for name in ("categories", "policy_ids"))
        and isinstance(fields["detail"], dict)
        and all(isinstance(v, str) for v in fields["detail"].values())
    )
    if not ok:
        raise ProofInvalid(f"{where}: a leaf field has the wrong type")


def _reencode(fields: Mapping[str, Any], where: str) -> bytes:
    try:
        at = datetime.fromisoformat(fields["at"])
        prev = fields["person_prev_hash"]
        prev_bytes = None if prev is None else bytes.fromhex(prev)
    except ValueError:
        raise ProofInvalid(f"{where}: a leaf time or hash is malformed") from None
    if at.tzinfo is None or (prev_bytes is not None and len(prev_bytes) != HASH_SIZE):
        raise ProofInvalid(f"{where}: a leaf time or hash is malformed")
    return encode_leaf(
        fields["seq"], fields["event_id"], at, fields["action"], fields["result"],
        fields["user_id"], fields["session_id"], fields["device_id"], fields["ip"],
        fields["person_id"], fields["case_id"], tuple(fields["categories"]), fields["purpose"],
        fields["justification"], fields["record_count"], tuple(fields["policy_ids"]),
        fields["query_hmac"], fields["detail"], prev_bytes,
    )


def _leaf_view(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The human view: leaf fields only, renamed for a reader; nothing invented."""
    return {
        "when": fields["at"],
        "action": fields["action"],
        "result": fields["result"],
        "categories": list(fields["categories"]),
        "purpose": fields["purpose"],
        "justification": fields["justification"],
        "case_id": fields["case_id"],
        "record_count": fields["record_count"],
        "detail": dict(fields["detail"]),
    }


def _text(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str):
        raise ProofInvalid(f"{where}: {key} is missing or not text")
    return value


def _integer(mapping: Mapping[str, Any], key: str, where: str) -> int:
    value = mapping.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProofInvalid(f"{where}: {key} is missing or not an integer")
    return value


# -- plain text ------------------------------------------------------------------------------

_ACTION_WORDS: Final = {
    "view": "viewed", "search": "found in a search", "export": "exported", "print": "printed",
    "update": "changed", "break_glass": "opened in an emergency (break-glass)",
    "disclosure": "disclosed", "audit_access": "looked up in the audit log",
}


def render_report_text(report: Mapping[str, Any]) -> str:
    """A plain-text letter for the subject: who looked, when, why. No leaf text, no proofs.

    It renders what the report says; call ``verify_report`` first, so that what
    it says is what the log holds.
    """
    events = report["events"]
    lines = [
        f"Access report for person {report['person_id']}",
        f"Generated {report['generated_at']}.",
        f"{len(events)} recorded access{'es' if len(events) != 1 else ''} to your records.",
    ]
    for number, entry in enumerate(events, start=1):
        lines.append("")
        lines.extend(_render_event(number, entry["view"]))
    return "\n".join(lines) + "\n"


def _render_event(number: int, view: Mapping[str, Any]) -> list[str]:
    outcome = "allowed" if view["result"] == "permit" else "refused"
    what = _ACTION_WORDS.get(view["action"], view["action"])
    lines = [f"{number}. {view['when']}: your record was {what} (access {outcome})",
             f"   By: {_render_staff(view['staff'])}"]
    if view["categories"]:
        lines.append(f"   Information: {', '.join(view['categories'])}")
    if view["case_id"]:
        lines.append(f"   Case: {view['case_id']}")
    lines.append(f"   Stated purpose: {view['purpose'] or 'none recorded'}")
    if view["justification"]:
        lines.append(f"   Reason given: {_indent(view['justification'])}")
    lines.extend(f"   {key.replace('_', ' ').capitalize()}: {_indent(value)}"
                 for key, value in sorted(view["detail"].items()))
    return lines


def _render_staff(staff: Mapping[str, str] | None) -> str:
    if staff is None:
        return "a user not in the staff directory"
    who = f"{staff['role']} at {staff['agency']}"
    if "name" in staff:
        return f"{staff['name']}, {who}"
    return f"{'an' if who[:1] in 'aeiou' else 'a'} {who}"


def _indent(text: str) -> str:
    """Keep a multi-line free text inside its event's block; drop control characters."""
    cleaned = "".join(ch if ch == "\n" or ch >= " " else " " for ch in text)
    return cleaned.replace("\n", "\n      ")
