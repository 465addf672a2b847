"""What every team component shares: its people (hiring, ramp, attrition, backfill) and,
for teams that hold work, its pool; and, for CSMs and account managers, books of accounts.

Once a month the world asks every team for its HR step (:meth:`TeamComponent.hr_month`):

* **Attrition.** Each person leaves with probability ``1 - exp(-hazard / 12)``, ``hazard``
  being ``attrition_per_year`` (AEs far below quota leave more often: see ``ae.py``). The
  leaver takes no new work; work in hand finishes.
* **Hiring.** The team hires toward the plan's target (or its hiring rule's: decisions.py)
  ``hiring_lead_days`` ahead, so people
  start when they are needed; each hire costs ``recruiting_cost``. With ``backfill`` off, a
  leaver lowers the target for good.
* **Ramp.** A new hire works at ``ramp_start`` of full productivity, rising linearly to full
  after ``ramp_months`` (Sales Benchmark Index: most AEs ramp in 3-6 months).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import simpy

from ...scenario.schema import STAFF_ROLES, Team
from ..entities import Account
from ..pools import DAYS_PER_MONTH, Pool, Request, Worker, schedule
from ..records import RECRUITING
from ..rng import name_code

if TYPE_CHECKING:
    from ..world import World

Process = Generator[simpy.Event, Any, Any]
"""A SimPy process body."""

ROLE_CODE = {role: name_code("role", role, 24) for role in STAFF_ROLES}
"""A person's id is ``ROLE_CODE[role] << 32 | ordinal`` (creation order within the role): a
team's draws depend on its name, not on its place in a list of roles."""


class TeamComponent:
    """One team: its configuration, its people and (if it holds work) its pool."""

    role = ""

    def __init__(self, world: World, cfg: Team | None):
        self.world = world
        self.env = world.env
        self.sc = world.sc
        self.rec = world.rec
        self.streams = world.streams
        self.cfg = cfg
        self.people: list[Worker] = []
        self.pool: Pool | None = None
        self.hired = 0          # people ever hired (the next hire's ordinal)
        self.pending = 0        # hired, not started yet
        self.unbackfilled = 0   # leavers not replaced (backfill off)
        self.ever_staffed = cfg is not None and (
            cfg.headcount > 0 or any(step.headcount > 0 for step in cfg.plan))

    # ---- wiring
    def wire(self) -> None:
        """Look up the other components this one calls (after every component exists)."""

    def start(self) -> None:
        """Start the team's own processes (after the initial staff and customers are in place)."""

    # ---- people
    def hire(self, start: float, initial: bool) -> Worker:
        """A new person who starts at ``start`` (at once if ``start`` is now)."""
        team = self.cfg
        assert team is not None
        ordinal = self.hired
        self.hired += 1
        w = Worker((ROLE_CODE[self.role] << 32) | ordinal, self.role, ordinal, start, team.capacity,
                   team.salary, team.ramp_months * DAYS_PER_MONTH, team.ramp_start, initial)
        self.world.enrol(w)
        if start <= self.env.now:
            self.join(w)
        else:
            self.pending += 1
            self.env.process(self._start_later(w))
        return w

    def _start_later(self, w: Worker) -> Process:
        yield self.env.timeout(w.start - self.env.now)
        self.pending -= 1
        self.join(w)

    def join(self, w: Worker) -> None:
        """The person starts: joins the team and its pool."""
        self.people.append(w)
        if self.pool is not None:
            self.pool.add(w)

    def leave(self, w: Worker) -> None:
        """The person leaves: takes no new work; work in hand finishes."""
        self.people.remove(w)
        if self.pool is not None:
            self.pool.remove(w)
        else:
            w.leaving = True
            w.end = self.env.now

    # ---- hours
    def commit_hours(self, w: Worker, work: str, hours: float, t1: float) -> None:
        """``w`` gives ``hours`` of account work (a renewal or expansion motion) spread evenly
        from now to ``t1``: their ``account_hours`` (hours a day) rise meanwhile, so the hours
        left for their other work (selling, touches) fall; recorded as ``<role>_<work>`` hours."""
        if hours <= 0:
            return
        now = self.env.now
        span = max(t1 - now, 1.0)
        rate = hours / span
        w.account_hours += rate
        self.hours_changed(w)
        schedule(self.env, span, (self, w, rate), _hours_done)
        self.rec.hours(f"{self.role}_{work}", now, now + span, hours)

    def hours_changed(self, w: Worker) -> None:
        """``w``'s account work changed (a motion started or ended): their other work's share
        of their hours follows (AEs: the selling hours shared over their deals)."""

    def attrition_hazard(self, w: Worker, base: float) -> float:
        """Monthly leaving hazard of ``w`` (``base``: the team's)."""
        return base

    def hr_month(self, month: int) -> None:
        """The monthly HR step: attrition, then hiring toward the plan."""
        team = self.cfg
        if team is None:
            return
        env = self.env
        if month > 0 and team.attrition_per_year > 0:
            self._attrition(team, month)
        look_ahead = month + team.hiring_lead_days / DAYS_PER_MONTH
        target = self.world.decisions.headcount_target(self, month, team.target_at(look_ahead)) - self.unbackfilled
        need = target - len(self.people) - self.pending
        for _ in range(max(0, need)):
            if team.recruiting_cost > 0:
                self.rec.cost(env.now, self.role, RECRUITING, team.recruiting_cost)
            self.hire(env.now + team.hiring_lead_days, False)

    def _attrition(self, team: Team, month: int) -> None:
        base = team.attrition_per_year / 12.0
        key = self.world.k_attrition
        for w in list(self.people):
            hazard = self.attrition_hazard(w, base)
            if self.streams.u(key, w.id, month) < 1.0 - math.exp(-hazard):
                self.leave(w)
                self.world.departures[self.role] += 1
                if not team.backfill:
                    self.unbackfilled += 1


