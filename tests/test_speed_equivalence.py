"""The speed work (issue 8) changed how the model runs, not what it computes.

* Golden runs: every KPI, monthly series and record table (as a digest of each column) of a
  set of seeded runs, recorded with the model as it was *before* the optimizations (commit
  b650d69; re-recorded from 1730459, the model before the speed work plus the review fixes
  to CSM assignment and books; re-recorded from 1251df5, whose KPIs are bit-identical to
  1730459's, with the record digests and five more cases; re-recorded once more at commit 0372e95,
  where common random numbers became keyed by names instead of YAML positions, issue 12; and
  re-recorded at the commit after 'time' branch's mechanism commits, where people's time
  became the capacity and renewal odds respond to the hours worked, issue 14; and
  re-recorded for issue 16, whose warm start runs four months before month 0 and whose lead
  desk sends leads to AEs while no SDR is employed; and re-recorded when implementation and
  presales capacity became hours shared over the projects in hand and AE expansions AE hours,
  issue 14, where every case but the reference funnel moved: the reference funnel's
  implementers hold one project at a time, and its recorded values came out bit-identical;
  and re-recorded for issue 15, whose baseline was recalibrated into public ranges: S&M
  overhead, cost per lead rising with spend, price uplift at renewal, retention by ACV band,
  renewal odds and CSM cadence; and re-recorded once more when those two changes met on main,
  with services revenue recognised at go-live; and re-recorded when the lasting promise gap
  arrived (issue 14: an over-promised account's health target is lower for a year after
  go-live; the baseline's presales are paid half at the win, so its supported deals carry
  inflation 0.5 and 25 of the 30 runs moved; the reference funnel, without presales, and
  four others came out bit-identical; and re-recorded when AE deal hours became buyer-paced
  (issue 14: a rep's selling hours shared over their deals at most at each buyer's pace,
  re-shared as deals come and go; 28 of 30 runs moved, the reference funnel, whose AEs
  give no hours, came out bit-identical)), must come out bit-identical. The
  cases cover each code path the optimizations touched: SDR and AE queues served by
  callbacks, presales waits, AE self-delivery, implementation, renewals worked by AEs,
  account managers, segment pods, round-robin routing, AEs working leads without SDRs and
  letting them go stale, SDRs working two leads at a time, attrition and hiring, CSM and AM
  books handed over on departure, CSM tiers, re-labelled deal sources with and without
  audits, and the reference funnel whose renewals are decided at signature.
* Fast paths against the general path they replace, on whole records: renewals decided at
  signature against the monthly renewal motion, least-loaded routing from the heap against
  scanning the team.
* Id spaces of self-sourced deals stay clear of the initial customers' for any number of AEs.

Re-record the golden file only when a change is *meant* to alter results, or to add cases
recorded from the model *before* a speed change (a checkout of the older commit first on the
path)::

    PYTHONPATH=. python tests/test_speed_equivalence.py --record tests/data/speed_golden.json
    PYTHONPATH=/path/to/old/checkout python tests/test_speed_equivalence.py --record tests/data/speed_golden.json
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "speed_golden.json"
REFERENCE = ROOT / "benchmarks" / "reference_funnel.yaml"

SHORT = {"horizon_months": 18}
CASES: dict[str, dict] = {
    "baseline": {},
    "baseline_short_pods": {**SHORT, "org": {"lead_routing": "segment_pods",
                                             "pods": {"smb": 0.5, "mid": 0.3, "ent": 0.2}}},
    "round_robin": {**SHORT, "org": {"lead_routing": "round_robin"}},
    "ae_renewals": {**SHORT, "org": {"renewals": "ae", "upsell": "ae"}},
    "am_key_accounts": {**SHORT, "teams": {"am": {"headcount": 2, "salary": 150000, "capacity": 15}},
                        "org": {"key_account_arr": 60000, "renewals": "am"}},
    "no_sdr": {**SHORT, "teams": {"sdr": {"headcount": 0, "plan": []}}},
    "presales_wait": {**SHORT, "teams": {"presales": {"on_no_presales": "wait", "headcount": 1}}},
    "specialists": {**SHORT, "teams": {"renewal_specialist": {"headcount": 2, "salary": 90000,
                                                              "capacity": 10}},
                    "org": {"renewals": "renewal_specialist"}},
    # added with the second round of speed work (lead rows written at close, books, touches)
    # self-sourced deals pay more, so reps re-label marketing leads; audits claw some back
    "audits": {**SHORT, "teams": {"ae": {"comp": {"new_rate_marketing": 0.07, "new_rate_self": 0.12}}},
               "behaviour": {"attribution_gaming": {"sensitivity": 1.0, "audit": True,
                                                    "audit_catch_rate": 0.3}}},
    "relabelling_unaudited": {**SHORT, "teams": {"ae": {"comp": {"new_rate_marketing": 0.07, "new_rate_self": 0.12}}},
                              "behaviour": {"attribution_gaming": {"sensitivity": 1.0}}},
    "books": {**SHORT, "teams": {"csm": {"attrition_per_year": 3.0, "capacity": 20},
                                 "am": {"headcount": 3, "salary": 150000, "capacity": 6,
                                        "attrition_per_year": 3.0}},
              "org": {"key_account_arr": 40000, "renewals": "am"}},
    "tiers": {**SHORT, "teams": {"csm": {"tiers": [{"min_arr": 30000, "weight": 2.5},
                                                   {"min_arr": 80000, "weight": 0.7},
                                                   {"min_arr": 30000, "weight": 1.3}]}}},
    "stale_without_sdrs": {**SHORT, "teams": {"sdr": {"headcount": 0, "plan": [], "max_lead_age_days": 3},
                                              "ae": {"capacity": 2, "attrition_per_year": 0.8}}},
    "sdr_capacity_2": {**SHORT, "teams": {"sdr": {"capacity": 2, "work_order": "oldest_first",
                                                  "attrition_per_year": 1.5}}},
}
SEEDS = (1, 2)


def _case_scenario(name: str):
    if name == "reference_funnel":
        from simorg.scenario import load

        return load(REFERENCE, overrides={"horizon_months": 24})
    from tests.helpers import scenario

    return scenario(CASES[name])


def _all_cases() -> list[str]:
    return [*CASES, "reference_funnel"]


def _digest(a: np.ndarray) -> str:
    """A column's dtype and bytes, hashed: equal digests are equal columns, order included."""
    a = np.ascontiguousarray(a)
    assert a.dtype != object, "an object column's bytes are addresses, not values"
    return hashlib.sha256(a.dtype.str.encode() + str(a.shape).encode() + a.tobytes()).hexdigest()[:16]


