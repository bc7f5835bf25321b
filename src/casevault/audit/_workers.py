"""Worker processes that check ledger chunks: fresh interpreters running ``_chunks``.

Not ``multiprocessing``: its spawn and forkserver methods import the caller's
main module again in every worker (a script without a ``__main__`` guard then
fails, and the command line would load its whole application just to hash
leaves), and fork copies open SQLite connections, which SQLite forbids.
A worker here is a fresh ``python -P`` running ``_chunks.main``, fed pickled
requests on its stdin; it imports the audit package's light modules and one driver.

Chunks are handed out one at a time as workers finish, so a slow core does not
hold the others back, and results come back in chunk order.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import casevault
from casevault.audit._chunks import Chunk, ChunkResult, Source

__all__ = ["ChunkWorkers", "WorkerFailed", "can_start_workers"]


class WorkerFailed(Exception):
    """A worker could not check its chunk: it did not start, could not read, or died.

    Never a verdict on the ledger (workers return findings, they do not judge):
    the caller can check the chunks itself instead.
    """


def can_start_workers() -> bool:
    """Whether this interpreter can start another of itself (not so when embedded)."""
    return bool(sys.executable)


def _environment() -> dict[str, str]:
    """This environment, with the directory casevault was imported from first on the path."""
    environment = dict(os.environ)
    root = str(Path(casevault.__file__).resolve().parents[1])
    paths = [root, *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    return environment


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-c", "from casevault.audit._chunks import main; main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_environment())

    def ask(self, source: Source, chunk: Chunk) -> tuple[bool, Any]:
        requests: IO[bytes] | None = self.process.stdin
        replies: IO[bytes] | None = self.process.stdout
        if requests is None or replies is None:  # pragma: no cover -- both are pipes
            raise RuntimeError("verification worker has no pipes")
        pickle.dump((source, chunk), requests, protocol=pickle.HIGHEST_PROTOCOL)
        requests.flush()
        try:
            reply: tuple[bool, Any] = pickle.load(replies)  # noqa: S301 -- our child's pipe
        except EOFError:
            code = self.process.wait()
            return False, RuntimeError(f"a verification worker stopped (exit status {code})")
        return reply

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # the worker's signal to finish
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover -- stuck in a query
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class ChunkWorkers:
    """``count`` worker processes; ``map`` checks chunks on them and yields results in order."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._workers: list[_Worker] = []
        self._lock = threading.Condition()
        self._results: dict[int, tuple[bool, Any]] = {}
        self._next = 0
        self._stopped = False
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> ChunkWorkers:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def map(self, source: Source, chunks: Sequence[Chunk]) -> Iterator[ChunkResult]:
        """Results in chunk order; a worker's failure raises ``WorkerFailed`` at its chunk."""
        for _ in range(min(self._count, len(chunks))):
            try:
                worker = _Worker()
            except OSError as exc:
                raise WorkerFailed("could not start a verification worker") from exc
            self._workers.append(worker)
            thread = threading.Thread(target=self._drive, args=(worker, source, chunks),
                                      name="ledger-verify", daemon=True)
            self._threads.append(thread)
            thread.start()
        for index in range(len(chunks)):
            with self._lock:
                self._lock.wait_for(partial(self._results.__contains__, index))
                ok, value = self._results.pop(index)
            if not ok:
                msg = f"a verification worker failed on leaves from {chunks[index].lo}"
                raise WorkerFailed(msg) from value
            yield value

    def _drive(self, worker: _Worker, source: Source, chunks: Sequence[Chunk]) -> None:
        """One thread per worker: take the next chunk, ask the worker, file the answer."""
        while True:
            with self._lock:
                if self._stopped or self._next >= len(chunks):
                    return
                index, self._next = self._next, self._next + 1
            try:
                reply = worker.ask(source, chunks[index])
            except Exception as exc:  # noqa: BLE001 -- raised by map, at this chunk
                reply = (False, exc)
            with self._lock:
                self._results[index] = reply
                self._lock.notify_all()
            if not reply[0]:
                return

    def close(self) -> None:
        """Stop handing out chunks, let the workers finish the ones they hold, and reap them."""
        with self._lock:
            self._stopped = True
        for thread in self._threads:
            thread.join()
        for worker in self._workers:
            worker.close()
