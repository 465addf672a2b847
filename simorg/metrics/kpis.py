"""Records + monthly series -> KPIs (DESIGN.md names). Pure functions.

All KPIs are over the whole horizon unless named otherwise; rates are fractions. Where a
KPI is undefined for a run (no deal closed, no contract up for renewal) it is NaN rather
than a made-up number.
"""

from __future__ import annotations

import numpy as np

from ..model.pools import DAYS_PER_MONTH
from ..model.records import Records
from ..scenario.schema import ROLES, STAFF_ROLES, Scenario

SALES_AND_MARKETING = ("marketing", "sdr", "ae", "presales")
"""Roles whose cost is customer-acquisition cost (S&M in CAC)."""


def _mean(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def account_arr_at(records: Records, t: float) -> dict[int, float]:
    """ARR of every account at time ``t`` from the contract segments."""
    seg = records.segments
    if len(seg["account"]) == 0:
        return {}
    mask = (seg["start"] <= t) & (seg["end"] > t)
    return dict(zip(seg["account"][mask].tolist(), seg["arr"][mask].tolist(), strict=True))


def retention(records: Records, months_back: int = 12) -> tuple[float, float, float]:
    """Trailing (GRR, NRR, logo renewal rate) over the last ``months_back`` months.

    GRR and NRR follow the cohort of accounts paying ``months_back`` months before the end:
    GRR = sum(min(ARR now, ARR then)) / sum(ARR then); NRR = sum(ARR now) / sum(ARR then).
    Logo renewal rate = contracts renewed / contracts that came up for renewal in the window.
    """
    end = records.horizon_days - 1e-6
    start = max(0.0, end - months_back * DAYS_PER_MONTH)
    then = account_arr_at(records, start)
    now = account_arr_at(records, end)
    base = sum(then.values())
    kept = sum(min(now.get(a, 0.0), v) for a, v in then.items())
    net = sum(now.get(a, 0.0) for a in then)
    rn = records.renewals
    in_window = (rn["t"] > start) if len(rn["t"]) else np.array([], dtype=bool)
    logo = _ratio(float(np.sum(rn["renewed"][in_window])), float(np.sum(in_window))) if len(in_window) else float("nan")
    return _ratio(kept, base), _ratio(net, base), logo


def quota_attainment(records: Records, quota_per_year: float,
                     min_quota_years: float = 0.25) -> np.ndarray:
    """Bookings / ramped quota for each AE who carried at least a quarter-year of quota."""
    at = records.attainment
    if len(at["id"]) == 0:
        return np.array([])
    q = at["quota"].astype(float)
    ok = (q > 0) & (q >= min_quota_years * quota_per_year)
    return at["bookings"][ok].astype(float) / q[ok]


def compute_kpis(records: Records, s: dict[str, np.ndarray], scenario: Scenario) -> dict[str, float]:
    """Every KPI of one replication."""
    months = records.months
    years = months / 12.0
    k: dict[str, float] = {}
    arr = s["arr"]
    k["arr_end"] = float(arr[-1])
    k["customers_end"] = float(s["customers"][-1])
    k["new_logos"] = float(s["new_logos"].sum())
    k["new_arr"] = float(s["new_arr"].sum())
    k["expansion_arr"] = float(s["expansion_arr"].sum())
    k["contraction_arr"] = float(s["contraction_arr"].sum())
    k["churned_arr"] = float(s["churned_arr"].sum())
    arr_then = float(arr[months - 13]) if months > 12 else records.initial_arr
    k["arr_growth_last_12m"] = _ratio(k["arr_end"] - arr_then, arr_then)

    for name in ("gtm_cost", "salary_cost", "commission_cost", "retention_commission_cost",
                 "bonus_cost", "marketing_cost", "recruiting_cost", "audit_cost"):
        k[name] = float(s[name].sum())
    # S&M for CAC: acquisition roles and audits, without commission for keeping customers
    sm_monthly = (sum(s[f"cost_{r}"] for r in SALES_AND_MARKETING) + s["audit_cost"]
                  - s["retention_commission_cost"])
    sm = float(sm_monthly.sum())
    k["sm_cost"] = sm
    k["cac"] = _ratio(sm, k["new_logos"])
    k["cac_ratio"] = _ratio(sm, k["new_arr"])
    gm = scenario.customers.gross_margin
    k["cac_payback_months"] = _ratio(sm, k["new_arr"] / 12.0 * gm)
    last = slice(max(0, months - 12), months)
    k["magic_number"] = _ratio(k["arr_end"] - arr_then, float(sm_monthly[last].sum()))

    grr, nrr, logo = retention(records)
    k["grr"], k["nrr"], k["logo_renewal_rate"] = grr, nrr, logo

    ld = records.leads
    n = len(ld["id"])
    mkt = ld["true_source"] == "marketing" if n else np.array([], dtype=bool)
    won = ld["state"] == "won" if n else np.array([], dtype=bool)
    lost = ld["state"] == "lost" if n else np.array([], dtype=bool)
    k["leads"] = float(np.sum(mkt))
    qualified = np.isfinite(ld["qualified_t"].astype(float)) if n else np.array([], dtype=bool)
    k["opportunities"] = float(np.sum(qualified))
    k["lead_to_opportunity"] = _ratio(float(np.sum(qualified & mkt)), float(np.sum(mkt)))
    touched_mkt = mkt & np.isfinite(ld["first_touch"].astype(float)) if n else mkt
    k["lead_qualify_rate"] = _ratio(float(np.sum(qualified & mkt)), float(np.sum(touched_mkt)))
    k["win_rate"] = _ratio(float(np.sum(won)), float(np.sum(won | lost)))
    k["opportunity_to_win"] = k["win_rate"]
    k["sales_cycle_days"] = _mean(ld["closed_t"][won] - ld["qualified_t"][won]) if n else float("nan")
    k["new_deal_acv"] = _mean(ld["acv"][won]) if n else float("nan")
    k["lead_response_hours"] = (
        _mean((ld["first_touch"][touched_mkt] - ld["created"][touched_mkt]) * 24.0) if n else float("nan")
    )
    acc = records.accounts
    if len(acc["id"]):
        fresh = ~acc["initial"].astype(bool)
        k["time_to_value_days"] = _mean(acc["live"][fresh].astype(float) - acc["signed"][fresh].astype(float))
    else:
        k["time_to_value_days"] = float("nan")

    for role in STAFF_ROLES:
        if getattr(scenario.teams, role, None) is not None:  # optional teams only when defined
            k[f"headcount_end_{role}"] = float(s[f"headcount_{role}"][-1])
    for role in ROLES:
        p = records.pools.get(role)
        k[f"utilization_{role}"] = _ratio(float(p["busy"][-1]), float(p["capacity"][-1])) if p is not None and len(p["busy"]) else float("nan")
    att = quota_attainment(records, scenario.teams.ae.quota_per_year)
    k["quota_attainment_median"] = float(np.median(att)) if len(att) else float("nan")
    ae_years = float(np.mean(s["headcount_ae"])) * years
    k["ae_attrition"] = _ratio(records.extra.get("departures_ae", 0.0), ae_years)

    bookings = ld["acv"][won].astype(float) if n else np.array([])
    total = float(bookings.sum())
    true_mkt = float(bookings[ld["true_source"][won] == "marketing"].sum()) if n else 0.0
    rec_mkt = float(bookings[ld["recorded_source"][won] == "marketing"].sum()) if n else 0.0
    k["attribution_gap"] = _ratio(true_mkt - rec_mkt, total)
    return k
