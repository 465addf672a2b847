"""Teams as pools of workers with finite capacity, a queue, and a routing strategy.

A :class:`Worker` is one person: hired on a date, ramping to full productivity, holding up
to ``capacity`` work items at once (an SDR works one lead, an AE holds a book of open
opportunities, a CSM a book of accounts). A :class:`Pool` is a team: work items ask for a
worker with :meth:`Pool.request` and wait in the team's queue until one has a free slot;
the routing strategy picks which free worker gets the item.

Contention is the point: when a team is full, work waits, and the model charges waiting
its consequences (a lead's qualify chance decays, a deal's cycle lengthens, go-live slips).

The pool keeps time integrals of occupied and available slots so utilization per month
is exact, not sampled.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Callable
from typing import Any

import simpy

from .clock import schedule as schedule  # re-exported: the teams schedule their work ends from here
from .policies.routing import LEAD_ROUTING, LeastLoaded

DAYS_PER_MONTH = 365.25 / 12
MIN_SPEED = 0.05
"""Slowest pace of a person on a task (a fraction of full productivity): see :meth:`Worker.speed`."""


def _booking_time(b: tuple[float, float]) -> float:
    return b[0]


class Worker:
    """One person in a role."""

    __slots__ = (
        "id", "role", "ordinal", "start", "end", "capacity", "load", "salary",
        "ramp_days", "ramp_start", "initial", "bookings", "book_arr", "leaving", "quota_per_year",
        "pod", "_year0", "_year_booked", "commission", "account_hours", "deal_hours",
    )

    def __init__(self, wid: int, role: str, ordinal: int, start: float, capacity: int,
                 salary: float, ramp_days: float, ramp_start: float, initial: bool):
        self.id = wid
        self.role = role
        self.ordinal = ordinal
        self.start = start
        self.end = float("inf")
        self.capacity = capacity
        self.load = 0
        self.salary = salary
        self.ramp_days = ramp_days
        self.ramp_start = ramp_start
        self.initial = initial
        self.bookings: list[tuple[float, float]] = []  # (time, ARR) credited to this worker
        self.book_arr = 0.0
        self.leaving = False
        self.quota_per_year = 0.0
        self.pod: str | None = None  # segment pod of an AE under segment_pods routing
        self._year0 = float("nan")  # plan year whose bookings _year_booked sums
        self._year_booked = 0.0
        self.commission = 0.0  # commission paid to this person, net of claw-backs
        self.account_hours = 0.0  # hours a day going to renewal and expansion motions in hand
        self.deal_hours = 0.0  # hours a day going to open deals (AEs)

    def booked_since_year_start(self, year0: float) -> float:
        """Bookings at or after ``year0`` (the current plan year's start), summed in time order.

        A running total per plan year: the same sum, in the same order, as summing the
        year's bookings afresh at every deal, without rescanning the list each time."""
        if year0 != self._year0:
            self._year0 = year0
            self._year_booked = sum(x for t, x in self.bookings if t >= year0)
        return self._year_booked

    def book(self, t: float, amount: float) -> None:
        """Credit ``amount`` of ARR booked at time ``t`` (times never go back)."""
        self.bookings.append((t, amount))
        if t >= self._year0:
            self._year_booked += amount

    def booked_since(self, t0: float) -> float:
        """Bookings at or after ``t0``, summed in time order (binary search, then the tail)."""
        i = bisect.bisect_left(self.bookings, t0, key=_booking_time)
        return sum(x for _, x in self.bookings[i:])

    def productivity(self, now: float) -> float:
        """Ramp: ``ramp_start`` on day one rising linearly to 1 after ``ramp_days``."""
        if self.initial or self.ramp_days <= 0:
            return 1.0
        tenure = now - self.start
        if tenure >= self.ramp_days:
            return 1.0
        return self.ramp_start + (1.0 - self.ramp_start) * max(tenure, 0.0) / self.ramp_days

    def speed(self, now: float) -> float:
        """How fast this person works a task started now: their productivity, but at least
        :data:`MIN_SPEED` (with ``ramp_start: 0`` a new hire would otherwise never finish
        their first task; assumption: on day one a hire does at least 5% of a full pace)."""
        if self.initial or self.ramp_days <= 0:  # at full pace (as productivity says), one call less
            return 1.0
        p = self.productivity(now)
        return p if p > MIN_SPEED else MIN_SPEED

    def ramped_years(self, t0: float, t1: float) -> float:
        """Integral of productivity over [t0, t1] in years: the quota a ramping person carries."""
        t0, t1 = max(t0, self.start), min(t1, self.end)
        if t1 <= t0:
            return 0.0
        if self.initial or self.ramp_days <= 0:
            return (t1 - t0) / 365.25
        full_at = self.start + self.ramp_days

        def area(t: float) -> float:  # integral of productivity from start to t
            if t <= full_at:
                x = t - self.start
                return self.ramp_start * x + (1 - self.ramp_start) * x * x / (2 * self.ramp_days)
            return area(full_at) + (t - full_at)

        return (area(t1) - area(t0)) / 365.25

    @property
    def free(self) -> int:
        return self.capacity - self.load if not self.leaving else 0


class Request(simpy.Event):
    """A work item waiting for a worker; succeeds with the worker (or ``None`` if it went stale)."""

    __slots__ = ("item", "enqueued", "cancelled")

    def __init__(self, env: simpy.Environment, item: Any):
        super().__init__(env)
        self.item = item
        self.enqueued = env._now
        self.cancelled = False


class Ticket:
    """A work item waiting for a worker, with a function to call instead of an event to fire.

    Where work items are many (every marketing lead), a ticket saves a SimPy event and a
    process resumption per item: when a worker takes the item, :meth:`succeed` calls
    ``granted(item, worker)`` at once (``worker`` is ``None`` if the item went stale). The
    call happens inside the pool's dispatch, so ``granted`` must not call back into the same
    pool; it may schedule events.
    """

    __slots__ = ("item", "enqueued", "cancelled", "triggered", "granted")

    def __init__(self, now: float, item: Any, granted: Callable[[Any, Worker | None], None]):
        self.item = item
        self.enqueued = now
        self.cancelled = False
        self.triggered = False
        self.granted = granted

    def succeed(self, worker: Worker | None) -> None:
        self.triggered = True
        self.granted(self.item, worker)


# --------------------------------------------------------------------------- pool
class Pool:
    """A team's workers, its queue, and its occupancy accounting.

    ``priority(item) -> float`` orders the queue (smaller first); ``None`` means first come,
    first served. ``max_wait`` drops items that waited longer (their request succeeds with
    ``None``): a lead nobody touched in time goes stale.
    """

    def __init__(self, env: simpy.Environment, role: str, strategy: str = "least_loaded",
                 priority: Callable[[Any], float] | None = None, max_wait: float | None = None,
                 expires: Callable[[Any], bool] | None = None):
        self.env = env
        self.role = role
        self.route = LEAD_ROUTING.create(strategy)
        self.priority = priority
        self.max_wait = max_wait
        self.expires = expires or (lambda item: True)  # which items ``max_wait`` applies to
        self.workers: list[Worker] = []
        self._queue: list[tuple[float, int, Request | Ticket]] = []
        self._tie = itertools.count()
        self.last_ordinal = -1
        # time integrals for utilization and queue length
        self._t = 0.0
        self.busy_area = 0.0
        self.capacity_area = 0.0
        self.queue_area = 0.0
        self.busy = 0
        self.capacity = 0
        self.free_slots = 0  # free slots of workers not leaving: dispatch stops at once when 0
        # Least-loaded routing without scanning the team: a heap of (load share, ordinal, tie,
        # load, worker) entries, one pushed whenever a worker's load changes while they have a
        # free slot; an entry whose load is no longer the worker's is skipped when it surfaces.
        self._free_heap: list[tuple[float, int, int, int, Worker]] | None = (
            [] if isinstance(self.route, LeastLoaded) else None)
        self._heap_tie = itertools.count()
        # waits of items that started service (for monthly queue wait)
        self.wait_sum = 0.0
        self.wait_count = 0

    # ---- accounting
    def _advance(self, now: float | None = None) -> None:
        """Add the time since the last change to the occupancy integrals."""
        if now is None:
            now = self.env._now  # the clock's time without the property call (hot path)
        dt = now - self._t
        if dt > 0:
            self.busy_area += self.busy * dt
            self.capacity_area += self.capacity * dt
            self.queue_area += len(self._queue) * dt
            self._t = now

    def snapshot(self) -> tuple[float, float, float, float, int]:
        """Cumulative (busy slot-days, available slot-days, queue item-days, wait sum, wait count)."""
        self._advance()
        return self.busy_area, self.capacity_area, self.queue_area, self.wait_sum, self.wait_count

    # ---- staffing
    def add(self, worker: Worker) -> None:
        self._advance()
        self.workers.append(worker)
        self.capacity += worker.capacity
        self.free_slots += worker.free
        self._note_free(worker)
        self._dispatch()

    def remove(self, worker: Worker) -> None:
        """The worker leaves: takes no new work; items in hand finish (notice period)."""
        self._advance()
        self.free_slots -= worker.free
        worker.leaving = True
        worker.end = self.env.now
        # while working off items in hand, a leaver offers exactly the slots still occupied
        self.capacity -= worker.capacity - worker.load
        if worker.load == 0:
            self.workers.remove(worker)

    # ---- work
    def request(self, item: Any) -> Request:
        """Ask for a worker for ``item``; the request succeeds with the worker who takes it."""
        req = Request(self.env, item)
        self._advance()
        key = self.priority(item) if self.priority is not None else 0.0
        heapq.heappush(self._queue, (key, next(self._tie), req))
        self._dispatch()
        return req

    def submit(self, item: Any, granted: Callable[[Any, Worker | None], None]) -> Ticket | None:
        """Like :meth:`request`, but call ``granted(item, worker)`` when a worker takes the item
        (see :class:`Ticket`); queue order and routing are the same. Returns the waiting ticket,
        or ``None`` if a worker took the item at once."""
        now = self.env._now
        dt = now - self._t
        if dt > 0:  # self._advance(now), inlined: this runs for every lead
            self.busy_area += self.busy * dt
            self.capacity_area += self.capacity * dt
            self.queue_area += len(self._queue) * dt
            self._t = now
        if not self._queue and self.free_slots > 0:  # nobody waiting and a free slot: take it now
            w = self._least_loaded() if self._free_heap is not None else self._pick(item)
            if w is not None:  # as _grant, with a wait of zero
                w.load += 1
                self.busy += 1
                self.free_slots -= 1
                self.last_ordinal = w.ordinal
                self.wait_count += 1
                if w.load < w.capacity and self._free_heap is not None:
                    self._note_free(w)
                granted(item, w)
                return None
        ticket = Ticket(now, item, granted)
        key = self.priority(item) if self.priority is not None else 0.0
        heapq.heappush(self._queue, (key, next(self._tie), ticket))
        self._dispatch()
        return ticket

    def purge_stale(self) -> None:
        """Drop every queued item older than ``max_wait`` (their requests succeed with None).

        Under newest-first ordering stale items sink to the bottom and never reach the head,
        so the model purges them once a month to keep the queue to live work."""
        if self.max_wait is None or not self._queue:
            return
        self._advance()
        now = self.env.now
        keep = []
        for entry in self._queue:
            req = entry[2]
            if req.cancelled:
                continue
            if now - req.enqueued > self.max_wait and self.expires(req.item):
                req.succeed(None)
            else:
                keep.append(entry)
        heapq.heapify(keep)
        self._queue = keep

    def take(self, worker: Worker) -> bool:
        """A worker takes an item of their own (e.g. a self-sourced deal) if they have a free slot."""
        if worker.free <= 0:
            return False
        self._advance()
        worker.load += 1
        self.busy += 1
        self.free_slots -= 1
        self._note_free(worker)
        return True

    def cancel(self, req: Request | Ticket) -> None:
        """Withdraw a request that has not been granted (lazy: skipped when it reaches the head)."""
        if not req.triggered:
            req.cancelled = True

    def release(self, worker: Worker) -> None:
        """The worker is done with an item: their slot takes the next queued item, if any."""
        now = self.env._now
        dt = now - self._t
        if dt > 0:  # self._advance(now), inlined: this runs for every item
            self.busy_area += self.busy * dt
            self.capacity_area += self.capacity * dt
            self.queue_area += len(self._queue) * dt
            self._t = now
        worker.load -= 1
        self.busy -= 1
        if worker.leaving:
            self.capacity -= 1  # a leaver offers only the slots still occupied
            if worker.load == 0 and worker in self.workers:
                self.workers.remove(worker)
        else:
            self.free_slots += 1
            if self._free_heap is not None:
                if self._queue and self.free_slots == 1:
                    # work is waiting, so nobody else has a free slot: least-loaded routing
                    # (the only one with a heap) never leaves an item queued while a slot is
                    # free, as segment pods can. The head of the queue goes to this worker.
                    self._dispatch(freed=worker)
                    return
                self._note_free(worker)
        if self._queue:
            self._dispatch()

    def _note_free(self, w: Worker) -> None:
        """Record ``w``'s current load in the least-loaded heap (if they have a free slot)."""
        heap = self._free_heap
        if heap is None or w.leaving or w.load >= w.capacity:
            return
        heapq.heappush(heap, (w.load / w.capacity, w.ordinal, next(self._heap_tie), w.load, w))
        if len(heap) > 4 * len(self.workers) + 64:  # mostly outdated entries: rebuild
            self._free_heap = [(x.load / x.capacity, x.ordinal, next(self._heap_tie), x.load, x)
                               for x in self.workers if not x.leaving and x.load < x.capacity]
            heapq.heapify(self._free_heap)

    def _least_loaded(self) -> Worker:
        """The free worker :class:`LeastLoaded` would pick, from the heap (needs free_slots > 0)."""
        heap = self._free_heap
        assert heap is not None
        while True:
            _, _, _, load, w = heap[0]
            if load == w.load and not w.leaving:
                return w
            heapq.heappop(heap)

    def _pick(self, item: Any) -> Worker | None:
        if self._free_heap is not None:
            return self._least_loaded()
        return self.route.pick(self, [w for w in self.workers if w.free > 0], item)

    def _dispatch(self, freed: Worker | None = None) -> None:
        """Hand queued items to free workers, the queue's head first; drop cancelled and
        stale items on the way. ``freed``: the one worker with a free slot, known to the
        caller (least-loaded routing would pick them: no search)."""
        queue = self._queue
        now = self.env._now
        skipped: list[tuple[float, int, Request | Ticket]] = []
        while queue:
            req = queue[0][2]
            if req.cancelled:
                heapq.heappop(queue)
                continue
            if self.max_wait is not None and now - req.enqueued > self.max_wait and self.expires(req.item):
                heapq.heappop(queue)
                req.succeed(None)
                continue
            if self.free_slots <= 0:
                break
            if freed is not None:
                w, freed = freed, None
            else:
                picked = self._pick(req.item)
                if picked is None:  # no worker this item may go to is free: let the next item try
                    skipped.append(heapq.heappop(queue))
                    continue
                w = picked
            heapq.heappop(queue)
            # the grant: the worker takes the item (its wait is recorded)
            w.load += 1
            self.busy += 1
            self.free_slots -= 1
            self.last_ordinal = w.ordinal
            self.wait_sum += now - req.enqueued
            self.wait_count += 1
            self._note_free(w)
            if type(req) is Ticket:  # Ticket.succeed, written out
                req.triggered = True
                req.granted(req.item, w)
            else:
                req.succeed(w)
        if freed is not None:  # everything queued had been cancelled or gone stale
            self._note_free(freed)
        for entry in skipped:
            heapq.heappush(queue, entry)
