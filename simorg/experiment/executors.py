"""Where replications run: in this process, in local worker processes, or on Dask.

Every backend takes the same chunks (an arm label and a few seeds) and hands back rep
records as chunks finish, in whatever order they finish; callers key them by
``(arm, seed)``, so numbers never depend on the backend or the worker count.

* ``serial``: this process, one after another (also ``local`` with one worker).
* ``local``: a :class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method,
  safe with threads in the parent), ``workers`` processes, default all cores.
* ``dask``: a ``distributed`` client: to ``scheduler`` (an address, a ``Client`` or a
  cluster) if given, else a ``LocalCluster`` started here and closed afterwards.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from .runner import RepRecord, SimulateFn, error_record, run_chunk

EXECUTORS = ("local", "serial", "dask")
OnRecords = Callable[[list[RepRecord]], None]


class ExecutorError(RuntimeError):
    """An executor that cannot be used (unknown name, Dask missing, scheduler unreachable)."""


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


def _failed(chunk: Chunk, exc: BaseException) -> list[RepRecord]:
    msg = f"executor error: {type(exc).__name__}: {exc}"
    return [error_record(chunk.arm, s, msg) for s in chunk.seeds]


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
    """A pool of local worker processes, started on first use and kept for later batches."""

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.slots, mp_context=ctx)
        return self._pool

    def run(self, scenarios, chunks, simulate_fn, on_records) -> None:
        pool = self._get_pool()
        pending: dict[Future, Chunk] = {}
        try:
            for chunk in chunks:
                fut = pool.submit(run_chunk, chunk.arm, scenarios[chunk.arm], chunk.seeds, simulate_fn)
                pending[fut] = chunk
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    chunk = pending.pop(fut)
                    try:
                        records = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a dead worker fails its chunk only
                        records = _failed(chunk, exc)
                        self._pool = None  # a broken pool cannot take new work
                    on_records(records)
        except BaseException:
            for fut in pending:
                fut.cancel()
            self.close()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskBackend(Backend):
    """Run chunks on a Dask cluster: an existing one (``scheduler``) or a new local one."""

    def __init__(self, workers: int | None, scheduler: Any = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a test dependency
            raise ExecutorError(
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
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
            self._own = [self.client]
        nthreads = self.client.nthreads() or {}
        self.slots = max(1, sum(nthreads.values()))

    def run(self, scenarios, chunks, simulate_fn, on_records) -> None:
        from distributed import as_completed

        scattered = {arm: self.client.scatter(sc, broadcast=False, hash=False)
                     for arm, sc in scenarios.items()}
        futs = {}
        for chunk in chunks:
            fut = self.client.submit(run_chunk, chunk.arm, scattered[chunk.arm], chunk.seeds,
                                     simulate_fn, pure=False)
            futs[fut] = chunk
        try:
            for fut in as_completed(list(futs)):
                chunk = futs[fut]
                try:
                    records = fut.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker fails its chunk only
                    records = _failed(chunk, exc)
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
