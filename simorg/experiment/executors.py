"""Where replications run: in this process, in local worker processes, or on Dask.

Every backend takes the same chunks (an arm label and a few seeds) and hands back rep
records as chunks finish, in whatever order they finish; callers key them by
``(arm, seed)``, so numbers never depend on the backend or the worker count.

* ``serial``: this process, one after another (also ``local`` with one worker).
* ``local``: a :class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method,
  safe with threads in the parent), ``workers`` processes, default all cores.
* ``dask``: a ``distributed`` client: to ``scheduler`` (an address, a ``Client`` or a
  cluster) if given, else a ``LocalCluster`` started here and closed afterwards.

A worker that dies (killed, out of memory) takes its chunk with it, and a dead local
worker breaks the whole pool. The backends start a fresh pool (or resubmit to the cluster)
and run the lost chunks again, up to :data:`MAX_ATTEMPTS` times per chunk; a chunk that
still cannot finish is recorded as failed for an *environment* reason, which a
``--resume`` retries. Retried chunks give the same numbers (a replication depends only on
its scenario and seed). On an interrupt (Ctrl-C, SIGTERM) the local workers are ended
before the error goes on, so no worker outlives the run.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from .runner import ENV_ERROR, RepRecord, SimulateFn, error_record, run_chunk

EXECUTORS = ("local", "serial", "dask")
MAX_ATTEMPTS = 3
"""How many times a chunk is tried when its worker dies before it is recorded as failed."""
DASK_WORKER_WAIT = 30.0
"""Seconds to wait for a Dask scheduler with no workers to get one."""
OnRecords = Callable[[list[RepRecord]], None]


class ExecutorError(RuntimeError):
    """An executor that cannot be used as asked (unknown name, bad worker count): bad input."""


class ExecutorUnavailable(ExecutorError):
    """The executor's environment fails (Dask missing, scheduler unreachable or without
    workers, malformed address): an environment problem, not bad input."""


@dataclass(frozen=True)
class Chunk:
    """A few seeds of one arm, run together by one worker."""

    arm: str
    seeds: tuple[int, ...]


def make_chunks(work: Sequence[tuple[str, Sequence[int]]], slots: int) -> list[Chunk]:
    """Split each arm's seeds into chunks: about four chunks per worker, at most 10 seeds each.

    Chunking changes only scheduling, never results.
    """
    total = sum(len(s) for _, s in work)
    size = max(1, min(10, math.ceil(total / max(1, 4 * slots))))
    chunks: list[Chunk] = []
    for arm, seeds in work:
        seeds = list(seeds)
        chunks.extend(Chunk(arm, tuple(seeds[i:i + size])) for i in range(0, len(seeds), size))
    return chunks


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _failed(chunk: Chunk, exc: BaseException, attempts: int) -> list[RepRecord]:
    msg = (f"executor error: {type(exc).__name__}: {exc} (the worker running this replication "
           f"died {attempts} time(s); --resume retries it)")
    return [error_record(chunk.arm, s, msg, kind=ENV_ERROR) for s in chunk.seeds]


class Backend:
    """Base class: run chunks, report records through a callback. Use as a context manager."""

    slots: int = 1

    def run(self, scenarios: dict[str, Any], chunks: Iterable[Chunk],
            simulate_fn: SimulateFn | None, on_records: OnRecords) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers (no-op by default)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialBackend(Backend):
    """Run everything in this process."""

    def run(self, scenarios, chunks, simulate_fn, on_records) -> None:
        for chunk in chunks:
            on_records(run_chunk(chunk.arm, scenarios[chunk.arm], chunk.seeds, simulate_fn))


class ProcessBackend(Backend):
    """A pool of local worker processes, started on first use and kept for later batches.

    A dead worker breaks the pool: every unfinished chunk then fails with
    ``BrokenProcessPool``. Those chunks go to a fresh pool (each at most
    :data:`MAX_ATTEMPTS` times in all).
    """

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.slots, mp_context=ctx,
                                             initializer=_end_with_parent, initargs=(os.getpid(),))
        return self._pool

    def worker_pids(self) -> list[int]:
        """Process ids of the pool's live workers (empty before first use)."""
        procs = getattr(self._pool, "_processes", None) or {}
        return [p.pid for p in procs.values() if p.pid is not None and p.is_alive()]

    def run(self, scenarios: dict[str, Any], chunks: Iterable[Chunk],
            simulate_fn: SimulateFn | None, on_records: OnRecords) -> None:
        pending: dict[Future[list[RepRecord]], Chunk] = {}
        attempts: dict[Chunk, int] = {}

        def submit(chunk: Chunk) -> None:
            attempts[chunk] = attempts.get(chunk, 0) + 1
            fut = self._get_pool().submit(run_chunk, chunk.arm, scenarios[chunk.arm],
                                          chunk.seeds, simulate_fn)
            pending[fut] = chunk

        try:
            for chunk in chunks:
                submit(chunk)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                lost: list[tuple[Chunk, BaseException]] = []
                for fut in done:
                    chunk = pending.pop(fut)
                    try:
                        records = fut.result()
                    except Exception as err:  # noqa: BLE001 - a dead worker loses its chunk only
                        lost.append((chunk, err))
                        continue
                    on_records(records)
                if lost:
                    self._discard_pool()  # a broken pool takes no new work
                    for chunk, cause in sorted(lost, key=lambda x: (x[0].arm, x[0].seeds)):
                        if attempts[chunk] < MAX_ATTEMPTS:
                            submit(chunk)
                        else:
                            on_records(_failed(chunk, cause, attempts[chunk]))
        except BaseException:
            for fut in pending:
                fut.cancel()
            self.terminate()
            raise

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def terminate(self) -> None:
        """End the workers now (an interrupt): they are killed, not waited for."""
        pool = self._pool
        if pool is None:
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
                proc.kill()
                proc.join(timeout=5)
        self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _probe(address: str) -> None:
    """Check a scheduler address before a ``Client`` is made: a client that fails to connect
    prints a traceback when it is collected, so malformed or unreachable TCP addresses are
    caught here first."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, loc = parse_address(address)
        if scheme not in ("tcp", "tls"):
            return
        host, port = parse_host_port(loc)
    except (ValueError, TypeError) as exc:
        raise ExecutorUnavailable(f"malformed Dask scheduler address {address!r}: {exc}") from None
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise ExecutorUnavailable(
            f"cannot reach the Dask scheduler at {address!r}: {exc.strerror or exc}") from None


def _connect(scheduler: Any) -> Any:
    """A ``distributed.Client`` to ``scheduler`` (an address), or ExecutorUnavailable."""
    from distributed import Client

    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ExecutorUnavailable(f"--scheduler expects an address like tcp://host:8786, got {scheduler!r}")
    _probe(scheduler)
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ExecutorUnavailable(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise ExecutorUnavailable(f"malformed Dask scheduler address {scheduler!r}: {exc}") from None


class DaskBackend(Backend):
    """Run chunks on a Dask cluster: an existing one (``scheduler``) or a new local one."""

    def __init__(self, workers: int | None, scheduler: Any = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a test dependency
            raise ExecutorUnavailable(
                "the Dask executor needs the 'dask' extra: pip install 'simorg[dask]'"
            ) from exc
        self._own: list[Any] = []
        if scheduler is None:
            n = workers or default_workers()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(cluster)
            self._own = [self.client, cluster]
        elif isinstance(scheduler, Client):
            self.client = scheduler
        else:
            self.client = _connect(getattr(scheduler, "scheduler_address", scheduler))
            self._own = [self.client]
        self.slots = max(1, self._wait_for_workers())

    def _wait_for_workers(self) -> int:
        nthreads = self.client.nthreads() or {}
        if not nthreads:
            try:
                self.client.wait_for_workers(1, timeout=DASK_WORKER_WAIT)
            except (TimeoutError, OSError):
                self.close()
                raise ExecutorUnavailable(
                    f"the Dask scheduler has no workers (waited {DASK_WORKER_WAIT:g} s); "
                    "start some with 'dask worker ADDRESS'") from None
            nthreads = self.client.nthreads() or {}
        return int(sum(nthreads.values()))

    def run(self, scenarios: dict[str, Any], chunks: Iterable[Chunk],
            simulate_fn: SimulateFn | None, on_records: OnRecords) -> None:
        from distributed import as_completed

        # Scenarios travel with each task rather than being scattered once: scattered data
        # lives on one worker and is lost with it, which cancels every task needing it.
        futs: dict[Any, Chunk] = {}
        attempts: dict[Chunk, int] = {}

        def submit(chunk: Chunk) -> Any:
            attempts[chunk] = attempts.get(chunk, 0) + 1
            fut = self.client.submit(run_chunk, chunk.arm, scenarios[chunk.arm], chunk.seeds,
                                     simulate_fn, pure=False)
            futs[fut] = chunk
            return fut

        for chunk in chunks:
            submit(chunk)
        queue = as_completed(list(futs))
        try:
            for fut in queue:
                chunk = futs.pop(fut)
                try:
                    records = fut.result()
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # noqa: BLE001 - a lost worker (KilledWorker, cancelled)
                    if attempts[chunk] < MAX_ATTEMPTS:
                        queue.add(submit(chunk))
                        continue
                    records = _failed(chunk, exc, attempts[chunk])
                on_records(records)
        except BaseException:
            self.client.cancel(list(futs))
            raise

    def close(self) -> None:
        for obj in self._own:
            obj.close()
        self._own = []


def make_backend(executor: str = "local", workers: int | None = None,
                 scheduler: Any = None) -> Backend:
    """Build a backend from the command-line style options (see module docstring)."""
    if scheduler is not None and executor == "local":
        executor = "dask"  # --scheduler implies Dask
    if executor not in EXECUTORS:
        raise ExecutorError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ExecutorError(f"--workers must be at least 1, got {workers}")
    if executor == "serial":
        return SerialBackend()
    if executor == "dask":
        return DaskBackend(workers, scheduler)
    n = workers or default_workers()
    return SerialBackend() if n == 1 else ProcessBackend(n)


def _end_with_parent(parent_pid: int) -> None:
    """Pool worker start-up: a daemon thread ends this worker once its parent is gone.

    SIGTERM and Ctrl-C of the parent end the workers in an orderly way; a parent killed with
    SIGKILL cannot do that, and its workers, re-parented, would go on computing replications
    nobody will read. The thread checks once a second whether the parent is still the parent."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="simorg-parent-watch", daemon=True).start()
