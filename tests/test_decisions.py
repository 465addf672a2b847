"""Decisions that respond to the company's state (issue 16): the lead desk, the warm start,
hiring and budget rules, the market's response."""

from __future__ import annotations

import numpy as np

from simorg.experiment.simulate import simulate

from .helpers import scenario

SHORT = {"horizon_months": 18}


def _logos(changes: dict, seeds: range = range(3)) -> np.ndarray:
    sc = scenario({**SHORT, **changes})
    return np.mean([simulate(sc, seed=s, keep_records=False).monthly["new_logos"] for s in seeds], axis=0)


def test_leads_go_to_aes_until_the_first_sdr_starts() -> None:
    """A plan that hires SDRs at month 12 works like a team without SDRs until then (same
    seeds, same leads, the same AEs working them), instead of leaving every lead in a queue
    nobody works."""
    later = _logos({"teams": {"sdr": {"headcount": 0, "plan": [{"month": 12, "headcount": 3}]}}})
    none = _logos({"teams": {"sdr": {"headcount": 0, "plan": []}}})
    # before the first SDR's requisition changes anything, the two runs are the same run
    assert np.array_equal(later[:10], none[:10])
    assert later[:10].sum() > 40


def test_month_one_bookings_look_like_months_six_to_twelve() -> None:
    """The warm start: the baseline opens with its pipeline in flight (cold, month 1 had ~0)."""
    logos = _logos({}, range(6))
    assert logos[0] >= 0.5 * logos[5:12].mean(), logos
    cold = _logos({"warm_start": {"months": 0}}, range(6))
    assert cold[0] < 0.2 * cold[5:12].mean()


def test_warm_up_is_not_counted() -> None:
    run = simulate(scenario(SHORT), seed=2)
    rec = run.records
    assert rec is not None
    ld = rec.leads
    early = ld["created"] < 0
    assert early.any()  # opportunities of the warm-up decided in the run are kept ...
    assert set(ld["state"][early].tolist()) <= {"won", "lost"}
    assert np.all(ld["closed_t"][early] >= 0)  # ... and only those
    # ARR at month 0 is the base after the warm-up: the events up to 0, won deals included
    ev = rec.arr_events
    assert rec.initial_arr == np.float64(ev["delta"][ev["t"] <= 0].sum()) or \
        abs(rec.initial_arr - ev["delta"][ev["t"] <= 0].sum()) < 1e-6 * rec.initial_arr
    assert np.any((ev["t"] < 0) & (ev["kind"] == "new"))
    assert np.all(rec.accounts["initial"][rec.accounts["signed"] < 0])
    # month 1's marketing spend is one month's budget, not the warm-up's as well
    budget = sum(c.planned_budget(0) for c in scenario(SHORT).marketing.channels.values())
    assert abs(run.monthly["marketing_cost"][0] - budget) < 1e-6


def test_csm_ratio_rule_keeps_accounts_per_csm_in_band() -> None:
    """One CSM per 50 accounts, hired 60 days ahead: as the base grows, accounts per CSM stay
    near 50 (the lag and the smoothing let it drift a little above)."""
    sc = scenario({**SHORT, "teams": {"csm": {"plan": [], "headcount": 4, "attrition_per_year": 0,
                                               "rule": {"rule": "accounts_per_person", "per": 50,
                                                        "smoothing_months": 1}}}})
    run = simulate(sc, seed=4, keep_records=False)
    m = run.monthly
    ratio = m["customers"] / m["headcount_csm"]
    assert m["customers"][-1] > m["customers"][0] + 30  # the base grows
    assert m["headcount_csm"][-1] > m["headcount_csm"][0]  # and the team with it
    assert np.all(ratio[4:] < 50 * 1.25) and np.all(ratio[4:] > 50 * 0.75), ratio
    assert np.all(m["decision_target_csm"] >= np.ceil(m["decision_state_csm"] / 50 - 1e-9))


def test_ratio_rule_follows_the_other_team_and_plan_is_a_floor() -> None:
    sc = scenario({**SHORT, "teams": {
        "sdr": {"rule": {"rule": "ratio", "of": "ae", "per": 1.0, "smoothing_months": 0}},
        "ae": {"plan": [{"month": 2, "headcount": 10}]}}})
    m = simulate(sc, seed=1, keep_records=False).monthly
    assert m["decision_target_sdr"][-1] >= 10
    assert m["headcount_sdr"][-1] >= 8
    # the SDR plan (4 from month 12, 5 from month 24) is a floor, never the ceiling
    assert np.all(m["decision_target_sdr"] >= 3)


