"""Implementation: from signature to go-live.

* **Implementation capacity.** A won deal waits for an implementer slot, then takes
  ``onboarding_days`` (more if over-promised; slower for a ramping implementer). Deals below
  ``self_delivery_below_acv`` (or every deal, with no implementation team) are delivered by
  the AE, who keeps the deal's slot meanwhile.
* **Time to value lowers health.** At go-live, health = ``health.start`` minus
  ``ttv_health_penalty_per_30d`` for every 30 days beyond ``ttv_target_days``, minus the
  over-promise penalty, plus ``org.cs_handover_health_bonus`` when implementation sits under
  customer success. The account then joins a CSM's book (``customer_success.account_live``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from ...scenario.schema import ImplementationTeam
from ..entities import Account, Lead
from ..pools import Pool, Worker, schedule
from .base import TeamComponent

if TYPE_CHECKING:
    from ..world import World


class Implementation(TeamComponent):
    """The implementation (professional services) team."""

    role = "implementation"
    cfg: ImplementationTeam

    def __init__(self, world: World, cfg: ImplementationTeam):
        super().__init__(world, cfg)
        self.pool = Pool(self.env, "implementation", "least_loaded")
        self.k_onboarding = self.streams.key("account.onboarding")

    def wire(self) -> None:
        world = self.world
        self.ae = world.ae
        self.base = world.base
        self.customer_success = world.csm
        self.pay = world.pay

    def deal_won(self, lead: Lead, ae: Worker) -> None:
        """The deal is signed: the account exists; the AE delivers it (small deals) or this team does."""
        env = self.env
        a = Account(lead.id, lead.segment, lead.acv, env.now, self.base.cohort_of(env.now),
                    self.sc.customers.health.start, False, ae.id)
        a.promise = lead.promise
        self.base.sign(a)
        supported = lead.presales == "supported"
        if lead.acv < self.cfg.self_delivery_below_acv or not self.ever_staffed:
            self.ae.deliver_myself(a, ae, supported)
        else:
            self.ae.release(ae)
            assert self.pool is not None
            self.pool.submit(a, self._onboard_supported if supported else self._onboard)

    def _onboard(self, a: Account, w: Worker | None, supported: bool = False) -> None:
        """An implementer takes the project: ``onboarding_days`` (more if over-promised), slower when ramping."""
        assert w is not None  # the implementation queue has no shelf life
        seg = self.sc.segments[a.segment]
        u = self.streams.u(self.k_onboarding, a.id)
        effort = float(seg.onboarding_days.ppf(u)) * (1.0 + self.sc.behaviour.promise_inflation.effort_uplift * a.promise)
        schedule(self.env, effort / w.speed(self.env.now), (a, w, supported), self._onboarded)

    def _onboard_supported(self, a: Account, w: Worker | None) -> None:
        self._onboard(a, w, True)

    def _onboarded(self, done: simpy.Event) -> None:
        a, w, supported = done.value  # type: ignore[misc]  # simpy types a value as Optional
        assert self.pool is not None
        self.pool.release(w)
        self.go_live(a, supported)

    def go_live(self, a: Account, presales_supported: bool = False) -> None:
        """Go-live: time to value and over-promising set the account's health; CSM assigned."""
        impl = self.cfg
        a.live_t = self.env.now
        late = max(0.0, (a.live_t - a.signed) - impl.ttv_target_days)
        health = a.health - impl.ttv_health_penalty_per_30d * late / 30.0
        health -= self.sc.behaviour.promise_inflation.health_penalty * a.promise
        if self.sc.org.implementation_under == "customer_success":
            health += self.sc.org.cs_handover_health_bonus
        a.health = min(1.0, max(0.0, health))
        if presales_supported and late == 0:  # customer acceptance on time: the rest of presales pay
            ps = self.sc.teams.presales
            self.pay.bonus("presales", ps.variable_pay_per_deal * (1.0 - ps.win_share))
        if a.active:
            self.customer_success.account_live(a)
