"""Org design and incentives change behaviour: each mechanism's direction with paired
replications (95% CI excludes zero), and turning its parameter off removes the effect."""

from __future__ import annotations

import numpy as np
import pytest

from simorg.experiment.simulate import simulate
from simorg.model.world import World
from simorg.scenario import load

from .helpers import ROOT, deep_update, paired_effects, scenario

SHORT = {"horizon_months": 24}


def arms(a: dict, b: dict, reps: int = 10):
    """Paired effects of b vs a, both merged over a 24-month baseline."""
    return paired_effects(scenario(deep_update(SHORT, a)), scenario(deep_update(SHORT, b)), reps)


def test_sales_owning_renewals_costs_commission_and_ae_hours():
    """Article 004: sales-owned renewals cost more and take AE hours (no longer AE slots:
    renewals are hours, issue 14; the new-logo and retention effects are in test_effort.py)."""
    base = load(ROOT / "scenarios" / "baseline.yaml")
    sales = load(ROOT / "scenarios" / "sales_owns_renewals.yaml")
    assert sales.org.renewals == "ae"
    fx = paired_effects(base, sales, reps=16)
    assert fx["commission_cost"][1] > 0, fx["commission_cost"]
    assert fx["logo_renewal_rate"][2] < 0, fx["logo_renewal_rate"]
    runs = [simulate(sales, seed=s) for s in range(2)]
    assert all(r.monthly["hours_ae_renewal"].sum() > 0 for r in runs)


def _worked_share_by_size(sc, seeds=range(5)):
    small, big = [], []
    for s in seeds:
        rn = simulate(sc, seed=s).records.renewals
        median = np.median(rn["arr_before"])
        worked = rn["worked"].astype(bool)
        small.append(worked[rn["arr_before"] < median].mean())
        big.append(worked[rn["arr_before"] >= median].mean())
    return np.array(small), np.array(big)


@pytest.mark.parametrize("sensitivity", [1.0, 0.0])
def test_aes_paid_on_renewals_work_big_ones_and_let_small_ones_lapse(sensitivity):
    """Effort follows pay: AEs give small renewals no hours (they lapse), big ones hours;
    with the mechanism off every renewal gets org.renewal_hours, whatever its size."""
    sc = scenario({**SHORT, "org": {"renewals": "ae"},
                   "behaviour": {"effort_follows_pay": {"sensitivity": sensitivity}}})
    small, big = _worked_share_by_size(sc)
    gap = big - small
    if sensitivity > 0:
        assert gap.mean() > 0.1 and gap.min() > 0, (small, big)
    else:  # every renewal is worked: size makes no difference
        assert abs(gap.mean()) < 0.05, (small, big)


def test_attribution_gaming_opens_a_gap_and_an_audit_narrows_it():
    pay = {"teams": {"ae": {"comp": {"new_rate_marketing": 0.07, "new_rate_self": 0.12}}}}
    fx = arms({}, pay)
    assert fx["attribution_gap"][1] > 0.3
    assert fx["commission_cost"][1] > 0
    audited = deep_update(pay, {"behaviour": {"attribution_gaming": {"audit": True}}})
    fx_audit = arms(pay, audited)
    assert fx_audit["attribution_gap"][2] < 0
    assert fx_audit["gtm_cost"][0] != 0
    off = deep_update(pay, {"behaviour": {"attribution_gaming": {"sensitivity": 0}}})
    assert arms({}, off, reps=3)["attribution_gap"] == (0.0, 0.0, 0.0)


def test_presales_paid_on_wins_overpromise():
    delivery_pay = {"teams": {"presales": {"win_share": 0.0}}}
    win_pay = {"teams": {"presales": {"win_share": 1.0}}}
    # 36 months: health lost at go-live shows in the trailing-12-month GRR once enough of the
    # over-promised accounts have come up for renewal
    long = {"horizon_months": 36}
    # 24 pairs (12 before the warm start: the warm-up lets the arms differ at month 0 too,
    # so pairs are less alike and GRR's half-point fall needs more of them)
    fx = paired_effects(scenario(deep_update(long, delivery_pay)), scenario(deep_update(long, win_pay)), 24)
    assert fx["win_rate"][1] > 0
    assert fx["time_to_value_days"][1] > 0
    off = {"behaviour": {"promise_inflation": {"sensitivity": 0}}}
    fx_off = arms(deep_update(delivery_pay, off), deep_update(win_pay, off), reps=4)
    assert fx_off["win_rate"] == (0.0, 0.0, 0.0)
    assert fx_off["time_to_value_days"] == (0.0, 0.0, 0.0)
    # the lasting promise gap (behaviour.promise_inflation.target_gap): over-promised
    # accounts stay less healthy, so dollars lapse at the renewals a year and more after go-live
    assert fx["grr"][2] < 0, fx["grr"]
    fx_gap_off = paired_effects(
        scenario(deep_update(long, deep_update(delivery_pay, {"behaviour": {"promise_inflation": {"target_gap": 0}}}))),
        scenario(deep_update(long, deep_update(win_pay, {"behaviour": {"promise_inflation": {"target_gap": 0}}}))), 24)
    assert fx_gap_off["grr"][0] > fx["grr"][0], (fx_gap_off["grr"], fx["grr"])