class BookTeam(TeamComponent):
    """A team whose people each hold a book of accounts (CSMs, account managers).

    An account's holder (``account.csm`` / ``account.am``: the attribute named as the role) is
    a person, a pending request while every book is full, or ``None``."""

    def __init__(self, world: World, cfg: Team | None):
        super().__init__(world, cfg)
        self.books: dict[int, dict[int, Account]] = {}  # person id -> accounts in their book

    def leave(self, w: Worker) -> None:
        super().leave(w)
        if self.pool is not None:  # a book is not work that finishes: hand it over
            self.reassign_book(w)

    def assign(self, a: Account) -> None:
        """Put the account in someone's book.

        Granted on the spot when a book has room; otherwise the account waits in the team's
        queue (the holder attribute holds the pending request) and joins a book when one frees.
        """
        pool = self.pool
        assert pool is not None
        role = self.role
        req = pool.request(a)
        if req.triggered:
            self.set_holder(a, req.value)
            return
        self.set_holder(a, req)

        def granted(ev: Request, a: Account = a) -> None:
            if ev.value is None:
                return
            if a.active and getattr(a, role) is ev:
                self.set_holder(a, ev.value)
            else:  # churned (or re-queued) while waiting: give the slot back
                pool.release(ev.value)

        req.callbacks.append(granted)

    def set_holder(self, a: Account, holder: Worker | Request | None) -> None:
        """The account's holder := ``holder``, keeping each person's book in step."""
        old = getattr(a, self.role)
        if isinstance(old, Worker):
            del self.books[old.id][a.id]
        if isinstance(holder, Worker):
            self.books.setdefault(holder.id, {})[a.id] = a
        setattr(a, self.role, holder)

    def reassign_book(self, w: Worker) -> None:
        """Someone left: every account in their book goes back to the team's queue, in the
        order the accounts signed."""
        pool = self.pool
        assert pool is not None
        for a in sorted(self.books.get(w.id, {}).values(), key=_order):
            self.set_holder(a, None)
            pool.release(w)
            self.assign(a)
        self.books.pop(w.id, None)  # empty now

    def account_lost(self, a: Account) -> None:
        """The account churned: its holder's slot (or its place in the queue) is given back."""
        held = getattr(a, self.role)
        if isinstance(held, Worker):
            assert self.pool is not None
            self.pool.release(held)
        elif held is not None:
            assert self.pool is not None
            self.pool.cancel(held)
        self.set_holder(a, None)