def _record_digests(rec) -> dict[str, dict[str, str]]:
    """Every column of every table of a run's records, as digests (tables no KPI reads too)."""
    out = {}
    for table in ("leads", "accounts", "arr_events", "segments", "renewals", "costs", "staff",
                  "attainment", "headcount"):
        out[table] = {k: _digest(v) for k, v in getattr(rec, table).items()}
    for role, cols in rec.pools.items():
        out[f"pools.{role}"] = {k: _digest(v) for k, v in cols.items()}
    scalars = {"horizon_days": rec.horizon_days, "months": rec.months, "initial_arr": rec.initial_arr,
               **{f"extra.{k}": v for k, v in rec.extra.items()}}
    out["scalars"] = {k: _digest(np.array([v], dtype=float)) for k, v in scalars.items()}
    return out


def _run(name: str, seed: int) -> dict:
    from simorg.experiment.simulate import simulate

    run = simulate(_case_scenario(name), seed)
    return {"kpis": run.kpis, "monthly": {k: np.asarray(v).tolist() for k, v in run.monthly.items()},
            "distributions": {k: np.asarray(v).tolist() for k, v in run.distributions.items()},
            "records": _record_digests(run.records)}


def _same(a: float, b: float) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _golden() -> dict:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", _all_cases())
@pytest.mark.parametrize("seed", SEEDS)
def test_runs_are_bit_identical_to_before_the_speed_work(name: str, seed: int):
    want = _golden()[f"{name}|{seed}"]
    got = _run(name, seed)
    bad = [k for k, v in want["kpis"].items() if not _same(v, got["kpis"][k])]
    assert not bad, {k: (want["kpis"][k], got["kpis"][k]) for k in bad[:5]}
    # new KPIs and series (money, issue 15) are additions: every recorded one must be there, unchanged
    assert set(got["kpis"]) >= set(want["kpis"])
    assert set(got["monthly"]) >= set(want["monthly"])
    for k, v in want["monthly"].items():
        assert all(_same(x, y) for x, y in zip(v, got["monthly"][k], strict=True)), k
    assert got["distributions"] == want["distributions"]
    for table, cols in want["records"].items():
        assert got["records"][table] == cols, table
    assert got["records"].keys() == want["records"].keys()


