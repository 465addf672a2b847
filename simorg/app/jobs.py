"""Runs from many browsers on one shared pool of worker processes, in a fair order.

A *job* is one press of "Run": one or two arms (the scenario the person started from and
their version of it) over the same seeds, so the comparison is paired exactly as in
:func:`simorg.compare`. Each job is cut into small chunks (an arm and a few seeds, the
unit :func:`simorg.experiment.runner.run_chunk` runs); the dispatcher keeps the pool busy
with at most two chunks per worker in flight and picks the next chunk round-robin over the
*clients* that have work waiting (a client whose queue was empty goes first), so thirty people pressing "Run" at once each see their
progress bar move, and one big run cannot starve a small one.

Replications are deterministic (seed ``seed + i``), so a finished replication is kept in a
bounded cache keyed by the scenario's fingerprint and seed: the start arm of a comparison
is computed once and shared by every tweak of it and by every browser asking for it.
A newer job from the same client supersedes its older unfinished ones (their chunks still
waiting are dropped), which is what a person changing a number and pressing "Run" again
means.
"""

from __future__ import annotations

import functools
import itertools
import math
import multiprocessing
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..experiment.runner import RepRecord, error_record, run_chunk
from ..experiment.store import fingerprint

MAX_IN_FLIGHT_PER_WORKER = 2
CACHE_SIZE = 3000
"""Replications kept for reuse (a 36-month baseline replication holds about 50 KB of series)."""
MAX_JOBS = 300
"""Finished runs kept for their results and downloads; older ones are forgotten first."""


@dataclass
class Job:
    """One run requested by one client: arms (label -> scenario) over the same seeds."""

    id: str
    client: str
    arms: dict[str, Any]
    seeds: list[int]
    meta: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"  # queued | running | finishing | done | failed | superseded
    records: dict[str, dict[int, RepRecord]] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    out_dir: Any = None

    @property
    def total(self) -> int:
        return len(self.arms) * len(self.seeds)

    @property
    def done(self) -> int:
        return sum(len(v) for v in self.records.values())

    @property
    def complete(self) -> bool:
        return self.done >= self.total


@dataclass
class _Chunk:
    job: Job
    arm: str
    seeds: tuple[int, ...]


