"""Renewal specialists: a team that only works renewals, paid on renewed ARR.

Renewals wait in the team's queue (ordered by pay when pay priority is on); one not picked up
before the contract ends lapses unworked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...scenario.schema import RenewalSpecialistTeam
from ..entities import Account, Task
from ..pools import Pool
from ..traits import Sampler
from .ae import work_task
from .base import Process, TeamComponent

if TYPE_CHECKING:
    from ..world import World


class RenewalSpecialists(TeamComponent):
    """The renewals-only team (optional: ``cfg`` is None without ``teams.renewal_specialist``)."""

    role = "renewal_specialist"
    cfg: RenewalSpecialistTeam | None

    def __init__(self, world: World, cfg: RenewalSpecialistTeam | None):
        super().__init__(world, cfg)
        if cfg is not None:
            self.pool = Pool(self.env, "renewal_specialist", "least_loaded", priority=world.ae.by_pay)

    def work_renewal(self, a: Account, end: float, effort: Sampler) -> Process:
        """The renewal waits in this team's queue; returns (who worked it, hours): measured
        on renewals, a specialist gives it ``org.renewal_hours``; (None, 0): lapsed."""
        assert self.pool is not None
        w = yield from work_task(self.pool, self.env, Task("renewal", a, a.arr, self.role), end, effort)
        if w is None:
            return None, 0.0
        hours = self.world.pay.renewal_hours(a, self.role)
        self.rec.hours(f"{self.role}_renewal", self.env.now, self.env.now, hours)
        return w, hours
