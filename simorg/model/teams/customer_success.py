"""Customer success: CSM books, account health, expansion and the renewal of every account.

* **CSM coverage.** After go-live each account joins a CSM's book (``capacity`` accounts per
  CSM); when every book is full the account waits unassigned. A CSM's touches are shared
  across the book (by tier weight), so the touch rate per account falls as the book grows.
* **Health.** Each month health moves a share ``adjust_per_month`` of the way to a target set
  by the touch rate (``floor`` with no touches, ``ceiling`` with ``touches_needed_per_month``),
  plus noise; unassigned accounts lose ``unassigned_penalty`` more. An over-promised account's
  target is lower by ``behaviour.promise_inflation.target_gap`` times its inflation while the
  promise gap lasts (``gap_months`` after go-live, or for good).
* **Expansion.** Upsell and cross-sell arrive as monthly chances proportional to health; the
  owner (``org.upsell`` / ``org.cross_sell``, an owner policy) works them.
* **Renewal.** The renewal motion starts ``renewal_lead_days`` before the contract ends; the
  owner (``org.renewals``, or a randomized split ``org.renewal_owner_shares``) works it for
  the hours they choose (``team.work_renewal``, see ``pay.renewal_hours``); at the end the
  account renews with probability ``base * response(hours)``: the base chance
  ``(p0 + (p1 - p0) * health) * segment factor`` (an account not live yet counts at health
  0: at risk), the effort response ``uf + (1 - uf) * (1 - exp(-hours / h0))``; a renewing
  account may contract, then its price rises by its contract's ``uplift``, and the new term
  is invoiced. The base chance also carries the ACV band's factor and is stated per reference
  term (money side of the model).
* **CSM time.** A CSM's renewal and expansion motions take their hours out of the month; the
  touches they make are ``touches_per_month`` times the share of their hours left.
"""

from __future__ import annotations

import math
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy
from scipy import special

from ...scenario.distributions import Distribution
from ...scenario.schema import AcvBand, CSMTeam
from ..entities import Account
from ..policies import EXPANSION_OWNERS, RENEWAL_OWNERS, Owner
from ..pools import DAYS_PER_MONTH, Pool, Worker, schedule
from ..records import CONTRACTION, EXPANSION, UPLIFT
from ..traits import Sampler
from .base import BookTeam, Process

if TYPE_CHECKING:
    from ..world import World

_ID, _HEALTH, _ARR = attrgetter("id"), attrgetter("health"), attrgetter("arr")
_CSM, _AM = attrgetter("csm"), attrgetter("am")
_PROMISE, _LIVE = attrgetter("promise"), attrgetter("live_t")


