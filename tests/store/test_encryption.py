"""Issue 10 acceptance on both databases: nothing personal in clear, ciphertexts bound to place.

The raw database (the SQLite file and its WAL; every table's stored values on
PostgreSQL) is read directly, without casevault, and searched for the synthetic
court's personal values; the leak shield's detectors read the same dumps.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select, text, update

from casevault.errors import ConfigError, KeyUnavailable, PersonErased
from casevault.shield.detectors import find_all
from casevault.shield.edm import normalize
from casevault.shield.model import Kind
from casevault.store import reads, tables
from casevault.store.erasure import shred
from casevault.store.interchange import import_folder
from casevault.store.keys import Keyring, LocalKek, field_context, read_kek_file, seal
from casevault.store.sealed import SEALED, data_keys
from casevault.store.tables_keys import erasures, person_keys

from .helpers import csv_rows

SEALED_FILES = {"persons": ("a_number", "family_name", "given_name", "other_names",
                            "address", "city", "phone", "email"),
                "addresses": ("address", "city"),
                "applications": ("kind",)}  # asylum, withholding, ...: a protection claim
DATES = {"persons": ("persons", "date_of_birth"), "encounters": ("encounters", "occurred_on")}
"""Dates are looked for in their own table only (address periods and filings have clear dates)."""
HEX = frozenset("0123456789abcdef")


def _values(folder: Path) -> set[str]:
    """The synthetic court's values of sealed columns (those that cannot hide in a hex dump)."""
    found: set[str] = set()
    for name, columns in SEALED_FILES.items():
        for row in csv_rows(folder / f"{name}.csv"):
            for column in columns:
                for value in (row[column] or "").split(";"):
                    if len(value) >= 5 and not set(value) <= HEX:
                        found.add(value)
    return found


def _dump(connection: Connection, only: str | None = None) -> str:
    """Every stored value of every sealed table as text, bytes in hex (as a DBA would see it)."""
    parts: list[str] = []
    for spec in SEALED.values():
        if only is not None and spec.name != only:
            continue
        for row in connection.execute(select(spec.table)):
            parts.append(" | ".join(value.hex() if isinstance(value, bytes | memoryview)
                                    else str(value) for value in row))
    return "\n".join(parts)



@pytest.fixture
def court(connection: Connection, court_folder: Path) -> Connection:
    """The synthetic court imported inside the test's rolled-back transaction."""
    import_folder(connection, court_folder)
    return connection


@pytest.fixture(scope="module")
def values(court_folder: Path) -> set[str]:
    return _values(court_folder)


def test_no_personal_value_is_stored_in_clear(court_engine: Engine, values: set[str],
                                              court_folder: Path) -> None:
    with court_engine.connect() as connection:
        dump = _dump(connection)
    assert values, "the synthetic court has personal values to look for"
    assert [value for value in values if value in dump] == []
    assert _detected_personal_values(dump, court_folder) == set()


def _detected_personal_values(dump: str, folder: Path) -> set[tuple[str, str]]:
    """What the shield's detectors find in ``dump`` that is a person's identifier of the court.

    Random hex (blind indexes, ciphertexts) can look like a bare A-number or date to a
    detector; such matches are noise unless they are someone's actual identifier.
    """
    real: set[tuple[str, str]] = set()
    for row in csv_rows(folder / "persons.csv"):
        for kind, column in ((Kind.A_NUMBER, "a_number"), (Kind.EMAIL, "email"),
                             (Kind.PHONE, "phone"), (Kind.DATE_OF_BIRTH, "date_of_birth")):
            if row[column]:
                real.add((kind.value, normalize(kind, row[column])))
    found = {(str(m.kind.value), m.normalized) for m in find_all(dump)}
    return found & real


def test_no_date_of_birth_or_encounter_date_is_stored_in_clear(court_engine: Engine,
                                                               court_folder: Path) -> None:
    with court_engine.connect() as connection:
        for file, (table, column) in DATES.items():
            dump = _dump(connection, only=table)
            dates = {row[column] for row in csv_rows(court_folder / f"{file}.csv") if row[column]}
            assert dates
            assert [day for day in dates if day in dump] == []


def test_the_raw_sqlite_file_holds_no_a_number_phone_or_email(
        database_factory: Callable[[str], Engine], court_folder: Path) -> None:
    """The file on disk, WAL included (PostgreSQL's stored values are read above)."""
    engine = database_factory("sqlite")
    with engine.begin() as connection:
        import_folder(connection, court_folder)
    path = Path(str(engine.url.database))
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    persons = csv_rows(court_folder / "persons.csv")
    for row in persons:
        for column in ("a_number", "phone", "email", "address"):
            if row[column]:
                assert row[column].encode() not in raw, column
    # The detectors read the file as text; an A-number-like run inside a blind index's hex
    # may match, but none of them may be a person's A-number.
    real = {row["a_number"] for row in persons}
    found = {m.normalized for m in find_all(raw.decode("latin-1")) if m.kind == "a_number"}
    assert found & real == set()


