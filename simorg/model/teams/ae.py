"""Account executives: opportunities from qualification (or their own prospecting) to the
buyer's decision; renewals and expansions when the org rules give them those.

* **AE capacity.** An AE holds at most ``capacity`` open opportunities; more wait in the
  routing queue, ordered by pay when pay priority is on (``behaviour.pay_priority``) and
  routed by ``org.lead_routing`` (a policy in ``policies/routing.py``). Win chance:
  ``win_rate * (1 + fit_win_effect * (fit - 0.5)) * ramp * presales``.
* **Presales.** Deals that need it ask the presales team (``presales.support(lead)``).
* **Hours.** An AE has ``hours_per_month``; renewal and expansion motions take their hours out of them
  (``account_hours``), the rest is selling time shared over their open deals: a deal closes
  when both the buyer's cycle has passed and the rep has given it ``opportunity_hours``. By
  default (``deal_hours_sharing: buyer_paced``, :class:`PacedDeals`) each deal takes the rep's
  hours at most at its buyer's pace, the rest shared equally, re-shared as deals and account work
  come and go; ``at_start`` fixes a deal's share by the load at its start; ``processor_sharing``
  gives all selling hours to the deals still needing hours (:class:`~.base.SharedHours`).
* **Self-sourcing.** An AE whose pipeline is thin creates opportunities of their own, at a
  rate scaled by their share of selling hours and by quota pressure (``pay.prospecting_pressure``).
* **Attrition.** An AE whose trailing six-month attainment is below
  ``low_attainment_threshold`` leaves ``low_attainment_attrition_multiplier`` times as often
  (AEs far below quota quit: the failure mode of article 001).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import simpy

from ...scenario.schema import AETeam
from ..entities import LOST, PARTNER, SELF, STALE, WON, Account, Lead, Task
from ..policies import WORK_PRIORITY
from ..pools import DAYS_PER_MONTH, Pool, Worker, schedule
from ..records import BONUS, COMMISSION
from ..traits import SEQ_BITS, SEQ_MASK, Sampler
from .base import Process, SharedHours, TeamComponent

if TYPE_CHECKING:
    from ..world import World

SELF_SOURCE_CODE = 200
SELF_SOURCE_CODE_LATE = 1 << 12


def self_source_code(ordinal: int) -> int:
    """Id space of the opportunities AE number ``ordinal`` sources (ids are ``code << SEQ_BITS | seq``).

    AEs 0-49 use codes 200-249, as always; later AEs use 4096 + ordinal, clear of the initial
    customers' code 250 (before, AE 50's first deal got the id of initial customer 0)."""
    if SELF_SOURCE_CODE + ordinal < 250:
        return SELF_SOURCE_CODE + ordinal
    return SELF_SOURCE_CODE_LATE + ordinal


class AE(TeamComponent):
    """The AE team: new business, and the renewals and expansions the org gives it."""

    role = "ae"
    cfg: AETeam

    def __init__(self, world: World, cfg: AETeam):
        super().__init__(world, cfg)
        pp = self.sc.behaviour.pay_priority
        self.by_pay = WORK_PRIORITY.create("pay_per_day" if pp.responsiveness > 0 else "oldest_first",
                                           pp.responsiveness, pp.days_per_doubling).queue_key(world)
        self.queue: Pool = Pool(  # raw leads (no SDR employed) go stale; opportunities, tasks do not
            self.env, "ae", self.sc.org.lead_routing, priority=self.by_pay,
            max_wait=self.sc.teams.sdr.max_lead_age_days,
            expires=lambda item: isinstance(item, Lead) and item.first_touch != item.first_touch)
        self.pool = self.queue
        self.self_delivery = Sampler(cfg.self_delivery_days, self.streams.generator("ae.self_delivery"))
        self.hours_per_day = cfg.hours_per_month / DAYS_PER_MONTH
        self.k_prospect = self.streams.key("ae.prospect")
        self.processor_sharing = cfg.deal_hours_sharing == "processor_sharing"
        self.buyer_paced = cfg.deal_hours_sharing == "buyer_paced"
        self.paced: dict[int, PacedDeals] = {}  # AE id -> their deals' hours (buyer_paced)
        self.desks: dict[int, SharedHours] = {}  # AE id -> the deals that still need their hours

    def wire(self) -> None:
        world = self.world
        self.pay = world.pay
        self.presales = world.presales
        self.implementation = world.implementation
        self.customer_success = world.csm

    # ---- people
    def hire(self, start: float, initial: bool) -> Worker:
        w = super().hire(start, initial)
        w.quota_per_year = self.cfg.quota_per_year
        return w

    def join(self, w: Worker) -> None:
        if self.sc.org.lead_routing == "segment_pods":
            w.pod = self._pod_for_new_ae()
        super().join(w)
        if self.cfg.self_source_per_month > 0:
            self.env.process(self._self_source(w))

    def _pod_for_new_ae(self) -> str:
        """The segment pod furthest below its share of the AEs currently employed."""
        shares = self.sc.org.pods or {s: 1.0 for s in self.sc.segments}
        total = math.fsum(shares.values())  # exact: the same whatever the order of the pods
        counts = {s: 0 for s in shares}
        for w in self.people:
            if w.pod in counts:
                counts[w.pod] += 1
        n = sum(counts.values()) + 1
        return min(sorted(shares), key=lambda s: counts[s] - n * shares[s] / total)  # ties: by name

    def attrition_hazard(self, w: Worker, base: float) -> float:
        att = self.trailing_attainment(w)
        if att is not None and att < self.cfg.low_attainment_threshold:
            return base * self.cfg.low_attainment_attrition_multiplier
        return base

    def trailing_attainment(self, w: Worker, months: float = 6.0,
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

    def attainment_rows(self, horizon: float) -> list[tuple[int, float, float, bool]]:
        """Per AE who started: (id, bookings, ramped quota, initial) over the horizon."""
        return [
            (w.id, sum(arr for t, arr in w.bookings if 0.0 <= t <= horizon),  # not the warm-up's
             self.cfg.quota_per_year * w.ramped_years(0.0, horizon), w.initial)
            for w in self.world.staff if w.role == "ae" and w.start < horizon
        ]

    # ---- opportunities
    def submit(self, lead: Lead) -> None:
        """A qualified lead (or a partner's deal) joins the AE queue as an opportunity."""
        self.queue.submit(lead, self._taken)

    def _taken(self, lead: Lead, ae: Worker | None) -> None:
        """An AE takes the opportunity; ``None``: it waited past the queue's shelf life (only
        without an SDR team, when the AE queue holds leads for at most ``max_lead_age_days``)."""
        if ae is None:
            lead.state = STALE
            lead.closed_t = self.env.now
            self.rec.leads.close(lead)
            return
        self.opportunity(lead, ae)

    def release(self, w: Worker) -> None:
        """``w`` is done with an item (a lost deal, a delivered one, a task)."""
        self.queue.release(w)

    def _self_source(self, ae: Worker) -> Process:
        """A thin pipeline makes an AE prospect: opportunities at a rate, while below the bar."""
        team = self.cfg
        env = self.env
        gen = self.streams.generator(f"self_source.{ae.ordinal}")
        mix = team.self_source_segment_mix or {s: 1.0 for s in self.sc.segments}
        if ae.pod is not None:  # a pod AE prospects in the pod's segment
            mix = {ae.pod: 1.0}
        traits = self.world.lead_traits(self_source_code(ae.ordinal), team.self_source_fit, mix, block=32)
        rate = team.self_source_per_month / DAYS_PER_MONTH
        seq = 0
        while True:
            yield env.timeout(gen.standard_exponential() / rate)
            if ae.leaving:
                return
            lid, seg, fit, acv, uq = traits.get(seq)
            seq += 1  # the draw is used up whether or not it becomes a deal (common random numbers)
            if ae.load >= team.self_source_below * ae.capacity:
                continue
            keep = self.free_share(ae) * self.pay.prospecting_pressure(ae)
            if keep < 1.0 and self.streams.u(self.k_prospect, ae.id, seq) >= keep:
                continue  # busy with accounts, or ahead of quota: this prospect is not worked
            if not self.queue.take(ae):
                continue
            lead = Lead(lid, "self_sourced", seg, fit, acv, env.now, SELF, uq)
            lead.first_touch = lead.qualified_t = env.now
            self.rec.leads.add(lead)
            self.opportunity(lead, ae)

    def win_probability(self, lead: Lead, ae: Worker, support: float) -> float:
        team = self.cfg
        seg = self.sc.segments[lead.segment]
        p = seg.win_rate * (1 + team.fit_win_effect * (lead.fit - 0.5)) * support * self.world.market.win_factor()
        p *= ae.productivity(self.env.now)
        if not ae.initial:
            p *= team.new_team_win_factor
        if ae.leaving:
            p *= team.orphan_win_factor
        return min(1.0, max(0.0, p))

    def opportunity(self, lead: Lead, ae: Worker) -> None:
        """An AE takes the opportunity (from the AE queue, or one they sourced themselves).

        An opportunity is not a process: the sales cycle is a timeout that calls
        :meth:`_decision`. Only a deal that asks for presales gets a process, because it may
        wait for a presales consultant."""
        lead.assigned_t = self.env.now
        lead.owner = ae.id
        if self.presales.needed(lead):
            self.env.process(self._with_presales(lead, ae))
        else:
            self._sales_cycle(lead, ae, 1.0)

    def _with_presales(self, lead: Lead, ae: Worker) -> Process:
        support = yield from self.presales.support(lead)
        self._sales_cycle(lead, ae, support)

    def selling_share(self, ae: Worker) -> float:
        """Share of the rep's hours not taken by account work (at least 10%)."""
        left = 1.0 - ae.account_hours / self.hours_per_day
        return left if left > 0.1 else 0.1

    def free_share(self, ae: Worker) -> float:
        """Share of the rep's hours neither their open deals nor account work take: the time
        they can prospect in (``self_source_per_month`` is the rate with all of it free). With
        deal hours shared by processor sharing, a rep with deal hours still to give spends all
        their selling hours on them."""
        if self.processor_sharing:
            desk = self.desks.get(ae.id)
            if desk is not None and desk.tags:
                return 0.0
            left = 1.0 - ae.account_hours / self.hours_per_day
        else:
            left = 1.0 - (ae.account_hours + ae.deal_hours) / self.hours_per_day
        return left if left > 0.0 else 0.0

    def hours_changed(self, w: Worker) -> None:
        desk = self.desks.get(w.id)
        if desk is not None:
            desk.set_slots(self.hours_per_day * self.selling_share(w))
        paced = self.paced.get(w.id)
        if paced is not None:
            paced.reshare()

    def _sales_cycle(self, lead: Lead, ae: Worker, support: float) -> None:
        """The deal closes when the buyer's cycle has passed and the rep has given it
        ``opportunity_hours``, by the team's ``deal_hours_sharing`` rule: ``buyer_paced`` (each
        deal at most at its buyer's pace, re-shared as deals and account work come and go),
        ``at_start`` (by the load at the deal's start) or ``processor_sharing`` (all selling
        hours to the deals still needing hours, re-shared)."""
        lid = lead.id
        cycle, u_win = self.world.traits_by_code[lid >> SEQ_BITS].opportunity(lid & SEQ_MASK)
        need = self.cfg.opportunity_hours
        if self.buyer_paced and need > 0:
            paced = self.paced.get(ae.id)
            if paced is None:
                paced = self.paced[ae.id] = PacedDeals(self, ae)
            paced.add(need, cycle, (lead, ae, support, u_win, self.env.now))
            return
        if self.processor_sharing and need > 0:
            deal = [lead, ae, support, u_win, 2, self.env.now]  # 2: the cycle and the hours to come
            desk = self.desks.get(ae.id)
            if desk is None:
                desk = self.desks[ae.id] = SharedHours(self.env, 1, self._hours_given)
                desk.slots = self.hours_per_day * self.selling_share(ae)
            desk.add(need, deal)
            schedule(self.env, cycle, deal, self._cycle_over)
            return
        rate = 0.0
        if need > 0:
            rep_days = need * ae.load / (self.hours_per_day * self.selling_share(ae))
            if rep_days > cycle:
                cycle = rep_days
            now = self.env.now
            rate = need / cycle if cycle > 0 else 0.0
            ae.deal_hours += rate
            self.rec.hours("ae_selling", now, now + cycle, need)
        schedule(self.env, cycle, (lead, ae, support, u_win, rate), self._cycle_end)

    def _cycle_end(self, done: simpy.Event) -> None:
        """The cycle (stretched by the rep's load at the start) is over: the buyer decides."""
        lead, ae, support, u_win, rate = done.value  # type: ignore[misc]  # simpy types a value as Optional
        if rate:
            ae.deal_hours = max(0.0, ae.deal_hours - rate)
        self._decision(lead, ae, support, u_win)

    def _cycle_over(self, done: simpy.Event) -> None:
        """Processor sharing: the buyer's cycle has passed; the buyer decides once the rep's
        hours are given too."""
        deal: list[Any] = done.value  # type: ignore[assignment]  # simpy types a value as Optional
        deal[4] -= 1
        if deal[4] == 0:
            self._decision(deal[0], deal[1], deal[2], deal[3])

    def _hours_given(self, deal: list[Any]) -> None:
        """Processor sharing: the rep has given the deal its ``opportunity_hours``."""
        self.rec.hours("ae_selling", deal[5], self.env.now, self.cfg.opportunity_hours)
        deal[4] -= 1
        if deal[4] == 0:
            self._decision(deal[0], deal[1], deal[2], deal[3])

    def _paced_done(self, deal: tuple[Lead, Worker, float, float, float]) -> None:
        """buyer_paced: the deal has had its hours (and so its buyer's cycle): the buyer decides."""
        lead, ae, support, u_win, start = deal
        self.rec.hours("ae_selling", start, self.env.now, self.cfg.opportunity_hours)
        self._decision(lead, ae, support, u_win)

    def _decision(self, lead: Lead, ae: Worker, support: float, u_win: float) -> None:
        """The buyer decides: lost (the AE's slot is free again) or won (signature, delivery)."""
        lead.closed_t = self.env.now
        if u_win >= self.win_probability(lead, ae, support):
            lead.state = LOST
            self.rec.leads.close(lead)
            self.queue.release(ae)
            return
        lead.state = WON
        self._book_new_deal(lead, ae)
        if not self.sc.behaviour.attribution_gaming.audit:  # else an audit may still re-label it
            self.rec.leads.close(lead)
        self.implementation.deal_won(lead, ae)

    def _book_new_deal(self, lead: Lead, ae: Worker) -> None:
        """Signature: the rep records the source, commissions and variable pay are due."""
        pay = self.pay
        audited = pay.record_source(lead)
        commissioned = pay.pay_ae(ae, lead.acv, pay.new_rate(lead.recorded_source), counts_to_quota=True)
        if audited:  # kept for the monthly audits, with what its claw-back may take back
            pay.relabelled.append((lead, commissioned, ae))
        sdr = self.sc.teams.sdr
        if lead.worker_sdr >= 0 and self.world.sdr.ever_staffed and sdr.pay_basis == "qualified_plus_revenue":
            self.rec.cost(self.env.now, "sdr", COMMISSION, sdr.revenue_share * lead.acv)
        if lead.true_source == PARTNER:
            self.world.partners.deal_won(lead)
        if lead.presales == "supported":
            ps = self.sc.teams.presales
            amount = ps.variable_pay_per_deal * ps.win_share
            if amount > 0:
                self.rec.cost(self.env.now, "presales", BONUS, amount)

    def deliver_myself(self, a: Account, ae: Worker, supported: bool) -> None:
        """The AE delivers a small deal, keeping the deal's slot meanwhile."""
        schedule(self.env, self.self_delivery(), (a, ae, supported), self._self_delivered)

    def _self_delivered(self, done: simpy.Event) -> None:
        a, ae, supported = done.value  # type: ignore[misc]  # simpy types a value as Optional
        self.queue.release(ae)
        self.implementation.go_live(a, supported)

    # ---- work on existing accounts
    def work_renewal(self, a: Account, end: float, effort: Sampler) -> Process:
        """An AE works the renewal for the hours their plan makes it worth
        (``pay.renewal_hours``), spread until the contract ends and taken from their selling
        hours: the account's own AE if still here, else the AE with the least account work.
        The owner also spends ``org.renewal_admin_hours`` on the paperwork either way.
        Returns (AE, hours); (None, 0): nobody tries to save it, it lapses to its unworked chance."""
        hours = self.pay.renewal_hours(a, "ae")
        w = self.renewal_rep(a)
        if w is None:
            return (yield from _now((None, 0.0)))
        self.commit_hours(w, "renewal", hours + self.sc.org.renewal_admin_hours * self.world.csm.term_share(a), end)
        if hours <= 0:
            return (yield from _now((None, 0.0)))
        return (yield from _now((w, hours)))

    def renewal_rep(self, a: Account) -> Worker | None:
        """The AE who works an account's renewal (its own AE first)."""
        own = self.world.worker_by_id.get(a.ae)
        if own is not None and own.role == "ae" and not own.leaving and own in self.people:
            return own
        free = [w for w in self.people if not w.leaving]
        if not free:
            return None
        return min(free, key=lambda w: (w.account_hours, w.ordinal))

    def expansion(self, a: Account, amount: float, effort: Sampler) -> None:
        """An AE works the expansion as a CSM does: ``org.expansion_hours`` of their time
        spread over ``org.expansion_effort_days`` (mean), taken from their selling hours (no AE
        slot is held); the account's own AE if still here, else the AE with the least account
        work. Signed at once; lost if no AE is employed."""
        w = self.renewal_rep(a)
        if w is None:
            return
        org = self.sc.org
        self.commit_hours(w, "expansion", org.expansion_hours, self.env.now + org.expansion_effort_days.mean)
        self.customer_success.close_expansion(a, amount, "ae", w)


def _now(value: object) -> Process:
    """A process step that returns ``value`` at once."""
    return value
    yield  # pragma: no cover  (makes this a generator)


def work_task(pool: Pool, env: simpy.Environment, task: Task, end: float, effort: Sampler) -> Process:
    """A task from a team queue: taken before ``end`` or not at all; returns who worked it."""
    req = pool.request(task)
    if not req.triggered and end > env.now:
        yield req | env.timeout(end - env.now)
    if not req.triggered or req.value is None:
        pool.cancel(req)
        return None
    w = req.value
    yield env.timeout(effort())
    pool.release(w)
    return w


class PacedDeals:
    """One rep's selling hours over their open deals, each deal at most at its buyer's pace
    (``deal_hours_sharing: buyer_paced``).

    A deal needs ``opportunity_hours`` of the rep's time, spread over the buyer's cycle: at
    most ``hours / cycle`` a day (the buyer sets the pace of meetings, demos and proposals; a
    rep cannot do a month of a buyer's process in two days). The rep's selling hours a day
    (their hours less account work) are shared over the deals by water-filling: each deal gets
    an equal share, a deal that needs less than its share (its buyer's pace) gets only that,
    and what it leaves is shared over the others (max-min fairness, Bertsekas and Gallager,
    *Data Networks*, 1992). A rep with hours to spare gives every deal its buyer's pace, and the
    deal closes when its cycle ends; a rep short of hours gives each an equal share and the
    cycles stretch, smoothly with load. Shares are recomputed whenever a deal starts or ends
    and whenever account work (renewal and expansion motions) takes or gives back hours. What
    the deals take is the rep's ``deal_hours``; what is left is prospecting time
    (:meth:`AE.free_share`). One timeout is pending per rep, for the next deal to finish."""

    __slots__ = ("team", "ae", "deals", "t", "version")

    def __init__(self, team: AE, ae: Worker):
        self.team = team
        self.ae = ae
        self.deals: list[list[Any]] = []  # [hours left, buyer's pace (hours a day), rate, deal]
        self.t = team.env.now
        self.version = 0

    def _advance(self) -> None:
        now = self.team.env.now
        dt = now - self.t
        if dt > 0:
            for d in self.deals:
                d[0] -= d[2] * dt
        self.t = now

    def add(self, hours: float, cycle: float, deal: Any) -> None:
        """A deal of ``hours`` over a buyer's cycle of ``cycle`` days joins the rep's hands."""
        self._advance()
        pace = hours / cycle if cycle > 0 else math.inf
        self.deals.append([hours, pace, 0.0, deal])
        self._share()

    def reshare(self) -> None:
        """Account work changed the rep's selling hours: the deals' shares follow."""
        self._advance()
        self._share()

    def _share(self) -> None:
        """Water-fill the rep's selling hours over the deals, then wait for the next to finish."""
        team, ae = self.team, self.ae
        self.version += 1
        total = 0.0
        deals = self.deals
        if deals:
            left = team.hours_per_day * team.selling_share(ae)
            n = len(deals)
            delay = math.inf
            for i, d in enumerate(sorted(deals, key=_pace) if n > 1 else deals):
                fair = left / (n - i)
                rate = d[1] if d[1] < fair else fair
                d[2] = rate
                left -= rate
                total += rate
                finish = d[0] / rate
                if finish < delay:
                    delay = finish
            schedule(team.env, delay if delay > 0.0 else 0.0, (self, self.version), _paced_due)
        ae.deal_hours = total

    def due(self, version: int) -> None:
        """The pending timeout fired: deals whose hours are given are done."""
        if version != self.version:
            return  # superseded: shares changed since
        self._advance()
        keep: list[list[Any]] = []
        done: list[list[Any]] = []
        for d in self.deals:  # tolerance relative to the deal's rate (its pace is infinite with no cycle)
            (done if d[0] <= 1e-9 * (1.0 + d[2]) else keep).append(d)
        if not done:  # rounding: the deal due first is a hair short; it is done
            first = min(keep, key=_due_in)
            done = [first]
            keep = [d for d in keep if d is not first]
        self.deals = keep
        self._share()
        for d in done:
            self.team._paced_done(d[3])


def _pace(d: list[Any]) -> float:
    return d[1]


def _due_in(d: list[Any]) -> float:
    return d[0] / d[2]


def _paced_due(ev: simpy.Event) -> None:
    paced, version = ev.value  # type: ignore[misc]  # simpy types a value as Optional
    paced.due(version)
