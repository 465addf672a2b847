"""People: headcount plans, hiring lead time, ramp, attrition and backfill.

Once a month an HR step runs for every role:

* **Attrition.** Each person leaves with probability ``1 - exp(-attrition_per_year / 12)``;
  an AE whose trailing six-month attainment is below ``low_attainment_threshold`` leaves
  ``low_attainment_attrition_multiplier`` times as often (AEs far below quota quit: the
  failure mode of article 001). The leaver takes no new work; work in hand finishes.
* **Hiring.** The team hires toward the plan's target ``hiring_lead_days`` ahead, so people
  start when they are needed; each hire costs ``recruiting_cost``. With ``backfill`` off, a
  leaver lowers the target for good.
* **Ramp.** A new hire works at ``ramp_start`` of full productivity, rising linearly to full
  after ``ramp_months`` (Sales Benchmark Index: most AEs ramp in 3-6 months).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..scenario.schema import STAFF_ROLES, Team
from .pools import DAYS_PER_MONTH, Worker
from .records import RECRUITING
from .rng import name_code

if TYPE_CHECKING:
    from .world import World

ROLE_CODE = {role: name_code("role", role, 24) for role in STAFF_ROLES}
"""A person's id is ``ROLE_CODE[role] << 32 | ordinal`` (creation order within the role): a
team's draws depend on its name, not on its place in a list of roles."""


class People:
    """Mixin of :class:`~simorg.model.world.World`: staffing over time."""

    def team(self: World, role: str) -> Team | None:
        return getattr(self.sc.teams, role, None)

    def _hire(self: World, role: str, start: float, initial: bool) -> Worker:
        team = self.team(role)
        ordinal = self.hired[role]
        self.hired[role] += 1
        w = Worker((ROLE_CODE[role] << 32) | ordinal, role, ordinal, start, team.capacity,
                   team.salary, team.ramp_months * DAYS_PER_MONTH, team.ramp_start, initial)
        if role == "ae":
            w.quota_per_year = self.sc.teams.ae.quota_per_year
        self.staff.append(w)
        self.worker_by_id[w.id] = w
        if start <= self.env.now:
            self._join(w)
        else:
            self.pending[role] += 1
            self.env.process(self._start_later(w))
        return w

    def _start_later(self: World, w: Worker):
        yield self.env.timeout(w.start - self.env.now)
        self.pending[w.role] -= 1
        self._join(w)

    def _join(self: World, w: Worker) -> None:
        if w.role == "ae" and self.sc.org.lead_routing == "segment_pods":
            w.pod = self._pod_for_new_ae()
        self.people[w.role].append(w)
        pool = self.pools.get(w.role)
        if pool is not None:
            pool.add(w)
        if w.role == "ae":
            self._start_self_sourcing(w)

    def _pod_for_new_ae(self: World) -> str:
        """The segment pod furthest below its share of the AEs currently employed."""
        shares = self.sc.org.pods or {s: 1.0 for s in self.sc.segments}
        total = math.fsum(shares.values())  # exact: the same whatever the order of the pods
        counts = {s: 0 for s in shares}
        for w in self.people["ae"]:
            if w.pod in counts:
                counts[w.pod] += 1
        n = sum(counts.values()) + 1
        return min(sorted(shares), key=lambda s: counts[s] - n * shares[s] / total)  # ties: by name

    def _leave(self: World, w: Worker) -> None:
        self.people[w.role].remove(w)
        pool = self.pools.get(w.role)
        if pool is not None:
            pool.remove(w)
            if w.role in ("csm", "am"):  # a book is not work that finishes: hand it over
                self.reassign_book(w)
        else:
            w.leaving = True
            w.end = self.env.now

    def trailing_attainment(self: World, w: Worker, months: float = 6.0,
                            min_tenure_months: float = 3.0) -> float | None:
        """Bookings over the last ``months`` (or the tenure, if shorter) against ramped quota;
        None in a rep's first ``min_tenure_months``, too early to judge."""
        now = self.env.now
        if not w.initial and now - w.start < min_tenure_months * DAYS_PER_MONTH:
            return None
        t0 = max(now - months * DAYS_PER_MONTH, w.start if not w.initial else -float("inf"))
        quota = w.quota_per_year * w.ramped_years(t0, now)
        if quota <= 0:
            return None
        booked = w.booked_since(t0)
        return booked / quota

    def _people(self: World):
        env = self.env
        for m in range(self.months):
            yield env.timeout(m * DAYS_PER_MONTH - env.now)
            for role in STAFF_ROLES:
                team = self.team(role)
                if team is None:
                    continue
                if m > 0 and team.attrition_per_year > 0:
                    self._attrition(role, team, m)
                look_ahead = m + team.hiring_lead_days / DAYS_PER_MONTH
                target = team.target_at(look_ahead) - self.unbackfilled[role]
                need = target - len(self.people[role]) - self.pending[role]
                for _ in range(max(0, need)):
                    if team.recruiting_cost > 0:
                        self.rec.cost(env.now, role, RECRUITING, team.recruiting_cost)
                    self._hire(role, env.now + team.hiring_lead_days, False)

    def _attrition(self: World, role: str, team: Team, month: int) -> None:
        base = team.attrition_per_year / 12.0
        ae = self.sc.teams.ae
        for w in list(self.people[role]):
            hazard = base
            if role == "ae":
                att = self.trailing_attainment(w)
                if att is not None and att < ae.low_attainment_threshold:
                    hazard *= ae.low_attainment_attrition_multiplier
            if self.streams.u(self.k_attrition, w.id, month) < 1.0 - math.exp(-hazard):
                self._leave(w)
                self.departures[role] += 1
                if not team.backfill:
                    self.unbackfilled[role] += 1
