"""Decisions that read the company's state, and the market's response to it (issue 16).

:class:`Decisions` holds the hiring rules of every team and the budget rules of every channel
(policies in ``policies/hiring.py`` and ``policies/budget.py``): a team's HR step asks it for
the month's target headcount (:meth:`Decisions.headcount_target`), marketing asks it for a
channel's budget (:meth:`Decisions.budget`). Every decision is kept by month
(``Records.decisions``: the target or budget, and the state the rule read) so the monthly
series and the report show each decision beside what it read.

:class:`MarketResponse` is how the market answers: the delivery delay it perceives lowers win
and qualify chances (Forrester 1968), healthy customers refer leads, and a finite market makes
leads scarcer as it fills. Each mechanism has an off switch (``market`` in the scenario).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..scenario.schema import Channel, HiringRuleConfig
from .entities import MARKETING, Lead
from .policies.budget import BUDGET_RULES, BudgetRule
from .policies.hiring import HIRING_RULES, HiringRule, smooth
from .pools import DAYS_PER_MONTH
from .records import MARKETING_SPEND, NEW
from .teams.base import Process

if TYPE_CHECKING:
    from .teams.base import TeamComponent
    from .world import World

SM_ROLES = ("marketing", "sdr", "ae", "presales")
"""Roles whose salaries count as sales and marketing (the CAC-payback cap)."""


class CompanyState:
    """What rules read: the company's state now (the HiringState and BudgetState protocols)."""

    def __init__(self, world: World):
        self.world = world
        self._new: list[tuple[float, float]] = []  # (time, new ARR) of signatures, in time order
        self._scanned = 0
        seg = world.sc.segments
        self.onboarding_mean = {n: float(s.onboarding_days.mean) for n, s in seg.items()}

    def headcount(self, role: str) -> float:
        team = self.world.teams.get(role)
        return 0.0 if team is None else float(len(team.people) + team.pending)

    def active_accounts(self) -> float:
        return float(len(self.world.base.active))

    def arr(self) -> float:
        return float(self.world.base.arr_total)

    def implementation_work_days(self) -> float:
        pool = self.world.implementation.pool
        if pool is None:
            return 0.0
        items = [req.item for _, _, req in pool._queue]
        queued = sum(self.onboarding_mean.get(getattr(a, "segment", ""), 0.0) for a in items)
        in_service = pool.busy * self._mean_onboarding()
        return queued + in_service

    def _mean_onboarding(self) -> float:
        vals = list(self.onboarding_mean.values())
        return sum(vals) / len(vals) if vals else 0.0

    def open_opportunities(self) -> float:
        q = self.world.ae.queue
        return float(q.busy + len(q._queue))

    def trailing_new_arr_per_year(self, months: float) -> float:
        ev = self.world.rec.arr_events
        t_col, kind_col, delta_col = ev[0], ev[2], ev[3]
        for i in range(self._scanned, len(t_col)):
            if kind_col[i] == NEW:
                self._new.append((t_col[i], delta_col[i]))
        self._scanned = len(t_col)
        now = self.world.env.now
        since = now - months * DAYS_PER_MONTH
        total = 0.0
        for t, amount in reversed(self._new):
            if t < since:
                break
            total += amount
        return total * 12.0 / months

    def delivery_delay(self) -> float:
        return self.world.market.quoted_delay()

    def sm_salaries_per_month(self) -> float:
        total = 0.0
        for role in SM_ROLES:
            team = self.world.teams.get(role)
            if team is not None and team.cfg is not None:
                total += len(team.people) * team.cfg.salary / 12.0
        return total


class _TeamRule:
    """One team's rule and what it remembers: the smoothed state, the goal."""

    def __init__(self, cfg: HiringRuleConfig, capacity: float):
        self.cfg = cfg
        self.policy: HiringRule = HIRING_RULES.create(cfg.rule, cfg.per, cfg.of, cfg.target_days, capacity)
        self.smoothed: float | None = None
        self.goal = cfg.target_days


