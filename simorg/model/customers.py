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

from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
import simpy
from scipy import special

from .entities import Account, Lead, Task
from .pools import DAYS_PER_MONTH, Worker
from .records import CHURN, CONTRACTION, EXPANSION, INITIAL, NEW

if TYPE_CHECKING:
    from .world import World

_ID, _HEALTH, _ORDER, _ARR = attrgetter("id"), attrgetter("health"), attrgetter("order"), attrgetter("arr")
_CSM, _AM = attrgetter("csm"), attrgetter("am")


class CustomerLifecycle:
    """Mixin of :class:`~simorg.model.world.World`: everything after the signature."""

    # ------------------------------------------------------------------ ARR bookkeeping
    def _change_arr(self: World, a: Account, kind: str, delta: float, now: float | None = None) -> None:
        """Every ARR movement goes through here: event record, contract segment, running total."""
        if now is None:
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
        a.order = len(self.accounts)
        self.accounts.append(a)
        self.active[a.id] = a
        self._change_arr(a, kind, arr)
        a.seg_start = self.env.now
        if self.renewals_fixed:
            self._fixed_renewals(a)
        else:
            self.env.process(self._account_life(a))

    # ------------------------------------------------------------------ delivery
    def _deliver(self: World, lead: Lead, ae: Worker) -> None:
        """The deal is signed: the AE delivers it (small deals) or the implementation team does."""
        env = self.env
        a = Account(lead.id, lead.segment, lead.acv, env.now, self.cohort_of(env.now),
                    self.sc.customers.health.start, False, ae.id)
        a.promise = lead.promise
        self._sign(a)
        supported = lead.presales == "supported"
        impl = self.sc.teams.implementation
        if lead.acv < impl.self_delivery_below_acv or not self.has_implementation:
            env.timeout(self.self_delivery(), (a, ae, supported)).callbacks.append(self._self_delivered)
        else:
            self.pools["ae"].release(ae)
            self.pools["implementation"].submit(a, self._onboard_supported if supported else self._onboard)

    def _self_delivered(self: World, done: simpy.Timeout) -> None:
        a, ae, supported = done.value
        self.pools["ae"].release(ae)
        self._go_live(a, supported)

    def _onboard(self: World, a: Account, w: Worker, supported: bool = False) -> None:
        """An implementer takes the project: ``onboarding_days`` (more if over-promised), slower when ramping."""
        seg = self.sc.segments[a.segment]
        u = self.streams.u(self.k_onboarding, a.id)
        effort = seg.onboarding_days.ppf(u) * (1.0 + self.sc.behaviour.promise_inflation.effort_uplift * a.promise)
        self.env.timeout(effort / w.speed(self.env.now), (a, w, supported)).callbacks.append(self._onboarded)

    def _onboard_supported(self: World, a: Account, w: Worker) -> None:
        self._onboard(a, w, True)

    def _onboarded(self: World, done: simpy.Timeout) -> None:
        a, w, supported = done.value
        self.pools["implementation"].release(w)
        self._go_live(a, supported)

    def _go_live(self: World, a: Account, presales_supported: bool = False) -> None:
        """Go-live: time to value and over-promising set the account's health; CSM assigned."""
        impl = self.sc.teams.implementation
        a.live_t = self.env.now
        late = max(0.0, (a.live_t - a.signed) - impl.ttv_target_days)
        health = a.health - impl.ttv_health_penalty_per_30d * late / 30.0
        health -= self.sc.behaviour.promise_inflation.health_penalty * a.promise
        if self.sc.org.implementation_under == "customer_success":
            health += self.sc.org.cs_handover_health_bonus
        a.health = min(1.0, max(0.0, health))
        if presales_supported and late == 0:  # customer acceptance on time: the rest of presales pay
            ps = self.sc.teams.presales
            self._bonus("presales", ps.variable_pay_per_deal * (1.0 - ps.win_share))
        if a.active:
            self._assign_csm(a)
            self._maybe_assign_am(a)

    def _assign_csm(self: World, a: Account) -> None:
        if self.has_csm:
            self._assign_book(a, "csm")

    def _maybe_assign_am(self: World, a: Account) -> None:
        """Key accounts (ARR at or above ``org.key_account_arr``) get a dedicated account manager."""
        threshold = self.sc.org.key_account_arr
        if threshold is None or a.am is not None or a.arr < threshold or "am" not in self.pools:
            return
        self._assign_book(a, "am")

    def _assign_book(self: World, a: Account, role: str) -> None:
        """Put the account in the book of someone in ``role`` (csm or am).

        Granted on the spot when a book has room; otherwise the account waits in the team's
        queue (``a.csm`` / ``a.am`` holds the pending request) and joins a book when one frees.
        """
        pool = self.pools[role]
        req = pool.request(a)
        if req.triggered:
            self._set_holder(a, role, req.value)
            return
        self._set_holder(a, role, req)

        def granted(ev, a=a, role=role):
            if ev.value is None:
                return
            if a.active and getattr(a, role) is ev:
                self._set_holder(a, role, ev.value)
            else:  # churned (or re-queued) while waiting: give the slot back
                pool.release(ev.value)

        req.callbacks.append(granted)

    def _set_holder(self: World, a: Account, role: str, holder) -> None:
        """``a.csm`` / ``a.am`` := ``holder`` (a Worker, a pending request or None), keeping
        each worker's book (:attr:`books`) in step."""
        old = getattr(a, role)
        if isinstance(old, Worker):
            del self.books[old.id][a.id]
        if isinstance(holder, Worker):
            self.books[holder.id][a.id] = a
        setattr(a, role, holder)

    def reassign_book(self: World, w: Worker) -> None:
        """A CSM or AM left: every account in their book goes back to the team's queue, in
        the order the accounts signed."""
        pool = self.pools[w.role]
        for a in sorted(self.books[w.id].values(), key=_ORDER):
            self._set_holder(a, w.role, None)
            pool.release(w)
            self._assign_book(a, w.role)
        del self.books[w.id]  # empty now

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
            owner = self.renewal_owner(a)
            worker = yield from self._renewal_motion(a, owner, end)
            if end > env.now:
                yield env.timeout(end - env.now)
            self._decide_renewal(a, owner, worker)
            if not a.active:
                return
            a.contract_start = end

    def renewals_are_fixed(self: World) -> bool:
        """True when every renewal decision of an account is known the day it signs.

        That is so when nothing a renewal depends on can change during the account's life:
        the renewal chance does not depend on health (``p_at_zero_health == p_at_full_health``),
        no account contracts or expands (its ARR is fixed), and nobody works or is paid for
        renewals (CSMs own them and there are none, no account managers). Then the renewal
        outcomes are the same counter-based draws the monthly motion would make, and the
        account needs one event, its churn, instead of one per contract term."""
        sc = self.sc
        r, x = sc.customers.renewal, sc.customers.expansion
        return (r.p_at_zero_health == r.p_at_full_health and r.contraction_chance == 0
                and x.upsell_per_year == 0 and x.cross_sell_per_year == 0
                and sc.org.renewals == "csm" and not self.has_csm
                and sc.teams.am is None and sc.org.key_account_arr is None)

    def _fixed_renewals(self: World, a: Account) -> None:
        """Decide every renewal of ``a`` now (see :meth:`renewals_are_fixed`) and schedule its churn.

        Replays :meth:`_account_life` exactly: the same contract ends, the same event times
        (``now + (end - now)``, as SimPy computes them), the same draws, the same records.
        The draws of every term that ends within the horizon come in one call."""
        term = self.sc.customers.renewal.term_months * DAYS_PER_MONTH
        lead_days = self.sc.teams.csm.renewal_lead_days
        horizon = self.horizon
        p = self.renewal_probability(a, False)
        # contract ends are sums of ``term`` added one by one, and rounding can fit one more
        # end in the horizon than the quotient says: one draw to spare (the loop stops at the horizon)
        terms = int((horizon - a.contract_start) // term) + 1 if a.contract_start <= horizon else 0
        draws = self.streams.u_row(self.k_renew, a.id, a.renewals, terms)
        now = self.env.now
        renewed: list[float] = []
        start = a.contract_start
        churns = False
        for u in draws:
            end = start + term
            if end > horizon:
                break
            start_motion = end - lead_days
            if start_motion > now:
                now = now + (start_motion - now)
            if end > now:
                now = now + (end - now)
            if u >= p:
                churns = True
                break
            renewed.append(now)
            start = end
        a.contract_start = start
        a.renewals += len(renewed)
        self.rec.renewed_terms(renewed, a.id, a.arr)
        if churns:
            self.env.timeout(now - self.env.now, (a, now)).callbacks.append(self._fixed_churn)

    def _fixed_churn(self: World, ev) -> None:
        a, t = ev.value
        self.rec.renewal(t, a.id, False, a.arr, 0.0, False)
        self._churn(a, t)

    def renewal_owner(self: World, a: Account) -> str:
        """Who works this account's renewal (org.renewals; AMs only for key accounts)."""
        return self.renewal_owner_policy.for_account(isinstance(a.am, Worker))

    def _renewal_motion(self: World, a: Account, owner: str, end: float):
        """Work the renewal; returns the worker who worked it, or None if nobody did.

        CSMs and AMs work renewals of the accounts in their book. AEs and renewal specialists
        take renewals from their team queue (ordered by pay when pay priority is on); one not
        picked up before the contract ends lapses unworked.
        """
        if owner == "csm":
            return a.csm if isinstance(a.csm, Worker) else None
        if owner == "am":
            return a.am if isinstance(a.am, Worker) else None
        pool = self.pools[owner]
        req = pool.request(Task("renewal", a, a.arr, owner))
        if not req.triggered and end > self.env.now:
            yield req | self.env.timeout(end - self.env.now)
        if not req.triggered or req.value is None:
            pool.cancel(req)
            return None
        w = req.value
        yield self.env.timeout(self.renewal_effort())
        pool.release(w)
        return w

    def renewal_probability(self: World, a: Account, worked: bool) -> float:
        r = self.sc.customers.renewal
        p = r.p_at_zero_health + (r.p_at_full_health - r.p_at_zero_health) * a.health
        p *= self.sc.segments[a.segment].renewal_rate_factor
        if not worked:
            p *= r.unworked_factor
        return min(1.0, max(0.0, p))

    def _decide_renewal(self: World, a: Account, owner: str, worker: Worker | None) -> None:
        r = self.sc.customers.renewal
        now = self.env.now
        before = a.arr
        worked = worker is not None
        u = self.streams.u(self.k_renew, a.id, a.renewals)
        if u < self.renewal_probability(a, worked):
            uc = self.streams.u(self.k_contract, a.id, a.renewals)
            if uc < min(1.0, r.contraction_chance * (1.0 - a.health) / 0.2):
                self._change_arr(a, CONTRACTION, -r.contraction_share * a.arr)
            a.renewals += 1
            self.credit_renewal(a, owner, worker)
            self.rec.renewal(now, a.id, True, before, a.arr, worked)
        else:
            self.rec.renewal(now, a.id, False, before, 0.0, worked)
            self._churn(a)

    def _churn(self: World, a: Account, now: float | None = None) -> None:
        now = self.env.now if now is None else now
        self._change_arr(a, CHURN, -a.arr, now)
        a.active = False
        a.churned_t = now
        del self.active[a.id]
        for role in ("csm", "am"):
            held = getattr(a, role)
            if isinstance(held, Worker):
                self.pools[role].release(held)
            elif held is not None:
                self.pools[role].cancel(held)
            self._set_holder(a, role, None)

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
            ids = np.fromiter(map(_ID, accs), dtype=np.uint64, count=len(accs))
            health = np.fromiter(map(_HEALTH, accs), dtype=float, count=len(accs))
            touches, assigned = self._csm_touches(accs, now)
            boost = np.zeros(len(accs))
            if "am" in self.pools:  # without an AM team no account has an AM
                has_am = np.fromiter((isinstance(h, Worker) for h in map(_AM, accs)), dtype=bool, count=len(accs))
                boost[has_am] = self.sc.teams.am.health_boost
            cover = np.minimum(1.0, touches / csm_team.touches_needed_per_month)
            target = h_cfg.floor + (h_cfg.ceiling - h_cfg.floor) * cover + boost
            noise = h_cfg.noise_sd * special.ndtri(self.streams.u_array(self.k_noise, ids, m))
            health = health + h_cfg.adjust_per_month * (target - health) + noise
            health = np.where(assigned, health, health - h_cfg.unassigned_penalty)
            health = np.clip(health, 0.0, 1.0)
            for a, h in zip(accs, health.tolist(), strict=True):
                a.health = h
            self._expansions(accs, ids, health, m, x_cfg.upsell_per_year, x_cfg.upsell_size,
                             self.k_upsell, self.upsell_owner_policy)
            self._expansions(accs, ids, health, m, x_cfg.cross_sell_per_year, x_cfg.cross_sell_size,
                             self.k_cross, self.cross_sell_owner_policy)
            if self.sc.org.key_account_arr is not None and "am" in self.pools:
                for a in accs:
                    if a.active and a.am is None:
                        self._maybe_assign_am(a)

    def _csm_touches(self: World, accs: list[Account], now: float) -> tuple[np.ndarray, np.ndarray]:
        """CSM touches this month per account, and which accounts have a CSM.

        A CSM's touches (``touches_per_month``, scaled by their ramp) are shared across their
        book in proportion to each account's tier weight. Computed per CSM and spread over
        the accounts with array operations (a large installed base has tens of thousands)."""
        n = len(accs)
        if not self.has_csm:
            return np.zeros(n), np.zeros(n, dtype=bool)
        csms = list(map(_CSM, accs))
        team = [w for w in dict.fromkeys(csms) if isinstance(w, Worker)]
        position = {w: i for i, w in enumerate(team)}
        idx = np.fromiter(map(position.get, csms, repeat(-1)), dtype=np.int64, count=n)
        assigned = idx >= 0
        weights = self._tier_weights(accs)
        book_weight = np.bincount(idx[assigned], weights=weights[assigned], minlength=len(team))
        per_csm = np.array([self.sc.teams.csm.touches_per_month * w.productivity(now) for w in team])
        touches = np.zeros(n)
        mine = idx[assigned]
        touches[assigned] = per_csm[mine] * weights[assigned] / book_weight[mine]
        return touches, assigned

    def _tier_weights(self: World, accs: list[Account]) -> np.ndarray:
        """Service level of each account: the weight of the highest tier its ARR reaches."""
        weights = np.ones(len(accs))
        tiers = sorted(self.sc.teams.csm.tiers, key=lambda t: t.min_arr, reverse=True)
        if tiers:
            arr = np.fromiter(map(_ARR, accs), dtype=float, count=len(accs))
            for t in reversed(tiers):  # higher tiers overwrite lower ones (ties: the one listed first)
                weights[arr >= t.min_arr] = t.weight
        return weights

    def _expansions(self: World, accs, ids, health, month, per_year, size, key, owner) -> None:
        """Expansion signals this month, proportional to health; the owner works them."""
        if per_year <= 0:
            return
        p = 1.0 - np.exp(-per_year * health / 12.0)
        u = self.streams.u_array(key, ids, month)
        for i in np.flatnonzero(u < p).tolist():
            a = accs[i]
            grow = max(0.0, float(size.ppf(self.streams.u(key ^ 0x5A5A, a.id, month)))) * a.arr
            who = owner.for_account(isinstance(a.am, Worker))
            if who == "ae":
                self.env.process(self._ae_expansion(a, grow))
            else:
                self._close_expansion(a, grow, who, None)

    def _ae_expansion(self: World, a: Account, amount: float):
        """An expansion opportunity in the AE queue: lost if nobody picks it up in time."""
        pool = self.pools["ae"]
        req = pool.request(Task("expansion", a, amount, "ae"))
        if not req.triggered:
            yield req | self.env.timeout(self.sc.org.expansion_max_wait_days)
        if not req.triggered or req.value is None:
            pool.cancel(req)
            return
        w = req.value
        yield self.env.timeout(self.expansion_effort())
        pool.release(w)
        if a.active:
            self._close_expansion(a, amount, "ae", w)

    def _close_expansion(self: World, a: Account, amount: float, owner: str, worker: Worker | None) -> None:
        self._change_arr(a, EXPANSION, amount)
        self.credit_expansion(a, amount, owner, worker)

    def cohort_of(self: World, t: float) -> str:
        """Signup cohort label: ``y1`` for the first simulated year, ``y2`` for the second..."""
        return f"y{int(t // 365.25) + 1}"