def test_reads_return_the_clear_values(court: Connection, court_folder: Path) -> None:
    row = csv_rows(court_folder / "persons.csv")[0]
    person = reads.person(court, row["person_id"])
    assert (person.a_number, person.family_name, person.phone) == (
        row["a_number"], row["family_name"], row["phone"] or None)
    assert reads.person_by_a_number(court, row["a_number"]) == person
    assert person in reads.persons_by_name(court, row["family_name"], row["given_name"])


def _sealed(connection: Connection, person_id: str, column: str) -> bytes:
    return bytes(connection.execute(select(tables.persons.c[column]).where(
        tables.persons.c.person_id == person_id)).scalar_one())


def test_a_ciphertext_moved_to_another_row_or_column_does_not_open(
        court: Connection, court_folder: Path) -> None:
    first, second = (row["person_id"] for row in csv_rows(court_folder / "persons.csv")[:2])
    p = tables.persons
    stolen = _sealed(court, first, "family_name")
    court.execute(update(p).where(p.c.person_id == second).values(family_name=stolen))
    with pytest.raises(KeyUnavailable, match="does not open"):
        reads.person(court, second)
    court.execute(update(p).where(p.c.person_id == first).values(given_name=stolen))
    with pytest.raises(KeyUnavailable, match="does not open"):
        reads.person(court, first)


def test_a_wrapped_key_moved_to_another_person_does_not_unwrap(
        court: Connection, court_folder: Path) -> None:
    first, second = (row["person_id"] for row in csv_rows(court_folder / "persons.csv")[:2])
    k = person_keys
    wrapped, kek_id = court.execute(select(k.c.wrapped, k.c.kek_id).where(
        k.c.person_id == first)).one()
    court.execute(update(k).where(k.c.person_id == second).values(wrapped=wrapped,
                                                                  kek_id=kek_id))
    with pytest.raises(KeyUnavailable, match="does not unwrap"):
        reads.person(court, second)


def test_a_field_sealed_under_the_right_key_and_place_opens(court: Connection,
                                                            court_folder: Path) -> None:
    """The check above can pass: the same value sealed for its own place reads back."""
    person_id = csv_rows(court_folder / "persons.csv")[3]["person_id"]
    cipher = data_keys(court, [person_id], create=False)[person_id]
    court.execute(update(tables.persons).where(tables.persons.c.person_id == person_id).values(
        city=seal(cipher, b"Springfield", field_context("persons", person_id, "city"))))
    assert reads.person(court, person_id).city == "Springfield"


def test_shredding_makes_every_sealed_row_unreadable(court: Connection,
                                                     court_folder: Path) -> None:
    row = csv_rows(court_folder / "persons.csv")[5]
    court.execute(erasures.insert().values(
        erasure_id="00000000-0000-0000-0000-000000000005", person_id=row["person_id"],
        state="erased", basis="request", reason="test", requested_by="U1",
        requested_at=text("CURRENT_TIMESTAMP")))
    shred(court, row["person_id"])
    with pytest.raises(PersonErased):
        reads.person(court, row["person_id"])
    assert reads.person_by_a_number(court, row["a_number"]) is None
    assert row["person_id"] not in {p.person_id for p in reads.persons_by_name(
        court, row["family_name"], row["given_name"])}


# --- the key-encryption key -------------------------------------------------------------------


@pytest.fixture
def key_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "keys" / "data-kek.key"
    from casevault.store.keys import create_kek_file  # noqa: PLC0415

    create_kek_file(path)
    yield path


def test_a_key_file_readable_by_others_is_refused(key_file: Path) -> None:
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    read_kek_file(key_file)
    os.chmod(key_file, 0o640)  # noqa: PTH101
    with pytest.raises(ConfigError, match="chmod 600"):
        read_kek_file(key_file)


def test_a_malformed_key_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.key"
    path.write_text("casevault-kek v1\ncurrent k1\nkey k1 c2VjcmV0\n", encoding="utf-8")
    os.chmod(path, 0o600)  # noqa: PTH101
    with pytest.raises(ConfigError, match="malformed") as caught:
        read_kek_file(path)
    assert "c2VjcmV0" not in str(caught.value)


def test_another_kek_cannot_unwrap(court: Connection, court_folder: Path) -> None:
    from casevault.store import keys  # noqa: PLC0415

    person_id = csv_rows(court_folder / "persons.csv")[0]["person_id"]
    saved = keys.keyring()
    keys.use_keyring(Keyring(LocalKek({"other": bytes(32)}, "other")))
    try:
        with pytest.raises(KeyUnavailable, match="not configured"):
            reads.person(court, person_id)
    finally:
        keys.use_keyring(saved)
