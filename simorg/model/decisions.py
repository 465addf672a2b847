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
from .ledger import BILLING, DAYS_PER_YEAR, PAYDAY, SERVICES, SM_HEADS
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
        self._accounts_seen = 0
        self._waiting: list = []  # new accounts not live yet
        self._live: list[tuple[float, float]] = []  # (go-live time, ARR) of new accounts
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
        return _per_year_since(self._new, now, months)

    def trailing_delivered_arr_per_year(self, months: float) -> float:
        """ARR of new customers that went live (implementation finished) over the last
        ``months`` months, per year: delivered orders (Forrester's revenue)."""
        accounts = self.world.base.accounts
        for i in range(self._accounts_seen, len(accounts)):
            a = accounts[i]
            if not a.initial:
                self._waiting.append(a)
        self._accounts_seen = len(accounts)
        now = self.world.env.now
        still: list = []
        for a in self._waiting:
            if a.live_t <= now:  # NaN (not live) compares False
                self._live.append((a.live_t, a.arr))
            elif a.active:
                still.append(a)
        self._waiting = still
        self._live.sort()
        return _per_year_since(self._live, now, months)

    def delivery_delay(self) -> float:
        return self.world.market.quoted_delay()

    def sm_salaries_per_month(self) -> float:
        total = 0.0
        for role in SM_ROLES:
            team = self.world.teams.get(role)
            if team is not None and team.cfg is not None:
                total += len(team.people) * team.cfg.salary / 12.0
        return total


