"""Lead to signed deal: marketing channels, SDR qualification, AE opportunities, presales.

Mechanisms (each documented in docs/model.md):

* **Marketing spend -> leads.** A channel's monthly budget buys ``budget / cost_per_lead``
  leads, arriving as a Poisson stream ``lag_days`` after the spend.
* **Lead response decay.** The chance an SDR qualifies a lead falls with the wait before
  first touch: ``qualify_rate * (0.5 + fit) * (floor + (1 - floor) * 0.5 ** (wait_h / half_life))``
  (Oldroyd et al., HBR 2011: leads touched within an hour qualify far more often). A lead
  nobody touches within ``max_lead_age_days`` goes stale (Sabnis et al. 2013: most marketing
  leads are never followed up).
* **AE capacity.** An AE holds at most ``capacity`` open opportunities; more wait in the
  routing queue. Win chance: ``win_rate * (1 + fit_win_effect * (fit - 0.5)) * ramp * presales``.
* **Presales.** Deals at or above ``acv_threshold`` ask for presales; a deal that does not
  get it within ``max_wait_days`` waits on (longer cycle) or goes on unsupported (lower win).
* **Self-sourcing.** An AE whose pipeline is thin creates opportunities of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from .entities import DISQUALIFIED, LOST, MARKETING, SELF, STALE, WON, Lead
from .pools import DAYS_PER_MONTH, Worker
from .records import BONUS, COMMISSION, MARKETING_SPEND
from .rng import source_codes
from .traits import BLOCK, SEQ_BITS, SEQ_MASK, LeadTraits

if TYPE_CHECKING:
    from .world import World

SELF_SOURCE_CODE = 200
SELF_SOURCE_CODE_LATE = 1 << 12


def self_source_code(ordinal: int) -> int:
    """Id space of the opportunities AE number ``ordinal`` sources (ids are ``code << SEQ_BITS | seq``).

    AEs 0-49 use codes 200-249, as always; later AEs use 4096 + ordinal, clear of the initial
    customers' code 250 (before, AE 50's first deal got the id of initial customer 0)."""
    if SELF_SOURCE_CODE + ordinal < 250:
        return SELF_SOURCE_CODE + ordinal
    return SELF_SOURCE_CODE_LATE + ordinal


class SalesFlow:
    """Mixin of :class:`~simorg.model.world.World`: the processes from spend to signature."""

    # ------------------------------------------------------------------ marketing
    def _start_marketing(self: World) -> None:
        cost_factor, fit_factor = self.marketing_bias()
        channels = self.sc.marketing.channels
        codes = source_codes("channel", list(channels))
        for name in sorted(channels):  # by name: the file's order of channels changes nothing
            ch = channels[name]
            for m in range(self.months):
                spend = ch.budget_per_month * (1 + ch.budget_growth_per_month) ** m
                if spend > 0:
                    self.rec.cost(m * DAYS_PER_MONTH, "marketing", MARKETING_SPEND, spend)
            traits = self.lead_traits(codes[name], ch.fit, ch.segment_mix, fit_factor)
            self.env.process(self._channel(name, ch, traits, ch.cost_per_lead * cost_factor))

    def _channel(self: World, name: str, ch, traits: LeadTraits, cost_per_lead: float):
        """Poisson arrivals, piecewise constant by month of spend, shifted by the lag."""
        env = self.env
        exp = self.streams.generator(f"arrivals.{name}")
        buf: list[float] = []
        seq = 0
        horizon, add = self.horizon, self.rec.leads.add
        submit, touched = self.lead_pool.submit, self._lead_touched
        for m in range(self.months):
            start = m * DAYS_PER_MONTH + ch.lag_days
            if start >= self.horizon:
                return
            end = start + DAYS_PER_MONTH
            rate = ch.budget_per_month * (1 + ch.budget_growth_per_month) ** m / cost_per_lead / DAYS_PER_MONTH
            if rate <= 0:
                continue
            t = start
            while True:
                if not buf:
                    buf = exp.standard_exponential(512).tolist()
                t += buf.pop() / rate
                if t >= end:
                    break  # memoryless: the next month's window starts afresh
                if t >= horizon:
                    return
                yield env.timeout(t - env.now)
                lid, seg, fit, acv, uq = traits.get(seq)
                lead = Lead(lid, name, seg, fit, acv, env.now, MARKETING, uq)
                seq += 1
                add(lead)
                submit(lead, touched)  # to the SDR queue (with no SDR team, the AE queue)

    def lead_traits(self: World, code: int, fit, segment_mix: dict[str, float],
                    fit_scale: float = 1.0, block: int = BLOCK) -> LeadTraits:
        """The trait tables of the leads with id code ``code`` (a channel, or one AE's own deals)."""
        segs = self.sc.segments
        traits = LeadTraits(self.streams, code, fit, segment_mix, {n: s.acv for n, s in segs.items()},
                            {n: s.cycle_days for n, s in segs.items()}, fit_scale, block)
        self.traits_by_code[code] = traits
        return traits

    # ------------------------------------------------------------------ SDR
    def qualify_probability(self: World, lead: Lead, wait_days: float) -> float:
        """Chance the lead qualifies after waiting ``wait_days`` for its first touch."""
        floor, half_life, rate = self.qualify_params
        decay = floor + (1 - floor) * 0.5 ** (wait_days * 24.0 / half_life)
        return min(1.0, rate * (0.5 + lead.fit) * decay)

    def _lead_touched(self: World, lead: Lead, w: Worker | None) -> None:
        """A worker takes the lead (``None``: nobody touched it within its shelf life).

        A lead is not a process: the pool calls this when a worker takes it, and the end of
        the work is a timeout that calls :meth:`_lead_worked` (two events per lead)."""
        env = self.env
        if w is None:
            lead.state = STALE
            lead.closed_t = min(env.now, lead.created + self.sc.teams.sdr.max_lead_age_days)
            self.rec.leads.close(lead)
            return
        now = env.now
        lead.first_touch = now
        lead.worker_sdr = w.id
        env.timeout(self.sdr_work() / w.speed(now), (lead, w)).callbacks.append(self._lead_worked)

    def _lead_worked(self: World, done: simpy.Timeout) -> None:
        """The first touch is done: the lead qualifies or not."""
        lead, w = done.value
        env = self.env
        pool = self.lead_pool
        p = self.qualify_probability(lead, lead.first_touch - lead.created)
        extra = self.sdr_extra if self.has_sdr else 0.0
        if lead.u_qualify >= p + extra * (1.0 - p):
            pool.release(w)
            lead.state, lead.closed_t = DISQUALIFIED, env.now
            self.rec.leads.close(lead)
            return
        if lead.u_qualify >= p:  # passed below the bar: the fit was not really there
            lead.fit *= self.sc.behaviour.sdr_bar_lowering.fit_factor
        lead.qualified_t = env.now
        if self.has_sdr:
            sdr = self.sc.teams.sdr
            if sdr.pay_per_qualified > 0:
                self.rec.cost(env.now, "sdr", COMMISSION, sdr.pay_per_qualified)
            pool.release(w)
            self.pools["ae"].submit(lead, self._opportunity)
        else:
            self._opportunity(lead, w)

    # ------------------------------------------------------------------ AE
    def _start_self_sourcing(self: World, ae: Worker) -> None:
        if self.sc.teams.ae.self_source_per_month > 0:
            self.env.process(self._self_source(ae))

    def _self_source(self: World, ae: Worker):
        """A thin pipeline makes an AE prospect: opportunities at a rate, while below the bar."""
        team = self.sc.teams.ae
        env = self.env
        gen = self.streams.generator(f"self_source.{ae.ordinal}")
        mix = team.self_source_segment_mix or {s: 1.0 for s in self.sc.segments}
        if ae.pod is not None:  # a pod AE prospects in the pod's segment
            mix = {ae.pod: 1.0}
        traits = self.lead_traits(self_source_code(ae.ordinal), team.self_source_fit, mix, block=32)
        rate = team.self_source_per_month / DAYS_PER_MONTH
        seq = 0
        while True:
            yield env.timeout(gen.standard_exponential() / rate)
            if ae.leaving:
                return
            lid, seg, fit, acv, uq = traits.get(seq)
            seq += 1  # the draw is used up whether or not it becomes a deal (common random numbers)
            if ae.load >= team.self_source_below * ae.capacity or not self.pools["ae"].take(ae):
                continue
            lead = Lead(lid, "self_sourced", seg, fit, acv, env.now, SELF, uq)
            lead.first_touch = lead.qualified_t = env.now
            self.rec.leads.add(lead)
            self._opportunity(lead, ae)

    def win_probability(self: World, lead: Lead, ae: Worker, support: float) -> float:
        team = self.sc.teams.ae
        seg = self.sc.segments[lead.segment]
        p = seg.win_rate * (1 + team.fit_win_effect * (lead.fit - 0.5)) * support
        p *= ae.productivity(self.env.now)
        if not ae.initial:
            p *= team.new_team_win_factor
        if ae.leaving:
            p *= team.orphan_win_factor
        return min(1.0, max(0.0, p))

    def _opportunity(self: World, lead: Lead, ae: Worker) -> None:
        """An AE takes the opportunity (from the AE queue, or one they sourced themselves).

        Like the SDR stage, an opportunity is not a process: the sales cycle is a timeout that
        calls :meth:`_decision`. Only a deal that asks for presales gets a process, because it
        may wait for a presales consultant."""
        lead.assigned_t = self.env.now
        lead.owner = ae.id
        if self.needs_presales(lead):
            self.env.process(self._with_presales(lead, ae))
        else:
            self._sales_cycle(lead, ae, 1.0)

    def _with_presales(self: World, lead: Lead, ae: Worker):
        support = yield from self._presales(lead)
        self._sales_cycle(lead, ae, support)

    def _sales_cycle(self: World, lead: Lead, ae: Worker, support: float) -> None:
        lid = lead.id
        cycle, u_win = self.traits_by_code[lid >> SEQ_BITS].opportunity(lid & SEQ_MASK)
        self.env.timeout(cycle, (lead, ae, support, u_win)).callbacks.append(self._decision)

    def _decision(self: World, done: simpy.Timeout) -> None:
        """The buyer decides: lost (the AE's slot is free again) or won (signature, delivery)."""
        lead, ae, support, u_win = done.value
        lead.closed_t = self.env.now
        if u_win >= self.win_probability(lead, ae, support):
            lead.state = LOST
            self.rec.leads.close(lead)
            self.pools["ae"].release(ae)
            return
        lead.state = WON
        self._book_new_deal(lead, ae)
        if not self.sc.behaviour.attribution_gaming.audit:  # else an audit may still re-label it
            self.rec.leads.close(lead)
        self._deliver(lead, ae)

    def _book_new_deal(self: World, lead: Lead, ae: Worker) -> None:
        """Signature: the rep records the source, commissions and variable pay are due."""
        audited = self.record_source(lead)
        commissioned = self.pay_ae(ae, lead.acv, self.new_rate(lead.recorded_source), counts_to_quota=True)
        if audited:  # kept for the monthly audits, with what its claw-back may take back
            self.relabelled.append((lead, commissioned, ae))
        sdr = self.sc.teams.sdr
        if lead.worker_sdr >= 0 and self.has_sdr and sdr.pay_basis == "qualified_plus_revenue":
            self.rec.cost(self.env.now, "sdr", COMMISSION, sdr.revenue_share * lead.acv)
        if lead.presales == "supported":
            ps = self.sc.teams.presales
            pay = ps.variable_pay_per_deal * ps.win_share
            if pay > 0:
                self.rec.cost(self.env.now, "presales", BONUS, pay)

    # ------------------------------------------------------------------ presales
    def needs_presales(self: World, lead: Lead) -> bool:
        return self.has_presales and lead.acv >= self.sc.teams.presales.acv_threshold

    def _presales(self: World, lead: Lead):
        """Returns the win-chance multiplier from presales support (1 when not needed)."""
        ps = self.sc.teams.presales
        if not self.needs_presales(lead):
            return 1.0
        pool = self.pools["presales"]
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
        lead.promise = self.promise_inflation()
        self.env.process(self._presales_work(req.value))
        return ps.win_boost * (1.0 + self.sc.behaviour.promise_inflation.win_uplift * lead.promise)

    def _presales_work(self: World, w: Worker):
        yield self.env.timeout(self.presales_effort() / w.speed(self.env.now))
        self.pools["presales"].release(w)
