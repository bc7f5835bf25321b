"""The ledger signing key: created private, reloaded identically, refused when unsafe."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from casevault.audit import keys
from casevault.audit.checkpoint import Checkpoint, parse_signed_checkpoint
from casevault.audit.keys import KEY_FILE_HEADER, load_or_create_signing_key, signing_key_from_env
from casevault.errors import ConfigError

NAME = "casevault.example/ledger"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_a_private_key_file_in_a_new_directory(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "nested" / "ledger.key"
    signer = load_or_create_signing_key(path, NAME)
    assert _mode(path) == 0o600
    assert path.read_text().startswith(KEY_FILE_HEADER + "\n")
    assert signer.name == NAME
    assert [p.name for p in path.parent.iterdir()] == ["ledger.key"], "no temporary left behind"


def test_reload_gives_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    first = load_or_create_signing_key(path, NAME)
    again = load_or_create_signing_key(path, NAME)
    assert again.verifier_key() == first.verifier_key()
    note = again.sign_checkpoint(Checkpoint(NAME, 0, bytes(32)))
    assert parse_signed_checkpoint(note, first.verifier()).size == 0


def test_two_paths_give_two_keys(tmp_path: Path) -> None:
    one = load_or_create_signing_key(tmp_path / "a.key", NAME)
    two = load_or_create_signing_key(tmp_path / "b.key", NAME)
    assert one.verifier_key() != two.verifier_key()


def test_file_created_under_a_permissive_umask_is_still_private(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "ledger.key"
        load_or_create_signing_key(path, NAME)
    finally:
        os.umask(old)
    assert _mode(path) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660, 0o666])
def test_key_readable_or_writable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "ledger.key"
    load_or_create_signing_key(path, NAME)
    path.chmod(mode)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_signing_key(path, NAME)


def test_owner_only_read_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    created = load_or_create_signing_key(path, NAME)
    path.chmod(0o400)
    assert load_or_create_signing_key(path, NAME).verifier_key() == created.verifier_key()


def _seed_line(path: Path) -> str:
    return path.read_text().split("\n")[2]


@pytest.mark.parametrize("damage", [
    "empty", "wrong header", "future version", "missing seed", "short seed",
    "seed not base64", "extra line", "binary", "bad name",
])
def test_malformed_key_files_are_refused_without_showing_the_key(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "ledger.key"
    load_or_create_signing_key(path, NAME)
    seed_line = _seed_line(path)
    seed = seed_line.split(" ", 1)[1]
    short = base64.b64encode(base64.b64decode(seed)[:31]).decode()
    contents = {
        "empty": "",
        "wrong header": f"something else\nname {NAME}\n{seed_line}\n",
        "future version": f"casevault-ledger-key v2\nname {NAME}\n{seed_line}\n",
        "missing seed": f"{KEY_FILE_HEADER}\nname {NAME}\n",
        "short seed": f"{KEY_FILE_HEADER}\nname {NAME}\ned25519-seed {short}\n",
        "seed not base64": f"{KEY_FILE_HEADER}\nname {NAME}\ned25519-seed {seed}*\n",
        "extra line": f"{KEY_FILE_HEADER}\nname {NAME}\n{seed_line}\nmore\n",
        "bad name": f"{KEY_FILE_HEADER}\nname a+b\n{seed_line}\n",
    }
    if damage == "binary":
        path.write_bytes(b"\xff\xfe\x00garbage")
    else:
        path.write_text(contents[damage])
    with pytest.raises(ConfigError) as caught:
        load_or_create_signing_key(path, NAME)
    assert seed not in str(caught.value)
    assert short not in str(caught.value)


def test_key_file_for_another_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    load_or_create_signing_key(path, NAME)
    with pytest.raises(ConfigError, match=r"not 'other\.example/log'"):
        load_or_create_signing_key(path, "other.example/log")


def test_a_directory_in_place_of_the_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    path.mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_or_create_signing_key(path, NAME)


def test_existing_key_is_never_replaced_by_creation(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    first = load_or_create_signing_key(path, NAME)
    content = path.read_bytes()
    load_or_create_signing_key(path, NAME)
    assert path.read_bytes() == content
    assert load_or_create_signing_key(path, NAME).verifier_key() == first.verifier_key()


def test_losing_a_creation_race_keeps_the_winners_key(tmp_path: Path) -> None:
    """Another process created the key between our existence check and our write."""
    path = tmp_path / "ledger.key"
    winner = load_or_create_signing_key(path, NAME)
    keys._create_key_file(path, NAME)
    assert load_or_create_signing_key(path, NAME).verifier_key() == winner.verifier_key()
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.key"]


def test_env_form_matches_the_file_form(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    from_file = load_or_create_signing_key(path, NAME)
    seed = _seed_line(path).split(" ", 1)[1]
    from_env = signing_key_from_env(seed + "\n", NAME)
    assert from_env.verifier_key() == from_file.verifier_key()


@pytest.mark.parametrize("value", ["", "not base64!", base64.b64encode(bytes(31)).decode(),
                                   base64.b64encode(bytes(33)).decode()])
def test_env_form_refuses_bad_values_without_echoing_them(value: str) -> None:
    with pytest.raises(ConfigError, match="CASEVAULT_LEDGER_KEY") as caught:
        signing_key_from_env(value, NAME)
    if value:
        assert value not in str(caught.value)


@pytest.mark.parametrize("name", ["", "has space", "a+b"])
def test_bad_key_names_are_configuration_errors(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="key name"):
        load_or_create_signing_key(tmp_path / "ledger.key", name)
    assert not (tmp_path / "ledger.key").exists()
