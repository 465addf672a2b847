"""Presales: technical support on large deals.

* **Presales.** Deals at or above ``acv_threshold`` ask for presales; a deal that does not
  get it within ``max_wait_days`` waits on (``on_no_presales: wait``, a longer cycle) or goes
  on unsupported (lower win chance).
* **Promise inflation** (``behaviour.promise_inflation``): presales paid on wins over-promise:
  higher win chance, more delivery effort, lower health at go-live (see ``pay.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...scenario.schema import PresalesTeam
from ..entities import Lead
from ..pools import Pool, Worker
from ..traits import Sampler
from .base import Process, TeamComponent

if TYPE_CHECKING:
    from ..world import World


class Presales(TeamComponent):
    """The presales team."""

    role = "presales"
    cfg: PresalesTeam

    def __init__(self, world: World, cfg: PresalesTeam):
        super().__init__(world, cfg)
        self.pool = Pool(self.env, "presales", "least_loaded")
        self.effort = Sampler(cfg.effort_days, self.streams.generator("presales.effort"))

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
        self.env.process(self._work(w))
        return ps.win_boost * (1.0 + self.sc.behaviour.promise_inflation.win_uplift * lead.promise)

    def _work(self, w: Worker) -> Process:
        yield self.env.timeout(self.effort() / w.speed(self.env.now))
        assert self.pool is not None
        self.pool.release(w)
