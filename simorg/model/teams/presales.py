"""Presales: technical support on large deals.

* **Presales.** Deals at or above ``acv_threshold`` ask for presales; a deal that does not
  get it within ``max_wait_days`` waits on (``on_no_presales: wait``, a longer cycle) or goes
  on unsupported (lower win chance).
* **Presales hours.** A supported deal needs ``effort_days`` of one slot's share of a
  consultant's hours (``hours_per_month / capacity``; more for a ramping consultant); a
  consultant shares their hours over the deals they support by the team's ``hours_sharing``
  policy (:class:`~.base.SharedHours`; ``equal`` by default) and takes at most ``capacity`` at once.
* **Promise inflation** (``behaviour.promise_inflation``): presales paid on wins over-promise:
  higher win chance, more delivery effort, lower health at go-live (see ``pay.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...scenario.schema import PresalesTeam
from ..entities import Lead
from ..policies import HOURS_SHARING, WORK_PRIORITY
from ..pools import DAYS_PER_MONTH, Pool, Worker
from ..traits import Sampler
from .base import Process, SharedHours, TeamComponent

if TYPE_CHECKING:
    from ..world import World


class Presales(TeamComponent):
    """The presales team."""

    role = "presales"
    cfg: PresalesTeam

    def __init__(self, world: World, cfg: PresalesTeam):
        super().__init__(world, cfg)
        order = WORK_PRIORITY.create(cfg.work_order).queue_key(world)
        self.pool = Pool(self.env, "presales", "least_loaded", priority=order)
        self.effort = Sampler(cfg.effort_days, self.streams.generator("presales.effort"))
        self.desks: dict[int, SharedHours] = {}  # consultant id -> deals they support
        self.slot_hours_per_day = cfg.hours_per_month / DAYS_PER_MONTH / cfg.capacity
        sharing = HOURS_SHARING.create(cfg.hours_sharing)
        self.deal_weight = None if sharing.equal else sharing.weight

    def needed(self, lead: Lead) -> bool:
        """Does the deal ask for presales (a team exists and the deal is large enough)?"""
        return self.ever_staffed and lead.acv >= self.cfg.acv_threshold

    def support(self, lead: Lead) -> Process:
        """Returns the win-chance multiplier from presales support (1 when not needed)."""
        ps = self.cfg
        if not self.needed(lead):
            return 1.0
        pool = self.pool
        assert pool is not None
        req = pool.request(lead)
        if ps.on_no_presales == "wait":
            yield req
        elif not req.triggered:
            yield req | self.env.timeout(ps.max_wait_days)
        if not req.triggered:
            pool.cancel(req)
            lead.presales = "unsupported"
            return ps.unsupported_win_factor
        lead.presales = "supported"
        lead.promise = self.world.pay.promise_inflation()
        w = req.value
        assert w is not None  # the presales queue has no shelf life
        self._work(w, lead)
        return ps.win_boost * (1.0 + self.sc.behaviour.promise_inflation.win_uplift * lead.promise)

    def _work(self, w: Worker, lead: Lead) -> None:
        """The consultant supports the deal: ``effort_days`` of one slot's share of their hours,
        shared with their other deals by the team's ``hours_sharing`` policy."""
        desk = self.desks.get(w.id)
        if desk is None:
            desk = self.desks[w.id] = SharedHours(self.env, w.capacity, self._done, self.deal_weight)
        now = self.env.now
        effort = self.effort()
        desk.add(effort / w.speed(now), (w, now, effort), lead)

    def _done(self, job: tuple[Worker, float, float]) -> None:
        w, start, effort = job
        self.rec.hours("presales_support", start, self.env.now, effort * self.slot_hours_per_day)
        assert self.pool is not None
        self.pool.release(w)
