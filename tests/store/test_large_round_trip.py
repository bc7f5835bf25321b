"""Issue acceptance at full size: 100,000 synthetic people in, out and in again, on both databases.

Slow (minutes): run with `pytest -m slow tests/store/test_large_round_trip.py`; `make test`
leaves it out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from casevault.store.interchange import export_folder, import_folder
from casevault.synth import write_court

from .helpers import snapshot, table_counts
from .test_interchange_export import _folder_rows

PEOPLE = 100_000


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_hundred_thousand_people_round_trip(tmp_path: Path, dialect: str,
                                            database_factory: Callable[[str], Engine]) -> None:
    court = tmp_path / "court"
    write_court(court, people=PEOPLE, seed=1)
    first, second = database_factory(dialect), database_factory(dialect)
    with first.connect() as connection:
        import_folder(connection, court)
    with first.connect() as connection:
        export_folder(connection, tmp_path / "exported")
        counts, content = table_counts(connection), snapshot(connection)
    assert counts["persons"] == PEOPLE
    assert _folder_rows(tmp_path / "exported") == _folder_rows(court)
    with second.connect() as connection:
        import_folder(connection, tmp_path / "exported")
    with second.connect() as connection:
        assert table_counts(connection) == counts
        assert snapshot(connection) == content
