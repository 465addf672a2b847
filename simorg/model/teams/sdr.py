"""Sales development: the first touch of every marketing lead, and qualification.

* **Lead response decay.** The chance a lead qualifies falls with the wait before first touch:
  ``qualify_rate * (0.5 + fit) * (floor + (1 - floor) * 0.5 ** (wait_h / half_life))``
  (Oldroyd et al., HBR 2011: leads touched within an hour qualify far more often). A lead
  nobody touches within ``max_lead_age_days`` goes stale (Sabnis et al. 2013: most marketing
  leads are never followed up).
* **SDR bar lowering** (``behaviour.sdr_bar_lowering``): SDRs paid per qualified lead pass a
  share of would-be rejects, whose fit is only ``fit_factor`` of what it seemed.

The lead desk is the team that exists now: while at least one SDR is employed, leads go to the
SDR queue; while none is (before the first SDR starts, or after the last one left), to the AE
queue, where AEs work them in their own slots. A plan that hires SDRs later no longer sends
every lead to an SDR queue nobody works.
A lead is not a process: the pool calls :meth:`SDR._touched` when someone takes it, and the
end of the work is a timeout that calls :meth:`SDR._worked` (two events per lead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from ...scenario.schema import SDRTeam
from ..entities import DISQUALIFIED, STALE, Lead
from ..policies import WORK_PRIORITY
from ..pools import Pool, Worker, schedule
from ..records import COMMISSION
from ..traits import Sampler
from .base import TeamComponent

if TYPE_CHECKING:
    from ..world import World
    from .ae import AE


class SDR(TeamComponent):
    """The SDR team: the lead desk of marketing leads."""

    role = "sdr"
    cfg: SDRTeam

    def __init__(self, world: World, cfg: SDRTeam):
        super().__init__(world, cfg)
        pp = self.sc.behaviour.pay_priority
        order = WORK_PRIORITY.create(cfg.work_order, pp.responsiveness, pp.days_per_doubling)
        self.own_queue = Pool(self.env, "sdr", "least_loaded", max_wait=cfg.max_lead_age_days,
                              priority=order.queue_key(world))
        self.pool = self.own_queue
        self.work = Sampler(cfg.work_days, self.streams.generator("sdr.work"))
        self.qualify_params = (cfg.response_floor, cfg.response_half_life_hours, cfg.qualify_rate)

    def wire(self) -> None:
        self.ae: AE = self.world.ae
        self.extra = self.world.pay.sdr_extra_qualify() if self.ever_staffed else 0.0
        self._sdr_submit = self.own_queue.submit
        self._ae_submit = self.ae.queue.submit
        self._touched_cb, self._worked_cb = self._touched, self._worked  # bound once: called per lead

    @property
    def desk(self) -> Pool:
        """The queue a new lead joins: the SDRs' while an SDR is employed, else the AEs'."""
        return self.own_queue if self.people else self.ae.queue

    def submit(self, lead: Lead) -> None:
        """A new marketing lead joins the desk's queue (SDRs if any is employed, else AEs)."""
        if self.people:
            self._sdr_submit(lead, self._touched_cb)
        else:
            self._ae_submit(lead, self._touched_cb)

    def _touched(self, lead: Lead, w: Worker | None) -> None:
        """Someone takes the lead (``None``: nobody touched it within its shelf life)."""
        env = self.env
        if w is None:
            lead.state = STALE
            lead.closed_t = min(env._now, lead.created + self.cfg.max_lead_age_days)
            self.rec.leads.close(lead)
            return
        now = env._now
        lead.first_touch = now
        lead.worker_sdr = w.id
        speed = 1.0 if w.initial or w.ramp_days <= 0 else w.speed(now)  # Worker.speed without the call
        schedule(env, self.work() / speed, (lead, w), self._worked_cb)

    def _worked(self, done: simpy.Event) -> None:
        """The first touch is done: the lead qualifies or not."""
        lead, w = done._value  # the event's value without SimPy's property (runs for every lead)
        env = self.env
        by_sdr = w.role == "sdr"
        desk = self.own_queue if by_sdr else self.ae.queue
        # qualify chance: qualify_rate * (0.5 + fit) * (floor + (1 - floor) * 0.5 ** (wait_h / half_life))
        floor, half_life, rate = self.qualify_params
        decay = floor + (1 - floor) * 0.5 ** ((lead.first_touch - lead.created) * 24.0 / half_life)
        p = min(1.0, rate * (0.5 + lead.fit) * decay * self.world.market.qualify_mult)
        extra = self.extra if by_sdr else 0.0
        if lead.u_qualify >= p + extra * (1.0 - p):
            desk.release(w)
            lead.state, lead.closed_t = DISQUALIFIED, env._now
            self.rec.leads.close(lead)
            return
        if lead.u_qualify >= p:  # passed below the bar: the fit was not really there
            lead.fit *= self.sc.behaviour.sdr_bar_lowering.fit_factor
        lead.qualified_t = env._now
        if by_sdr:
            if self.cfg.pay_per_qualified > 0:
                self.rec.cost(env._now, "sdr", COMMISSION, self.cfg.pay_per_qualified)
            desk.release(w)
            self.ae.submit(lead)
        else:
            self.ae.opportunity(lead, w)