class Dispatcher:
    """The shared worker pool, the job queue and the fair order between clients.

    ``executor`` defaults to a pool of ``workers`` spawned processes; ``on_complete`` is
    called (in a helper thread, never on the web server's event loop) when every
    replication of a job has arrived.
    """

    def __init__(self, workers: int, on_complete: Callable[[Job], None],
                 executor: Executor | None = None, simulate_fn: Any = None,
                 cache_size: int = CACHE_SIZE) -> None:
        self.workers = max(1, workers)
        self._own_pool = executor is None
        if executor is None:
            executor = ProcessPoolExecutor(max_workers=self.workers,
                                           mp_context=multiprocessing.get_context("spawn"))
        self.pool: Executor = executor
        self.simulate_fn = simulate_fn
        self.on_complete = on_complete
        self.jobs: dict[str, Job] = {}
        self._queues: OrderedDict[str, deque[_Chunk]] = OrderedDict()
        self._cv = threading.Condition()
        self._in_flight = 0
        self._cache: OrderedDict[tuple[str, int], RepRecord] = OrderedDict()
        self._cache_size = cache_size
        self._ids = itertools.count(1)
        self._closed = False
        self.order: list[tuple[str, str]] = []  # (client, job id) of each chunk sent, for tests
        self._thread = threading.Thread(target=self._loop, name="simorg-app-dispatcher", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- submitting
    def new_id(self) -> str:
        return f"r{next(self._ids)}-{int(time.time() * 1000) % 100000:05d}"

    def submit(self, client: str, arms: dict[str, Any], seeds: list[int],
               meta: dict[str, Any] | None = None) -> Job:
        """Queue a job; replications already in the cache count as done at once."""
        job = Job(self.new_id(), client, dict(arms), list(seeds), dict(meta or {}))
        fps = {label: fingerprint(sc) for label, sc in arms.items()}
        job.meta["fingerprints"] = fps
        with self._cv:
            for old in self.jobs.values():
                if old.client == client and old.status in ("queued", "running"):
                    old.status = "superseded"
            q = self._queues.get(client)
            if q is not None:
                kept = deque(c for c in q if c.job.status != "superseded")
                self._queues[client] = kept
            self.jobs[job.id] = job
            self._forget_old_jobs()
            missing: dict[str, list[int]] = {}
            for label in arms:
                job.records[label] = {}
                for s in seeds:
                    rec = self._cache.get((fps[label], s))
                    if rec is not None:
                        job.records[label][s] = {**rec, "arm": label}
                    else:
                        missing.setdefault(label, []).append(s)
            todo = sum(len(v) for v in missing.values())
            size = max(1, min(5, math.ceil(todo / max(1, 4 * self.workers))))
            chunks = [_Chunk(job, label, tuple(ss[i:i + size]))
                      for label, ss in missing.items() for i in range(0, len(ss), size)]
            if chunks:
                if client not in self._queues:  # a client with nothing waiting goes first
                    self._queues[client] = deque()
                    self._queues.move_to_end(client, last=False)
                self._queues[client].extend(chunks)
                self._cv.notify_all()
        if not chunks:
            self._finish(job)
        return job

    def _forget_old_jobs(self) -> None:
        """Drop the oldest finished runs beyond :data:`MAX_JOBS` (called with the lock held)."""
        ended = [j for j in self.jobs.values() if j.status in ("done", "failed", "superseded")]
        for old in ended[:max(0, len(self.jobs) - MAX_JOBS)]:
            del self.jobs[old.id]

    def queue_position(self, job: Job) -> int:
        """How many chunks of other jobs would run before this job's first waiting chunk."""
        with self._cv:
            ahead = 0
            for q in self._queues.values():
                for c in q:
                    if c.job is job:
                        break
                    ahead += 1
            return ahead

    def pending(self) -> int:
        """Chunks waiting in the queue."""
        with self._cv:
            return sum(len(q) for q in self._queues.values())

    # ---------------------------------------------------------------- the loop
    def _next_chunk(self) -> _Chunk | None:
        """Round-robin over clients with work waiting (called with the lock held)."""
        for client in list(self._queues):
            q = self._queues[client]
            while q and q[0].job.status == "superseded":
                q.popleft()
            if not q:
                del self._queues[client]
                continue
            chunk = q.popleft()
            self._queues.move_to_end(client)
            if not q:
                del self._queues[client]
            return chunk
        return None

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._closed and (self._in_flight >= self.workers * MAX_IN_FLIGHT_PER_WORKER
                                            or not any(self._queues.values())):
                    self._cv.wait(timeout=1.0)
                if self._closed:
                    return
                chunk = self._next_chunk()
                if chunk is None:
                    continue
                self._in_flight += 1
                self.order.append((chunk.job.client, chunk.job.id))
                if chunk.job.status == "queued":
                    chunk.job.status = "running"
                    chunk.job.started = time.time()
            try:
                fut = self.pool.submit(run_chunk, chunk.arm, chunk.job.arms[chunk.arm], chunk.seeds,
                                       self.simulate_fn)
            except Exception as exc:  # noqa: BLE001 - a broken pool fails the chunk, not the server
                fut = Future()
                fut.set_exception(exc)
            fut.add_done_callback(functools.partial(self._chunk_done, chunk))

    def _chunk_done(self, chunk: _Chunk, fut: Future) -> None:
        try:
            records = fut.result()
        except Exception as exc:  # noqa: BLE001 - a dead worker fails its chunk only
            records = [error_record(chunk.arm, s, f"worker error: {type(exc).__name__}: {exc}")
                       for s in chunk.seeds]
            if self._own_pool:
                self._replace_pool()
        job = chunk.job
        fp = job.meta["fingerprints"][chunk.arm]
        with self._cv:
            self._in_flight -= 1
            for rec in records:
                job.records[chunk.arm][int(rec["seed"])] = rec
                if rec.get("error") is None:
                    self._cache[(fp, int(rec["seed"]))] = rec
                    self._cache.move_to_end((fp, int(rec["seed"])))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            finished = job.complete and job.status == "running"
            if finished:
                job.status = "finishing"
            self._cv.notify_all()
        if finished:
            threading.Thread(target=self._finish, args=(job,), daemon=True).start()

    def _replace_pool(self) -> None:
        old = self.pool
        self.pool = ProcessPoolExecutor(max_workers=self.workers,
                                        mp_context=multiprocessing.get_context("spawn"))
        old.shutdown(wait=False, cancel_futures=True)

    def _finish(self, job: Job) -> None:
        job.status = "finishing"
        try:
            self.on_complete(job)
            job.status = "done"
        except Exception as exc:  # noqa: BLE001 - shown to the person who asked for the run
            job.error = f"{type(exc).__name__}: {exc}"
            job.status = "failed"
        job.finished = time.time()

    def close(self) -> None:
        """Stop the loop and the worker processes."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout=5)
        if self._own_pool:
            self.pool.shutdown(wait=True, cancel_futures=True)