class Decisions:
    """Hiring rules per team, budget rules per channel, and the record of every decision."""

    def __init__(self, world: World):
        self.world = world
        self.state = CompanyState(world)
        self.rows: dict[str, list[float]] = {}
        self.hiring: dict[str, _TeamRule] = {}
        for role, team_cfg in world.sc.teams:
            rule = getattr(team_cfg, "rule", None)
            if rule is not None:
                self.hiring[role] = _TeamRule(rule, float(team_cfg.capacity))
        channels = world.sc.marketing.channels
        self.budget_rules: dict[str, BudgetRule] = {
            n: BUDGET_RULES.create(c.budget_rule.rule, c.budget_rule.share, c.budget_rule.trailing_months)
            for n, c in channels.items() if c.budget_rule is not None}
        self._budgets: dict[tuple[str, int], float] = {}

    def record(self, name: str, month: int, value: float) -> None:
        """Keep a decision (or the state it read) for month ``month`` (0 = the first month)."""
        months = self.world.months
        if 0 <= month < months:
            row = self.rows.get(name)
            if row is None:
                row = self.rows[name] = [math.nan] * months
            row[month] = value

    # ---- hiring
    def headcount_target(self, team: TeamComponent, month: int, planned: int) -> int:
        """The team's target for the HR step of ``month``: the plan's (``planned``) without a
        rule; with one, the rule's target within its bounds, never below a plan's."""
        tr = self.hiring.get(team.role)
        if tr is None:
            return planned
        cfg = tr.cfg
        x = tr.policy.read(self.state)
        tr.smoothed = smooth(tr.smoothed, x, cfg.smoothing_months)
        current = float(len(team.people) + team.pending)
        if cfg.rule == "delivery_delay":
            tr.policy.target_days = tr.goal
            if cfg.goal_drift_months is not None:  # the goal erodes toward the delay achieved
                tr.goal += (tr.smoothed - tr.goal) * (1.0 - math.exp(-1.0 / cfg.goal_drift_months))
        wanted = math.ceil(tr.policy.target(tr.smoothed, current) - 1e-9)
        target = min(cfg.max, max(cfg.min, wanted))
        assert team.cfg is not None
        if team.cfg.plan:
            target = max(target, planned)
        role = team.role
        self.record(f"decision_target_{role}", month, float(target))
        self.record(f"decision_state_{role}", month, tr.smoothed)
        if cfg.rule == "delivery_delay":
            self.record(f"decision_goal_{role}", month, tr.goal)
        return target

    # ---- budgets
    def budget(self, name: str, ch: Channel, month: int) -> float:
        """Programme spend of channel ``name`` in ``month``: by plan, or by its rule from the
        state at the month's start (decided once; the spend is booked when decided)."""
        rule = self.budget_rules.get(name)
        if rule is None or month < 0:
            return ch.planned_budget(month)
        key = (name, month)
        got = self._budgets.get(key)
        if got is not None:
            return got
        cfg = ch.budget_rule
        assert cfg is not None
        value = rule.budget(self.state)
        if cfg.cap_payback_months is not None:
            # CAC payback = S&M per month / (new ARR per month x gross margin / 12) <= cap
            gm = self.world.sc.customers.gross_margin
            new_per_month = self.state.trailing_new_arr_per_year(cfg.trailing_months) / 12.0
            allowed = cfg.cap_payback_months * new_per_month * gm / 12.0
            value = min(value, max(0.0, allowed - self.state.sm_salaries_per_month()))
        value = max(cfg.min, value)
        if cfg.max is not None:
            value = min(cfg.max, value)
        self._budgets[key] = value
        if value > 0:
            self.world.rec.cost(month * DAYS_PER_MONTH, "marketing", MARKETING_SPEND, value)
        return value

    def monthly(self) -> Process:
        """At each month start: decide every rule channel's budget; note every budget."""
        env = self.world.env
        channels = self.world.sc.marketing.channels
        for m in range(self.world.months):
            yield env.timeout(m * DAYS_PER_MONTH - env.now)
            for name in sorted(channels):
                self.record(f"decision_budget_{name}", m, self.budget(name, channels[name], m))


