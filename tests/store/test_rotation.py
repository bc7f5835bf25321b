"""Key rotation: KEK rewrap and data-key renewal, both resumable after a kill half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from casevault.store import keys, reads
from casevault.store.interchange import import_folder
from casevault.store.keys import Keyring, read_kek_file, write_kek_file
from casevault.store.rotation import rotate_data_keys, rotate_person_key
from casevault.store.tables_keys import person_keys

from .helpers import csv_rows, snapshot

TEST_KEY = bytes(range(32))
"""The suite's KEK (tests/conftest.py), here written to a key file under the same id."""
CLI = [sys.executable, "-c", "from casevault.cli import main; main()"]


def _all_readable(engine: Engine, folder: Path) -> None:
    with engine.connect() as connection:
        for row in csv_rows(folder / "persons.csv"):
            assert reads.person(connection, row["person_id"]).a_number == row["a_number"]


def _kek_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(select(person_keys.c.kek_id, func.count())
                                       .group_by(person_keys.c.kek_id)).all())


def _cli(args: list[str], key_file: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "CASEVAULT_KEK"}
    env |= {"CASEVAULT_KEK_FILE": str(key_file), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    return subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.STDOUT, text=True)


def test_a_kek_rotation_killed_half_way_resumes_and_completes(
        database_factory: Callable[[str], Engine], court_folder: Path, tmp_path: Path) -> None:
    engine = database_factory("sqlite")
    with engine.begin() as connection:
        import_folder(connection, court_folder)
    key_file = tmp_path / "keys" / "data-kek.key"
    write_kek_file(key_file, {"test-kek": TEST_KEY}, "test-kek")
    url = str(engine.url)
    total = len(csv_rows(court_folder / "persons.csv"))
    process = _cli(["keys", "rotate-kek", "--db", url, "--batch", "5", "--throttle", "0.05"],
                   key_file)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("rewrapped") and int(line.split()[1]) >= total // 3:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    half = _kek_ids(engine)
    assert half.get("test-kek", 0) > 0 and sum(half.values()) == total, half
    new_id = next(kek_id for kek_id in half if kek_id != "test-kek")
    keys.use_keyring(Keyring(read_kek_file(key_file)))  # both keys, as the file now holds
    try:
        _all_readable(engine, court_folder)  # nothing unreadable in the middle
        resumed = _cli(["keys", "rotate-kek", "--db", url], key_file)
        output, _ = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, output
        assert "resumed and finished" in output and new_id in output
        assert _kek_ids(engine) == {new_id: total}
        refused = _cli(["keys", "retire-kek", new_id, "--db", url], key_file)
        output, _ = refused.communicate(timeout=60)
        assert refused.returncode == 2, output
        retired = _cli(["keys", "retire-kek", "test-kek", "--db", url], key_file)
        output, _ = retired.communicate(timeout=60)
        assert retired.returncode == 0, output
        assert list(read_kek_file(key_file).ids) == [new_id]
        keys.use_keyring(Keyring(read_kek_file(key_file)))
        _all_readable(engine, court_folder)
    finally:
        keys.use_keyring(None)


def test_a_data_key_rotation_renews_keys_and_resumes_where_it_stopped(
        database_factory: Callable[[str], Engine], court_folder: Path) -> None:
    engine = database_factory("postgresql")
    with engine.begin() as connection:
        import_folder(connection, court_folder)
    with engine.connect() as connection:
        before = snapshot(connection)
        wrapped_before = dict(connection.execute(select(person_keys.c.person_id,
                                                        person_keys.c.wrapped)).all())
    stop_after = 7

    def interrupt(_: str, done: int) -> None:
        if done == stop_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_data_keys(engine, progress=interrupt)
    report = rotate_data_keys(engine)
    assert report.resumed and report.done == len(wrapped_before) - stop_after
    with engine.connect() as connection:
        after = dict(connection.execute(select(person_keys.c.person_id,
                                               person_keys.c.wrapped)).all())
        assert snapshot(connection) == before  # every field re-encrypted, none changed
    assert all(after[p] != wrapped_before[p] for p in wrapped_before)
    _all_readable(engine, court_folder)
    engine.dispose()  # spare the shared server's connections


def test_a_person_key_rotation_is_all_or_nothing(court_connection_engine: Engine,
                                                 court_folder: Path) -> None:
    row = csv_rows(court_folder / "persons.csv")[2]
    with court_connection_engine.connect() as connection:
        transaction = connection.begin()
        rotate_person_key(connection, row["person_id"])
        transaction.rollback()
        assert reads.person(connection, row["person_id"]).a_number == row["a_number"]


@pytest.fixture
def court_connection_engine(database_factory: Callable[[str], Engine],
                            court_folder: Path) -> Engine:
    engine = database_factory("sqlite")
    with engine.begin() as connection:
        import_folder(connection, court_folder)
    return engine
