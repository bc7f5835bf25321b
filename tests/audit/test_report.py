"""Subject access reports: a golden v1 vector, JSON round trip, and every way of tampering.

The log is built here in memory from ``tests/vectors/report_v1.json`` (synthetic
ids, several people interleaved, per-person chains, a deterministic Ed25519
key). Tampering tests come in two flavours: as a third party would do it (the
report signature catches everything), and *re-signed with the log key*, as a
careless or dishonest producer would, to show that the structural checks
(inclusion, chain, seq order, view derivation) catch the same edits on their
own wherever the log contradicts the report.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casevault.audit.checkpoint import Checkpoint, Signer
from casevault.audit.events import LEAF_VERSION, Action, Event, Result, encode_leaf, format_at
from casevault.audit.merkle import MemoryTree, leaf_hash
from casevault.audit.report import (
    REPORT_FORMAT,
    StaffEntry,
    build_report,
    render_report_text,
    seal_report,
    verify_report,
)
from casevault.errors import FormatVersionError, InputError, LedgerTampered, ProofInvalid

VECTOR_PATH = Path(__file__).parents[1] / "vectors" / "report_v1.json"
VECTOR: dict[str, Any] = json.loads(VECTOR_PATH.read_text("utf-8"))
PERSON = VECTOR["person_id"]
Report = dict[str, Any]
Tampered = (ProofInvalid, LedgerTampered)


@dataclass
class Log:
    """An in-memory ledger: events, their tree, the key and a signed checkpoint."""

    signer: Signer
    events: list[Event]
    tree: MemoryTree
    staff: dict[str, StaffEntry]

    def checkpoint(self, size: int) -> tuple[Checkpoint, str]:
        checkpoint = Checkpoint(VECTOR["origin"], size, self.tree.root(size))
        return checkpoint, self.signer.sign_checkpoint(checkpoint)

    def events_of(self, person_id: str, size: int) -> list[Event]:
        return [e for e in self.events if e.person_id == person_id and e.seq < size]

    def report(self, person_id: str = PERSON, size: int | None = None, *,
               show_names: bool | None = None, directory: bool = True) -> Report:
        size = VECTOR["checkpoint_size"] if size is None else size
        checkpoint, note = self.checkpoint(size)
        return build_report(
            person_id=person_id, events=self.events_of(person_id, size),
            checkpoint_note=note, checkpoint=checkpoint,
            inclusion=self.tree.inclusion_proof, signer=self.signer,
            generated_at=datetime.fromisoformat(VECTOR["generated_at"]),
            staff=self.staff.get if directory else None,
            show_staff_names=VECTOR["show_staff_names"] if show_names is None else show_names,
        )


def _event(seq: int, spec: dict[str, Any], prev: bytes | None) -> Event:
    """A stored event made the way the ledger makes one: leaf first, then its hash."""
    fields: dict[str, Any] = {
        **spec, "at": datetime.fromisoformat(spec["at"]), "action": Action(spec["action"]),
        "result": Result(spec["result"]), "categories": tuple(spec["categories"]),
        "policy_ids": tuple(spec["policy_ids"]),
    }
    leaf = encode_leaf(seq, fields["event_id"], fields["at"], fields["action"], fields["result"],
                       fields["user_id"], fields["session_id"], fields["device_id"],
                       fields["ip"], fields["person_id"], fields["case_id"],
                       fields["categories"], fields["purpose"], fields["justification"],
                       fields["record_count"], fields["policy_ids"], fields["query_hmac"],
                       fields["detail"], prev)
    return Event(seq=seq, person_prev_hash=prev, leaf_hash=leaf_hash(leaf), **fields)


def build_log(signer: Signer | None = None) -> Log:
    if signer is None:
        seed = bytes.fromhex(VECTOR["ed25519_seed_hex"])
        signer = Signer(Ed25519PrivateKey.from_private_bytes(seed), VECTOR["key_name"])
    heads: dict[str, bytes] = {}
    events: list[Event] = []
    tree = MemoryTree()
    for seq, spec in enumerate(VECTOR["events"]):
        person = spec["person_id"]
        event = _event(seq, spec, heads.get(person) if person else None)
        assert tree.append(event.leaf()) == seq
        if person:
            heads[person] = event.leaf_hash
        events.append(event)
    staff = {entry["user_id"]: StaffEntry(**entry) for entry in VECTOR["staff"]}
    return Log(signer, events, tree, staff)


LOG = build_log()
VKEY = LOG.signer.verifier_key()


@pytest.fixture
def report() -> Report:
    """A fresh report that has been through JSON, as a recipient would hold it."""
    held: Report = json.loads(json.dumps(LOG.report()))
    return held


def resign(report: Report) -> Report:
    """Re-seal an edited report with the log key, as a dishonest producer could."""
    return seal_report(report, LOG.signer)


def _fails(report: Report, match: str = "", *, errors: Any = Tampered) -> None:
    with pytest.raises(errors, match=match):
        verify_report(report, VKEY)


# -- the golden vector and the round trip ------------------------------------------------------

def test_the_v1_vector_is_reproduced_byte_for_byte() -> None:
    assert json.dumps(LOG.report(), sort_keys=True) == json.dumps(VECTOR["report"],
                                                                  sort_keys=True)


def test_the_stored_v1_vector_verifies() -> None:
    verified = verify_report(VECTOR["report"], VKEY)
    assert (verified.person_id, verified.event_count, verified.checkpoint_size) == (
        PERSON, 6, VECTOR["checkpoint_size"])
    assert verified.checkpoint_root == LOG.tree.root(VECTOR["checkpoint_size"])


def test_a_report_round_trips_through_json_and_verifies(report: Report) -> None:
    verified = verify_report(report, VKEY)
    assert verified.person_id == PERSON
    assert [e["seq"] for e in report["events"]] == [1, 3, 5, 7, 9, 11]
    assert report["chain"] == {"count": 6, "head": {"seq": 11,
                                                    "leaf_hash": LOG.events[11].leaf_hash.hex()}}


def test_events_after_the_checkpoint_are_not_in_the_report(report: Report) -> None:
    later = LOG.report(size=len(LOG.events))
    assert [e["seq"] for e in later["events"]] == [1, 3, 5, 7, 9, 11, 13]
    assert verify_report(later, VKEY).event_count == 7
    assert len(report["events"]) == 6


def test_a_person_with_no_events_gets_a_valid_empty_report() -> None:
    report = json.loads(json.dumps(LOG.report("P-9999999")))
    assert verify_report(report, VKEY).event_count == 0
    assert report["chain"] == {"count": 0, "head": None}
    assert "0 recorded accesses" in render_report_text(report)


# -- removing, adding, reordering --------------------------------------------------------------

@pytest.mark.parametrize("position", [0, 2, -1], ids=["first", "middle", "last"])
@pytest.mark.parametrize("sealed", [False, True], ids=["as-is", "re-signed"])
def test_removing_an_event_fails(report: Report, position: int, sealed: bool) -> None:
    del report["events"][position]
    if sealed:
        report = resign(report)
    _fails(report, "seq|chain summary" if sealed else "signature")


def test_removing_the_first_event_is_named(report: Report) -> None:
    del report["events"][0]
    _fails(resign(report), "event seq 3: the person has earlier events missing")


def test_removing_a_middle_event_names_the_break(report: Report) -> None:
    del report["events"][2]
    _fails(resign(report), "event seq 7: .*chain is broken after seq 3")


def test_only_the_log_key_can_vouch_for_a_shorter_tail(report: Report) -> None:
    """Dropping the newest events and fixing the chain summary leaves a consistent
    report: nothing in the log shows a tail is missing. Without the log key it
    fails (the signature is what vouches for completeness); with it, it would
    pass. The person's next report exposes it: its chain must run through the
    withheld events."""
    last = report["events"].pop()
    head = report["events"][-1]
    report["chain"] = {"count": 5, "head": {"seq": head["seq"],
                                            "leaf_hash": leaf_hash(head["leaf"].encode()).hex()}}
    _fails(report, "signature")
    assert verify_report(resign(report), VKEY).event_count == 5
    later = LOG.report(size=len(LOG.events))
    assert last["seq"] in [e["seq"] for e in later["events"]]


def _entry_for(seq: int, size: int = VECTOR["checkpoint_size"]) -> dict[str, Any]:
    event = LOG.events[seq]
    leaf = event.leaf().decode()
    view = json.loads(json.dumps(LOG.report()["events"][0]["view"]))
    return {"seq": seq, "leaf": leaf,
            "proof": [p.hex() for p in LOG.tree.inclusion_proof(seq, size)], "view": view}


@pytest.mark.parametrize("sealed", [False, True], ids=["as-is", "re-signed"])
def test_adding_an_event_of_another_person_fails(report: Report, sealed: bool) -> None:
    report["events"].insert(1, _entry_for(2))  # seq 2 is P-0000002's, with a valid proof
    if sealed:
        report = resign(report)
    _fails(report, "seq 2: the leaf is an event of another person" if sealed else "signature")


def test_adding_a_forged_event_fails(report: Report) -> None:
    """A well-formed leaf for this person, correctly chained, that the log never held."""
    previous = LOG.events[1]
    spec = {**VECTOR["events"][1], "event_id": "E-FORGED"}
    forged = _event(2, spec, previous.leaf_hash)
    entry = {"seq": 2, "leaf": forged.leaf().decode(),
             "proof": [p.hex() for p in LOG.tree.inclusion_proof(2, VECTOR["checkpoint_size"])],
             "view": copy.deepcopy(report["events"][0]["view"])}
    report["events"].insert(1, entry)
    _fails(report, "signature")
    _fails(resign(report), "event seq 2: not in the log at this checkpoint")


@pytest.mark.parametrize(("mutate", "match"), [
    (lambda events: events.insert(2, copy.deepcopy(events[1])), "seq 3: .*strictly increasing"),
    (lambda events: events.__setitem__(slice(1, 3), [events[2], events[1]]),
     "seq 5: .*chain is broken after seq 1"),
], ids=["duplicated", "reordered"])
def test_duplicating_or_reordering_events_fails(report: Report, match: str,
                                                mutate: Callable[[list[Any]], None]) -> None:
    mutate(report["events"])
    _fails(report, "signature")
    _fails(resign(report), match)


def test_an_event_after_the_checkpoint_cannot_be_appended(report: Report) -> None:
    """Seq 13 is the person's next event, correctly chained, but the checkpoint covers 12."""
    later = LOG.report(size=len(LOG.events))
    report["events"].append(later["events"][-1])
    _fails(resign(report), "event seq 13: not below the checkpoint's tree size 12")


