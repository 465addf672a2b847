"""Implementation: from signature to go-live.

* **Implementation capacity is hours.** A won deal waits while every implementer has
  ``capacity`` projects in hand, then joins the hands of the least loaded one. A project needs
  ``onboarding_days`` (the segment's, drawn per account) of one slot's share of a person's
  hours (``hours_per_month / capacity``), more if over-promised, more for a ramping
  implementer. An implementer shares their hours equally over the projects in hand
  (:class:`~.base.SharedHours`): with every slot full a project takes its ``onboarding_days``,
  as when it held a slot; with fewer in hand each gets more hours and goes live sooner; an
  over-promised project takes hours from its neighbours too. Deals below
  ``self_delivery_below_acv`` (or every deal, with no implementation team) are delivered by
  the AE, who keeps the deal's slot meanwhile.
* **Time to value lowers health.** At go-live, health = ``health.start`` minus
  ``ttv_health_penalty_per_30d`` for every 30 days beyond ``ttv_target_days``, minus the
  over-promise penalty, plus ``org.cs_handover_health_bonus`` when implementation sits under
  customer success. The account then joins a CSM's book (``customer_success.account_live``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...scenario.schema import ImplementationTeam
from ..entities import Account, Lead
from ..policies import HOURS_SHARING, WORK_PRIORITY
from ..pools import DAYS_PER_MONTH, Pool, Worker
from .base import SharedHours, TeamComponent

if TYPE_CHECKING:
    from ..world import World


class Implementation(TeamComponent):
    """The implementation (professional services) team."""

    role = "implementation"
    cfg: ImplementationTeam

    def __init__(self, world: World, cfg: ImplementationTeam):
        super().__init__(world, cfg)
        order = WORK_PRIORITY.create(cfg.work_order).queue_key(world)
        self.pool = Pool(self.env, "implementation", "least_loaded", priority=order)
        self.k_onboarding = self.streams.key("account.onboarding")
        self.desks: dict[int, SharedHours] = {}  # implementer id -> their projects in hand
        self.slot_hours_per_day = cfg.hours_per_month / DAYS_PER_MONTH / cfg.capacity
        sharing = HOURS_SHARING.create(cfg.hours_sharing)
        self.project_weight = None if sharing.equal else sharing.weight

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
        """An implementer takes the project: ``onboarding_days`` of one slot's share of their
        hours (more if over-promised, more when ramping), shared with their other projects."""
        assert w is not None  # the implementation queue has no shelf life
        seg = self.sc.segments[a.segment]
        u = self.streams.u(self.k_onboarding, a.id)
        now = self.env.now
        effort = float(seg.onboarding_days.ppf(u)) * (1.0 + self.sc.behaviour.promise_inflation.effort_uplift * a.promise)
        desk = self.desks.get(w.id)
        if desk is None:
            desk = self.desks[w.id] = SharedHours(self.env, w.capacity, self._onboarded, self.project_weight)
        desk.add(effort / w.speed(now), (a, w, supported, now, effort), a)

    def _onboard_supported(self, a: Account, w: Worker | None) -> None:
        self._onboard(a, w, True)

    def _onboarded(self, project: tuple[Account, Worker, bool, float, float]) -> None:
        a, w, supported, start, effort = project
        assert self.pool is not None
        self.rec.hours("implementation_project", start, self.env.now, effort * self.slot_hours_per_day)
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