def test_budget_rule_and_steps_show_in_the_series() -> None:
    sc = scenario({**SHORT, "marketing": {"channels": {
        "web": {"budget_rule": {"rule": "share_of_new_arr", "share": 0.3, "trailing_months": 3, "min": 1000}},
        "events": {"budget_plan": [{"month": 6, "budget_per_month": 40000}], "budget_growth_per_month": 0.0}}}})
    run = simulate(sc, seed=1, keep_records=False)
    m = run.monthly
    assert np.allclose(m["decision_budget_events"][:6], 15000)
    assert np.allclose(m["decision_budget_events"][6:], 40000)
    assert np.allclose(m["marketing_cost"], m["decision_budget_web"] + m["decision_budget_events"])
    web = m["decision_budget_web"]
    new_arr = m["new_arr"]
    for k in range(4, 18):  # 30% of the new ARR per month of the three months before
        assert web[k] == np.float64(max(1000.0, 0.3 * new_arr[k - 3:k].sum() / 3)) or \
            abs(web[k] - max(1000.0, 0.3 * new_arr[k - 3:k].sum() / 3)) < 1e-6 * max(1.0, web[k])


def test_referrals_scale_with_healthy_accounts_and_vanish_when_off() -> None:
    on = {"market": {"referrals": {"per_account_per_year": 1.2, "healthy_at": 0.0}}}
    runs = [simulate(scenario({**SHORT, **on}), seed=s) for s in range(3)]
    refs = sum(int((r.records.leads["channel"] == "referral").sum()) for r in runs)  # type: ignore[union-attr]
    healthy = sum(float(r.monthly["referral_accounts"].sum()) for r in runs)
    # leads of the run's months from accounts healthy at each month start: 0.1 per account-month
    assert abs(refs - 0.1 * healthy) < 4 * np.sqrt(0.1 * healthy), (refs, healthy)
    off = simulate(scenario(SHORT), seed=0)
    assert (off.records.leads["channel"] == "referral").sum() == 0  # type: ignore[union-attr]
    assert "referral_accounts" not in off.monthly


def test_delivery_delay_lowers_win_rate_and_starved_company_loses_logos() -> None:
    """Implementation frozen at one person: the delay the market hears cuts the win rate and
    new logos; with the mechanism off, the same company wins as before."""
    starved = {"teams": {"implementation": {"headcount": 1, "plan": [], "attrition_per_year": 0}}}
    off = {"market": {"delivery_delay": {"enabled": False}}}
    seeds = range(4)
    on_runs = [simulate(scenario({**SHORT, **starved}), seed=s, keep_records=False) for s in seeds]
    off_runs = [simulate(scenario({**SHORT, **starved, **off}), seed=s, keep_records=False) for s in seeds]
    assert min(r.monthly["market_win_factor"][-1] for r in on_runs) < 0.9
    win_on = np.mean([r.kpis["win_rate"] for r in on_runs])
    win_off = np.mean([r.kpis["win_rate"] for r in off_runs])
    logos_on = np.mean([r.kpis["new_logos"] for r in on_runs])
    logos_off = np.mean([r.kpis["new_logos"] for r in off_runs])
    assert win_on < win_off - 0.02, (win_on, win_off)
    assert logos_on < 0.9 * logos_off, (logos_on, logos_off)


def test_market_growth_eroding_goal_grows_far_less_than_fixed_goal() -> None:
    """Forrester's two runs: with the delivery-delay goal eroding toward the delay achieved,
    capacity lags, the market keeps hearing a long delay and bookings in the last year are
    well below the fixed-goal company's (seeds paired)."""
    from simorg.scenario import load

    from .helpers import ROOT

    eroding = load(ROOT / "scenarios" / "market_growth.yaml")
    fixed = load(ROOT / "scenarios" / "market_growth_fixed_goal.yaml")
    # Since implementation capacity is hours (issue 14: a lightly loaded implementer gives all
    # their hours to the projects in hand) delivery binds in some seeds only: in seeds 1-2 both
    # companies stall on the AE side with the same logos, in 0 and 5 the fixed goal doubles
    # them. The outcome is compared over six paired seeds (last-year logos 1377 vs 1914).
    logos_a = logos_b = win_a = win_b = 0.0
    for seed in range(6):
        a = simulate(eroding, seed=seed, keep_records=False).monthly
        b = simulate(fixed, seed=seed, keep_records=False).monthly
        logos_a += a["new_logos"][-12:].sum()
        logos_b += b["new_logos"][-12:].sum()
        win_a += a["market_win_factor"][-24:].mean()
        win_b += b["market_win_factor"][-24:].mean()
        assert a["headcount_implementation"][-1] < 0.6 * b["headcount_implementation"][-1]
        assert a["decision_goal_implementation"][-1] > 60.0  # the goal eroded
        assert np.all(b["decision_goal_implementation"] == 60.0)
    assert logos_a < 0.85 * logos_b, (logos_a, logos_b)
    assert win_a < win_b, (win_a, win_b)
