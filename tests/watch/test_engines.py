"""DuckDB and Spark (local mode) run the same rule text and produce identical alerts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from casevault.synth._workday_run import simulate_court_workday
from casevault.watch._engines import spark_session
from casevault.watch.run import run_watch

from .helpers import prepare


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One Spark session for the module (starting the JVM is the slow part)."""
    session = spark_session(cores=2)
    yield session
    session.stop()


def test_duckdb_and_spark_give_identical_alerts(spark: Any) -> None:
    run = simulate_court_workday(people=2_500, days=14, seed=21, rounds=1)
    prepared = prepare(run)
    duck = run_watch(prepared.events, prepared.context, engine="duckdb",
                     labelled_events=prepared.labelled)
    sparked = run_watch(prepared.events, prepared.context, engine="spark", spark=spark,
                        labelled_events=prepared.labelled)
    assert len(duck.alerts) >= len(run.labels) > 0
    assert [a.to_json() for a in sparked.alerts] == [a.to_json() for a in duck.alerts]
    assert (sparked.accesses, sparked.explained, sparked.by_explanation) == \
        (duck.accesses, duck.explained, duck.by_explanation)
    assert (sparked.normal_accesses, sparked.normal_explained) == \
        (duck.normal_accesses, duck.normal_explained)
