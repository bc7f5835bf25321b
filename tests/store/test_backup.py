"""Encrypted backups on both databases: consistent, useless without the KEK, erasures survive."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casevault.errors import InputError, KeyUnavailable, PersonErased
from casevault.store import erasure as store_erasure
from casevault.store import keys, reads
from casevault.store.backup import backup, restore
from casevault.store.interchange import import_folder
from casevault.store.keys import ErasureRegister, Keyring, LocalKek

from .helpers import csv_rows, snapshot, table_counts

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _erase(engine: Engine, person_id: str, register: ErasureRegister) -> str:
    with engine.begin() as connection:
        erasure_id = store_erasure.request(connection, person_id, reason="court order",
                                           requested_by="U1", basis="request", now=NOW)
        store_erasure.complete(connection, erasure_id, approved_by="U2", now=NOW,
                               register=register)
    return erasure_id


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_restored_backup_reads_the_same_and_keeps_later_erasures(
        dialect: str, database_factory: Callable[[str], Engine], court_folder: Path,
        tmp_path: Path) -> None:
    live, fresh = database_factory(dialect), database_factory(dialect)
    with live.begin() as connection:
        import_folder(connection, court_folder)
    with live.connect() as connection:
        counts, content = table_counts(connection), snapshot(connection)
    out = tmp_path / "before.cvb"
    report = backup(live, out)
    assert report.rows > counts["persons"]
    raw = out.read_bytes()
    row = csv_rows(court_folder / "persons.csv")[0]
    assert row["family_name"].encode() not in raw and row["a_number"].encode() not in raw
    register = ErasureRegister(tmp_path / "register")
    restore(fresh, out, register=register)
    with fresh.connect() as connection:
        assert (table_counts(connection), snapshot(connection)) == (counts, content)
    erasure_id = _erase(live, row["person_id"], register)
    again = restore(live, out, register=register, replace=True)
    assert again.erased_again == (row["person_id"],)
    newest = database_factory(dialect)
    restore(newest, out, register=register)  # disaster recovery: only the register remains
    for engine in (live, newest):
        with engine.connect() as connection:
            with pytest.raises(PersonErased, match=erasure_id):
                reads.person(connection, row["person_id"])
            assert reads.person_by_a_number(connection, row["a_number"]) is None
            other = csv_rows(court_folder / "persons.csv")[1]
            assert reads.person(connection, other["person_id"]).a_number == other["a_number"]
    for engine in (live, fresh, newest):  # spare the shared server's connections
        engine.dispose()


def test_restore_refuses_a_populated_database_a_foreign_kek_and_a_damaged_file(
        database_factory: Callable[[str], Engine], court_folder: Path, tmp_path: Path) -> None:
    live = database_factory("sqlite")
    with live.begin() as connection:
        import_folder(connection, court_folder)
    out = tmp_path / "b.cvb"
    backup(live, out)
    register = ErasureRegister(tmp_path / "register")
    with pytest.raises(InputError, match="--replace"):
        restore(live, out, register=register)
    with pytest.raises(InputError, match="exists"):
        backup(live, out)
    damaged = tmp_path / "damaged.cvb"
    data = bytearray(out.read_bytes())
    data[-10] ^= 1
    damaged.write_bytes(bytes(data))
    with pytest.raises(KeyUnavailable, match="does not decrypt"):
        restore(database_factory("sqlite"), damaged, register=register)
    with live.connect() as connection:
        before = snapshot(connection)
    with pytest.raises(KeyUnavailable, match="does not decrypt"):
        restore(live, damaged, register=register, replace=True)
    with live.connect() as connection:
        assert snapshot(connection) == before  # a failed restore changes nothing
    saved = keys.keyring()
    keys.use_keyring(Keyring(LocalKek({"other": bytes(32)}, "other")))
    try:
        with pytest.raises(KeyUnavailable, match="not configured"):
            restore(database_factory("sqlite"), out, register=register)
    finally:
        keys.use_keyring(saved)
