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

import simpy

from ...scenario.schema import Channel
from ..clock import schedule, start_now
from ..entities import MARKETING, Lead
from ..pools import DAYS_PER_MONTH
from ..records import MARKETING_SPEND
from ..traits import LeadTraits
from .base import TeamComponent

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
            Arrivals(self, name, ch, traits, ch.cost_per_lead * cost_factor)  # its leads start arriving

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


class Arrivals:
    """One channel's leads: Poisson arrivals, piecewise constant by month of spend, shifted by
    the channel's lag.

    A month's rate is ``spend x market reach / cost per lead`` (times the diminishing-returns
    and reach factor), the spend read when the month's leads start (a budget rule decides it
    then). Within the month, gaps between leads are exponential; at the month's end the
    stream starts afresh at the next month's rate (memoryless, so nothing is lost).

    Written as a chain of scheduled calls rather than a SimPy process (one call per lead
    instead of a process resumption); it schedules the same events at the same moments as the
    process it replaces, so the event order and every number are the same."""

    __slots__ = ("team", "env", "name", "ch", "traits", "cost_per_lead", "exp", "buf", "seq", "m",
                 "t", "end", "rate", "_arrive_cb", "_month_cb", "add", "submit")

    def __init__(self, team: Marketing, name: str, ch: Channel, traits: LeadTraits, cost_per_lead: float):
        self.team, self.env, self.name, self.ch = team, team.env, name, ch
        self.traits, self.cost_per_lead = traits, cost_per_lead
        self.buf: list[float] = []
        self.seq = 0
        self.m = -team.world.warm_months  # from the warm-up's start
        self.t = self.end = self.rate = 0.0
        self._arrive_cb, self._month_cb = self._arrive, self._month_start
        self.add, self.submit = team.rec.leads.add, team.sdr.submit
        start_now(self.env, self._begin)  # at once, in the order a process would start

    def _begin(self, _ev: simpy.Event) -> None:
        self.exp = self.team.streams.generator(f"arrivals.{self.name}")
        self._months(waited=False)

    def _month_start(self, _ev: simpy.Event) -> None:
        self._months(waited=True)

    def _months(self, waited: bool) -> None:
        """Open the next month with leads (waiting for its start if it is ahead)."""
        team, ch, env = self.team, self.ch, self.env
        world = team.world
        while self.m < world.months:
            m = self.m
            start = m * DAYS_PER_MONTH + ch.lag_days
            if start >= world.horizon:
                return
            if not waited and start > env.now:
                schedule(env, start - env.now, None, self._month_cb)  # the budget is read when its leads start
                return
            waited = False
            self.m = m + 1
            spend = world.decisions.budget(self.name, ch, m)
            rate = spend * world.market.reach() / self.cost_per_lead / DAYS_PER_MONTH
            if ch.cpl_elasticity > 0 or team.sc.marketing.spend_per_marketer is not None:
                rate *= team.yield_factor(ch, m, spend)
            if rate <= 0:
                continue
            self.t, self.end, self.rate = start, start + DAYS_PER_MONTH, rate
            if self._next():
                return

    def _next(self) -> bool:
        """Draw the next lead's time: False if it falls past the month's end (the month is
        over), True if it is scheduled or past the horizon (the stream ends)."""
        buf = self.buf
        if not buf:
            buf = self.buf = self.exp.standard_exponential(512).tolist()
        t = self.t + buf.pop() / self.rate
        if t >= self.end:
            return False  # memoryless: the next month's window starts afresh
        if t >= self.team.world.horizon:
            return True
        self.t = t
        schedule(self.env, t - self.env._now, None, self._arrive_cb)
        return True

    def _arrive(self, _ev: simpy.Event) -> None:
        """A lead arrives and goes to the SDR queue (with no SDR team, the AE queue)."""
        lid, seg, fit, acv, uq = self.traits.get(self.seq)
        lead = Lead(lid, self.name, seg, fit, acv, self.env._now, MARKETING, uq)
        self.seq += 1
        self.add(lead)
        self.submit(lead)
        # the next lead, as _next() (written out: this runs for every lead)
        buf = self.buf
        if not buf:
            buf = self.buf = self.exp.standard_exponential(512).tolist()
        t = self.t + buf.pop() / self.rate
        if t >= self.end:
            self._months(waited=False)  # the month is over
        elif t < self.team.world.horizon:
            self.t = t
            schedule(self.env, t - self.env._now, None, self._arrive_cb)
