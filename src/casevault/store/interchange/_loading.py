"""Machinery that makes a large import fast without changing what it does.

A second thread writes each checked batch while the next is being checked; the
cycle collector is paused while millions of row tuples come and go; SQLite gets
a larger page cache for the import's connection.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from casevault.store.database import SQLITE_BULK_CACHE_KIB, SQLITE_CACHE_KIB


class BackgroundWriter:
    """Writes checked batches on a second thread while the next batch is being checked.

    SQLite releases the GIL while it steps through an INSERT and psycopg while it
    sends COPY data, so writing batch n overlaps checking batch n + 1 on the other
    core. Jobs run one at a time, in order, on the import's connection; the import
    thread drains the queue before it runs any statement of its own, and the first
    failure is raised there.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="casevault-import-writer",
                                        daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._failure is None:
                    job()
            except BaseException as exc:  # noqa: BLE001 -- handed to the import thread
                self._failure = exc
            finally:
                self._jobs.task_done()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def submit(self, job: Callable[[], None]) -> None:
        self._raise_failure()
        self._jobs.put(job)

    def drain(self) -> None:
        self._jobs.join()
        self._raise_failure()

    def close(self, *, quietly: bool = False) -> None:
        self._jobs.join()
        self._jobs.put(None)
        self._thread.join()
        if not quietly:
            self._raise_failure()


@contextmanager
def bulk_cache(connection: Connection) -> Iterator[None]:
    """A larger SQLite page cache for the import's connection while it loads."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while millions of row tuples are made and dropped.

    The rows form no reference cycles, and each full collection walks every live
    object (the sets of known ids grow with the import), which made import time
    grow faster than the number of rows.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
