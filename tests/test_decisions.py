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


def _quarters(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=float).reshape(-1, 3).sum(axis=1)


def test_market_growth_eroding_goal_peaks_and_falls_fixed_goal_keeps_growing() -> None:
    """Forrester's two reference modes (seeds paired). Eroding goal: quarterly new logos,
    averaged over four seeds, peak after the first two years and fall well below the peak
    while implementation waits climb and the goal drifts up. Fixed goal: new logos keep
    growing to the end, far above the eroding-goal company's."""
    from simorg.scenario import load

    from .helpers import ROOT

    eroding = load(ROOT / "scenarios" / "market_growth.yaml")
    fixed = load(ROOT / "scenarios" / "market_growth_fixed_goal.yaml")
    runs = [simulate(eroding, seed=s, keep_records=False).monthly for s in range(4)]
    logos = np.mean([_quarters(m["new_logos"]) for m in runs], axis=0)
    wait = np.mean([_quarters(m["queue_wait_days_implementation"]) / 3 for m in runs], axis=0)
    peak = int(np.argmax(logos))
    assert 8 <= peak <= len(logos) - 4, logos
    assert logos[peak] > 1.2 * logos[-3:].mean(), logos  # the fall, well below the peak
    assert wait[peak:peak + 4].mean() > 2.0 * wait[peak - 4:peak].mean(), wait  # waits climb
    assert all(m["decision_goal_implementation"].max() > 100.0 for m in runs)  # the goal eroded
    for seed in (0, 1):
        a, b = runs[seed], simulate(fixed, seed=seed, keep_records=False).monthly
        qa, qb = _quarters(a["new_logos"]), _quarters(b["new_logos"])
        assert qb[-4:].sum() > 1.2 * qb[-8:-4].sum(), qb  # still growing
        assert qb[-4:].sum() > 4.0 * qa[-4:].sum(), (qa, qb)
        assert np.all(b["decision_goal_implementation"] == 60.0)


# ---- money reads: the hiring freeze, budget caps (the books closed month by month)
MONTHLY = {"contracts": [{"billing": "monthly"}]}
CASH = {"finance": {"starting_cash": 8_000_000, "rd": {"per_month": 150_000}, "ga": {"per_month": 60_000}},
        "horizon_months": 24, "segments": {"smb": MONTHLY, "mid": MONTHLY, "ent": MONTHLY},
        "teams": {"ae": {"plan": [{"month": 6, "headcount": 16}, {"month": 10, "headcount": 26},
                                  {"month": 14, "headcount": 36}]},
                  "sdr": {"plan": [{"month": 6, "headcount": 8}, {"month": 10, "headcount": 12},
                                   {"month": 14, "headcount": 16}]}}}
FREEZE = {"teams": {"ae": {"freeze": {"runway_below_months": 18}}, "sdr": {"freeze": {"runway_below_months": 18}}}}


def _own_books(changes: dict):
    """The baseline with its own finance section left out, then ``changes``: these tests state
    the whole of the company's money themselves (the baseline's R&D and G&A as shares of revenue
    would otherwise add to theirs)."""
    from simorg.scenario.schema import Scenario

    from .helpers import baseline_doc, deep_update

    doc = baseline_doc()
    doc.pop("finance", None)
    return Scenario.model_validate(deep_update(doc, changes))


def test_books_read_during_the_run_match_the_ledger() -> None:
    """The cash a decision reads at month m's start is the ledger's cash at month m-1's end
    (only recognised revenue is approximated: ARR at the month's end)."""
    from .helpers import deep_update

    m = simulate(_own_books(deep_update(CASH, FREEZE)), seed=0, keep_records=False).monthly
    books, ledger = m["decision_cash"][1:], m["cash"][:-1]
    assert np.all(np.abs(books - ledger) < 50_000), np.c_[books, ledger]
    assert np.isnan(m["decision_cash"][0])  # nothing closed before month 0


