"""Analytic checks: the simulation reproduces queueing theory and survival arithmetic."""

from __future__ import annotations

import math

import numpy as np

from simorg.experiment.simulate import simulate
from simorg.model.pools import DAYS_PER_MONTH

from .helpers import quiet_team, scenario


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def sdr_queue_scenario(lam_per_day: float, mean_work: float, sdrs: int, months: int):
    """Poisson leads into ``sdrs`` SDRs with exponential work: an M/M/c queue; nothing downstream."""
    cost_per_lead = 100.0
    return scenario({
        "horizon_months": months,
        "warm_start": {"months": 0},  # the arithmetic starts from an empty system at t = 0
        "marketing": {"channels": {
            "web": {"budget_per_month": lam_per_day * DAYS_PER_MONTH * cost_per_lead,
                    "budget_growth_per_month": 0.0, "cost_per_lead": cost_per_lead, "lag_days": 0,
                    "cpl_elasticity": 0.0,  # a constant cost per lead: a Poisson stream of rate lam
                    "fit": 0.5, "segment_mix": {"smb": 1.0, "mid": 0.0, "ent": 0.0}},
            "events": {"budget_per_month": 0.0, "cost_per_lead": 1.0, "fit": 0.5,
                       "segment_mix": {"smb": 1.0, "mid": 0.0, "ent": 0.0}},
        }},
        "teams": {"sdr": quiet_team(sdrs, work_days={"exponential": {"mean": mean_work}},
                                    qualify_rate=0.0, max_lead_age_days=1e6),
                  "ae": {"self_source_per_month": 0}},
        "customers": {"initial": {"count": 0}},
    })


def test_sdr_stage_matches_erlang_c():
    lam, mean_work, c = 20.0, 0.12, 3  # offered load 2.4 Erlang, utilization 0.8
    expected = erlang_c_wait(lam, 1.0 / mean_work, c)
    sc = sdr_queue_scenario(lam, mean_work, c, months=24)
    waits = np.array([simulate(sc, seed=s).kpis["lead_response_hours"] / 24.0 for s in range(8)])
    se = waits.std(ddof=1) / math.sqrt(len(waits))
    # The start-up transient (empty queue at t=0) biases the mean slightly low; allow 3 s.e. + 3%.
    assert abs(waits.mean() - expected) < 3 * se + 0.03 * expected, (waits.mean(), expected, se)
    util = np.mean([simulate(sc, seed=s).kpis["utilization_sdr"] for s in range(3)])
    assert abs(util - lam * mean_work / c) < 0.02


def churn_only_scenario(p_renew: float, n0: int, months: int):
    """An installed base with no sales and a constant renewal chance, whatever the health."""
    return scenario({
        "horizon_months": months,
        "warm_start": {"months": 0},  # the arithmetic starts from an empty system at t = 0
        "marketing": {"channels": {
            name: {"budget_per_month": 0.0} for name in ("web", "events")}},
        "teams": {"ae": {"self_source_per_month": 0},
                  "csm": {"plan": [], "headcount": 20, "attrition_per_year": 0}},
        "customers": {
            "initial": {"count": n0},
            "renewal": {"p_at_zero_health": p_renew, "p_at_full_health": p_renew,
                        "contraction_chance": 0.0, "unworked_factor": 1.0},
            "expansion": {"upsell_per_year": 0, "cross_sell_per_year": 0},
            "acv_bands": [],  # every account renews with p, whatever its size
        },
        "segments": {s: {"renewal_rate_factor": 1.0} for s in ("smb", "mid", "ent")},
    })


def test_installed_base_decays_as_survival_arithmetic_says():
    """Contract ends are spread uniformly over the first term, so at t = k*T + r the expected
    base is N0 * p^k * (1 - r/T + p r/T)."""
    p, n0, months = 0.8, 400, 30
    sc = churn_only_scenario(p, n0, months)
    runs = [simulate(sc, seed=s) for s in range(10)]
    base = np.mean([r.monthly["customers"] for r in runs], axis=0)
    for m in (6, 12, 18, 24, 30):
        k, r = divmod(m, 12)
        expected = n0 * p**k * (1 - r / 12 + p * r / 12)
        sd = math.sqrt(n0 * (expected / n0) * (1 - expected / n0) / len(runs))
        assert abs(base[m - 1] - expected) < 4 * sd + 1, (m, base[m - 1], expected)
    # logo renewal rate is the renewal chance
    assert abs(np.mean([r.kpis["logo_renewal_rate"] for r in runs]) - p) < 0.03


def test_installed_base_obeys_littles_law():
    """Customers arrive at rate lam and stay a geometric number of terms: the expected base at t is
    lam * integral_0^t p^floor(s/T) ds (Little's law L = lam * W in the limit, W = T/(1-p))."""
    lam, p, months = 2.0, 0.6, 48  # two new customers a day, 60% renew each year
    cost = 100.0
    instant = 1e-4  # a bare number is a constant distribution
    sc = scenario({
        "horizon_months": months,
        "warm_start": {"months": 0},  # the arithmetic starts from an empty system at t = 0
        "segments": {s: {"win_rate": 1.0, "cycle_days": instant, "onboarding_days": instant,
                         "renewal_rate_factor": 1.0} for s in ("smb", "mid", "ent")},
        "marketing": {"channels": {
            "web": {"budget_per_month": lam * DAYS_PER_MONTH * cost, "budget_growth_per_month": 0.0,
                    "cost_per_lead": cost, "lag_days": 0, "fit": 0.5, "cpl_elasticity": 0.0,
                    "segment_mix": {"smb": 1.0, "mid": 0.0, "ent": 0.0}},
            "events": {"budget_per_month": 0.0}}},
        "teams": {
            "sdr": quiet_team(10, work_days=instant, qualify_rate=1.0, response_floor=1.0),
            # no rep hours (issue 14): AEs close at once, the test isolates the installed base
            "ae": quiet_team(10, capacity=100, fit_win_effect=0.0, self_source_per_month=0, opportunity_hours=0),
            "presales": {"acv_threshold": 1e12},
            "implementation": quiet_team(10, capacity=100),
            "csm": quiet_team(30, capacity=1000),
        },
        "customers": {
            "initial": {"count": 0},
            "renewal": {"p_at_zero_health": p, "p_at_full_health": p, "contraction_chance": 0.0,
                        "unworked_factor": 1.0},
            "expansion": {"upsell_per_year": 0, "cross_sell_per_year": 0},
            "acv_bands": [],  # every account renews with p, whatever its size
        },
    })
    runs = [simulate(sc, seed=s) for s in range(4)]
    term = 12 * DAYS_PER_MONTH
    for m in (12, 30, 48):
        t = m * DAYS_PER_MONTH
        k, r = divmod(t, term)
        expected = lam * (sum(term * p**j for j in range(int(k))) + r * p ** int(k))
        got = np.mean([run.monthly["customers"][m - 1] for run in runs])
        assert abs(got - expected) < 0.03 * expected, (m, got, expected)
    # long-run: L -> lam * T / (1 - p)
    assert lam * term / (1 - p) > expected