# --------------------------------------------------------------------------- fast paths
def _records_equal(a, b, order_free: tuple[str, ...] = ()) -> None:
    """Every table of two Records equal; tables in ``order_free`` compared as sorted rows."""
    for table in ("leads", "accounts", "arr_events", "segments", "renewals", "costs", "staff",
                  "attainment"):
        ta, tb = getattr(a, table), getattr(b, table)
        assert ta.keys() == tb.keys(), table
        if table in order_free and len(next(iter(ta.values()))):
            rows_a = sorted(zip(*(ta[k].tolist() for k in ta), strict=True))
            rows_b = sorted(zip(*(tb[k].tolist() for k in tb), strict=True))
            assert rows_a == rows_b, table
            continue
        for k in ta:
            assert ta[k].dtype == tb[k].dtype, (table, k)
            assert np.array_equal(ta[k], tb[k], equal_nan=ta[k].dtype.kind == "f"), (table, k)
    for role in a.pools:
        for k in a.pools[role]:
            assert np.array_equal(a.pools[role][k], b.pools[role][k]), (role, k)


def test_renewals_decided_at_signature_equal_the_monthly_motion():
    from simorg.model.world import World
    from simorg.scenario import load

    sc = load(REFERENCE, overrides={"horizon_months": 18, "customers.renewal.p_at_zero_health": 0.9,
                                    "customers.renewal.p_at_full_health": 0.9})
    fast = World(sc, 3)
    assert fast.csm.renewals_fixed
    slow = World(sc, 3)
    slow.csm.renewals_fixed = False
    rf, rs = fast.run(), slow.run()
    assert len(rs.renewals["t"]) > 1000 and (~rs.renewals["renewed"]).sum() > 100
    # the renewal rows are written per account instead of in time order
    _records_equal(rf, rs, order_free=("renewals",))


@pytest.mark.parametrize("contract_start", [30.437500000000007, 0.0, -200.0, 12.5, 91.3125, 95.0])
def test_fixed_renewals_reach_every_contract_end_in_the_horizon(contract_start: float):
    """Contract ends are sums of the term added one by one; rounding can fit one more end in
    the horizon than (horizon - start) // term says (the first case: 2 ends, quotient 1.99...)."""
    from simorg.model.entities import Account
    from simorg.model.world import World
    from simorg.scenario import load

    sc = load(REFERENCE, overrides={"horizon_months": 3, "customers.renewal.p_at_zero_health": 1.0,
                                    "customers.renewal.p_at_full_health": 1.0})
    world = World(sc, 1)
    assert world.csm.renewals_fixed and world.horizon == 91.3125
    a = Account(7, "only", 1000.0, 0.0, "y1", 1.0, True)
    a.contract_start = contract_start
    world.csm._fixed_renewals(a)
    ends, end = [], contract_start
    while end + 30.4375 <= world.horizon:
        end += 30.4375
        ends.append(end)
    assert a.renewals == len(ends)
    assert world.rec.renewals_table()["t"].tolist() == [max(e, 0.0) for e in ends]  # an end already past: renewed now (0)
    assert a.contract_start == (ends[-1] if ends else contract_start)


def test_renewals_are_fixed_only_when_nothing_can_change_them():
    from simorg.model.world import World

    from .helpers import scenario

    assert not World(scenario(), 1).csm.renewals_fixed  # CSMs work renewals, health matters
    flat = {"customers": {"renewal": {"p_at_zero_health": 0.9, "p_at_full_health": 0.9,
                                      "contraction_chance": 0.0},
                          "expansion": {"upsell_per_year": 0, "cross_sell_per_year": 0}}}
    assert not World(scenario(flat), 1).csm.renewals_fixed  # CSMs still own and work renewals
    no_uplift = {s: {"contracts": [{"billing": "annual"}]} for s in ("smb", "mid", "ent")}  # the baseline's has 3%
    no_csm = {**flat, "teams": {"csm": {"headcount": 0, "plan": []}}, "segments": no_uplift}
    assert World(scenario(no_csm), 1).csm.renewals_fixed
    uplift = {s: {"contracts": [{"billing": "annual", "uplift": 0.03}]} for s in ("smb", "mid", "ent")}
    assert not World(scenario({**no_csm, "segments": uplift}), 1).csm.renewals_fixed  # price rises change ARR


