"""Synthetic results directories shaped like ``--out DIR`` output, for the report tests.

``make_run_dir``, ``make_compare_dir`` and ``make_sweep_dir`` write random but plausible
numbers (ARR follows its own bridge, funnels convert, cohorts decay) in exactly the layout
the experiments layer writes. The tests at the bottom check that the fixture itself keeps
that contract, so report tests cannot pass against a malformed fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROLES = ("marketing", "sdr", "ae", "presales", "implementation", "csm")
QUEUE_ROLES = ("sdr", "ae", "presales", "implementation", "csm")
SALARY = {"marketing": 110e3, "sdr": 70e3, "ae": 150e3, "presales": 160e3,
          "implementation": 120e3, "csm": 100e3}


def scenario_doc(name: str = "baseline", horizon: int = 24, ae: int = 6) -> dict[str, Any]:
    """A scenario in the full schema's YAML form (validates against simorg's Scenario)."""
    return {
        "name": name,
        "description": "Synthetic mid-market SaaS company for report tests",
        "horizon_months": horizon,
        "segments": {
            "smb": {"acv": {"lognormal": {"mean": 12000, "sd": 6000}}, "win_rate": 0.3,
                    "cycle_days": {"lognormal": {"mean": 30, "sd": 12}}, "onboarding_days": 15},
            "mid": {"acv": {"lognormal": {"mean": 45000, "sd": 20000}}, "win_rate": 0.22,
                    "cycle_days": {"lognormal": {"mean": 75, "sd": 30}}, "onboarding_days": 45},
        },
        "marketing": {"channels": {
            "search": {"budget_per_month": 40000, "cost_per_lead": 250, "lag_days": 20,
                       "fit": {"beta": {"a": 2, "b": 2}}, "segment_mix": {"smb": 0.7, "mid": 0.3}},
            "content": {"budget_per_month": 15000, "budget_growth_per_month": 0.02,
                        "cost_per_lead": 150, "lag_days": 60, "fit": 0.6,
                        "segment_mix": {"smb": 0.5, "mid": 0.5}},
        }},
        "teams": {
            "marketing": {"headcount": 3, "salary": SALARY["marketing"]},
            "sdr": {"headcount": 3, "salary": SALARY["sdr"], "work_days": 0.05, "qualify_rate": 0.25,
                    "capacity": 20},
            "ae": {"headcount": ae, "salary": SALARY["ae"], "quota_per_year": 600000, "ramp_months": 4,
                   "attrition_per_year": 0.2, "capacity": 15,
                   "plan": [{"month": 6, "headcount": ae + 2}, {"month": 12, "headcount": ae + 4}]},
            "presales": {"headcount": 2, "salary": SALARY["presales"], "acv_threshold": 30000,
                         "effort_days": 10, "capacity": 3},
            "implementation": {"headcount": 3, "salary": SALARY["implementation"],
                               "self_delivery_below_acv": 10000, "capacity": 4},
            "csm": {"headcount": 3, "salary": SALARY["csm"], "touches_per_month": 60, "capacity": 80,
                    "bonus_rate": 0.02},
        },
        "customers": {"initial": {"count": 120, "segment_mix": {"smb": 0.6, "mid": 0.4}}},
        "org": {"renewals": "csm", "lead_routing": "least_loaded"},
    }


def _simulate_rep(rng: np.random.Generator, months: int, boost: float = 1.0,
                  ae: int = 6) -> tuple[pd.DataFrame, dict[str, float], np.ndarray]:
    """One fake replication: monthly tidy rows (without scenario/rep), KPIs, quota attainments."""
    rows: dict[str, list[float]] = {}

    def put(metric: str, value: float) -> None:
        rows.setdefault(metric, []).append(float(value))

    cohorts: dict[str, float] = {"y0": 120.0}
    sizes: dict[str, float] = {"y0": 120.0}
    arr = 120 * 25000.0 * rng.uniform(0.95, 1.05)
    arr_hist = []
    hc = {"marketing": 3, "sdr": 3, "ae": ae, "presales": 2, "implementation": 3, "csm": 3}
    for m in range(1, months + 1):
        if m == 7:
            hc["ae"] = ae + 2
        if m == 13:
            hc["ae"] = ae + 4
            hc["csm"] += 1
        leads = rng.poisson(250 * boost)
        worked = rng.binomial(leads, 0.8)
        opps = rng.binomial(worked, 0.2) + rng.poisson(3)
        won = rng.binomial(opps, 0.25)
        lost = rng.binomial(opps - won, 0.7)
        new_arr = float(np.sum(rng.lognormal(np.log(22000), 0.5, won)))
        expansion = arr * rng.gamma(4, 0.0025)
        contraction = arr * rng.gamma(2, 0.0008)
        churned = arr * rng.gamma(3, 0.0025)
        arr = arr + new_arr + expansion - contraction - churned
        arr_hist.append(arr)
        c = f"y{(m - 1) // 12 + 1}"
        sizes[c] = sizes.get(c, 0.0) + won
        cohorts[c] = cohorts.get(c, 0.0) + won
        for k in cohorts:
            cohorts[k] -= rng.binomial(int(cohorts[k]), 0.008)
        put("arr", arr)
        put("customers", sum(cohorts.values()))
        put("new_logos", won)
        put("new_arr", new_arr)
        put("expansion_arr", expansion)
        put("contraction_arr", contraction)
        put("churned_arr", churned)
        put("leads", leads)
        put("leads_worked", worked)
        put("opportunities", opps)
        put("won", won)
        put("lost", lost)
        mkt = 55000 * rng.uniform(0.97, 1.03)
        sal = 0.0
        for role in ROLES:
            cost = hc[role] * SALARY[role] / 12
            sal += cost
            put(f"headcount_{role}", hc[role])
            put(f"cost_{role}", cost)
        commission = 0.1 * new_arr
        bonus = 0.02 * (arr / 12)
        recruiting = 15000.0 if m in (5, 11) else 0.0
        put("marketing_cost", mkt)
        put("salary_cost", sal)
        put("commission_cost", commission)
        put("bonus_cost", bonus)
        put("recruiting_cost", recruiting)
        put("gtm_cost", mkt + sal + commission + bonus + recruiting)
        for role in QUEUE_ROLES:
            put(f"utilization_{role}", float(np.clip(rng.normal(0.75 + 0.04 * QUEUE_ROLES.index(role), 0.06), 0, 1)))
            put(f"queue_wait_days_{role}", rng.gamma(2, 0.5 + QUEUE_ROLES.index(role)))
        for k in sizes:
            put(f"logos_cohort_{k}", cohorts[k])
            put(f"cohort_size_{k}", sizes[k])
    frames = []
    for metric, values in rows.items():
        start = months - len(values) + 1  # cohorts appear when they start
        frames.append(pd.DataFrame({"month": np.arange(start, months + 1), "metric": metric,
                                    "value": values}))
    monthly = pd.concat(frames, ignore_index=True)
    arr_hist_a = np.array(arr_hist)
    get = {k: np.array(v) for k, v in rows.items()}
    gtm = get["gtm_cost"].sum()
    sm_cost = gtm
    n_ae = hc["ae"]
    attain = rng.lognormal(np.log(0.8), 0.35, n_ae)
    kpis = {
        "arr_end": arr_hist_a[-1],
        "customers_end": get["customers"][-1],
        "new_logos": get["new_logos"].sum(),
        "new_arr": get["new_arr"].sum(),
        "expansion_arr": get["expansion_arr"].sum(),
        "contraction_arr": get["contraction_arr"].sum(),
        "churned_arr": get["churned_arr"].sum(),
        "arr_growth_last_12m": arr_hist_a[-1] / arr_hist_a[-13] - 1,
        "gtm_cost": gtm,
        "salary_cost": get["salary_cost"].sum(),
        "commission_cost": get["commission_cost"].sum(),
        "bonus_cost": get["bonus_cost"].sum(),
        "marketing_cost": get["marketing_cost"].sum(),
        "cac": sm_cost / max(get["new_logos"].sum(), 1),
        "cac_ratio": sm_cost / get["new_arr"].sum(),
        "cac_payback_months": 12 * sm_cost / get["new_arr"].sum() / 0.75,
        "magic_number": (arr_hist_a[-1] - 3e6) / sm_cost,
        "logo_renewal_rate": rng.normal(0.88, 0.02),
        "grr": rng.normal(0.91, 0.015),
        "nrr": rng.normal(1.04, 0.02),
        "leads": get["leads"].sum(),
        "opportunities": get["opportunities"].sum(),
        "lead_to_opportunity": get["opportunities"].sum() / get["leads"].sum(),
        "opportunity_to_win": get["won"].sum() / get["opportunities"].sum(),
        "win_rate": get["won"].sum() / (get["won"].sum() + get["lost"].sum()),
        "sales_cycle_days": rng.normal(62, 5),
        "new_deal_acv": get["new_arr"].sum() / max(get["won"].sum(), 1),
        "lead_response_hours": rng.gamma(4, 1.5),
        "time_to_value_days": rng.normal(38, 4),
        "quota_attainment_median": float(np.median(attain)),
        "ae_attrition": rng.uniform(0.05, 0.3),
        "attribution_gap": rng.normal(0.05, 0.02),
    }
    for role in ROLES:
        kpis[f"headcount_end_{role}"] = hc[role]
    for role in QUEUE_ROLES:
        kpis[f"utilization_{role}"] = float(get[f"utilization_{role}"].mean())
    return monthly, {k: float(v) for k, v in kpis.items()}, attain


def _summary(values: np.ndarray) -> dict[str, Any]:
    mean = float(np.mean(values))
    half = 1.96 * float(np.std(values, ddof=1)) / np.sqrt(len(values)) if len(values) > 1 else 0.0
    return {"mean": mean, "ci95": [mean - half, mean + half]}


def _simulate_arm(name: str, reps: int, months: int, seed: int, boost: float = 1.0,
                  ae: int = 6, extra: dict[str, Any] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    extra = extra or {}
    monthly_parts, kpi_rows, dist_parts = [], [], []
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep])
        monthly, kpis, attain = _simulate_rep(rng, months, boost=boost, ae=ae)
        monthly.insert(0, "rep", rep)
        monthly.insert(0, "scenario", name)
        for k, v in extra.items():
            monthly[k] = v
        monthly_parts.append(monthly)
        for k, v in kpis.items():
            kpi_rows.append({"scenario": name, "rep": rep, "seed": seed * 1000 + rep, "kpi": k,
                             "value": v, **extra})
        dist_parts.append(pd.DataFrame({"scenario": name, "rep": rep, "metric": "quota_attainment",
                                        "value": attain, **extra}))
    return (pd.concat(monthly_parts, ignore_index=True), pd.DataFrame(kpi_rows),
            pd.concat(dist_parts, ignore_index=True))


def _write(out: Path, result: dict[str, Any], monthly: pd.DataFrame, kpis: pd.DataFrame,
           dists: pd.DataFrame, scenarios: dict[str, dict[str, Any]]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result, indent=2))
    monthly.to_csv(out / "monthly.csv", index=False)
    kpis.to_csv(out / "kpis.csv", index=False)
    dists.to_csv(out / "distributions.csv", index=False)
    for name, doc in scenarios.items():
        (out / f"scenario_{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def make_run_dir(out: Path, reps: int = 3, months: int = 24, seed: int = 1,
                 name: str = "baseline") -> Path:
    """Write a ``simorg run --out`` directory for one scenario."""
    monthly, kpis, dists = _simulate_arm(name, reps, months, seed)
    summary = {k: _summary(g["value"].to_numpy()) for k, g in kpis.groupby("kpi", sort=False)}
    result = {"kind": "run", "scenario": name, "reps": reps, "seed": seed, "failed": 0, "kpis": summary}
    return _write(out, result, monthly, kpis, dists, {name: scenario_doc(name, months)})


def _compare_kpis(kpis: pd.DataFrame, a: str, b: str) -> dict[str, Any]:
    from simorg.report.explain import kpi_info

    out = {}
    for k, g in kpis.groupby("kpi", sort=False):
        va = g[g.scenario == a].sort_values("rep")["value"].to_numpy()
        vb = g[g.scenario == b].sort_values("rep")["value"].to_numpy()
        d = vb - va
        s = _summary(d)
        lo, hi = s["ci95"]
        if lo <= 0 <= hi:
            verdict = "no detectable difference"
        else:
            better = kpi_info(str(k)).higher_is_better
            verdict = "better" if (d.mean() > 0) == (better is not False) else "worse"
        out[str(k)] = {"a_mean": float(va.mean()), "b_mean": float(vb.mean()), "diff_mean": s["mean"],
                       "diff_ci95": [lo, hi], "p_value": 0.01 if verdict != "no detectable difference" else 0.4,
                       "verdict": verdict}
    return out


def make_compare_dir(out: Path, arms: tuple[str, ...] = ("baseline", "more_leads"), reps: int = 3,
                     months: int = 24, seed: int = 1) -> Path:
    """Write a ``simorg compare --out`` directory (``comparisons`` list when more than 2 arms)."""
    parts = [_simulate_arm(name, reps, months, seed, boost=1.0 + 0.3 * i) for i, name in enumerate(arms)]
    monthly = pd.concat([p[0] for p in parts], ignore_index=True)
    kpis = pd.concat([p[1] for p in parts], ignore_index=True)
    dists = pd.concat([p[2] for p in parts], ignore_index=True)
    comps = [{"a": arms[0], "b": b, "kpis": _compare_kpis(kpis, arms[0], b)} for b in arms[1:]]
    result: dict[str, Any] = {"kind": "compare", "reps": reps, "seed": seed, "failed": 0}
    if len(arms) == 2:
        result.update(comps[0])
    else:
        result.update({"a": arms[0], "b": arms[1], "comparisons": comps})
    docs = {name: scenario_doc(name, months) for name in arms}
    for i, name in enumerate(arms):
        docs[name]["marketing"]["channels"]["search"]["budget_per_month"] = 40000 * (1.0 + 0.3 * i)
    return _write(out, result, monthly, kpis, dists, docs)


def make_sweep_dir(out: Path, mode: str = "grid", reps: int = 3, months: int = 24,
                   seed: int = 1, flat: bool = False) -> Path:
    """Write a ``simorg sweep --out`` directory over AE headcount and search budget.

    By default in the shape the experiments layer writes (point settings under ``params``,
    ``vary``, ``base_values``, tornado rows with ``base_value`` and paired-diff CIs);
    ``flat=True`` writes the brief's original shape (``parameters``, settings on the point).
    """
    p1, p2 = "teams.ae.headcount", "marketing.channels.search.budget_per_month"
    if mode == "oat":
        settings = [(6, 40000), (4, 40000), (8, 40000), (6, 20000), (6, 60000)]
    else:
        settings = [(a, b) for a in (4, 6, 8) for b in (20000, 40000, 60000)]
    monthly_parts, kpi_parts, dist_parts, points = [], [], [], []
    for i, (ae, budget) in enumerate(settings):
        extra = {"point": i, p1: ae, p2: budget}
        m, k, d = _simulate_arm("baseline", reps, months, seed, boost=budget / 40000, ae=ae, extra=extra)
        monthly_parts.append(m)
        kpi_parts.append(k)
        dist_parts.append(d)
        summary = {kk: _summary(g["value"].to_numpy()) for kk, g in k.groupby("kpi", sort=False)}
        if flat:
            points.append({"point": i, p1: ae, p2: budget, "kpis": summary})
        else:
            points.append({"point": i, "params": {p1: ae, p2: budget}, "reps": reps, "failed": 0,
                           "kpis": summary, **({"role": "base"} if mode == "oat" and i == 0 else {})})
    kpis = pd.concat(kpi_parts, ignore_index=True)
    result: dict[str, Any] = {"kind": "sweep", "base": "baseline", "mode": mode, "reps": reps, "seed": seed,
                              "failed": 0, "kpis": ["arr_end", "new_logos", "cac_ratio", "nrr"], "points": points}
    if flat:
        result["parameters"] = [p1, p2]
    else:
        result["vary"] = {p1: sorted({a for a, _ in settings}), p2: sorted({b for _, b in settings})}
        result["base_values"] = {p1: 6, p2: 40000}
    if mode == "oat":
        tornado = []
        base_kpis = kpis[kpis["point"] == 0]
        for kpi in result["kpis"]:
            base = base_kpis[base_kpis.kpi == kpi].sort_values("rep")["value"].to_numpy()
            for param, lo_i, hi_i in ((p1, 1, 2), (p2, 3, 4)):
                j = 0 if param == p1 else 1
                row = {"kpi": kpi, "parameter": param, "low": settings[lo_i][j], "high": settings[hi_i][j],
                       "low_value": points[lo_i]["kpis"][kpi]["mean"],
                       "high_value": points[hi_i]["kpis"][kpi]["mean"]}
                if not flat:
                    row["base_value"] = float(base.mean())
                    for side, idx in (("low", lo_i), ("high", hi_i)):
                        other = kpis[(kpis["point"] == idx) & (kpis.kpi == kpi)].sort_values("rep")["value"]
                        s = _summary(other.to_numpy() - base)
                        row[f"{side}_diff"], row[f"{side}_diff_ci95"] = s["mean"], s["ci95"]
                tornado.append(row)
        result["tornado"] = tornado
    return _write(out, result, pd.concat(monthly_parts, ignore_index=True), kpis,
                  pd.concat(dist_parts, ignore_index=True), {"baseline": scenario_doc("baseline", months)})


# --------------------------------------------------------------------------- tests of the fixture
def test_fixture_run_layout(tmp_path: Path) -> None:
    out = make_run_dir(tmp_path / "r")
    result = json.loads((out / "result.json").read_text())
    assert result["kind"] == "run" and result["reps"] == 3
    monthly = pd.read_csv(out / "monthly.csv")
    assert list(monthly.columns) == ["scenario", "rep", "month", "metric", "value"]
    assert monthly["month"].min() == 1 and monthly["month"].max() == 24
    arr = monthly[monthly.metric == "arr"]
    assert len(arr) == 3 * 24
    assert set(pd.read_csv(out / "kpis.csv").columns) == {"scenario", "rep", "seed", "kpi", "value"}


def test_fixture_scenario_validates_against_schema(tmp_path: Path) -> None:
    from simorg.scenario.schema import Scenario

    Scenario.model_validate(scenario_doc())


def test_fixture_arr_follows_bridge(tmp_path: Path) -> None:
    monthly = pd.read_csv(make_run_dir(tmp_path / "r") / "monthly.csv")
    w = monthly[monthly.rep == 0].pivot(index="month", columns="metric", values="value")
    flow = w.new_arr + w.expansion_arr - w.contraction_arr - w.churned_arr
    assert np.allclose(w.arr.diff().iloc[1:], flow.iloc[1:])
