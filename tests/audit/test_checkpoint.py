"""Signed checkpoints: published Go vectors, real sum.golang.org tree heads, tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casevault.audit.checkpoint import (
    Checkpoint,
    Signer,
    Verifier,
    key_id,
    open_note,
    parse_signed_checkpoint,
    sign_note,
)
from casevault.audit.merkle import root
from casevault.errors import InputError, ProofInvalid

VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "checkpoint_signed_note.json").read_text("utf-8")
)
GO = VECTORS["signed_note"]
EM = "\u2014"


def _go_signer(skey: str) -> Signer:
    """Build a signer from Go's ``PRIVATE+KEY+name+id+base64(0x01 || seed)`` form."""
    _, _, name, _, material = skey.split("+", 4)
    raw = base64.b64decode(material)
    assert raw[0] == 1
    return Signer(Ed25519PrivateKey.from_private_bytes(raw[1:]), name)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate("casevault.example/ledger")


@pytest.fixture(scope="module")
def checkpoint() -> Checkpoint:
    return Checkpoint("casevault.example/ledger", 8, root([b"a", b"b", b"c"]),
                      ("first extension", "second extension"))


# -- published vectors -------------------------------------------------------------------------

def test_go_example_note_is_reproduced_byte_for_byte() -> None:
    signer = _go_signer(GO["signer_key"])
    assert signer.key_id.hex() == GO["key_id_hex"]
    assert signer.verifier_key() == GO["verifier_key"]
    assert sign_note(GO["text"], [signer]) == GO["signed_note"]


def test_go_example_note_opens_with_its_verifier_key() -> None:
    verifier = Verifier.from_vkey(GO["verifier_key"])
    assert open_note(GO["signed_note"], verifier) == GO["text"]
    with pytest.raises(ProofInvalid):
        open_note(GO["signed_note"].replace("cryptography", "cryptographY"), verifier)


def test_key_id_is_computed_as_the_spec_says() -> None:
    verifier = Verifier.from_vkey(GO["verifier_key"])
    spec = hashlib.sha256(b"PeterNeumann\n\x01" + verifier.public_key).digest()[:4]
    assert key_id("PeterNeumann", verifier.public_key) == spec == bytes.fromhex("c74f20a3")


@pytest.mark.parametrize("vkey", VECTORS["cosigned_note"]["verifier_keys"])
def test_cosigned_go_note_opens_with_either_key(vkey: str) -> None:
    note = VECTORS["cosigned_note"]
    assert open_note(note["note"], Verifier.from_vkey(vkey)) == note["text"]


@pytest.mark.parametrize("published", VECTORS["checkpoints"]["notes"],
                         ids=lambda v: str(v["size"]))
def test_real_sum_golang_org_checkpoints_verify(published: dict[str, object]) -> None:
    verifier = Verifier.from_vkey(VECTORS["checkpoints"]["verifier_key"])
    note = str(published["note"])
    parsed = parse_signed_checkpoint(note, verifier)
    assert parsed.origin == published["origin"]
    assert parsed.size == published["size"]
    assert parsed.root == base64.b64decode(str(published["root_base64"]))
    assert parsed.body() + "\n" == note[: note.rindex("\n\n") + 2]
    with pytest.raises(ProofInvalid):
        parse_signed_checkpoint(note.replace(str(published["size"]), "1", 1), verifier)


def test_every_mangling_of_a_verifier_key_is_refused() -> None:
    """Go's TestNewVerifier: any substring or any one changed character must fail."""
    vkey = GO["verifier_key"]
    manglings = {vkey[i:j] for i in range(len(vkey)) for j in range(i + 1, len(vkey) + 1)}
    manglings |= {vkey[:i] + chr(ord(vkey[i]) + 1) + vkey[i + 1:] for i in range(len(vkey))}
    manglings |= set(VECTORS["bad_verifier_keys"])
    manglings.discard(vkey)
    for bad in sorted(manglings):
        with pytest.raises(InputError):
            Verifier.from_vkey(bad)


# -- our own checkpoints -----------------------------------------------------------------------

def test_round_trip(signer: Signer, checkpoint: Checkpoint) -> None:
    note = signer.sign_checkpoint(checkpoint)
    assert note.startswith(checkpoint.body() + f"\n{EM} {signer.name} ")
    assert parse_signed_checkpoint(note, signer.verifier()) == checkpoint


def test_body_layout() -> None:
    digest = bytes(range(32))
    body = Checkpoint("example.com/log", 0, digest).body()
    assert body == f"example.com/log\n0\n{base64.b64encode(digest).decode()}\n"


