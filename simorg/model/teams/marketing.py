"""Marketing: programme spend buys leads, channel by channel.

* **Marketing spend -> leads.** A channel's monthly budget (by plan, steps and growth, or by
  its budget rule: decisions.py) buys ``budget / cost_per_lead`` leads, arriving as a Poisson
  stream ``lag_days`` after the spend (fewer in a finite market: ``market.size``). Each lead goes to sales
  development (``sdr.submit(lead)``).
* **Diminishing returns** (``cpl_elasticity``): a lead costs ``cost_per_lead x
  (spend / reference)^elasticity``, so doubling a channel's spend buys ``2^(1 - e)`` times
  the leads. **Reach** (``marketing.spend_per_marketer``): programmes need people to run them.
* **Marketing volume bias** (``behaviour.marketing_volume_bias``): marketing measured on lead
  volume buys cheaper, lower-fit leads (see ``pay.py``).

Channels start in name order and a channel's leads are numbered in an id space hashed from
its name: the file's order of channels, or another channel added, changes no lead's traits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...scenario.schema import Channel
from ..entities import MARKETING, Lead
from ..pools import DAYS_PER_MONTH
from ..records import MARKETING_SPEND
from ..traits import LeadTraits
from .base import Process, TeamComponent

if TYPE_CHECKING:
    from .sdr import SDR


class Marketing(TeamComponent):
    """Marketing staff (salary only) and the channels their budget runs."""

    role = "marketing"

    def wire(self) -> None:
        self.sdr: SDR = self.world.sdr

    def start(self) -> None:
        """Book each channel's spend and start its lead arrivals."""
        world = self.world
        cost_factor, fit_factor = world.pay.marketing_bias()
        channels = self.sc.marketing.channels
        codes = world.source_codes
        for name in sorted(channels):  # by name: the file's order of channels changes nothing
            ch = channels[name]
            for m in range(world.months if ch.budget_rule is None else 0):  # a rule's spend: decisions.py
                spend = ch.planned_budget(m)
                if spend > 0:
                    self.rec.cost(m * DAYS_PER_MONTH, "marketing", MARKETING_SPEND, spend)
            traits = world.lead_traits(codes["channel", name], ch.fit, ch.segment_mix, fit_factor)
            self.env.process(self._channel(name, ch, traits, ch.cost_per_lead * cost_factor))

    def yield_factor(self, ch: Channel, month: int, spend: float | None = None) -> float:
        """Leads per unit of spend this month relative to ``1 / cost_per_lead``.

        Diminishing returns: a lead costs ``cost_per_lead x (spend / reference)^elasticity``
        (the reference is ``cpl_reference_budget``, default the month-0 budget), so leads grow
        as ``spend^(1 - elasticity)``. Marketing's reach: the team runs at most
        ``spend_per_marketer`` of programmes a month per person; of a larger total spend only
        that share buys leads (headcount when the month's leads start)."""
        if spend is None:  # the plan's spend (a budget rule passes the month's decided spend)
            spend = ch.planned_budget(month)
        factor = 1.0
        ref = ch.cpl_reference_budget if ch.cpl_reference_budget is not None else ch.budget_per_month
        if ch.cpl_elasticity > 0 and ref > 0 and spend > 0:
            factor /= (spend / ref) ** ch.cpl_elasticity
        per_marketer = self.sc.marketing.spend_per_marketer
        if per_marketer is not None:
            total = sum(c.planned_budget(month) for c in self.sc.marketing.channels.values())
            reach = len(self.people) * per_marketer
            if total > reach:
                factor *= reach / total
        return factor

    def _channel(self, name: str, ch: Channel, traits: LeadTraits, cost_per_lead: float) -> Process:
        """Poisson arrivals, piecewise constant by month of spend, shifted by the lag."""
        env = self.env
        exp = self.streams.generator(f"arrivals.{name}")
        buf: list[float] = []
        seq = 0
        horizon, add = self.world.horizon, self.rec.leads.add
        submit = self.sdr.submit
        spend_per_marketer = self.sc.marketing.spend_per_marketer
        budget, market = self.world.decisions.budget, self.world.market
        for m in range(-self.world.warm_months, self.world.months):  # from the warm-up's start
            start = m * DAYS_PER_MONTH + ch.lag_days
            if start >= horizon:
                return
            end = start + DAYS_PER_MONTH
            if start > env.now:
                yield env.timeout(start - env.now)  # the budget is read when its leads start
            spend = budget(name, ch, m)
            rate = spend * market.reach() / cost_per_lead / DAYS_PER_MONTH
            if ch.cpl_elasticity > 0 or spend_per_marketer is not None:
                rate *= self.yield_factor(ch, m, spend)
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
                submit(lead)  # to the SDR queue (with no SDR team, the AE queue)