def test_least_loaded_heap_picks_who_scanning_the_team_picks(monkeypatch):
    from simorg.model import pools
    from simorg.model.world import World

    from .helpers import scenario

    sc = scenario({**SHORT, "teams": {"ae": {"attrition_per_year": 1.0}}})
    heap = World(sc, 5).run()
    original = pools.Pool.__init__

    def scan_only(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._free_heap = None  # fall back to routing over the list of free workers

    monkeypatch.setattr(pools.Pool, "__init__", scan_only)
    scan = World(sc, 5).run()
    _records_equal(heap, scan)


def test_relabelling_cases_relabel_and_claw_back():
    """The golden cases for attribution gaming exercise what they guard: won deals re-labelled
    (kept as objects for audits when audits are on) and audit claw-backs."""
    from simorg.experiment.simulate import simulate

    for name, audited in (("audits", True), ("relabelling_unaudited", False)):
        rec = simulate(_case_scenario(name), 1).records
        won = rec.leads["state"] == "won"
        relabelled = won & (rec.leads["true_source"] != rec.leads["recorded_source"])
        assert relabelled.sum() > 5, name
        clawbacks = (rec.costs["kind"] == "commission") & (rec.costs["amount"] < 0)
        assert (clawbacks.sum() > 0) == audited, name


def _touches_account_by_account(world, accs, now):
    """CSM touches as the model computed them before they were vectorised: a loop per account."""
    from simorg.model.pools import Worker

    team = world.sc.teams.csm
    tiers = sorted(team.tiers, key=lambda t: t.min_arr, reverse=True)
    weights = [next((t.weight for t in tiers if a.arr >= t.min_arr), 1.0) for a in accs]
    book_weight: dict[int, float] = {}
    for a, wt in zip(accs, weights, strict=True):
        if isinstance(a.csm, Worker):
            book_weight[a.csm.id] = book_weight.get(a.csm.id, 0.0) + wt
    from simorg.model.pools import DAYS_PER_MONTH

    per_day = team.hours_per_month / DAYS_PER_MONTH
    touches = np.zeros(len(accs))
    for i, a in enumerate(accs):
        if isinstance(a.csm, Worker):
            left = max(0.0, 1.0 - a.csm.account_hours / per_day)  # hours renewal and expansion motions leave
            touches[i] = team.touches_per_month * a.csm.productivity(now) * left * weights[i] / book_weight[a.csm.id]
    return touches


@pytest.mark.parametrize("tiers", [[], [{"min_arr": 30000, "weight": 2.5}, {"min_arr": 80000, "weight": 0.7},
                                       {"min_arr": 30000, "weight": 1.3}]])
def test_csm_touches_per_book_equal_the_loop_per_account(tiers):
    from simorg.model.world import World

    from .helpers import scenario

    sc = scenario({"teams": {"csm": {"tiers": tiers, "attrition_per_year": 0.8, "capacity": 30}}})
    world = World(sc, 4)
    world._initial_staff()
    world._initial_customers()
    world.marketing.start()
    world.env.process(world._people())
    world.csm.start()
    checked = 0
    for month in (0.7, 9.3, 23.6):
        world.env.run(until=month * 30.4375)
        now = world.env.now
        accs = [a for a in world.base.active.values() if a.live_t <= now]
        touches, assigned = world.csm.touches(accs, now)
        expected = _touches_account_by_account(world, accs, now)
        assert np.array_equal(touches, expected)
        assert assigned.sum() == np.count_nonzero(expected) > 50
        checked += 1
    assert checked == 3


def test_self_sourced_ids_never_collide_with_initial_customers():
    from simorg.model.teams.ae import self_source_code
    from simorg.model.world import INITIAL_CODE

    codes = [self_source_code(i) for i in range(5000)]
    assert INITIAL_CODE not in codes
    assert len(set(codes)) == len(codes)
    assert codes[:50] == list(range(200, 250))  # unchanged for the first 50 AEs


def _record(path: Path) -> None:
    out = {f"{name}|{seed}": _run(name, seed) for name in _all_cases() for seed in SEEDS}
    path.write_text(json.dumps(out))
    print(f"wrote {len(out)} runs to {path}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--record":
        _record(Path(sys.argv[2]))
    else:
        print(__doc__)