def test_verifier_key_round_trip(signer: Signer) -> None:
    vkey = signer.verifier_key()
    name, id_hex, material = vkey.split("+", 2)
    assert name == signer.name
    assert bytes.fromhex(id_hex) == signer.key_id
    assert base64.b64decode(material)[0] == 1
    again = Verifier.from_vkey(vkey)
    assert again.vkey() == vkey
    assert again.public_key == signer.verifier().public_key


def _tamper_cases(note: str) -> dict[str, str]:
    body, _, signatures = note.partition("\n\n")
    origin, size, root_b64, ext1, ext2 = body.split("\n")
    other_root = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    signature = signatures.rstrip("\n").rsplit(" ", 1)[1]
    raw = bytearray(base64.b64decode(signature))
    raw[-1] ^= 1
    flipped = base64.b64encode(bytes(raw)).decode()

    def with_body(*lines: str) -> str:
        return "\n".join(lines) + "\n\n" + signatures
    return {
        "origin": with_body(origin + "x", size, root_b64, ext1, ext2),
        "size": with_body(origin, str(int(size) + 1), root_b64, ext1, ext2),
        "root": with_body(origin, size, other_root, ext1, ext2),
        "first extension": with_body(origin, size, root_b64, ext1 + "!", ext2),
        "second extension": with_body(origin, size, root_b64, ext1, ext2[:-1]),
        "removed extension": with_body(origin, size, root_b64, ext1),
        "added extension": with_body(origin, size, root_b64, ext1, ext2, "extra"),
        "signature": note.replace(signature, flipped),
    }


@pytest.mark.parametrize("part", ["origin", "size", "root", "first extension",
                                  "second extension", "removed extension", "added extension",
                                  "signature"])
def test_tampering_with_any_part_fails(signer: Signer, checkpoint: Checkpoint, part: str) -> None:
    tampered = _tamper_cases(signer.sign_checkpoint(checkpoint))[part]
    with pytest.raises(ProofInvalid):
        parse_signed_checkpoint(tampered, signer.verifier())


def test_note_signed_by_another_key_fails(signer: Signer, checkpoint: Checkpoint) -> None:
    other = Signer.generate(signer.name)
    with pytest.raises(ProofInvalid, match="not signed"):
        parse_signed_checkpoint(other.sign_checkpoint(checkpoint), signer.verifier())


def test_forged_line_under_our_name_and_key_id_fails(
    signer: Signer, checkpoint: Checkpoint
) -> None:
    """Another key's signature relabelled with our key ID must be checked, and fail."""
    other = Signer.generate(signer.name)
    forged = other.sign_checkpoint(checkpoint)
    line = forged.rstrip("\n").rsplit(" ", 1)[1]
    raw = base64.b64decode(line)
    relabelled = base64.b64encode(signer.key_id + raw[4:]).decode()
    with pytest.raises(ProofInvalid, match="does not verify"):
        parse_signed_checkpoint(forged.replace(line, relabelled), signer.verifier())


def test_witness_cosignature_is_ignored_but_ours_verifies(
    signer: Signer, checkpoint: Checkpoint
) -> None:
    witness = Signer.generate("witness.example/w1")
    for order in ([witness, signer], [signer, witness]):
        note = sign_note(checkpoint.body(), order)
        assert note.count(f"\n{EM} ") == 2
        assert parse_signed_checkpoint(note, signer.verifier()) == checkpoint
        assert parse_signed_checkpoint(note, witness.verifier()) == checkpoint


def test_a_second_failing_line_from_our_key_rejects_the_note(
    signer: Signer, checkpoint: Checkpoint
) -> None:
    note = signer.sign_checkpoint(checkpoint)
    last_line = note.split("\n")[-2]
    encoded = last_line.rsplit(" ", 1)[1]
    raw = bytearray(base64.b64decode(encoded))
    raw[10] ^= 0xFF
    bad_line = last_line.replace(encoded, base64.b64encode(bytes(raw)).decode())
    with pytest.raises(ProofInvalid):
        parse_signed_checkpoint(note + bad_line + "\n", signer.verifier())


def test_origin_with_spaces_is_accepted_when_signed(signer: Signer) -> None:
    """The spec only RECOMMENDS origins without spaces; sum.golang.org's has them."""
    spaced = Checkpoint("go.sum database tree", 1, root([b"x"]))
    assert parse_signed_checkpoint(signer.sign_checkpoint(spaced), signer.verifier()) == spaced


