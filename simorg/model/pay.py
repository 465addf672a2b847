"""Comp plans and the behaviour they cause.

Pay is computed here from the comp-plan rules in the scenario (commission by motion and
lead source, accelerators and caps, bonuses, SDR and presales variable pay); every payment
is a cost record. Behaviour that pay causes is here too, each a named mechanism with a
parameter that turns it off (``behaviour.*`` in the scenario, see docs/model.md):

* **pay_priority**: agents order their queue by expected pay per day of effort. A task
  jumps ``responsiveness * days_per_doubling * log2(pay / reference)`` days ahead of the
  first-come-first-served order. ``responsiveness: 0`` is pure first come, first served.
* **attribution_gaming**: when self-sourced deals pay more than marketing-sourced ones, a
  share ``min(1, sensitivity * premium)`` of won marketing deals is recorded as self-sourced
  (premium = relative pay difference). A monthly audit catches ``audit_catch_rate`` of them
  and claws back the difference.
* **promise_inflation**: presales paid on wins over-promise by ``sensitivity * win_share``
  (damped when implementation sits under presales): higher win chance, more delivery effort,
  lower health at go-live.
* **sdr_bar_lowering**: SDRs paid per qualified lead only pass a share of would-be rejects,
  whose fit is only ``fit_factor`` of what it seemed.
* **marketing_volume_bias**: marketing measured on lead volume buys cheaper, lower-fit leads.
* **effort_follows_pay**: a renewal owner paid on absolute bookings (an AE) gives a renewal
  the hours at which the last hour's expected pay, ``rate * ARR * lift * exp(-h/h0) / h0``,
  equals the pay per hour of their alternative work (new deals); an owner measured on logo
  renewal rate (a CSM, a renewal specialist, an AM) values every logo and gives
  ``org.renewal_hours``. ``sensitivity: 0`` gives every owner ``org.renewal_hours``.
* **quota_pressure**: a rep prospects at ``1 - sensitivity * pace`` of the full rate (pace:
  plan-year bookings over quota to date), so renewals counted toward quota slow prospecting.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .entities import MARKETING, SELF, Account, Lead, Task
from .pools import DAYS_PER_MONTH, Worker
from .records import AUDIT, BONUS, COMMISSION, RETENTION_COMMISSION
from .teams.base import Process

if TYPE_CHECKING:
    from .world import World


class CompPlan:
    """The company's comp plans: who is paid what, and the behaviour pay causes.

    Teams call it when work pays (:meth:`pay_ae`, :meth:`bonus`, :meth:`credit_renewal`,
    :meth:`credit_expansion`); it writes every payment to the records."""

    def __init__(self, world: World):
        self.world = world
        self.sc = world.sc
        self.env = world.env
        self.rec = world.rec
        self.streams = world.streams
        self.k_relabel = world.streams.key("lead.relabel")
        self.k_audit = world.streams.key("lead.audit")
        self.relabelled: list[tuple[Lead, float, Worker]] = []  # re-labelled deals audits may catch
        self.ref_pay = self.reference_pay_per_day()

    # ------------------------------------------------------------------ rates
    def new_rate(self, source: str) -> float:
        ae = self.sc.teams.ae
        rate = ae.comp.new_rate_self if source == SELF else ae.comp.new_rate_marketing
        return ae.commission_rate if rate is None else rate

    def relabel_share(self) -> float:
        """Share of won marketing deals a rep records as self-sourced (attribution gaming)."""
        m, s = self.new_rate(MARKETING), self.new_rate(SELF)
        if s <= m:
            return 0.0
        premium = (s - m) / m if m > 0 else 1.0
        return min(1.0, self.sc.behaviour.attribution_gaming.sensitivity * premium)

    def promise_inflation(self) -> float:
        """How far presales over-promise, 0 (never) to ~1 (paid on wins alone)."""
        pi = self.sc.behaviour.promise_inflation
        infl = pi.sensitivity * self.sc.teams.presales.win_share
        if self.sc.org.implementation_under == "presales":
            infl *= 1.0 - pi.under_presales_damping
        return infl

    def sdr_extra_qualify(self) -> float:
        """Share of would-be rejects an SDR passes when paid per qualified lead only."""
        sdr = self.sc.teams.sdr
        if sdr.pay_basis != "qualified" or sdr.pay_per_qualified <= 0:
            return 0.0
        b = self.sc.behaviour.sdr_bar_lowering
        return min(1.0, b.sensitivity * b.max_extra_qualify)

    def marketing_bias(self) -> tuple[float, float]:
        """(cost-per-lead factor, fit factor) when marketing is measured on volume."""
        if self.sc.marketing.measured_on != "volume":
            return 1.0, 1.0
        b = self.sc.behaviour.marketing_volume_bias
        return max(0.05, 1.0 - b.sensitivity * b.cost_cut), max(0.0, 1.0 - b.sensitivity * b.fit_loss)

    # ------------------------------------------------------------------ pay priority
    def reference_pay_per_day(self) -> float:
        """Expected commission per AE-day of an average new deal: the zero point of pay priority.

        With every win rate at 0 no deal pays anything; the reference is then the pay of a won
        average deal (a positive scale, so pay priority stays defined: issue 13)."""
        segs = [self.sc.segments[name] for name in sorted(self.sc.segments)]  # sums in name order
        acv = sum(s.acv.mean for s in segs) / len(segs)
        win = sum(s.win_rate for s in segs) / len(segs)
        cycle = sum(s.cycle_days.mean for s in segs) / len(segs)
        rate = max(self.sc.teams.ae.commission_rate, 0.01)
        ref = rate * acv * win / max(cycle, 1e-6)
        if ref > 0:
            return ref
        return rate * max(acv, 1.0) / max(cycle, 1e-6)

    def expected_pay_per_day(self, item) -> float:
        """What working ``item`` pays its worker per day of effort, as the worker sees it."""
        comp = self.sc.teams.ae.comp
        if isinstance(item, Lead):
            seg = self.sc.segments[item.segment]
            source = SELF if self.relabel_share() > 0 else item.true_source
            return self.new_rate(source) * item.acv * seg.win_rate / max(seg.cycle_days.mean, 1e-6)
        if isinstance(item, Task):
            a = item.account
            if item.kind == "renewal":
                # The owner is paid on the renewal whether or not they work it, so what
                # working it adds is the rise in renewal chance: small renewals "that one
                # phone call cannot save" pay little for the time (article 004).
                specialists = self.sc.teams.renewal_specialist
                rate = comp.renewal_rate if item.pool == "ae" or specialists is None else specialists.bonus_rate
                effort = self.sc.org.renewal_effort_days.mean
                renewal_probability = self.world.csm.renewal_probability
                hours = self.sc.org.renewal_hours * self.world.csm.term_share(a)
                gain = renewal_probability(a, hours) - renewal_probability(a, 0.0)
                return rate * a.arr * gain / max(effort, 1e-6)
            rate = self.new_rate(MARKETING) if self.in_credit_window(a) else comp.expansion_rate
            return rate * item.amount / max(self.sc.org.expansion_effort_days.mean, 1e-6)
        return self.ref_pay

    # ------------------------------------------------------------------ effort follows pay
    def ae_pay_per_hour(self) -> float:
        """What an AE's hour of selling pays: new-business commission on a quota's worth of
        bookings over a year's working hours (the alternative an hour on a renewal costs)."""
        ae = self.sc.teams.ae
        return self.new_rate(MARKETING) * ae.quota_per_year / (12.0 * ae.hours_per_month)

    def renewal_hours(self, a: Account, owner: str) -> float:
        """Hours the owner gives this renewal (``behaviour.effort_follows_pay``).

        Measured on logo renewal (CSM, renewal specialist, AM): ``org.renewal_hours``, every
        logo alike. Paid on absolute bookings (AE): the hours ``h`` maximising
        ``rate * ARR * lift * (1 - exp(-h / h0)) - pay_per_hour * h``, i.e.
        ``h0 * ln(rate * ARR * lift / (h0 * pay_per_hour))`` (0 when even the first hour
        does not pay), at most ``max_hours``; ``lift`` is what working it can add to the
        renewal chance (base chance x (1 - unworked_factor)). Small renewals that one call
        cannot save get no hours (article 004)."""
        org = self.sc.org
        efp = self.sc.behaviour.effort_follows_pay
        share = self.world.csm.term_share(a)  # a monthly contract's motion carries 1/12 of the hours
        if owner != "ae" or efp.sensitivity <= 0:
            return org.renewal_hours * share
        r = self.sc.customers.renewal
        lift = self.world.csm.base_renewal_chance(a) * (1.0 - r.unworked_factor)
        value = self.sc.teams.ae.comp.renewal_rate * a.arr * lift
        per_hour = self.ae_pay_per_hour()
        h0 = r.save_hours
        best = h0 * math.log(value / (h0 * per_hour)) if per_hour > 0 and value > h0 * per_hour else 0.0
        if per_hour <= 0:
            best = efp.max_hours if value > 0 else 0.0
        best = min(best, efp.max_hours)
        return ((1.0 - efp.sensitivity) * org.renewal_hours + efp.sensitivity * best) * share

    def prospecting_pressure(self, w: Worker) -> float:
        """Share of the full prospecting rate a rep keeps given their pace to quota
        (``behaviour.quota_pressure``): ``max(0, 1 - sensitivity * pace)``."""
        s = self.sc.behaviour.quota_pressure.sensitivity
        if s <= 0:
            return 1.0
        now = self.env.now
        year0 = math.floor(now / 365.25) * 365.25
        quota = w.quota_per_year * w.ramped_years(year0, now)
        if quota <= 0:
            return 1.0
        return max(0.0, 1.0 - s * w.booked_since_year_start(year0) / quota)

    # ------------------------------------------------------------------ paying people
    def pay_ae(self, w: Worker | None, amount: float, rate: float, counts_to_quota: bool,
               acquisition: bool = True) -> float:
        """Commission on ``amount`` at ``rate``, with the plan's accelerator and cap.

        ``acquisition``: new business (counts in S&M for CAC) or retention/expansion pay.
        Returns the commissionable amount (``amount`` within the cap, times the accelerator):
        a claw-back takes back at most the rate on that, so the cap holds net of claw-backs."""
        if w is None or amount <= 0:
            return 0.0
        comp = self.sc.teams.ae.comp
        now = self.env.now
        mult = 1.0
        paid = amount
        if counts_to_quota:
            year0 = math.floor(now / 365.25) * 365.25
            quota = w.quota_per_year * w.ramped_years(year0, year0 + 365.25)
            booked = w.booked_since_year_start(year0)
            if quota > 0:
                if booked / quota >= comp.accelerator_above:
                    mult = comp.accelerator
                if comp.cap is not None:
                    paid = min(amount, max(0.0, comp.cap * quota - booked))
            w.book(now, amount)
        pay = rate * paid * mult
        if pay > 0:
            self.rec.cost(now, "ae", COMMISSION if acquisition else RETENTION_COMMISSION, pay)
            w.commission += pay
        return paid * mult

    def in_credit_window(self, a: Account) -> bool:
        return (not a.initial) and self.env.now - a.signed <= self.sc.org.credit_window_months * DAYS_PER_MONTH

    def credit_expansion(self, a: Account, amount: float, owner: str, worker: Worker | None) -> None:
        """Who is paid for an expansion: the deal's AE inside the credit window, else its owner."""
        comp = self.sc.teams.ae.comp
        original = self.world.worker_by_id.get(a.ae)
        if self.in_credit_window(a):
            self.pay_ae(original, amount, self.new_rate(MARKETING), counts_to_quota=True)
            return
        if owner == "ae":
            self.pay_ae(worker, amount, comp.expansion_rate, counts_to_quota=False, acquisition=False)
        elif owner == "csm" and isinstance(a.csm, Worker):
            self.bonus("csm", self.sc.teams.csm.expansion_bonus_rate * amount)
        elif owner == "am" and isinstance(a.am, Worker):
            self.bonus("am", self.sc.teams.am.bonus_rate * amount)
        if comp.rate_after_window > 0 and original is not None and not original.leaving:
            self.pay_ae(original, amount, comp.rate_after_window, counts_to_quota=False, acquisition=False)

    def credit_renewal(self, a: Account, owner: str, worker: Worker | None) -> None:
        """Pay for a renewal goes to whoever owns the motion."""
        teams = self.sc.teams
        if owner == "ae":
            # paid to the AE who worked it, else to the account's own AE if still here
            if worker is None:
                original = self.world.worker_by_id.get(a.ae)
                worker = original if original is not None and not original.leaving else None
            counts = self.sc.org.renewals_count_toward_quota
            self.pay_ae(worker, a.arr, self.sc.teams.ae.comp.renewal_rate, counts_to_quota=counts,
                        acquisition=False)
        elif owner == "renewal_specialist" and worker is not None and teams.renewal_specialist is not None:
            self.bonus("renewal_specialist", teams.renewal_specialist.bonus_rate * a.arr)
        elif owner == "am" and isinstance(a.am, Worker) and teams.am is not None:
            self.bonus("am", teams.am.bonus_rate * a.arr)
        elif owner == "csm" and isinstance(a.csm, Worker):
            csm = self.sc.teams.csm
            self.bonus("csm", csm.bonus_rate * a.arr + csm.bonus_per_renewal)

    def bonus(self, role: str, amount: float) -> None:
        """A bonus of ``amount`` to someone in ``role`` (nothing if not positive)."""
        if amount > 0:
            self.rec.cost(self.env.now, role, BONUS, amount)

    # ------------------------------------------------------------------ attribution
    def record_source(self, lead: Lead) -> bool:
        """At the win: the rep records the lead's source (and may re-label it). True when the
        deal was re-labelled and audits may check it."""
        if lead.true_source == MARKETING and self.streams.u(self.k_relabel, lead.id) < self.relabel_share():
            lead.recorded_source = SELF
            return self.sc.behaviour.attribution_gaming.audit
        return False

    def audits(self) -> Process:
        """Monthly audit of lead sources: catches a share of re-labelled deals and claws back."""
        g = self.sc.behaviour.attribution_gaming
        env = self.env
        premium = self.new_rate(SELF) - self.new_rate(MARKETING)
        for m in range(1, self.world.months + 1):
            yield env.timeout(m * DAYS_PER_MONTH - env.now)
            self.rec.cost(env.now, "ae", AUDIT, g.audit_cost_per_month)
            still = []
            for entry in self.relabelled:
                lead, commissioned, rep = entry
                if self.streams.u(self.k_audit, lead.id, m) < g.audit_catch_rate:
                    lead.recorded_source = MARKETING
                    # the premium on what was commissioned (within the cap), never more
                    clawback = premium * commissioned
                    if clawback > 0:
                        self.rec.cost(env.now, "ae", COMMISSION, -clawback)
                        rep.commission -= clawback
                else:
                    still.append(entry)
            self.relabelled = still