class CustomerSuccess(BookTeam):
    """The CSM team, and the life of every account after signature."""

    role = "csm"
    cfg: CSMTeam

    def __init__(self, world: World, cfg: CSMTeam):
        super().__init__(world, cfg)
        self.pool = Pool(self.env, "csm", "least_loaded")
        s = self.streams
        self.k_renew = s.key("account.renew")
        self.k_contract = s.key("account.contract")
        self.k_noise = s.key("account.health_noise")
        self.k_upsell = s.key("account.upsell")
        self.k_cross = s.key("account.cross_sell")
        org = self.sc.org
        self.renewal_effort = Sampler(org.renewal_effort_days, s.generator("org.renewal_effort"))
        self.expansion_effort = Sampler(org.expansion_effort_days, s.generator("org.expansion_effort"))
        self.renewal_owner_policy = RENEWAL_OWNERS.create(org.renewals)
        self.upsell_owner_policy = EXPANSION_OWNERS.create(org.upsell)
        self.cross_sell_owner_policy = EXPANSION_OWNERS.create(org.cross_sell)
        self.bands = sorted(self.sc.customers.acv_bands, key=lambda b: b.min_arr)
        self.reference_term = self.sc.customers.renewal.term_months * DAYS_PER_MONTH
        self.renewals_fixed = self.renewals_are_fixed()
        shares = org.renewal_owner_shares
        total = sum(shares.values())
        self.owner_split: list[tuple[float, str]] = []  # cumulative share, owner (names sorted)
        acc = 0.0
        for name in sorted(shares):
            acc += shares[name] / total if total > 0 else 0.0
            self.owner_split.append((acc, name))
        self.k_owner = s.key("account.renewal_owner")
        self.csm_hours_per_day = cfg.hours_per_month / DAYS_PER_MONTH
        world.rec.months = world.months

    def wire(self) -> None:
        world = self.world
        self.base = world.base
        self.am = world.am
        self.pay = world.pay
        self.owners: dict[str, Any] = {"csm": self, "ae": world.ae, "am": world.am,
                                       "renewal_specialist": world.renewal_specialist}

    def start(self) -> None:
        if not self.renewals_fixed:  # otherwise nothing reads health or expands: see renewals_are_fixed
            self.env.process(self.monthly())

    # ---- accounts arriving and leaving
    def account_signed(self, a: Account) -> None:
        """A new contract: its renewals are decided now (fixed) or its life starts."""
        if self.renewals_fixed:
            self._fixed_renewals(a)
        else:
            self.env.process(self._account_life(a))

    def account_live(self, a: Account) -> None:
        """Go-live: the account joins a CSM's book, and a key account an AM's."""
        self.assign_csm(a)
        self.am.maybe_assign(a)

    def assign_csm(self, a: Account) -> None:
        if self.ever_staffed:
            self.assign(a)

    def work_renewal(self, a: Account, end: float, effort: Sampler) -> Process:
        """The account's CSM works the renewal, giving it ``org.renewal_hours`` (plus
        ``renewal_admin_hours`` of paperwork) of their month spread until the contract ends;
        returns (CSM, hours), (None, 0) without a CSM."""
        w = a.csm if isinstance(a.csm, Worker) else None
        hours = 0.0
        if w is not None:
            hours = self.pay.renewal_hours(a, "csm")
            admin = self.sc.org.renewal_admin_hours * self.term_share(a)
            self.commit_hours(w, "renewal", hours + admin, end)
        return (yield from _now((w, hours)))

    # ---- renewal
    def _account_life(self, a: Account) -> Process:
        env = self.env
        term = a.term
        lead_days = self.cfg.renewal_lead_days
        horizon = self.world.horizon
        ledger = self.world.ledger
        while True:
            end = a.contract_start + term
            if end > horizon:
                return
            start_motion = end - lead_days
            if start_motion > env.now:
                yield env.timeout(start_motion - env.now)
            owner = self.renewal_owner(a)
            worker, hours = yield from self.owners[owner].work_renewal(a, end, self.renewal_effort)
            if end > env.now:
                yield env.timeout(end - env.now)
            self._decide_renewal(a, owner, worker, hours)
            if not a.active:
                return
            a.contract_start = end
            ledger.renewed(a, end)

    def renewals_are_fixed(self) -> bool:
        """True when every renewal decision of an account is known the day it signs.

        That is so when nothing a renewal depends on can change during the account's life:
        the renewal chance does not depend on health (``p_at_zero_health == p_at_full_health``),
        no account contracts, expands or has a price uplift (its ARR is fixed), and nobody works or is paid for
        renewals (CSMs own them and there are none, no account managers). Then the renewal
        outcomes are the same counter-based draws the monthly motion would make, and the
        account needs one event, its churn, instead of one per contract term."""
        sc = self.sc
        r, x = sc.customers.renewal, sc.customers.expansion
        return (r.p_at_zero_health == r.p_at_full_health and r.contraction_chance == 0
                and x.upsell_per_year == 0 and x.cross_sell_per_year == 0
                and sc.org.renewals == "csm" and not self.ever_staffed
                and sc.teams.am is None and sc.org.key_account_arr is None
                and not self.world.ledger.any_uplift)

    def _fixed_renewals(self, a: Account) -> None:
        """Decide every renewal of ``a`` now (see :meth:`renewals_are_fixed`) and schedule its churn.

        Replays :meth:`_account_life` exactly: the same contract ends, the same event times
        (``now + (end - now)``, as SimPy computes them), the same draws, the same records.
        The draws of every term that ends within the horizon come in one call."""
        if a.contract is None:  # an account built outside the installed base (tests)
            self.world.ledger.assign_contract(a)
        term = a.term
        lead_days = self.cfg.renewal_lead_days
        horizon = self.world.horizon
        p = self.renewal_probability(a, 0.0)
        # contract ends are sums of ``term`` added one by one, and rounding can fit one more
        # end in the horizon than the quotient says: one draw to spare (the loop stops at the horizon)
        terms = int((horizon - a.contract_start) // term) + 1 if a.contract_start <= horizon else 0
        draws = self.streams.u_row(self.k_renew, a.id, a.renewals, terms)
        now = self.env.now
        renewed: list[float] = []
        starts: list[float] = []  # the new terms' start days (the contract ends)
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
            starts.append(start)
        self.world.ledger.renewed_terms(a, starts)
        a.contract_start = start
        a.renewals += len(renewed)
        self.rec.renewed_terms(renewed, a.id, a.arr, self.sc.org.renewals)
        if churns:
            schedule(self.env, now - self.env.now, (a, now), self._fixed_churn)

    def _fixed_churn(self, ev: simpy.Event) -> None:
        a, t = ev.value  # type: ignore[misc]  # simpy types a value as Optional
        self.rec.renewal(t, a.id, False, a.arr, 0.0, False, self.sc.org.renewals, 0.0)
        self.base.churn(a, t)

    def renewal_owner(self, a: Account) -> str:
        """Who works this account's renewal: the arm of a randomized split
        (``org.renewal_owner_shares``, one counter-based draw per account, owners in name
        order), else ``org.renewals`` (AMs only for key accounts)."""
        if self.owner_split:
            u = self.streams.u(self.k_owner, a.id)
            for cum, name in self.owner_split:
                if u < cum:
                    return name
            return self.owner_split[-1][1]
        return self.renewal_owner_policy.for_account(isinstance(a.am, Worker))

    def band(self, arr: float) -> AcvBand | None:
        """The ACV band of an account of ARR ``arr`` (the highest ``min_arr`` it reaches)."""
        found = None
        for b in self.bands:
            if arr >= b.min_arr:
                found = b
        return found

    def base_renewal_chance(self, a: Account) -> float:
        """The account's renewal chance if its renewal is fully worked: the health line, times
        the segment's factor, times its ACV band's (money side of the model). An account not
        live by now has had no value yet: it counts at health 0 (at risk).

        The renewal odds are stated for a contract of ``customers.renewal.term_months``; a
        contract of another term keeps the same chance of staying a customer per unit of time:
        ``p ** (term / reference term)`` (a monthly contract renews 12 times a year, each
        time with the twelfth root of the annual chance)."""
        r = self.sc.customers.renewal
        health = a.health if a.live_t <= self.env.now else 0.0  # NaN (not live) compares False
        p = r.p_at_zero_health + (r.p_at_full_health - r.p_at_zero_health) * health
        p *= self.sc.segments[a.segment].renewal_rate_factor
        if self.bands:
            b = self.band(a.arr)
            if b is not None:
                p *= b.renewal_factor
        if a.term != self.reference_term and a.term > 0 and p > 0:
            p = min(1.0, p) ** (a.term / self.reference_term)  # the odds are per reference term
        return p

    def term_share(self, a: Account) -> float:
        """The account's contract term as a share of the reference term
        (``customers.renewal.term_months``): 1/12 for a monthly contract when the reference is a year."""
        return a.term / self.reference_term if a.term > 0 else 1.0

    def effort_response(self, hours: float) -> float:
        """Share of the fully worked chance a renewal worked for ``hours`` reaches:
        ``uf + (1 - uf) * (1 - exp(-hours / save_hours))`` (concave; ``uf`` unworked)."""
        r = self.sc.customers.renewal
        if hours <= 0:
            return r.unworked_factor
        return r.unworked_factor + (1.0 - r.unworked_factor) * -math.expm1(-hours / r.save_hours)

    def renewal_probability(self, a: Account, hours: float) -> float:
        """Base chance (health, segment, ACV band, term) -> effort response (hours worked on it).

        Like the base chance, the response is per reference term: a contract of another term
        gets ``response(hours / share) ** share`` (``share`` = term / reference term; its
        motions carry ``share`` of the hours, see ``Pay.renewal_hours``), so twelve monthly
        renewals worked for half an hour each keep a customer as one annual renewal worked
        for six hours does (before, the response compounded at every monthly renewal)."""
        share = self.term_share(a)
        response = self.effort_response(hours / share)
        if share != 1.0:
            response **= share
        p = self.base_renewal_chance(a) * response
        return min(1.0, max(0.0, p))

    def contraction_chance(self, a: Account) -> float:
        """Chance a renewing account contracts: ``contraction_chance * (1 - health) / 0.2``
        times its ACV band's factor, per reference term (a contract of another term:
        ``1 - (1 - chance) ** share``, so monthly renewals do not contract twelve times as often)."""
        r = self.sc.customers.renewal
        chance = r.contraction_chance * (1.0 - a.health) / 0.2
        if self.bands:
            b = self.band(a.arr)
            if b is not None:
                chance *= b.contraction_factor
        chance = min(1.0, chance)
        share = self.term_share(a)
        if share != 1.0:
            chance = 1.0 - (1.0 - chance) ** share
        return chance

    def _decide_renewal(self, a: Account, owner: str, worker: Worker | None, hours: float = 0.0) -> None:
        r = self.sc.customers.renewal
        now = self.env.now
        before = a.arr
        worked = worker is not None and hours > 0
        u = self.streams.u(self.k_renew, a.id, a.renewals)
        p = self.renewal_probability(a, hours if worked else 0.0)
        press = self.sc.behaviour.renewal_pressure
        discount = press.discount.get(owner, 0.0) if worked else 0.0
        if discount > 0:  # the unrenewed share falls, the price and next term's health pay for it
            p = 1.0 - (1.0 - p) * max(0.0, 1.0 - press.lift_per_discount * discount)
        if u < p:
            if discount > 0:
                self.base.change_arr(a, CONTRACTION, -discount * a.arr)
                a.health = max(0.0, a.health - press.health_cost)
            uc = self.streams.u(self.k_contract, a.id, a.renewals)
            if uc < self.contraction_chance(a):
                self.base.change_arr(a, CONTRACTION, -r.contraction_share * a.arr)
            if a.contract is not None and a.contract.uplift > 0:  # list-price uplift at renewal
                self.base.change_arr(a, UPLIFT, a.contract.uplift * a.arr)
            a.renewals += 1
            self.pay.credit_renewal(a, owner, worker)
            self.rec.renewal(now, a.id, True, before, a.arr, worked, owner, hours)
        else:
            self.rec.renewal(now, a.id, False, before, 0.0, worked, owner, hours)
            self.base.churn(a)

    # ---- health and expansion
    def monthly(self) -> Process:
        """Once a month (mid-month): health moves toward what CSM coverage supports; expansions."""
        env = self.env
        h_cfg = self.sc.customers.health
        x_cfg = self.sc.customers.expansion
        csm_team = self.cfg
        am = self.am
        pi = self.sc.behaviour.promise_inflation
        gap = pi.target_gap if self.world.pay.promise_inflation() > 0.0 else 0.0
        gap_days = None if pi.gap_months is None else pi.gap_months * DAYS_PER_MONTH
        for m in range(self.world.months):
            yield env.timeout((m + 0.5) * DAYS_PER_MONTH - env.now)
            now = env.now
            accs = [a for a in self.base.active.values() if a.live_t <= now]
            if not accs:
                continue
            ids = np.fromiter(map(_ID, accs), dtype=np.uint64, count=len(accs))
            health = np.fromiter(map(_HEALTH, accs), dtype=float, count=len(accs))
            touches, assigned = self.touches(accs, now)
            boost = np.zeros(len(accs))
            if am.pool is not None and am.cfg is not None:  # without an AM team no account has an AM
                has_am = np.fromiter((isinstance(h, Worker) for h in map(_AM, accs)), dtype=bool, count=len(accs))
                boost[has_am] = am.cfg.health_boost
            cover = np.minimum(1.0, touches / csm_team.touches_needed_per_month)
            target = h_cfg.floor + (h_cfg.ceiling - h_cfg.floor) * cover + boost
            if gap > 0.0:
                target = self._promise_gap(accs, target, gap, gap_days, now)
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
            if self.sc.org.key_account_arr is not None and am.pool is not None:
                for a in accs:
                    if a.active and a.am is None:
                        am.maybe_assign(a)

    @staticmethod
    def _promise_gap(accs: list[Account], target: np.ndarray, gap: float, gap_days: float | None,
                     now: float) -> np.ndarray:
        """The health target less the lasting promise gap: an account presales over-promised
        (``promise`` > 0) is promised what the product does not do, and stays ``target_gap *
        promise`` less healthy while the gap lasts (``gap_months`` after go-live, or for good).
        Expectation-confirmation theory (Bhattacherjee 2001): satisfaction, and so the wish to
        continue, follows how far use confirms what the customer expected."""
        promise = np.fromiter(map(_PROMISE, accs), dtype=float, count=len(accs))
        if gap_days is not None:
            live = np.fromiter(map(_LIVE, accs), dtype=float, count=len(accs))
            promise = np.where(now - live < gap_days, promise, 0.0)
        return target - gap * promise

    def touches(self, accs: list[Account], now: float) -> tuple[np.ndarray, np.ndarray]:
        """CSM touches this month per account, and which accounts have a CSM.

        A CSM's touches (``touches_per_month``, scaled by their ramp) are shared across their
        book in proportion to each account's tier weight. Computed per CSM and spread over
        the accounts with array operations (a large installed base has tens of thousands)."""
        n = len(accs)
        if not self.ever_staffed:
            return np.zeros(n), np.zeros(n, dtype=bool)
        csms = list(map(_CSM, accs))
        team = [w for w in dict.fromkeys(csms) if isinstance(w, Worker)]
        position = {w: i for i, w in enumerate(team)}
        idx = np.fromiter(map(position.get, csms, repeat(-1)), dtype=np.int64, count=n)
        assigned = idx >= 0
        weights = self._tier_weights(accs)
        book_weight = np.bincount(idx[assigned], weights=weights[assigned], minlength=len(team))
        per_day = self.csm_hours_per_day
        left = np.array([max(0.0, 1.0 - w.account_hours / per_day) for w in team])
        per_csm = np.array([self.cfg.touches_per_month * w.productivity(now) for w in team]) * left
        self.rec.hours("csm_touch", now - DAYS_PER_MONTH / 2, now + DAYS_PER_MONTH / 2,
                       float(np.sum(left)) * self.cfg.hours_per_month)
        touches = np.zeros(n)
        mine = idx[assigned]
        touches[assigned] = per_csm[mine] * weights[assigned] / book_weight[mine]
        return touches, assigned

    def _tier_weights(self, accs: list[Account]) -> np.ndarray:
        """Service level of each account: the weight of the highest tier its ARR reaches."""
        weights = np.ones(len(accs))
        tiers = sorted(self.cfg.tiers, key=lambda t: t.min_arr, reverse=True)
        if tiers:
            arr = np.fromiter(map(_ARR, accs), dtype=float, count=len(accs))
            for t in reversed(tiers):  # higher tiers overwrite lower ones (ties: the one listed first)
                weights[arr >= t.min_arr] = t.weight
        return weights

    def _expansions(self, accs: list[Account], ids: np.ndarray, health: np.ndarray, month: int,
                    per_year: float, size: Distribution, key: int, owner: Owner) -> None:
        """Expansion signals this month, proportional to health; the owner works them."""
        if per_year <= 0:
            return
        if self.bands:
            arr = np.fromiter(map(_ARR, accs), dtype=float, count=len(accs))
            factor = np.ones(len(accs))
            for b in self.bands:  # ascending: the highest band reached wins
                factor[arr >= b.min_arr] = b.expansion_factor
            p = 1.0 - np.exp(-per_year * health * factor / 12.0)
        else:
            p = 1.0 - np.exp(-per_year * health / 12.0)
        u = self.streams.u_array(key, ids, month)
        for i in np.flatnonzero(u < p).tolist():
            a = accs[i]
            grow = max(0.0, float(size.ppf(self.streams.u(key ^ 0x5A5A, a.id, month)))) * a.arr
            who = owner.for_account(isinstance(a.am, Worker))
            if who == "ae":
                self.world.ae.expansion(a, grow, self.expansion_effort)
            else:
                if who == "csm" and isinstance(a.csm, Worker):  # the motion costs the CSM's hours
                    self.commit_hours(a.csm, "expansion", self.sc.org.expansion_hours,
                                      self.env.now + self.sc.org.expansion_effort_days.mean)
                self.close_expansion(a, grow, who, None)

    def close_expansion(self, a: Account, amount: float, owner: str, worker: Worker | None) -> None:
        """The expansion is signed: ARR grows, the owner (or the deal's AE) is paid."""
        self.base.change_arr(a, EXPANSION, amount)
        self.pay.credit_expansion(a, amount, owner, worker)


def _now(value: object) -> Process:
    """A process step that returns ``value`` at once."""
    return value
    yield  # pragma: no cover  (makes this a generator)
