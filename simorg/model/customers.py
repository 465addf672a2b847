"""Signature to renewal: implementation, CSM coverage, health, expansion, renewal and churn.

Mechanisms (each documented in docs/model.md):

* **Implementation capacity.** A won deal waits for an implementer slot, then takes
  ``onboarding_days`` (slower for a ramping implementer). Deals below
  ``self_delivery_below_acv`` are delivered by the AE, who keeps the deal's slot meanwhile.
* **Time to value lowers health.** At go-live, health = ``health.start`` minus
  ``ttv_health_penalty_per_30d`` for every 30 days beyond ``ttv_target_days``.
* **CSM coverage.** After go-live each account joins a CSM's book (``capacity`` accounts per
  CSM); when every book is full the account waits unassigned. A CSM's touches are shared
  across the book, so the touch rate per account falls as the book grows.
* **Health.** Each month health moves a share ``adjust_per_month`` of the way to a target set
  by the touch rate (``floor`` with no touches, ``ceiling`` with ``touches_needed_per_month``),
  plus noise; unassigned accounts lose ``unassigned_penalty`` more.
* **Expansion.** Upsell and cross-sell arrive as monthly chances proportional to health.
* **Renewal.** The renewal motion starts ``renewal_lead_days`` before the contract ends; at the
  end the account renews with probability ``p0 + (p1 - p0) * health`` (times the segment factor,
  times ``unworked_factor`` if nobody worked it); a renewing account may contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from .entities import Account, Lead
from .pools import DAYS_PER_MONTH, Worker
from .records import BONUS, CHURN, CONTRACTION, EXPANSION, INITIAL, NEW

if TYPE_CHECKING:
    from .world import World


class CustomerLifecycle:
    """Mixin of :class:`~simorg.model.world.World`: everything after the signature."""

    # ------------------------------------------------------------------ ARR bookkeeping
    def _change_arr(self: World, a: Account, kind: str, delta: float) -> None:
        """Every ARR movement goes through here: event record, contract segment, running total."""
        now = self.env.now
        if delta == 0:
            return
        self.rec.arr(now, a.id, kind, delta)
        self.arr_total += delta
        if kind not in (NEW, INITIAL):
            self.rec.segment(a.id, a.seg_start, now, a.arr)
            a.seg_start = now
        a.arr += delta

    def _sign(self: World, a: Account, kind: str = NEW) -> None:
        """A new contract: the account exists, its ARR counts from today."""
        arr, a.arr = a.arr, 0.0
        self.accounts.append(a)
        self.active[a.id] = a
        self._change_arr(a, kind, arr)
        a.seg_start = self.env.now
        self.env.process(self._account_life(a))

    # ------------------------------------------------------------------ delivery
    def _deliver(self: World, lead: Lead, ae: Worker):
        env = self.env
        seg = self.sc.segments[lead.segment]
        a = Account(lead.id, lead.segment, lead.acv, env.now, self.cohort_of(env.now),
                    self.sc.customers.health.start, False, ae.id)
        self._sign(a)
        impl = self.sc.teams.implementation
        if lead.acv < impl.self_delivery_below_acv or not self.has_implementation:
            yield env.timeout(self.self_delivery())
            self.pools["ae"].release(ae)
        else:
            self.pools["ae"].release(ae)
            pool = self.pools["implementation"]
            w = yield pool.request(a)
            u = self.streams.u(self.k_onboarding, a.id)
            yield env.timeout(seg.onboarding_days.ppf(u) / w.productivity(env.now))
            pool.release(w)
        self._go_live(a)

    def _go_live(self: World, a: Account) -> None:
        impl = self.sc.teams.implementation
        a.live_t = self.env.now
        late = max(0.0, (a.live_t - a.signed) - impl.ttv_target_days)
        a.health = max(0.0, a.health - impl.ttv_health_penalty_per_30d * late / 30.0)
        if a.active:
            self._assign_csm(a)

    def _assign_csm(self: World, a: Account) -> None:
        if not self.has_csm:
            return
        req = self.pools["csm"].request(a)
        a.csm = req  # pending: the request; replaced by the worker when granted

        def granted(ev, a=a):
            if ev.value is not None and a.active:
                a.csm = ev.value
            elif ev.value is not None:  # churned while waiting: give the slot back
                self.pools["csm"].release(ev.value)

        req.callbacks.append(granted)

    # ------------------------------------------------------------------ renewal
    def _account_life(self: World, a: Account):
        env = self.env
        term = self.sc.customers.renewal.term_months * DAYS_PER_MONTH
        lead_days = self.sc.teams.csm.renewal_lead_days
        while True:
            end = a.contract_start + term
            if end > self.horizon:
                return
            start_motion = end - lead_days
            if start_motion > env.now:
                yield env.timeout(start_motion - env.now)
            worked = self._renewal_motion(a)
            yield env.timeout(end - env.now)
            self._decide_renewal(a, worked)
            if not a.active:
                return
            a.contract_start = end

    def _renewal_motion(self: World, a: Account) -> bool:
        """CSMs own renewals: the motion is worked when the account has a CSM."""
        return isinstance(a.csm, Worker)

    def renewal_probability(self: World, a: Account, worked: bool) -> float:
        r = self.sc.customers.renewal
        p = r.p_at_zero_health + (r.p_at_full_health - r.p_at_zero_health) * a.health
        p *= self.sc.segments[a.segment].renewal_rate_factor
        if not worked:
            p *= r.unworked_factor
        return min(1.0, max(0.0, p))

    def _decide_renewal(self: World, a: Account, worked: bool) -> None:
        r = self.sc.customers.renewal
        now = self.env.now
        before = a.arr
        u = self.streams.u(self.k_renew, a.id, a.renewals)
        if u < self.renewal_probability(a, worked):
            uc = self.streams.u(self.k_contract, a.id, a.renewals)
            if uc < min(1.0, r.contraction_chance * (1.0 - a.health) / 0.2):
                self._change_arr(a, CONTRACTION, -r.contraction_share * a.arr)
            a.renewals += 1
            bonus = self.sc.teams.csm.bonus_rate * a.arr
            if bonus > 0 and isinstance(a.csm, Worker):
                self.rec.cost(now, "csm", BONUS, bonus)
            self.rec.renewal(now, a.id, True, before, a.arr, worked)
        else:
            self.rec.renewal(now, a.id, False, before, 0.0, worked)
            self._churn(a)

    def _churn(self: World, a: Account) -> None:
        self._change_arr(a, CHURN, -a.arr)
        a.active = False
        a.churned_t = self.env.now
        del self.active[a.id]
        if isinstance(a.csm, Worker):
            self.pools["csm"].release(a.csm)
        elif a.csm is not None:
            self.pools["csm"].cancel(a.csm)
        a.csm = None

    # ------------------------------------------------------------------ health and expansion
    def _customer_success(self: World):
        """Once a month (mid-month): health moves toward what CSM coverage supports; expansions."""
        env = self.env
        h_cfg = self.sc.customers.health
        x_cfg = self.sc.customers.expansion
        csm_team = self.sc.teams.csm
        for m in range(self.months):
            yield env.timeout((m + 0.5) * DAYS_PER_MONTH - env.now)
            now = env.now
            accs = [a for a in self.active.values() if a.live_t <= now]
            if not accs:
                continue
            ids = np.fromiter((a.id for a in accs), dtype=np.uint64, count=len(accs))
            health = np.fromiter((a.health for a in accs), dtype=float, count=len(accs))
            touches = np.zeros(len(accs))
            assigned = np.zeros(len(accs), dtype=bool)
            for i, a in enumerate(accs):
                w = a.csm
                if isinstance(w, Worker):
                    assigned[i] = True
                    touches[i] = csm_team.touches_per_month * w.productivity(now) / max(w.load, 1)
            cover = np.minimum(1.0, touches / csm_team.touches_needed_per_month)
            target = h_cfg.floor + (h_cfg.ceiling - h_cfg.floor) * cover
            noise = h_cfg.noise_sd * special.ndtri(self.streams.u_array(self.k_noise, ids, m))
            health = health + h_cfg.adjust_per_month * (target - health) + noise
            health = np.where(assigned, health, health - h_cfg.unassigned_penalty)
            health = np.clip(health, 0.0, 1.0)
            for a, h in zip(accs, health.tolist(), strict=True):
                a.health = h
            self._expansions(accs, ids, health, m, x_cfg.upsell_per_year, x_cfg.upsell_size, self.k_upsell)
            self._expansions(accs, ids, health, m, x_cfg.cross_sell_per_year, x_cfg.cross_sell_size, self.k_cross)

    def _expansions(self: World, accs, ids, health, month, per_year, size, key) -> None:
        if per_year <= 0:
            return
        p = 1.0 - np.exp(-per_year * health / 12.0)
        u = self.streams.u_array(key, ids, month)
        for i in np.flatnonzero(u < p).tolist():
            a = accs[i]
            grow = float(size.ppf(self.streams.u(key ^ 0x5A5A, a.id, month)))
            self._change_arr(a, EXPANSION, max(0.0, grow) * a.arr)

    def cohort_of(self: World, t: float) -> str:
        """Signup cohort label: ``y1`` for the first simulated year, ``y2`` for the second..."""
        return f"y{int(t // 365.25) + 1}"