# -- malformed notes ---------------------------------------------------------------------------

SIGNER = Signer.generate("casevault.example/malformed")
_BODY = Checkpoint("o", 1, bytes(32)).body()
_LINE = SIGNER.signature_line(_BODY).rstrip("\n")
_ZERO = base64.b64encode(bytes(32)).decode()

MALFORMED_NOTES = {
    "no blank line": (_BODY + _LINE + "\n", "no blank line"),
    "no signature": (_BODY + "\n", "does not end with a signature"),
    "no final newline": (_BODY + "\n" + _LINE, "does not end with a signature"),
    "control character": ("\x01" + _BODY + "\n" + _LINE + "\n", "control character"),
    "not an em dash": (_BODY + "\n-" + _LINE[1:] + "\n", "em dash"),
    "unexpected line": (_BODY + "\n" + _LINE + "\nUnexpected line.\n", "em dash"),
    "bad signature base64": (_BODY + "\n" + _LINE + "*\n", "base64"),
    "short signature": (_BODY + "\n" + _LINE.rsplit(" ", 1)[0] + " AAAA\n", "too short"),
    "name with a space": (_BODY + "\n" + _LINE.replace(" ", "  ", 1) + "\n", "key name"),
    "too many signatures": (_BODY + "\n" + (_LINE + "\n") * 101, "more than 100"),
}

MALFORMED_CHECKPOINTS = {
    "two lines": (f"o\n{_ZERO}\n", "fewer than three"),
    "leading zero size": (f"o\n01\n{_ZERO}\n", "leading zeros"),
    "negative size": (f"o\n-1\n{_ZERO}\n", "leading zeros"),
    "size with plus": (f"o\n+1\n{_ZERO}\n", "leading zeros"),
    "non-ascii digits": (f"o\n\u0661\n{_ZERO}\n", "leading zeros"),
    "size over 2**64-1": (f"o\n{2**64}\n{_ZERO}\n", "outside"),
    "root not base64": ("o\n1\nnot*base64\n", "base64"),
    "root of 31 bytes": (f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n", "not 32"),
    "root non-canonical": (f"o\n1\n{_ZERO[:-2]}B=\n", "canonical"),
    "empty origin": (f"\n1\n{_ZERO}\n", "origin is empty"),
    "empty extension": (f"o\n1\n{_ZERO}\n\next\n", "extension line is empty"),
}


@pytest.mark.parametrize("label", sorted(MALFORMED_NOTES))
def test_malformed_notes_are_input_errors(label: str) -> None:
    note, message = MALFORMED_NOTES[label]
    with pytest.raises(InputError, match=message):
        parse_signed_checkpoint(note, SIGNER.verifier())


@pytest.mark.parametrize("label", sorted(MALFORMED_CHECKPOINTS))
def test_signed_but_malformed_checkpoints_are_input_errors(label: str) -> None:
    body, message = MALFORMED_CHECKPOINTS[label]
    with pytest.raises(InputError, match=message):
        parse_signed_checkpoint(sign_note(body, [SIGNER]), SIGNER.verifier())


def test_a_well_formed_note_built_the_same_way_parses() -> None:
    """The malformed cases above differ from this one only in what they break."""
    assert parse_signed_checkpoint(_BODY + "\n" + _LINE + "\n", SIGNER.verifier()).size == 1


def test_sixteen_signatures_are_accepted(signer: Signer, checkpoint: Checkpoint) -> None:
    witnesses = [Signer.generate(f"witness.example/{i}") for i in range(15)]
    note = sign_note(checkpoint.body(), [*witnesses, signer])
    assert parse_signed_checkpoint(note, signer.verifier()) == checkpoint


@pytest.mark.parametrize(("origin", "size", "digest", "extensions"), [
    ("", 1, bytes(32), ()),
    ("a\nb", 1, bytes(32), ()),
    ("o", -1, bytes(32), ()),
    ("o", 1, bytes(31), ()),
    ("o", 1, bytes(32), ("",)),
    ("o", 1, bytes(32), ("two\nlines",)),
])
def test_checkpoints_that_cannot_be_written_are_refused(
    origin: str, size: int, digest: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(InputError):
        Checkpoint(origin, size, digest, extensions)


@pytest.mark.parametrize("name", ["", "has space", "a+b", "tab\there", "nbsp\u00a0"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(InputError):
        Signer.generate(name)


def test_signer_repr_shows_no_key_material(signer: Signer) -> None:
    assert "Signer(" in repr(signer)
    assert signer.verifier_key().split("+")[2] not in repr(signer)
