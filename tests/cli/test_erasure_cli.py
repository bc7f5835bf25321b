"""``casevault erase``, ``retention``, ``backup`` and ``restore`` as an operator runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casevault.errors import PersonErased
from casevault.store import make_engine, reads

from .operators import PASSWORD, person_ids, run, signed_in, users_with_role


@pytest.fixture
def env(court_copy: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**court_copy, "CASEVAULT_PASSWORD": PASSWORD,
            "CASEVAULT_ERASURE_REGISTER": str(tmp_path / "keys" / "erasure-register")}


def _engine(url: str) -> Engine:
    return make_engine(url)


def _erased(url: str, person_id: str) -> bool:
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            try:
                reads.person(connection, person_id)
            except PersonErased:
                return True
            return False
    finally:
        engine.dispose()


def test_two_officers_erase_and_an_older_backup_restores_the_person_erased(
        env: dict[str, str], tmp_path: Path, court_folder: Path) -> None:
    first, second = users_with_role(env, "privacy_officer")[:2]
    one = signed_in(env, first, tmp_path / "first.session")
    two = signed_in(env, second, tmp_path / "second.session")
    person = person_ids(court_folder)[4]
    backup_file = tmp_path / "before.cvb"
    code, out = run(env, "backup", str(backup_file))
    assert code == 0, out
    code, out = run(env, "erase", "--person", person, "--session-file", str(one))
    assert code == 2 and "reason" in out, out
    code, out = run(env, "erase", "--person", person, "--reason", "Court order 114",
                    "--session-file", str(one))
    assert code == 0, out
    erasure_id = re.search(r"erasure (\S+) of person", out)
    assert erasure_id is not None, out
    code, out = run(env, "erase", "--approve", erasure_id.group(1), "--session-file", str(one))
    assert code == 2 and "two-person rule" in out, out
    assert not _erased(env["CASEVAULT_DB_URL"], person)
    code, out = run(env, "erase", "--approve", erasure_id.group(1), "--session-file", str(two))
    assert code == 0 and "data key is destroyed" in out, out
    assert _erased(env["CASEVAULT_DB_URL"], person)
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    code, out = run(env, "restore", str(backup_file), "--db", restored)
    assert code == 0 and "1 person(s) erased since the backup" in out, out
    assert _erased(restored, person)
    assert not _erased(restored, person_ids(court_folder)[5])
    code, out = run(env, "restore", str(backup_file), "--db", restored)
    assert code == 2 and "--replace" in out, out


def test_retention_lists_first_then_two_officers_erase(env: dict[str, str],
                                                       tmp_path: Path) -> None:
    schedule = tmp_path / "retention.toml"
    schedule.write_text('version = 1\n[[rule]]\nname = "closed-0y"\n'
                        'case_status = ["closed"]\nyears_after_close = 0\n', encoding="utf-8")
    code, out = run(env, "retention", "run", "--schedule", str(schedule), "--today",
                    "2100-01-01")
    assert code == 0 and "dry run" in out, out
    due = re.findall(r"(P\d+) closed-0y", out)
    assert due, out
    assert not any(_erased(env["CASEVAULT_DB_URL"], p) for p in due)
    first, second = users_with_role(env, "privacy_officer")[:2]
    one = signed_in(env, first, tmp_path / "first.session")
    two = signed_in(env, second, tmp_path / "second.session")
    code, out = run(env, "retention", "run", "--schedule", str(schedule), "--today",
                    "2100-01-01", "--apply", "--session-file", str(one))
    assert code == 0 and f"{len(due)} erasure(s) requested" in out, out
    code, out = run(env, "retention", "approve", "--session-file", str(one))
    assert code == 0 and "0 retention erasure(s)" in out, out  # not one's own requests
    code, out = run(env, "retention", "approve", "--session-file", str(two))
    assert code == 0 and f"{len(due)} retention erasure(s) carried out" in out, out
    assert all(_erased(env["CASEVAULT_DB_URL"], p) for p in due)