def test_runway_freeze_hires_less_and_lowers_the_chance_of_running_out() -> None:
    """$8M in the bank, $210K a month of R&D and G&A on top of the baseline's go-to-market
    (overhead included) and a plan that grows AEs from 6 to 36 in 14 months: the company runs
    out of cash in most replications; the same plan frozen while runway is under 18 months
    (requisitions already open still land) hires less and runs out less often (paired seeds;
    seen over 10 seeds: 10 of 10 run out without the freeze, 1 of 10 with it)."""
    from .helpers import deep_update

    plan, frozen = _own_books(CASH), _own_books(deep_update(CASH, FREEZE))
    out_plan = out_frozen = 0
    for seed in range(6):
        a = simulate(plan, seed=seed, keep_records=False)
        b = simulate(frozen, seed=seed)
        out_plan += int(a.kpis["cash_out"])
        out_frozen += int(b.kpis["cash_out"])
        assert b.monthly["headcount_ae"].sum() < a.monthly["headcount_ae"].sum()
        assert b.kpis["cash_end"] > a.kpis["cash_end"]
        fz = b.monthly["decision_freeze_ae"]
        assert set(np.unique(fz)) <= {0.0, 1.0} and fz.sum() >= 3
        # no requisition opened in a frozen month: each hire started hiring_lead_days after one
        st = b.records.staff  # type: ignore[union-attr]
        hired = (st["role"] == "ae") & ~st["initial"].astype(bool) & (st["start"] >= 60)
        req_month = ((st["start"][hired] - 60.0) // 30.44).astype(int)
        assert np.all(fz[req_month] == 0), req_month
    assert out_plan >= 5 and out_frozen <= 1, (out_plan, out_frozen)


def test_cac_payback_cap_holds_the_budget() -> None:
    """A budget of 200% of new ARR held under an 18-month CAC-payback cap: the cap is
    18 x new ARR per month x gross margin / 12 - S&M salaries per month, and binds."""
    rule = {"rule": "share_of_new_arr", "share": 2.0, "trailing_months": 3, "min": 1000, "cap_payback_months": 18}
    sc = scenario({**SHORT, "marketing": {"channels": {"web": {"budget_rule": rule}}}})
    m = simulate(sc, seed=1, keep_records=False).monthly
    gm = sc.customers.gross_margin
    bound = sum(m["decision_budget_web"] == m["decision_budget_cap_web"])
    assert bound >= 10
    for k in range(4, 18):
        sm = sum(m[f"headcount_{r}"][k - 1] * getattr(sc.teams, r).salary / 12.0
                 for r in ("marketing", "sdr", "ae", "presales") if getattr(sc.teams, r) is not None)
        cap = max(0.0, 18 * m["new_arr"][k - 3:k].sum() / 3 * gm / 12 - sm)
        assert abs(m["decision_budget_cap_web"][k] - cap) < 1e-6 * max(cap, 1.0) + 1e-6, (k, m["decision_budget_cap_web"][k], cap)
        assert m["decision_budget_web"][k] <= max(1000.0, cap) + 1e-6
        assert m["decision_budget_web"][k] <= 2.0 * m["new_arr"][k - 3:k].sum() / 3 + 1e-6


def test_burn_multiple_cap_holds_the_budget_and_the_burn() -> None:
    """A budget of 100% of new ARR, with $250K a month of R&D, held so that trailing net burn
    stays under 0.8 x trailing net new ARR: the cap binds, spend falls, cash lasts longer."""
    rule = {"rule": "share_of_new_arr", "share": 1.0, "trailing_months": 3, "min": 1000}
    base = {"finance": {"starting_cash": 5_000_000, "rd": {"per_month": 250_000}}, "horizon_months": 24,
            "marketing": {"channels": {"web": {"budget_rule": rule}}}}
    capped = {**base, "marketing": {"channels": {"web": {"budget_rule": {**rule, "cap_burn_multiple": 0.8}}}}}
    from .helpers import deep_update

    free_spend = capped_spend = 0.0
    for seed in range(3):
        a = simulate(_own_books(base), seed=seed, keep_records=False)
        b = simulate(_own_books(deep_update(base, capped)), seed=seed, keep_records=False)
        m = b.monthly
        web, cap = m["decision_budget_web"], m["decision_budget_cap_web"]
        assert np.all(web[1:] <= np.maximum(1000.0, cap[1:]) + 1e-6)
        assert np.sum(web[1:] < a.monthly["decision_budget_web"][1:] - 1.0) >= 6  # the cap binds
        free_spend += a.monthly["marketing_cost"].sum()
        capped_spend += m["marketing_cost"].sum()
        assert b.kpis["cash_end"] > a.kpis["cash_end"]
    assert capped_spend < 0.9 * free_spend


def test_money_reads_need_a_finance_section() -> None:
    """A freeze or a burn-multiple cap without a finance section is refused, naming the field."""
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="teams.ae.freeze reads runway"):
        _own_books({"teams": {"ae": {"freeze": {"runway_below_months": 12}}}})
    rule = {"rule": "share_of_new_arr", "share": 0.3, "cap_burn_multiple": 1.5}
    with pytest.raises(ValidationError, match="marketing.channels.web.budget_rule.cap_burn_multiple"):
        _own_books({"marketing": {"channels": {"web": {"budget_rule": rule}}}})


def test_delivery_delay_reaches_lead_conversion_only_when_switched_on() -> None:
    """With ``lead_conversion`` on, the delay the market hears also cuts the share of leads
    that qualify (the same multiplier as the win rate); off (the default), it does not."""
    starved = {"teams": {"implementation": {"headcount": 1, "plan": [], "attrition_per_year": 0}}}
    conv = {"market": {"delivery_delay": {"lead_conversion": True}}}
    off, on = [], []
    for seed in range(3):
        a = simulate(scenario({**SHORT, **starved}), seed=seed, keep_records=False)
        b = simulate(scenario({**SHORT, **starved, **conv}), seed=seed, keep_records=False)
        assert b.monthly["market_win_factor"][-1] < 0.9
        off.append(a.kpis["lead_qualify_rate"])
        on.append(b.kpis["lead_qualify_rate"])
    assert np.mean(on) < np.mean(off) - 0.02, (off, on)
