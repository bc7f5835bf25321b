"""The two engines that run the rules: DuckDB in-process (default) and Spark local mode.

Both read the same prepared Parquet folder (one file per table) and run the same SQL
text; an engine only knows how to register a file as a table, materialise a view,
and fetch rows. Nothing else differs, which is what makes their alerts identical.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

from casevault.errors import ConfigError

EngineName = Literal["duckdb", "spark"]


class Engine(Protocol):
    name: str

    def register(self, table: str, path: Path) -> None: ...

    def materialize(self, table: str, sql: str, *, keep: bool = True) -> None: ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class DuckEngine:
    """DuckDB in this process; views are materialised as temporary tables."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        import duckdb  # noqa: PLC0415 -- the engine is loaded only when chosen

        # Rules never rely on row order (alerts are sorted in Python), so DuckDB may keep none.
        config: dict[str, Any] = {"preserve_insertion_order": False}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self._db = duckdb.connect(":memory:", config=config)

    def register(self, table: str, path: Path) -> None:
        """Load the file into a native table: every rule reads it, some several times."""
        literal = str(path).replace("'", "''")
        self._db.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS "
                         f"SELECT * FROM read_parquet('{literal}')")

    def materialize(self, table: str, sql: str, *, keep: bool = True) -> None:
        kind = "TEMP TABLE" if keep else "TEMP VIEW"
        self._db.execute(f"CREATE OR REPLACE {kind} {table} AS {sql}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._db.execute(sql).fetchall()]

    def close(self) -> None:
        self._db.close()


class SparkEngine:
    """PySpark in local mode: views are cached DataFrames registered as temp views.

    Pass an existing ``session`` to share one JVM (tests start one per module);
    otherwise one is started here and stopped by ``close``.
    """

    name = "spark"

    def __init__(self, session: Any | None = None, *, cores: int = 2) -> None:
        self._owned = session is None
        self._spark = session if session is not None else spark_session(cores)
        self._cached: list[Any] = []

    def register(self, table: str, path: Path) -> None:
        frame = self._spark.read.parquet(str(path)).cache()
        frame.createOrReplaceTempView(table)
        self._cached.append(frame)

    def materialize(self, table: str, sql: str, *, keep: bool = True) -> None:
        frame = self._spark.sql(sql)
        if keep:
            frame = frame.cache()
            self._cached.append(frame)
        frame.createOrReplaceTempView(table)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._spark.sql(sql).collect()]

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        if self._owned:
            self._spark.stop()


def spark_session(cores: int = 2) -> Any:
    """A local-mode Spark session sized for one machine (small shuffles, no UI)."""
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415 -- optional engine
    except ImportError:
        msg = "the spark engine needs PySpark: pip install 'casevault[spark]'"
        raise ConfigError(msg) from None
    os.environ.setdefault("PYSPARK_PYTHON", "python3")
    return (SparkSession.builder.master(f"local[{cores}]").appName("casevault-watch")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", os.environ.get("CASEVAULT_SPARK_MEMORY", "2g"))
            .getOrCreate())


@contextmanager
def open_engine(name: EngineName, *, spark: Any | None = None) -> Iterator[Engine]:
    engine: Engine = DuckEngine() if name == "duckdb" else SparkEngine(spark)
    try:
        yield engine
    finally:
        engine.close()