class Books:
    """The company's books as its CFO closes them month by month during the run: what the
    money ledger (``ledger.py``) will report after it, from what is known at each month's end.

    Month ``k``'s net burn = payments - collections of the month: invoices collected (the
    ledger's rows, by the day their cash comes in), go-to-market costs recorded in the month
    (marketing, commission, recruiting...), salaries (each person's salary per day employed,
    paid on the month's last day plus ``finance.salary_payment_days``), S&M overhead from the
    month-end headcount, COGS, R&D and G&A as in the ledger; recognised revenue is read as
    the mean of ARR at the month's start and end x days / 365.25 (the one approximation: the
    ledger integrates ARR over the month). Cash at month ``k``'s end = starting cash + funding - net burn to date.
    A decision at the start of month ``m`` reads the books of months up to ``m - 1``."""

    def __init__(self, world: World):
        self.world = world
        fin = world.sc.finance
        assert fin is not None
        self.fin = fin
        self.cash_end: list[float] = []     # by closed month
        self.net_burn: list[float] = []
        self.arr_end: list[float] = []
        self._flows: dict[int, float] = {}  # month -> money in - money out, from scanned rows
        self._ledger_seen = 0
        self._costs_seen = 0

    def _bucket(self, t: float, amount: float) -> None:
        if t >= 0:
            k = int(t // DAYS_PER_MONTH)
            self._flows[k] = self._flows.get(k, 0.0) + amount

    def close_until(self, month: int) -> None:
        """Close every month before ``month`` not closed yet (call at or after its end)."""
        while len(self.net_burn) < month:
            self._close(len(self.net_burn))

    def _close(self, k: int) -> None:
        w, fin = self.world, self.fin
        cols = w.ledger.cols
        for i in range(self._ledger_seen, len(cols[0])):
            if cols[2][i] in (BILLING, SERVICES):
                self._bucket(cols[1][i], cols[5][i])
        self._ledger_seen = len(cols[0])
        costs = w.rec.costs
        for i in range(self._costs_seen, len(costs[0])):
            self._bucket(costs[0][i], -costs[3][i])
        self._costs_seen = len(costs[0])
        t0, t1 = k * DAYS_PER_MONTH, (k + 1) * DAYS_PER_MONTH
        salaries = sum(p.salary * max(0.0, min(t1, p.end) - max(t0, p.start)) for p in w.staff) / DAYS_PER_YEAR
        self._bucket(t0 + PAYDAY + fin.salary_payment_days, -salaries)
        arr = float(w.base.arr_total)
        arr_start = self.arr_end[-1] if self.arr_end else float(w.initial_arr)
        revenue = 0.5 * (arr_start + arr) * DAYS_PER_MONTH / DAYS_PER_YEAR
        accounts = float(len(w.base.active))
        cogs_share = fin.cogs_share_of_revenue
        if cogs_share is None:
            cogs_share = 1.0 - w.sc.customers.gross_margin
        other = cogs_share * revenue + (fin.hosting_per_account_month + fin.support_per_account_month) * accounts
        for ox in (fin.rd, fin.ga):
            other += ox.per_month * (1.0 + ox.growth_per_month) ** k + ox.share_of_revenue * revenue
        other += self._overhead(k)
        self._bucket(t0 + PAYDAY, -other)
        burn = -self._flows.pop(k, 0.0)
        funding = sum(f.amount for f in fin.funding if f.month == k)
        previous = self.cash_end[-1] if self.cash_end else fin.starting_cash
        self.net_burn.append(burn)
        self.cash_end.append(previous + funding - burn)
        self.arr_end.append(arr)

    def _overhead(self, k: int) -> float:
        """S&M overhead of month ``k`` from its month-end headcount (``Ledger.overhead_costs``)."""
        oh = self.world.sc.overhead
        total = 0.0
        for role, team in self.world.teams.items():
            rows = self.world.rec.headcount_rows.get(role, [])
            n = rows[k] if k < len(rows) else len(team.people)
            if n <= 0:
                continue
            if role in oh.span and oh.manager_salary:
                total += math.ceil(n / oh.span[role]) * oh.manager_salary / 12.0
            if role in SM_HEADS and oh.ops_per_head and oh.ops_salary:
                total += n * oh.ops_per_head * oh.ops_salary / 12.0
            total += n * oh.tools_per_head_month + n * oh.travel_per_head_month.get(role, 0.0)
        return total

    def trailing_burn(self, months: int = 3) -> float:
        """Mean net burn per month over the last ``months`` closed months (NaN before one)."""
        got = self.net_burn[-months:]
        return sum(got) / len(got) if got else math.nan

    def runway(self) -> float:
        """Months of cash at the trailing 3-month burn: 0 once cash is gone, +inf while not
        burning, +inf before a month has closed (nothing to read yet)."""
        if not self.cash_end:
            return math.inf
        cash = self.cash_end[-1]
        if cash < 0:
            return 0.0
        burn = self.trailing_burn()
        return cash / burn if burn > 0 else math.inf

    def net_new_arr(self, months: int = 3) -> float:
        """ARR added over the last ``months`` closed months (ARR at month 0 before that)."""
        if not self.arr_end:
            return 0.0
        k = len(self.arr_end)
        then = self.arr_end[k - 1 - months] if k > months else self.world.initial_arr
        return self.arr_end[-1] - then

    def burn_multiple(self, months: int = 3) -> float:
        """Net burn over net new ARR, both over the last ``months`` closed months: +inf when
        burning without adding ARR, 0 when not burning."""
        if not self.net_burn:
            return 0.0
        burn = sum(self.net_burn[-months:])
        if burn <= 0:
            return 0.0
        new = self.net_new_arr(min(months, len(self.net_burn)))
        return burn / new if new > 0 else math.inf


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
        self.freezes = {role: cfg.freeze for role, cfg in world.sc.teams
                        if cfg is not None and getattr(cfg, "freeze", None) is not None}
        needs_books = bool(self.freezes) or any(
            c.budget_rule is not None and c.budget_rule.cap_burn_multiple is not None for c in channels.values())
        self.books: Books | None = Books(world) if needs_books else None
        self._read_month: int | None = None

    def read_books(self, month: int) -> Books:
        """The books closed up to month ``month - 1`` (recorded as ``decision_cash``,
        ``decision_runway`` and ``decision_burn_multiple`` of month ``month``)."""
        books = self.books
        assert books is not None
        if self._read_month != month:
            self._read_month = month
            books.close_until(month)
            if books.cash_end:
                self.record("decision_cash", month, books.cash_end[-1])
                self.record("decision_runway", month, books.runway())
                self.record("decision_burn_multiple", month, books.burn_multiple())
        return books

    def frozen(self, role: str, month: int) -> bool:
        """Whether team ``role`` is under a hiring freeze this month (recorded 0/1)."""
        fz = self.freezes.get(role)
        if fz is None:
            return False
        books = self.read_books(month)
        out = books.runway() < fz.runway_below_months or (
            fz.burn_multiple_above is not None and books.burn_multiple() > fz.burn_multiple_above)
        self.record(f"decision_freeze_{role}", month, 1.0 if out else 0.0)
        return out

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
        target = self._target(team, month, planned)
        if self.freezes and self.frozen(team.role, month):  # no new requisitions
            return len(team.people) + team.pending + team.unbackfilled
        return target

    def _target(self, team: TeamComponent, month: int, planned: int) -> int:
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
        cap = math.inf
        if cfg.cap_payback_months is not None:
            # CAC payback = S&M per month / (new ARR per month x gross margin / 12) <= cap
            gm = self.world.sc.customers.gross_margin
            new_per_month = self.state.trailing_new_arr_per_year(cfg.trailing_months) / 12.0
            allowed = cfg.cap_payback_months * new_per_month * gm / 12.0
            cap = max(0.0, allowed - self.state.sm_salaries_per_month())
        if cfg.cap_burn_multiple is not None:
            cap = min(cap, self._burn_cap(name, month, cfg.cap_burn_multiple))
        if cap < math.inf:
            self.record(f"decision_budget_cap_{name}", month, cap)
            value = min(value, cap)
        value = max(cfg.min, value)
        if cfg.max is not None:
            value = min(cfg.max, value)
        self._budgets[key] = value
        if value > 0:
            self.world.rec.cost(month * DAYS_PER_MONTH, "marketing", MARKETING_SPEND, value)
        return value

    def _burn_cap(self, name: str, month: int, cap: float) -> float:
        """The most channel ``name`` may spend this month for the trailing net burn to stay
        under ``cap`` x trailing net new ARR (3 closed months): cap x net new ARR per month -
        the rest of the burn per month (the burn without this channel's own spend)."""
        books = self.read_books(month)
        n = min(3, len(books.net_burn))
        if n == 0:
            return math.inf  # no closed month to read yet
        own = sum(self._budgets.get((name, k), 0.0) for k in range(month - n, month)) / n
        rest = books.trailing_burn(n) - own
        return max(0.0, cap * books.net_new_arr(n) / n - rest)

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
        self.lead_conversion = m.delivery_delay.lead_conversion
        self.qualify_mult = 1.0  # ``factor`` when the perception reaches lead conversion, else 1
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
        """Multiplier on a lead's chance to qualify (the same perception), when switched on
        (kept in ``qualify_mult``, read on every lead)."""
        return self.qualify_mult

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
            if self.lead_conversion:
                self.qualify_mult = self.factor
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


def _per_year_since(events: list[tuple[float, float]], now: float, months: float) -> float:
    """Sum of the amounts of time-ordered ``(day, amount)`` events in the last ``months``
    months before ``now``, per year."""
    since = now - months * DAYS_PER_MONTH
    total = 0.0
    for t, amount in reversed(events):
        if t < since:
            break
        total += amount
    return total * 12.0 / months