# -- editing leaves, views and proofs ----------------------------------------------------------

LEAF_FIELD_COUNT = 20


def _changed(value: Any, index: int) -> Any:
    """A different value of the same shape, so only the hash can give it away."""
    if index == 3:
        return format_at(datetime.fromisoformat(value) + timedelta(seconds=1))
    if index == 19:
        return "00" * 32 if value is None else ("0" if value[0] != "0" else "1") + value[1:]
    if isinstance(value, bool):
        raise AssertionError("no booleans in leaves")
    if isinstance(value, int):
        return value + 1
    if isinstance(value, list):
        return [*value, "case"]
    if isinstance(value, dict):
        return {**value, "recipient": "AGENCY-Y"}
    return "X" if value is None else value + "x"


def _edit_leaf(report: Report, position: int, index: int) -> None:
    entry = report["events"][position]
    values = json.loads(entry["leaf"])
    values[index] = _changed(values[index], index)
    entry["leaf"] = json.dumps(values, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("index", range(LEAF_FIELD_COUNT))
@pytest.mark.parametrize("position", [0, 3, 5])
def test_editing_any_leaf_field_of_any_event_fails(report: Report, position: int,
                                                   index: int) -> None:
    seq = report["events"][position]["seq"]
    _edit_leaf(report, position, index)
    _fails(report, "signature")
    errors = FormatVersionError if index == 0 else Tampered
    _fails(resign(report), f"event seq {seq}", errors=errors)


def test_the_leaf_fields_are_the_ones_events_writes() -> None:
    values = json.loads(LOG.events[1].leaf())
    assert len(values) == LEAF_FIELD_COUNT
    assert values[0] == LEAF_VERSION


def test_a_non_canonical_leaf_is_refused(report: Report) -> None:
    entry = report["events"][1]
    entry["leaf"] = json.dumps(json.loads(entry["leaf"]))  # same values, spaces added
    _fails(resign(report), "event seq 3: the leaf is not in canonical form")


VIEW_EDITS = {
    "when": "2025-03-01T00:00:00.000000Z",
    "action": "search",
    "result": "deny",
    "categories": ["case"],
    "purpose": "statistics",
    "justification": "invented reason",
    "case_id": "C-0000009",
    "record_count": 99,
    "detail": {"recipient": "AGENCY-Z"},
}


@pytest.mark.parametrize(("key", "value"), VIEW_EDITS.items(), ids=list(VIEW_EDITS))
def test_editing_a_derived_view_field_fails(report: Report, key: str, value: Any) -> None:
    report["events"][3]["view"][key] = value
    _fails(report, "signature")
    _fails(resign(report), "event seq 7: the human view does not match the leaf")


@pytest.mark.parametrize(("key", "value"), [("agency", "CBP"), ("role", "clerk"),
                                            ("name", "Someone Else")])
def test_editing_staff_attributes_is_caught_by_the_signature(report: Report, key: str,
                                                              value: str) -> None:
    """Staff attributes come from the directory, not the leaf: only the signature covers them."""
    report["events"][0]["view"]["staff"][key] = value
    _fails(report, "signature")


@pytest.mark.parametrize("edit", [
    lambda proof: proof.__setitem__(0, ("1" if proof[0][0] == "0" else "0") + proof[0][1:]),
    lambda proof: proof.pop(),
    lambda proof: proof.append("ab" * 32),
    lambda proof: proof.__setitem__(0, "zz" * 32),
    lambda proof: proof.__setitem__(0, proof[0][:-2]),
], ids=["flipped", "truncated", "extended", "not-hex", "short-hash"])
def test_editing_a_proof_fails(report: Report, edit: Callable[[list[str]], None]) -> None:
    edit(report["events"][2]["proof"])
    _fails(report, "signature")
    _fails(resign(report), "event seq 5: .*inclusion proof|event seq 5: not in the log")


# -- checkpoints, keys, versions ---------------------------------------------------------------

def test_swapping_the_checkpoint_for_another_signed_one_fails(report: Report) -> None:
    _, later_note = LOG.checkpoint(len(LOG.events))
    report["checkpoint"] = later_note
    _fails(report, "signature")
    _fails(resign(report), "event seq 1: not in the log at this checkpoint")


def test_a_checkpoint_signed_by_another_key_fails(report: Report) -> None:
    other = Signer.generate(VECTOR["key_name"])
    checkpoint, _ = LOG.checkpoint(VECTOR["checkpoint_size"])
    report["checkpoint"] = other.sign_checkpoint(checkpoint)
    _fails(resign(report), "not signed by key")


def test_another_keys_vkey_fails(report: Report) -> None:
    other = Signer.generate(VECTOR["key_name"]).verifier_key()
    with pytest.raises(ProofInvalid, match="another log key"):
        verify_report(report, other)


def test_a_report_from_another_log_fails_against_our_key() -> None:
    other_log = build_log(Signer.generate(VECTOR["key_name"]))
    with pytest.raises(ProofInvalid):
        verify_report(other_log.report(), VKEY)


def test_a_report_claiming_our_key_but_signed_by_another_fails() -> None:
    impostor = build_log(Signer.generate(VECTOR["key_name"])).report()
    impostor["log_key"] = VKEY
    _fails(impostor, "not signed by key")


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_an_unknown_version_is_refused(report: Report, version: Any) -> None:
    report["version"] = version
    _fails(report, "version", errors=FormatVersionError)


def test_another_format_is_refused(report: Report) -> None:
    report["format"] = "casevault-disclosure-accounting"
    _fails(report, REPORT_FORMAT, errors=FormatVersionError)


def test_an_added_top_level_field_fails(report: Report) -> None:
    report["note"] = "added"
    _fails(report, "fields")


def test_a_changed_person_id_fails(report: Report) -> None:
    report["person_id"] = "P-0000002"
    _fails(report, "signature")
    _fails(resign(report), "event seq 1: the leaf is an event of another person")


def test_a_malformed_signature_fails(report: Report) -> None:
    report["signature"] = "not a note"
    _fails(report, "malformed")


# -- the human view and the text ---------------------------------------------------------------

def test_staff_names_appear_only_when_the_setting_shows_them() -> None:
    shown = LOG.report(show_names=True)["events"][0]["view"]["staff"]
    hidden = LOG.report(show_names=False)["events"][0]["view"]["staff"]
    assert shown == {"agency": "EOIR", "role": "judge", "name": "Alpha Testfamily"}
    assert hidden == {"agency": "EOIR", "role": "judge"}


def test_without_a_directory_or_entry_no_staff_is_invented(report: Report) -> None:
    assert all(e["view"]["staff"] is None for e in LOG.report(directory=False)["events"])
    assert report["events"][-1]["view"]["staff"] is None  # U-ATTY-0006 is not in the directory


def test_the_view_holds_only_leaf_values(report: Report) -> None:
    entry = report["events"][2]
    leaf = json.loads(entry["leaf"])
    view = entry["view"]
    assert (view["when"], view["action"], view["result"], view["categories"], view["purpose"],
            view["justification"]) == (leaf[3], leaf[4], leaf[5], leaf[12], leaf[13], leaf[14])


def test_the_text_says_who_when_and_why_without_leaf_text(report: Report) -> None:
    text = render_report_text(report)
    assert "6 recorded accesses" in text
    assert "Delta Testfamily, dhs_counsel at ICE" in text
    assert "opened in an emergency" in text
    assert "Reason given: detainee medical transfer" in text
    assert "Recipient: AGENCY-X" in text
    assert "a user not in the staff directory" in text
    assert LEAF_VERSION not in text
    assert "10.20.0.7" not in text
    assert "S-U-JUDGE-0001-1" not in text


def test_the_text_keeps_multi_line_reasons_inside_their_event(report: Report) -> None:
    text = render_report_text(report)
    assert "Reason given: address change | filed\n      per motion a=b \\ c" in text


def test_the_text_hides_names_when_the_report_does() -> None:
    text = render_report_text(LOG.report(show_names=False))
    assert "Testfamily" not in text
    assert "a judge at EOIR" in text


# -- building refuses inconsistent input -------------------------------------------------------

def _build(events: list[Event], *, size: int = VECTOR["checkpoint_size"],
           note: str | None = None, at: datetime | None = None) -> Report:
    checkpoint, signed = LOG.checkpoint(size)
    return build_report(person_id=PERSON, events=events, checkpoint_note=note or signed,
                        checkpoint=checkpoint, inclusion=LOG.tree.inclusion_proof,
                        signer=LOG.signer,
                        generated_at=at or datetime(2025, 3, 4, tzinfo=UTC))


def test_building_refuses_another_persons_event() -> None:
    with pytest.raises(InputError, match="seq 2"):
        _build([*LOG.events_of(PERSON, 3), LOG.events[2]])


def test_building_refuses_a_stored_hash_that_is_not_the_leafs() -> None:
    events = LOG.events_of(PERSON, 12)
    bad = Event(**{**{f: getattr(events[1], f) for f in Event.__dataclass_fields__},
                   "justification": "edited in the database"})
    with pytest.raises(LedgerTampered, match="seq 3"):
        _build([events[0], bad, *events[2:]])


def test_building_refuses_an_incomplete_event_list() -> None:
    events = LOG.events_of(PERSON, 12)
    with pytest.raises(LedgerTampered, match="seq 5"):
        _build([events[0], *events[2:]])


def test_building_refuses_a_note_for_another_checkpoint() -> None:
    _, other_note = LOG.checkpoint(5)
    with pytest.raises(InputError, match="does not sign"):
        _build(LOG.events_of(PERSON, 12), note=other_note)


def test_building_refuses_a_naive_time() -> None:
    with pytest.raises(InputError, match="timezone"):
        _build([], at=datetime(2025, 3, 4))  # noqa: DTZ001 -- the naive time is the point
