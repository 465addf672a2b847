"""Partner channels: resellers and referral partners who source deals into the AE queue.

* **Partner deals.** Partner ``name`` brings ``deals_per_month * (1 + deals_growth_per_month) ** m``
  deals in month ``m`` (from ``start_month`` on), as a Poisson stream. Each deal is an
  opportunity at once (no SDR stage): it joins the AE queue (``ae.submit(lead)``) with the
  partner's fit and segment mix; its source is ``partner`` and its channel the partner's name.
* **Partner commission.** When a partner deal is won the partner is paid ``commission`` times
  the deal's first-year ARR (a commission cost of the marketing role, so in S&M and CAC).

Assumption (no public source fixes these): partner deals are worked and won like any other
opportunity of their segment; a partner's rate does not respond to the company's state.
Partners are off by default: a scenario without ``partners`` starts no process and draws no
number, so its results are exactly those of the model without partners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...scenario.schema import Partner
from ..entities import PARTNER, Lead
from ..pools import DAYS_PER_MONTH
from ..records import COMMISSION
from ..traits import LeadTraits
from .base import Process

if TYPE_CHECKING:
    from ..world import World


class Partners:
    """Every partner channel of the scenario (a component without staff)."""

    def __init__(self, world: World):
        self.world = world
        self.env = world.env
        self.rec = world.rec
        self.partners = world.sc.partners
        self.commission = {name: p.commission for name, p in self.partners.items()}

    def wire(self) -> None:
        self.ae = self.world.ae

    def start(self) -> None:
        """Start each partner's deal stream, in name order."""
        world = self.world
        for name in sorted(self.partners):
            p = self.partners[name]
            traits = world.lead_traits(world.source_codes["partner", name], p.fit, p.segment_mix)
            self.env.process(self._deals(name, p, traits))

    def _deals(self, name: str, p: Partner, traits: LeadTraits) -> Process:
        """Poisson arrivals, piecewise constant by month."""
        env = self.env
        world = self.world
        exp = world.streams.generator(f"partner_arrivals.{name}")
        seq = 0
        for m in range(p.start_month, world.months):
            rate = p.deals_per_month * (1 + p.deals_growth_per_month) ** m / DAYS_PER_MONTH
            if rate <= 0:
                continue
            t, end = m * DAYS_PER_MONTH, (m + 1) * DAYS_PER_MONTH
            while True:
                t += exp.standard_exponential() / rate
                if t >= end:
                    break  # memoryless: the next month's window starts afresh
                if t >= world.horizon:
                    return
                yield env.timeout(t - env.now)
                lid, seg, fit, acv, uq = traits.get(seq)
                seq += 1
                lead = Lead(lid, name, seg, fit, acv, env.now, PARTNER, uq)
                lead.first_touch = lead.qualified_t = env.now
                self.rec.leads.add(lead)
                self.ae.submit(lead)

    def deal_won(self, lead: Lead) -> None:
        """A partner deal is signed: the partner's commission on first-year ARR is due."""
        amount = self.commission[lead.channel] * lead.acv
        if amount > 0:
            self.rec.cost(self.env.now, "marketing", COMMISSION, amount)