def test_implementation_under_presales_damps_overpromising():
    win_pay = {"teams": {"presales": {"win_share": 1.0}}}
    fx = arms(win_pay, deep_update(win_pay, {"org": {"implementation_under": "presales"}}))
    assert fx["time_to_value_days"][2] < 0


def test_sdrs_paid_per_qualified_lead_lower_their_bar():
    fx = arms({}, {"teams": {"sdr": {"pay_basis": "qualified"}}})
    assert fx["lead_qualify_rate"][1] > 0
    assert fx["win_rate"][2] < 0
    off = {"teams": {"sdr": {"pay_basis": "qualified"}},
           "behaviour": {"sdr_bar_lowering": {"sensitivity": 0}}}
    assert arms({}, off, reps=3)["lead_qualify_rate"] == (0.0, 0.0, 0.0)


def test_marketing_measured_on_volume_buys_cheaper_worse_leads():
    fx = arms({}, {"marketing": {"measured_on": "volume"}})
    assert fx["leads"][1] > 0
    assert fx["win_rate"][2] < 0
    off = {"marketing": {"measured_on": "volume"},
           "behaviour": {"marketing_volume_bias": {"sensitivity": 0}}}
    assert arms({}, off, reps=3)["leads"] == (0.0, 0.0, 0.0)


def test_credit_window_moves_expansion_pay_to_the_ae():
    fx = arms({"org": {"credit_window_months": 0}}, {"org": {"credit_window_months": 12}})
    assert fx["commission_cost"][1] > 0
    assert fx["bonus_cost"][2] < 0


def test_renewals_counted_toward_quota_inflate_attainment():
    own = {"org": {"renewals": "ae"}}
    fx = arms(own, deep_update(own, {"org": {"renewals_count_toward_quota": True}}))
    assert fx["quota_attainment_median"][1] > 0.5


def test_segment_pods_route_deals_to_their_segments_aes():
    sc = scenario({**SHORT, "org": {"lead_routing": "segment_pods",
                                    "pods": {"smb": 0.5, "mid": 0.3, "ent": 0.2}}})
    world = World(sc, seed=4)
    rec = world.run()
    won = rec.leads["owner"] >= 0
    pods = [world.worker_by_id[int(o)].pod for o in rec.leads["owner"][won]]
    assert pods == rec.leads["segment"][won].tolist()
    assert {w.pod for w in world.staff if w.role == "ae" and w.start <= world.horizon} == {"smb", "mid", "ent"}


def test_key_accounts_get_account_managers_who_own_their_renewals():
    am_team = {"headcount": 2, "salary": 150000, "capacity": 15}
    sc = scenario({**SHORT, "teams": {"am": am_team},
                   "org": {"key_account_arr": 60000, "renewals": "am"}})
    world = World(sc, seed=2)
    rec = world.run()
    key = [a for a in world.base.accounts if isinstance(a.am, type(world.staff[0]))]
    assert key and all(a.arr >= 60000 * 0.8 for a in key)  # contraction may have shrunk one a little
    assert rec.costs["amount"][rec.costs["role"] == "am"].sum() > 0  # AM bonus on renewals


def test_csm_tiers_give_big_accounts_more_touches():
    tiers = {"teams": {"csm": {"tiers": [{"min_arr": 40000, "weight": 3.0}], "headcount": 3, "plan": []}}}
    sc = scenario({**SHORT, **tiers})
    world = World(sc, seed=5)
    world.run()
    live = [a for a in world.base.active.values() if a.live_t < world.horizon - 60]
    big = np.mean([a.health for a in live if a.arr >= 40000])
    small = np.mean([a.health for a in live if a.arr < 40000])
    assert big > small + 0.05


def test_unknown_owner_is_an_error():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="renewals"):
        scenario({"org": {"renewals": "marketing"}})
    with pytest.raises(ValidationError, match="renewal_specialist"):
        scenario({"org": {"renewals": "renewal_specialist"}})


def test_sales_is_an_alias_for_ae_as_in_the_design_brief():
    sc = load(ROOT / "scenarios" / "baseline.yaml", overrides={"org.renewals": "sales"})
    assert sc.org.renewals == "ae"
    assert scenario({"org": {"cross_sell": "sales"}}).org.cross_sell == "ae"
