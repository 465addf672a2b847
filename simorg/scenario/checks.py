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

import numpy as np

from .distributions import Distribution
from .schema import Scenario, Team

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
            total = float(np.sum(spend)) / (ch.cost_per_lead * cost_factor)
            out[name] = total if np.isfinite(total) else math.inf
    return out


def too_much_work(scenario: Scenario) -> tuple[str, str] | None:
    """``(field path, message)`` when the scenario would generate more than
    :data:`MAX_LEADS` leads in one replication, else None."""
    leads = channel_leads(scenario)
    total = sum(leads.values())
    if total <= MAX_LEADS:
        return None
    name = max(leads, key=lambda n: leads[n])
    ch = scenario.marketing.channels[name]
    field = "budget_growth_per_month" if ch.budget_growth_per_month > 0 else "budget_per_month"
    amount = "more than 10^15" if total > 1e15 else f"about {total:,.0f}"
    return (
        f"marketing.channels.{name}.{field}",
        f"the scenario would generate {amount} marketing leads in one replication "
        f"({name}: {_share(leads[name], total)} of them), above the limit of {MAX_LEADS:,} "
        f"(the large-organization benchmark makes about 816,000); lower budgets, growth or the "
        f"horizon, or raise cost_per_lead",
    )


def _share(part: float, total: float) -> str:
    return "all" if part >= total else f"{part / total:.0%}"


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
