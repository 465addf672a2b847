"""Semantic warnings: each suspicious-but-legal setting gives exactly one clear line, and a
sensible scenario gives none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simorg.scenario import load, semantic_warnings
from simorg.scenario.checks import share_at_least
from simorg.scenario.distributions import parse_distribution

BASE = Path(__file__).parent / "data" / "bad_scenarios" / "valid_base.yaml"

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("presales unstaffed but needed", {"teams.presales.headcount": 0}, [
        "teams.presales.headcount: no presales staff at any time, but deals at or above "
        "acv_threshold 50,000 need presales (88% of enterprise deals); they go on without support"]),
    ("presales threshold above every deal", {"teams.presales.acv_threshold": 1e9}, [
        "teams.presales.acv_threshold: 1,000,000,000 is above (nearly) every deal's ACV: "
        "the 2 presales staff get no work"]),
    ("implementation unstaffed", {"teams.implementation.headcount": 0}, [
        "teams.implementation.headcount: no implementation staff at any time, but deals at or "
        "above self_delivery_below_acv 0 need them (100% of smb deals, 100% of enterprise "
        "deals); AEs deliver them instead"]),
    ("implementation never used", {"teams.implementation.self_delivery_below_acv": 1e9}, [
        "teams.implementation.self_delivery_below_acv: 1,000,000,000 is above (nearly) every "
        "deal's ACV: the 4 implementation staff get no work"]),
    ("no CSM", {"teams.csm.headcount": 0}, [
        "teams.csm.headcount: no CSMs at any time: accounts are never touched (health drifts "
        "to its floor) and renewals go unworked"]),
    ("no SDR", {"teams.sdr.headcount": 0}, [
        "teams.sdr.headcount: no SDRs at any time: AEs must work every marketing lead "
        "themselves, taking time from their deals"]),
    ("no AE ever", {"teams.ae.headcount": 0, "teams.ae.plan": []}, [
        "teams.ae.headcount: no AEs at any time and no plan to hire any: no opportunity can be "
        "worked or won"]),
    ("AE staffed only later", {"teams.ae.headcount": 0}, [
        "teams.ae.headcount: 0 at month 0 and first staffed at month 6 by the plan: work for "
        "this role queues until then"]),
    ("budget below one lead", {"marketing.channels.web.budget_per_month": 100}, [
        "marketing.channels.web.budget_per_month: at most 100 a month, less than cost_per_lead "
        "200: the channel buys less than one lead a month (0.50 on average)"]),
    ("budget that grows past one lead is fine",
     {"marketing.channels.web.budget_per_month": 100,
      "marketing.channels.web.budget_growth_per_month": 0.1}, []),
    ("no budget", {"marketing.channels.web.budget_per_month": 0}, [
        "marketing.channels.web.budget_per_month: 0 for the whole horizon: the channel buys no leads"]),
    ("lag beyond the horizon", {"marketing.channels.web.lag_days": 800}, [
        "marketing.channels.web.lag_days: 800 days is at least the horizon (730 days): no lead "
        "from this channel arrives in time"]),
    ("plan above the cap", {"teams.ae.plan": [{"month": 6, "headcount": 5000}]}, [
        "teams.ae.plan[0].headcount: 5000 people is above the sensible cap of 1000 per role: a typo?"]),
    ("plan jumps", {"teams.ae.plan": [{"month": 6, "headcount": 40}]}, [
        "teams.ae.plan[0].headcount: grows the team from 5 to 40 at month 6, more than 5x in one step"]),
    ("plan too soon and too late",
     {"teams.ae.plan": [{"month": 30, "headcount": 6}, {"month": 1, "headcount": 6}]}, [
        "teams.ae.plan[1].month: hires wanted at month 1 take hiring_lead_days 60 to arrive: "
        "they start late",
        "teams.ae.plan[0].month: month 30 is at or after the horizon (24 months): this step "
        "never takes effect"]),
    ("plan month twice",
     {"teams.ae.plan": [{"month": 6, "headcount": 6}, {"month": 6, "headcount": 7}]}, [
        "teams.ae.plan[1].month: month 6 appears twice in the plan; the later entry wins"]),
    ("ramp longer than the horizon", {"teams.ae.ramp_months": 30}, [
        "teams.ae.ramp_months: 30 months is at least the horizon (24 months): new hires never "
        "reach full productivity"]),
    ("health floor above ceiling", {"customers.health.floor": 0.99}, [
        "customers.health.floor: 0.99 is above ceiling 0.95: CSM touches would lower health"]),
    ("renewal inverted", {"customers.renewal.p_at_zero_health": 0.99}, [
        "customers.renewal.p_at_zero_health: 0.99 is above p_at_full_health 0.98: unhealthy "
        "accounts renew more"]),
    ("no renewal in the horizon",
     {"customers.initial.count": 0, "customers.renewal.term_months": 24}, [
        "customers.renewal.term_months: 24 months is at least the horizon (24 months) and there "
        "are no initial customers: no contract comes up for renewal"]),
    ("initial customers beyond CSM books", {"customers.initial.count": 800}, [
        "customers.initial.count: 800 accounts but the 2 CSMs hold 500 in their books: 300 "
        "start without a CSM"]),
    ("renewals owned by an empty team",
     {"org.renewals": "renewal_specialist",
      "teams.renewal_specialist": {"headcount": 0, "salary": 90000}}, [
        "org.renewals: owned by renewal_specialist, but teams.renewal_specialist has no people at "
        "any time: nobody works renewals"]),
    ("segment nobody reaches",
     {"customers.initial.segment_mix": {"smb": 1},
      "marketing.channels.web.segment_mix": {"smb": 1, "enterprise": 0}}, [
        "segments.enterprise: no channel, self-sourcing or initial customer ever brings an "
        "account in this segment"]),
]


@pytest.mark.parametrize(("case", "overrides", "expected"), CASES, ids=[c[0] for c in CASES])
def test_warning(case: str, overrides: dict[str, Any], expected: list[str]) -> None:
    assert semantic_warnings(load(BASE, overrides=overrides)) == expected


def test_sensible_scenario_is_quiet() -> None:
    assert semantic_warnings(load(BASE)) == []


def test_share_at_least() -> None:
    assert share_at_least(parse_distribution({"uniform": {"min": 0, "max": 100}}), 75) == pytest.approx(0.25)
    assert share_at_least(parse_distribution(5), 5) == 1.0
    assert share_at_least(parse_distribution(5), 5.01) == 0.0


# --------------------------------------------------------------------------- unit slips
SLIPS: list[tuple[str, dict[str, Any], str]] = [
    ("attrition as a percentage", {"teams.sdr.attrition_per_year": 2},
     "teams.sdr.attrition_per_year: 2 means each person leaves 2 times a year (average tenure "
     "6.0 months); it is a hazard per person-year, likely intended 0.2 (20% a year)"),
    ("bonus rate of 1", {"teams.csm.bonus_rate": 1},
     "teams.csm.bonus_rate: 1 pays 100% of the ARR: a percentage written as a number? likely "
     "intended 0.01 (1%)"),
    ("salary in thousands", {"teams.ae.salary": 110},
     "teams.ae.salary: 110 a year is below 1,000: written in thousands? likely intended 110,000"),
    ("two-day enterprise cycle", {"segments.enterprise.cycle_days": 2},
     "segments.enterprise.cycle_days: a mean sales cycle of 2 days for a mean ACV of 90,000 is "
     "implausibly fast: weeks or months written as days? (2 months would be 61 days)"),
]


@pytest.mark.parametrize(("case", "overrides", "expected"), SLIPS, ids=[c[0] for c in SLIPS])
def test_unit_slip_warns_with_the_likely_value(case: str, overrides: dict[str, Any], expected: str) -> None:
    assert semantic_warnings(load(BASE, overrides=overrides)) == [expected]


def test_yearly_budget_written_as_monthly() -> None:
    warnings = semantic_warnings(load(BASE, overrides={"marketing.channels.web.budget_per_month": 480000}))
    # payroll at month 0: (2*120k + 3*70k + 5*150k + 2*140k + 4*110k + 2*100k) / 12 = 176,667
    assert warnings[0] == (
        "marketing.channels: programme spend of 480,000 a month is above the whole go-to-market "
        "payroll (176,667 a month): a yearly budget written as monthly? likely intended 40,000 a "
        "month in all")
    assert any(w.startswith("teams.sdr.headcount: cannot keep up") for w in warnings)


def test_plausible_values_do_not_warn() -> None:
    """The edges of plausible: attrition 1/yr, a 49% rate, a 1,000 salary, a 14-day big deal."""
    sc = load(BASE, overrides={"teams.sdr.attrition_per_year": 1, "teams.csm.bonus_rate": 0.49,
                               "teams.ae.salary": 1000, "segments.enterprise.cycle_days": 14})
    assert semantic_warnings(sc) == []


# --------------------------------------------------------------------------- capacity
def test_one_sdr_for_280_leads_a_month() -> None:
    """Offered load = 280 leads/month x 0.5 days / 30.4375 days = 4.6 SDRs busy, against 1."""
    sc = load(BASE, overrides={"teams.sdr.headcount": 1, "teams.sdr.work_days": 0.5,
                               "marketing.channels.web.budget_per_month": 56000})
    assert semantic_warnings(sc) == [
        "teams.sdr.headcount: cannot keep up with its inflow: at month 0, 280 leads a month x 0.5 "
        "days each keep 5 slots busy but 1 person x capacity 1 give 1 (load 4.6x); about 5 "
        "people would be needed"]


def test_implementation_capacity_from_the_scenarios_own_flows() -> None:
    """200 leads x 0.4 qualify = 80 opportunities (64 smb, 16 enterprise); wins 64 x 0.25 +
    16 x 0.2 = 19.2 projects a month of (16 x 14 + 3.2 x 60) / 19.2 = 21.7 days: 13.7 slots
    busy against 1 x 4."""
    warnings = semantic_warnings(load(BASE, overrides={"teams.implementation.headcount": 1}))
    assert warnings == [
        "teams.implementation.headcount: cannot keep up with its inflow: at month 0, 19.2 projects "
        "a month x 22 days each keep 14 slots busy but 1 person x capacity 4 give 4 (load 3.4x); "
        "about 4 people would be needed"]


def test_an_overloaded_sdr_team_throttles_what_follows() -> None:
    """Downstream teams see only the leads the SDRs can work: one SDR, no AE warning."""
    sc = load(BASE, overrides={"teams.sdr.headcount": 1, "teams.sdr.work_days": 2,
                               "marketing.channels.web.budget_per_month": 400000})
    roles = [w.split(":")[0] for w in semantic_warnings(sc) if "cannot keep up" in w]
    assert roles == ["teams.sdr.headcount"]


def test_csm_books_fill_up() -> None:
    sc = load(BASE, overrides={"teams.csm.capacity": 100})
    warnings = semantic_warnings(sc)
    assert len(warnings) == 1 and warnings[0].startswith(
        "teams.csm.capacity: cannot keep up with its inflow: by month ")
    assert "exceed 2 CSMs x 100 accounts = 200; the rest have no CSM" in warnings[0]


SHIPPED_WARNINGS = {
    "scenarios/baseline.yaml": [],
    "scenarios/sales_owns_renewals.yaml": [],
    "scenarios/failure_modes/attribution_gaming.yaml": [],
    "scenarios/failure_modes/presales_overpromise.yaml": [],
    "scenarios/failure_modes/csm_overload.yaml": ["teams.csm.capacity"],
    "scenarios/failure_modes/implementation_bottleneck.yaml": [
        "teams.presales.headcount", "teams.implementation.headcount"],
    "benchmarks/large_org.yaml": [],
}


@pytest.mark.parametrize(("name", "fields"), SHIPPED_WARNINGS.items(), ids=list(SHIPPED_WARNINGS))
def test_shipped_scenarios_warn_only_where_real(name: str, fields: list[str]) -> None:
    """Capacity and unit-slip warnings fire on the failure modes built to overload a team,
    and on no other shipped scenario."""
    from simorg.scenario.checks import capacity_warnings, plausibility_warnings

    path = Path(__file__).resolve().parent.parent / name
    sc = load(path)
    found = [w.split(":")[0] for w in plausibility_warnings(sc) + capacity_warnings(sc)]
    assert found == fields