class MarketResponse:
    """The market's answer to the company: delivery delay, referrals, a finite market."""

    def __init__(self, world: World):
        self.world = world
        m = world.sc.market
        self.cfg = m
        self.perceived: float | None = None
        self.factor = 1.0  # win and qualify multiplier from the perceived delay
        impl = world.sc.teams.implementation
        self.mean_onboarding = CompanyState(world)._mean_onboarding()
        self.delay_on = m.delivery_delay.enabled and impl is not None

    def quoted_delay(self) -> float:
        """Delivery delay a new customer is told now: the projects ahead of it, worked by every
        implementer slot, plus its own project (days); mean project length without a team."""
        impl = self.world.implementation
        pool = impl.pool
        if pool is None or not impl.ever_staffed:
            return 0.0
        slots = max(pool.capacity, 1)
        return self.mean_onboarding * (1.0 + len(pool._queue) / slots)

    def win_factor(self, now: float | None = None) -> float:
        """Multiplier on win chances from the delivery delay the market perceives."""
        return self.factor

    def qualify_factor(self) -> float:
        """Multiplier on a lead's chance to qualify (the same perception), when switched on."""
        return self.factor if self.cfg.delivery_delay.lead_conversion else 1.0

    def reach(self) -> float:
        """Share of the market not yet customers (1 without a market size)."""
        size = self.cfg.size
        if size is None:
            return 1.0
        return max(0.0, 1.0 - len(self.world.base.active) / size)

    def monthly(self, first_month: int) -> Process:
        """At each month start (warm-up included): the market updates its perception."""
        env = self.world.env
        dd = self.cfg.delivery_delay
        for m in range(first_month, self.world.months):
            yield env.timeout(m * DAYS_PER_MONTH - env.now)
            quoted = self.quoted_delay()
            self.perceived = smooth(self.perceived, quoted, dd.perception_months)
            excess = max(0.0, self.perceived - dd.reference_days)
            self.factor = dd.floor + (1.0 - dd.floor) * math.exp(-excess / dd.scale_days)
            d = self.world.decisions
            d.record("market_delay_quoted", m, quoted)
            d.record("market_delay_perceived", m, self.perceived)
            d.record("market_win_factor", m, self.factor)

    def referrals(self, first_month: int, code: int) -> Process:
        """Healthy live accounts refer leads: a Poisson stream, its rate fixed for each month."""
        world = self.world
        env = world.env
        rf = self.cfg.referrals
        mix = rf.segment_mix or {s: 1.0 for s in world.sc.segments}
        total = sum(mix.values())
        traits = world.lead_traits(code, rf.fit, {s: v / total for s, v in mix.items()})
        gen = world.streams.generator("arrivals.referrals")
        submit = world.sdr.submit
        add = world.rec.leads.add
        seq = 0
        for m in range(first_month, world.months):
            start = m * DAYS_PER_MONTH
            yield env.timeout(start - env.now)
            now = env.now
            healthy = sum(1 for a in world.base.active.values() if a.live_t <= now and a.health >= rf.healthy_at)
            world.decisions.record("referral_accounts", m, float(healthy))
            rate = rf.per_account_per_year / 12.0 * healthy * self.reach() / DAYS_PER_MONTH
            if rate <= 0:
                continue
            t = start
            while True:
                t += gen.standard_exponential() / rate
                if t >= start + DAYS_PER_MONTH:
                    break
                yield env.timeout(t - env.now)
                lid, seg, fit, acv, uq = traits.get(seq)
                seq += 1
                lead = Lead(lid, "referral", seg, fit, acv, env.now, MARKETING, uq)
                add(lead)
                submit(lead)