class SharedHours:
    """One person's hours shared over the projects in hand by weight (generalized processor
    sharing, Parekh and Gallager 1993; equal weights: plain processor sharing).

    A project needs ``work``: days at the pace of one of the person's ``slots`` (one slot's
    share of their hours, ``hours_per_day / capacity``). With projects of weights ``w_i`` in
    hand, project ``i`` moves at ``slots * w_i / sum(w)`` of that pace; the shares are
    recomputed as projects come and go. With equal weights and every slot full each project
    gets one slot's share (its project takes ``work`` days, as when a project held a slot); a
    person with fewer projects gives each more hours and it goes live sooner. With one slot the
    project takes exactly ``work`` days (weights are ignored: nothing is shared).

    Implemented with a virtual clock: ``S`` advances at ``slots / sum(w)`` per day (the pace of
    a project of weight 1) from the moment the person last had nothing in hand; a project of
    weight ``w`` joining at ``S0`` finishes when ``S`` reaches its tag ``S0 + work / w``. One
    timeout is pending at a time, for the smallest tag."""

    __slots__ = ("env", "slots", "done", "tags", "S", "t", "version", "tie", "weight", "total")

    def __init__(self, env: simpy.Environment, slots: int, done: Callable[[Any], None],
                 weight: Callable[[Any], float] | None = None):
        self.env = env
        self.slots = float(slots)
        self.done = done
        self.weight = weight if slots > 1 else None  # one slot: one project at a time, no sharing
        self.tags: list[tuple[float, int, float, Any]] = []  # heap of (finish tag, tie, weight, project)
        self.total = 0.0  # sum of the weights in hand
        self.S = 0.0
        self.t = env.now
        self.version = 0
        self.tie = itertools.count()

    def __len__(self) -> int:
        return len(self.tags)

    def _advance(self) -> None:
        now = self.env.now
        if self.tags and now > self.t:
            self.S += (now - self.t) * self.slots / self.total
        self.t = now

    def add(self, work: float, project: Any, item: Any = None) -> None:
        """A project of ``work`` slot-days joins the person's hands; its weight is the policy's
        weight of ``item`` (1 with no policy)."""
        self._advance()
        w = 1.0 if self.weight is None else self.weight(item)
        heapq.heappush(self.tags, (self.S + (work if w == 1.0 else work / w), next(self.tie), w, project))
        self.total += w
        self._reschedule()

    def set_slots(self, slots: float) -> None:
        """The person's pace changes (other work took or gave back hours): the work done so far
        is counted at the old pace, the rest at the new one."""
        if slots == self.slots:
            return
        self._advance()
        self.slots = slots
        if self.tags:
            self._reschedule()

    def _reschedule(self) -> None:
        self.version += 1
        if not self.tags:
            self.S = 0.0  # no drift between busy periods
            self.total = 0.0
            return
        total = self.total
        delay = (self.tags[0][0] - self.S) * total / self.slots if total != self.slots else self.tags[0][0] - self.S
        schedule(self.env, delay if delay > 0.0 else 0.0, (self, self.version), _shared_due)

    def due(self, version: int) -> None:
        """The pending timeout fired: projects whose tag is reached are done."""
        if version != self.version:
            return  # superseded by a later arrival or finish
        self._advance()
        finished = []
        limit = self.S + 1e-9 * (1.0 + abs(self.S))  # rounding of S += dt * slots / total
        while self.tags and self.tags[0][0] <= limit:
            _, _, w, project = heapq.heappop(self.tags)
            self.total -= w
            finished.append(project)
        if self.weight is not None and self.tags:
            self.total = math.fsum(tag[2] for tag in self.tags)  # no drift from unequal weights
        self._reschedule()
        for project in finished:
            self.done(project)


def _shared_due(ev: simpy.Event) -> None:
    desk, version = ev.value  # type: ignore[misc]  # simpy types a value as Optional
    desk.due(version)


def _hours_done(ev: simpy.Event) -> None:
    """A motion's hours are given: the worker's account work falls back."""
    team, w, rate = ev.value  # type: ignore[misc]  # simpy types a value as Optional
    w.account_hours = max(0.0, w.account_hours - rate)
    team.hours_changed(w)


def _order(a: Account) -> int:
    return a.order
