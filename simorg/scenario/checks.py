"""Semantic warnings: scenarios that are legal but probably not what the author meant.

The schema checks each value on its own; these checks look at values together, the way the
model will use them (see simorg/model): a role nobody is staffed in gets no work (the model
routes around it: leads go straight to AEs, big deals go without presales, AEs deliver,
accounts have no CSM), a channel whose budget buys less than a lead a month, a hiring plan
beyond any sensible size, a ramp longer than the horizon. ``simorg validate`` prints them;
none of them stops a run.

Each warning is one line: ``field.path: what is odd, and what the model will do``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .distributions import Distribution
from .schema import Channel, Scenario, Team

DAYS_PER_MONTH = 365.25 / 12
HEADCOUNT_CAP = 1000
"""A plan target above this many people in one role is almost surely a typo."""
STEP_FACTOR = 5
"""A plan step that multiplies a team by more than this (and adds 10+ people) is flagged."""
_GRID = (np.arange(4000) + 0.5) / 4000
"""Quantile grid for estimating the share of a distribution above a threshold."""


MAX_LEADS = 2_000_000
"""Most marketing leads one replication may generate. The large-organization benchmark
(benchmarks/large_org.yaml) makes about 816,000 in 10 years and takes about 36 s and 760 MiB
per replication; time and memory grow in proportion, so a scenario far beyond it would run
for many minutes per replication or exhaust memory. Such a scenario is refused up front."""


def channel_leads(scenario: Scenario) -> dict[str, float]:
    """Expected marketing leads over the horizon, per channel: the model's rule, monthly
    ``budget * (1 + growth)^m / cost_per_lead`` summed over the horizon's months (cost per
    lead cut by the marketing volume bias when marketing is measured on volume)."""
    mk = scenario.marketing
    cost_factor = 1.0
    if mk.measured_on == "volume":
        bias = scenario.behaviour.marketing_volume_bias
        cost_factor = max(0.05, 1.0 - bias.sensitivity * bias.cost_cut)
    months = np.arange(scenario.horizon_months, dtype=float)
    out: dict[str, float] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name, ch in mk.channels.items():
            spend = ch.budget_per_month * np.power(1.0 + ch.budget_growth_per_month, months)
            total = float(np.sum(spend * _cpl_yield(ch, spend))) / (ch.cost_per_lead * cost_factor)
            out[name] = total if np.isfinite(total) else math.inf
    return out


def _cpl_yield(ch: Channel, spend: Any) -> Any:
    """Leads per unit of spend relative to ``1 / cost_per_lead`` (the model's diminishing
    returns: cost per lead x (spend / reference)^elasticity; 1 without elasticity)."""
    ref = ch.cpl_reference_budget if ch.cpl_reference_budget is not None else ch.budget_per_month
    if ch.cpl_elasticity <= 0 or ref <= 0:
        return 1.0
    return np.power(np.maximum(np.asarray(spend, dtype=float), 1e-300) / ref, -ch.cpl_elasticity)


def too_much_work(scenario: Scenario) -> tuple[str, str] | None:
    """``(field path, message)`` when the scenario would create more than :data:`MAX_LEADS`
    work items in one replication, else None. Counted: marketing leads (:func:`channel_leads`),
    AE self-sourced opportunities at most (every AE at its peak headcount self-sourcing every
    month) and initial accounts."""
    leads = channel_leads(scenario)
    ae = scenario.teams.ae
    self_sourced = _max_headcount(ae) * ae.self_source_per_month * scenario.horizon_months
    initial = float(scenario.customers.initial.count)
    total = sum(leads.values()) + self_sourced + initial
    if total <= MAX_LEADS:
        return None
    parts = {f"marketing.channels.{n}": v for n, v in leads.items()}
    parts["teams.ae.self_source_per_month"] = self_sourced
    parts["customers.initial.count"] = initial
    top = max(parts, key=lambda k: parts[k])
    field = top
    if top.startswith("marketing.channels."):
        ch = scenario.marketing.channels[top.rsplit(".", 1)[1]]
        field += ".budget_growth_per_month" if ch.budget_growth_per_month > 0 else ".budget_per_month"
    amount = "more than 10^15" if total > 1e15 else f"about {total:,.0f}"
    detail = "; ".join(f"{k}: {_count(v)}" for k, v in parts.items() if v > 0)
    return (
        field,
        f"the scenario would generate {amount} leads, opportunities and accounts in one "
        f"replication ({detail}), above the limit of {MAX_LEADS:,} (the large-organization "
        "benchmark makes about 816,000 leads); lower budgets, growth, self-sourcing, initial "
        "accounts or the horizon, or raise cost_per_lead",
    )


def _count(x: float) -> str:
    return "more than 10^15" if x > 1e15 else f"{x:,.0f}"


def share_at_least(dist: Distribution, threshold: float) -> float:
    """Share of draws from ``dist`` at or above ``threshold`` (from a quantile grid)."""
    values = np.asarray(dist.ppf(_GRID), dtype=float)
    return float(np.mean(values >= threshold))


def semantic_warnings(scenario: Scenario) -> list[str]:
    """Everything legal but suspicious about ``scenario``, one line each (empty: none)."""
    out: list[str] = []
    out += _role_warnings(scenario)
    out += _channel_warnings(scenario)
    for role in type(scenario.teams).model_fields:
        team = getattr(scenario.teams, role)
        if team is not None:  # optional teams (account managers...) may be absent
            out += _team_warnings(scenario, role, team)
    out += _customer_warnings(scenario)
    out += plausibility_warnings(scenario)
    out += capacity_warnings(scenario)
    return out


# --------------------------------------------------------------------------- helpers
def _staffed_ever(team: Team) -> bool:
    return team.headcount > 0 or any(step.headcount > 0 for step in team.plan)


def _first_staffed_month(team: Team) -> int | None:
    if team.headcount > 0:
        return 0
    months = [s.month for s in team.plan if s.headcount > 0]
    return min(months) if months else None


def _max_headcount(team: Team) -> int:
    return max([team.headcount, *(s.headcount for s in team.plan)])


def _money(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1 else f"{x:g}"


def _pct(share: float) -> str:
    return f"{share:.0%}" if share >= 0.01 else "under 1%"


def _segments_above(scenario: Scenario, threshold: float) -> dict[str, float]:
    """Segment -> share of its deals with ACV at or above ``threshold`` (only those > 0.5%)."""
    shares = {name: share_at_least(seg.acv, threshold) for name, seg in scenario.segments.items()}
    return {name: s for name, s in shares.items() if s > 0.005}


def _describe_shares(shares: dict[str, float]) -> str:
    return ", ".join(f"{_pct(s)} of {name} deals" for name, s in shares.items())


def _has_demand(scenario: Scenario) -> bool:
    """Any way for deals to appear: a channel with spend, or AE self-sourcing."""
    spends = any(c.budget_per_month > 0 for c in scenario.marketing.channels.values())
    return spends or scenario.teams.ae.self_source_per_month > 0


# --------------------------------------------------------------------------- roles
def _role_warnings(sc: Scenario) -> list[str]:
    """Roles with no people that work is routed to, and people with no work."""
    out: list[str] = []
    teams = sc.teams
    demand = _has_demand(sc)
    if not _staffed_ever(teams.ae) and (demand or sc.customers.initial.count == 0):
        out.append("teams.ae.headcount: no AEs at any time and no plan to hire any: "
                   "no opportunity can be worked or won")
    if not _staffed_ever(teams.sdr) and demand:
        out.append("teams.sdr.headcount: no SDRs at any time: AEs must work every marketing "
                   "lead themselves, taking time from their deals")

    ps = teams.presales
    need = _segments_above(sc, ps.acv_threshold)
    if not _staffed_ever(ps) and need:
        out.append(f"teams.presales.headcount: no presales staff at any time, but deals at or above "
                   f"acv_threshold {_money(ps.acv_threshold)} need presales ({_describe_shares(need)}); "
                   "they go on without support")
    elif _staffed_ever(ps) and not need:
        out.append(f"teams.presales.acv_threshold: {_money(ps.acv_threshold)} is above (nearly) every deal's "
                   f"ACV: the {_max_headcount(ps)} presales staff get no work")

    impl = teams.implementation
    delivered = _segments_above(sc, impl.self_delivery_below_acv)
    if not _staffed_ever(impl) and delivered:
        out.append("teams.implementation.headcount: no implementation staff at any time, but deals "
                   f"at or above self_delivery_below_acv {_money(impl.self_delivery_below_acv)} need them "
                   f"({_describe_shares(delivered)}); AEs deliver them instead")
    elif _staffed_ever(impl) and not delivered:
        out.append(f"teams.implementation.self_delivery_below_acv: {_money(impl.self_delivery_below_acv)} is "
                   f"above (nearly) every deal's ACV: the {_max_headcount(impl)} implementation "
                   "staff get no work")

    csm = teams.csm
    if not _staffed_ever(csm) and (demand or sc.customers.initial.count > 0):
        out.append("teams.csm.headcount: no CSMs at any time: accounts are never touched (health "
                   "drifts to its floor) and renewals go unworked")

    out += _owner_warnings(sc)
    for role in type(teams).model_fields:
        team: Team | None = getattr(teams, role)
        if team is None or role == "marketing":
            continue
        first = _first_staffed_month(team)
        if first is not None and first > 0:
            out.append(f"teams.{role}.headcount: 0 at month 0 and first staffed at month {first} "
                       "by the plan: work for this role queues until then")
    return out


def _owner_warnings(sc: Scenario) -> list[str]:
    """A motion (renewals, upsell, cross-sell) owned by an optional team with no people."""
    out: list[str] = []
    for motion in ("renewals", "upsell", "cross_sell"):
        owner = getattr(sc.org, motion, None)
        if owner in (None, "csm", "ae"):
            continue  # the CSM and AE teams have their own warnings above
        team = getattr(sc.teams, str(owner), None)
        if team is not None and not _staffed_ever(team):
            out.append(f"org.{motion}: owned by {owner}, but teams.{owner} has no people at any "
                       f"time: nobody works {motion.replace('_', '-')}")
    return out


# --------------------------------------------------------------------------- marketing
def _channel_warnings(sc: Scenario) -> list[str]:
    out: list[str] = []
    horizon_days = sc.horizon_months * DAYS_PER_MONTH
    for name, ch in sc.marketing.channels.items():
        where = f"marketing.channels.{name}"
        months = np.arange(sc.horizon_months)
        spend = ch.budget_per_month * (1.0 + ch.budget_growth_per_month) ** months
        top = float(spend.max())
        if top == 0:
            out.append(f"{where}.budget_per_month: 0 for the whole horizon: the channel buys no leads")
        elif top < ch.cost_per_lead:
            out.append(f"{where}.budget_per_month: at most {_money(top)} a month, less than cost_per_lead "
                       f"{_money(ch.cost_per_lead)}: the channel buys less than one lead a month "
                       f"({top / ch.cost_per_lead:.2f} on average)")
        if ch.lag_days >= horizon_days:
            out.append(f"{where}.lag_days: {ch.lag_days:g} days is at least the horizon "
                       f"({horizon_days:.0f} days): no lead from this channel arrives in time")
        if all(share == 0 for share in ch.segment_mix.values()) and ch.segment_mix:
            out.append(f"{where}.segment_mix: every share is 0")
    reached = {seg for ch in sc.marketing.channels.values() for seg, s in ch.segment_mix.items() if s > 0}
    if sc.teams.ae.self_source_per_month > 0:
        mix = sc.teams.ae.self_source_segment_mix
        reached |= {seg for seg, s in mix.items() if s > 0} if mix else set(sc.segments)
    init = sc.customers.initial
    if init.count > 0:
        reached |= {seg for seg, s in init.segment_mix.items() if s > 0} if init.segment_mix else set(sc.segments)
    for seg in sc.segments:
        if seg not in reached:
            out.append(f"segments.{seg}: no channel, self-sourcing or initial customer ever brings "
                       "an account in this segment")
    return out


# --------------------------------------------------------------------------- teams
def _team_warnings(sc: Scenario, role: str, team: Team) -> list[str]:
    out: list[str] = []
    where = f"teams.{role}"
    horizon = sc.horizon_months
    hires = bool(team.plan) or (team.attrition_per_year > 0 and team.backfill)
    if hires and team.ramp_months >= horizon:
        out.append(f"{where}.ramp_months: {team.ramp_months:g} months is at least the horizon "
                   f"({horizon} months): new hires never reach full productivity")
    seen: dict[int, int] = {}
    previous = team.headcount
    for i, step in enumerate(sorted(team.plan, key=lambda s: s.month)):
        at = f"{where}.plan[{team.plan.index(step)}]"
        if step.month in seen:
            out.append(f"{at}.month: month {step.month} appears twice in the plan; the later "
                       "entry wins")
        seen[step.month] = i
        if step.month >= horizon:
            out.append(f"{at}.month: month {step.month} is at or after the horizon ({horizon} "
                       "months): this step never takes effect")
        if step.headcount > HEADCOUNT_CAP:
            out.append(f"{at}.headcount: {step.headcount} people is above the sensible cap of "
                       f"{HEADCOUNT_CAP} per role: a typo?")
        elif step.headcount - previous >= 10 and step.headcount > STEP_FACTOR * max(previous, 1):
            out.append(f"{at}.headcount: grows the team from {previous} to {step.headcount} at "
                       f"month {step.month}, more than {STEP_FACTOR}x in one step")
        if step.headcount > previous and 0 < step.month * DAYS_PER_MONTH < team.hiring_lead_days:
            out.append(f"{at}.month: hires wanted at month {step.month} take hiring_lead_days "
                       f"{team.hiring_lead_days:g} to arrive: they start late")
        previous = step.headcount
    if team.headcount > HEADCOUNT_CAP:
        out.append(f"{where}.headcount: {team.headcount} people is above the sensible cap of "
                   f"{HEADCOUNT_CAP} per role: a typo?")
    return out


# --------------------------------------------------------------------------- customers
def _customer_warnings(sc: Scenario) -> list[str]:
    out: list[str] = []
    cust = sc.customers
    if cust.health.floor > cust.health.ceiling:
        out.append(f"customers.health.floor: {cust.health.floor:g} is above ceiling "
                   f"{cust.health.ceiling:g}: CSM touches would lower health")
    if cust.renewal.p_at_zero_health > cust.renewal.p_at_full_health:
        out.append(f"customers.renewal.p_at_zero_health: {cust.renewal.p_at_zero_health:g} is above "
                   f"p_at_full_health {cust.renewal.p_at_full_health:g}: unhealthy accounts renew more")
    if cust.initial.count == 0 and cust.renewal.term_months >= sc.horizon_months:
        out.append(f"customers.renewal.term_months: {cust.renewal.term_months} months is at least "
                   f"the horizon ({sc.horizon_months} months) and there are no initial customers: "
                   "no contract comes up for renewal")
    csm = sc.teams.csm
    book = csm.headcount * csm.capacity
    if csm.headcount > 0 and cust.initial.count > book:
        out.append(f"customers.initial.count: {cust.initial.count} accounts but the "
                   f"{csm.headcount} CSMs hold {book} in their books: "
                   f"{cust.initial.count - book} start without a CSM")
    return out


# --------------------------------------------------------------------------- unit slips
ATTRITION_PLAUSIBLE = 1.0
"""Voluntary attrition above 1 per person-year (average tenure under a year, for a whole
role) is almost surely a percentage written as a number: 2 meant 0.2 or 0.02."""
PAY_RATE_PLAUSIBLE = 0.5
"""A commission or bonus of half the ARR or more is almost surely a percentage slip (1 for 1%)."""
SALARY_PLAUSIBLE = 1000.0
"""A yearly salary below this is almost surely written in thousands (110 for 110,000)."""
CYCLE_CHECKS = ((50_000.0, 14.0), (10_000.0, 7.0))
"""(mean ACV at or above, mean sales cycle below in days): a deal that size decided that fast
is almost surely weeks or months written as days (Bridge Group 2017: a median cycle of
about 60 days at a $25K ACV, longer above)."""

_PAY_RATES = (
    ("sdr", "revenue_share"), ("ae", "commission_rate"), ("ae", "comp.new_rate_marketing"),
    ("ae", "comp.new_rate_self"), ("ae", "comp.expansion_rate"), ("ae", "comp.rate_after_window"),
    ("ae", "comp.renewal_rate"), ("csm", "bonus_rate"), ("csm", "expansion_bonus_rate"),
    ("am", "bonus_rate"), ("renewal_specialist", "bonus_rate"),
)


def _attr(obj: object, dotted_name: str) -> object:
    for part in dotted_name.split("."):
        obj = getattr(obj, part, None)
    return obj


def _payroll_per_month(sc: Scenario) -> float:
    """Salaries of everyone in go-to-market at month 0 (currency/month)."""
    total = 0.0
    for role in type(sc.teams).model_fields:
        team = getattr(sc.teams, role)
        if team is not None:
            total += team.headcount * team.salary
    return total / 12.0


def plausibility_warnings(sc: Scenario) -> list[str]:
    """Legal values that are almost surely a unit slip, each with the likely intended value."""
    out: list[str] = []
    for role in type(sc.teams).model_fields:
        team = getattr(sc.teams, role)
        if team is None:
            continue
        where = f"teams.{role}"
        a = team.attrition_per_year
        if a > ATTRITION_PLAUSIBLE:
            likely = a / 100 if a >= 5 else a / 10
            out.append(f"{where}.attrition_per_year: {a:g} means each person leaves {a:g} times a "
                       f"year (average tenure {12 / a:.1f} months); it is a hazard per person-year, "
                       f"likely intended {likely:g} ({likely:.0%} a year)")
        if 0 < team.salary < SALARY_PLAUSIBLE:
            out.append(f"{where}.salary: {_money(team.salary)} a year is below {SALARY_PLAUSIBLE:,.0f}: "
                       f"written in thousands? likely intended {team.salary * 1000:,.0f}")
    for role, name in _PAY_RATES:
        team = getattr(sc.teams, role, None)
        rate = _attr(team, name) if team is not None else None
        if isinstance(rate, float) and rate >= PAY_RATE_PLAUSIBLE:
            out.append(f"teams.{role}.{name}: {rate:g} pays {rate:.0%} of the ARR: a percentage "
                       f"written as a number? likely intended {rate / 100:g} ({rate:g}%)")
    for seg_name, seg in sc.segments.items():
        acv, cycle = seg.acv.mean, seg.cycle_days.mean
        for big, fast in CYCLE_CHECKS:
            if acv >= big and cycle < fast:
                out.append(f"segments.{seg_name}.cycle_days: a mean sales cycle of {cycle:g} days for "
                           f"a mean ACV of {_money(acv)} is implausibly fast: weeks or months written "
                           f"as days? ({cycle:g} months would be {cycle * DAYS_PER_MONTH:.0f} days)")
                break
    payroll = _payroll_per_month(sc)
    spend = sum(c.budget_per_month for c in sc.marketing.channels.values())
    if payroll > 0 and spend > payroll:
        out.append(f"marketing.channels: programme spend of {_money(spend)} a month is above the whole "
                   f"go-to-market payroll ({_money(payroll)} a month): a yearly budget written as "
                   f"monthly? likely intended {_money(spend / 12)} a month in all")
    return out


# --------------------------------------------------------------------------- capacity
CAPACITY_MARGIN = 1.25
"""Only loads above this multiple of a team's slots are reported. The estimate counts every
lead at its highest qualify chance (a fresh touch; the baseline's realised lead-to-opportunity
ratio is 0.227 against a qualify_rate of 0.25), so it can overstate the load by 10-20%; a
team reported here is overloaded beyond that error. An assumption, not a published figure."""
def _mean_share_at_least(dist: Distribution, threshold: float) -> float:
    return share_at_least(dist, threshold) if threshold > 0 else 1.0


def capacity_warnings(sc: Scenario) -> list[str]:
    """Teams that cannot keep up with their inflow, from the scenario's own numbers.

    For each month, the offered load of a team (arrivals per day x mean days each item holds
    a slot; Little's law) is compared with its slots (target headcount x capacity). Inflows:
    leads from budgets / cost per lead; opportunities = leads the SDRs can work x qualify_rate; presales deals
    = opportunities at or above acv_threshold; projects = wins (x win_rate) at or above
    self_delivery_below_acv; a CSM book holds initial accounts plus wins, less churn at the
    renewal chance of a starting-health account. An estimate: ramp, waits, self-sourcing and
    incentive effects are left out. One warning per team, at its worst month, when the load
    exceeds :data:`CAPACITY_MARGIN`.
    """
    teams = sc.teams
    months = range(sc.horizon_months)
    leads_by_month: list[dict[str, float]] = []  # segment -> leads in that month
    for m in months:
        seg: dict[str, float] = dict.fromkeys(sc.segments, 0.0)
        for ch in sc.marketing.channels.values():
            spend = ch.budget_per_month * (1.0 + ch.budget_growth_per_month) ** m
            n = spend * float(_cpl_yield(ch, spend)) / ch.cost_per_lead if spend > 0 else 0.0
            total_share = sum(ch.segment_mix.values()) or 1.0
            for s, share in ch.segment_mix.items():
                if s in seg:
                    seg[s] += n * share / total_share
        leads_by_month.append(seg)
    per_day = 1.0 / DAYS_PER_MONTH
    q = teams.sdr.qualify_rate
    segs = sc.segments
    presales_share = {s: _mean_share_at_least(v.acv, teams.presales.acv_threshold) for s, v in segs.items()}
    impl_share = {s: _mean_share_at_least(v.acv, teams.implementation.self_delivery_below_acv)
                  for s, v in segs.items()}

    def load_of(m: int) -> dict[str, tuple[float, str]]:
        leads = leads_by_month[m]
        n_leads = sum(leads.values())
        worked = _worked_share(sc, m, n_leads)
        opps = {s: leads[s] * q * worked for s in segs}
        out: dict[str, tuple[float, str]] = {}
        out["sdr"] = (n_leads * per_day * teams.sdr.work_days.mean,
                      f"{n_leads:,.0f} leads a month x {teams.sdr.work_days.mean:g} days each")
        n_opps = sum(opps.values())
        ae_days = sum(opps[s] * segs[s].cycle_days.mean for s in segs)
        out["ae"] = (ae_days * per_day, f"{n_opps:,.0f} opportunities a month x "
                     f"{ae_days / n_opps if n_opps else 0:.0f} days of sales cycle on average")
        ps = {s: opps[s] * presales_share[s] for s in segs}
        out["presales"] = (sum(ps.values()) * per_day * teams.presales.effort_days.mean,
                           f"{sum(ps.values()):,.1f} deals a month need presales x "
                           f"{teams.presales.effort_days.mean:.3g} days each")
        projects = {s: opps[s] * segs[s].win_rate * impl_share[s] for s in segs}
        impl_days = sum(projects[s] * segs[s].onboarding_days.mean for s in segs)
        n_proj = sum(projects.values())
        out["implementation"] = (impl_days * per_day, f"{n_proj:,.1f} projects a month x "
                                 f"{impl_days / n_proj if n_proj else 0:.0f} days each")
        return out

    worst: dict[str, tuple[float, int, str, int]] = {}
    for m in months:
        for role, (busy, why) in load_of(m).items():
            team: Team = getattr(teams, role)
            slots = team.target_at(m) * team.capacity
            if slots == 0:
                continue  # an unstaffed role has its own warning
            ratio = busy / slots
            if ratio > CAPACITY_MARGIN and ratio > worst.get(role, (0.0, 0, "", 0))[0]:
                worst[role] = (ratio, m, why, slots)
    out: list[str] = []
    for role in ("sdr", "ae", "presales", "implementation"):
        if role in worst:
            ratio, m, why, slots = worst[role]
            team = getattr(teams, role)
            need = math.ceil(ratio * team.target_at(m))
            out.append(f"teams.{role}.headcount: cannot keep up with its inflow: at month {m}, "
                       f"{why} keep {ratio * slots:,.0f} slots busy but {_people(team.target_at(m))} "
                       f"x capacity {team.capacity} give {slots} (load {ratio:.1f}x); about "
                       f"{need} people would be needed")
    out += _csm_book_warning(sc, leads_by_month)
    return out


def _worked_share(sc: Scenario, month: int, n_leads: float) -> float:
    """Share of a month's leads the SDRs can work (an overloaded SDR team throttles what
    follows: the rest go stale)."""
    sdr = sc.teams.sdr
    slots = sdr.target_at(month) * sdr.capacity
    if slots == 0 or n_leads <= 0 or sdr.work_days.mean <= 0:
        return 1.0
    return min(1.0, slots * DAYS_PER_MONTH / sdr.work_days.mean / n_leads)


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _csm_book_warning(sc: Scenario, leads_by_month: list[dict[str, float]]) -> list[str]:
    """CSM books: accounts (initial + wins - churn) against headcount x accounts per CSM."""
    csm, cust = sc.teams.csm, sc.customers
    if not _staffed_ever(csm) or (csm.headcount > 0 and cust.initial.count > csm.headcount * csm.capacity):
        return []  # no CSMs, or books full from month 0: warned about above
    renew = cust.renewal
    p = renew.p_at_zero_health + (renew.p_at_full_health - renew.p_at_zero_health) * cust.health.start
    keep_per_month = p ** (1.0 / renew.term_months)
    q = sc.teams.sdr.qualify_rate
    accounts = float(cust.initial.count)
    for m, leads in enumerate(leads_by_month):
        worked = _worked_share(sc, m, sum(leads.values()))
        wins = sum(leads[s] * q * worked * seg.win_rate for s, seg in sc.segments.items())
        book = csm.target_at(m) * csm.capacity
        if book > 0 and accounts > book * CAPACITY_MARGIN:
            return [f"teams.csm.capacity: cannot keep up with its inflow: by month {m} about "
                    f"{accounts:,.0f} accounts (initial plus about {wins:,.1f} wins a month, less "
                    f"churn) exceed {csm.target_at(m)} CSMs x {csm.capacity} accounts = {book}; "
                    f"the rest have no CSM"]
        accounts = accounts * keep_per_month + wins
    return []
